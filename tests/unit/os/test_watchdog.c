/* test_watchdog.c - proves the watchdog: a call that runs past the limit is reported once, with the
 * text the sample callback wrote from the main thread's own frames (so it can name the function the
 * main thread is in); calls that end in time are never reported; and stop joins the thread. No
 * assertion depends on how long anything took: the stuck call spins until the report arrives. */
#include "../test_util.h"

#include "host/os/watchdog.h"

#include <stdatomic.h>

typedef struct seen {
    atomic_int reports;
    char call[64];
    char where[256];
    double seconds;
} seen;

static seen watched;

/* Runs in the handler on the main thread: names the frame inside spin_until_reported, if any. */
static BASE_NOINLINE void spin_until_reported(void);

static void sample(void *ctx, const uintptr_t *frames, int count, char *out, size_t cap)
{
    (void)ctx;
    uintptr_t start = (uintptr_t)spin_until_reported;
    for (int i = 0; i < count; i++)
        if (frames[i] >= start && frames[i] < start + 512) {
            snprintf(out, cap, "spin_until_reported");
            return;
        }
    snprintf(out, cap, "elsewhere");
}

static void report(void *ctx, const char *call, const char *where, double seconds)
{
    (void)ctx;
    snprintf(watched.call, sizeof(watched.call), "%s", call);
    snprintf(watched.where, sizeof(watched.where), "%s", where);
    watched.seconds = seconds;
    atomic_fetch_add(&watched.reports, 1);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Spins until the report (or 30 s, so that a watchdog that never fires fails instead of hanging). */
static BASE_NOINLINE void spin_until_reported(void)
{
    uint64_t give_up = now_ns() + 30000000000ull;
    while (atomic_load(&watched.reports) == 0 && now_ns() < give_up) {
    }
}

static void test_a_stuck_call_is_reported_with_where_it_is(void **unused)
{
    memset(&watched, 0, sizeof(watched));
    host_error err;
    watchdog *w = watchdog_start(200, sample, report, NULL, &err);
    assert_non_null(w);
    watchdog_enter(w, "update");
    spin_until_reported();
    /* still stuck after the report: no second one for the same call */
    for (int i = 0; i < 40; i++) sleep_ms(10);
    watchdog_leave(w);
    watchdog_stop(w);
    assert_int_equal(atomic_load(&watched.reports), 1);
    assert_string_equal(watched.call, "update");
    assert_string_equal(watched.where, "spin_until_reported");
    assert_true(watched.seconds >= 0.2);
}

static void test_calls_that_end_in_time_are_not_reported(void **unused)
{
    memset(&watched, 0, sizeof(watched));
    host_error err;
    watchdog *w = watchdog_start(10000, sample, report, NULL, &err);
    assert_non_null(w);
    for (int i = 0; i < 30; i++) {
        watchdog_enter(w, "update");
        sleep_ms(10);
        watchdog_leave(w);
    }
    watchdog_stop(w);
    assert_int_equal(atomic_load(&watched.reports), 0);
    watchdog_enter(NULL, "update"); /* no watchdog: nothing happens */
    watchdog_leave(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_stuck_call_is_reported_with_where_it_is),
        cmocka_unit_test(test_calls_that_end_in_time_are_not_reported),
    };
    return cmocka_run_group_tests_name("watchdog", tests, NULL, NULL);
}
