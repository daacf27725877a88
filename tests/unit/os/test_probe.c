/* test_probe.c - proves the probe process (os/probe.h) on its own: this test executable is its own
 * probe (main hands probe mode to probe_serve), and the "path" it probes names what the check does:
 * pass, refuse, crash (segfault, abort, stack overflow) in a chosen stage, hang, or exit. Each
 * answer says what happened and in which stage; a hang is killed at its timeout; a candidate given
 * up for a newer one is never answered; nothing is left running after probe_stop. */
#include "../test_util.h"

#include "host/os/clock.h"
#include "host/os/probe.h"

#define ANSWER_MS 10000 /* longest a test waits for an answer: the probe runs on a busy machine */

/* ---- the check, in the probe process --------------------------------------------------------- */

static BASE_NOINLINE __attribute__((no_sanitize("undefined"))) void test_segv(void)
{
    int *volatile unmapped = (int *)(uintptr_t)16;
    *unmapped = 1;
}

static BASE_NOINLINE uint64_t test_recurse(uint64_t depth)
{
    volatile char pad[512];
    if (depth == UINT64_MAX) return 0;
    pad[depth % sizeof(pad)] = (char)depth;
    return test_recurse(depth + 1) + (uint64_t)pad[depth % sizeof(pad)];
}

static volatile uint64_t test_sink;

/* "WHAT" or "WHAT@STAGE": what to do, after reporting stages up to STAGE (entry, check). */
static bool test_check(const char *path, probe_progress *p, host_error *err)
{
    if (strstr(path, "@entry") || strstr(path, "@check")) probe_progress_stage(p, PROBE_STAGE_ENTRY);
    if (strstr(path, "@check")) probe_progress_stage(p, PROBE_STAGE_CHECK);
    if (strncmp(path, "segv", 4) == 0) test_segv();
    if (strncmp(path, "abort", 5) == 0) abort();
    if (strncmp(path, "recurse", 7) == 0) test_sink = test_recurse(0);
    if (strncmp(path, "exit7", 5) == 0) exit(7);
    while (strncmp(path, "hang", 4) == 0) {
    }
    if (strncmp(path, "refuse", 6) == 0) return host_fail(err, "refused: %s", path);
    return true;
}

/* ---- the host's side --------------------------------------------------------------------------- */

static probe *start_probe(void)
{
    host_error err = {{0}};
    probe *p = probe_start(&err);
    if (!p) fail_msg("probe_start: %s", err.msg);
    return p;
}

static probe_result ask(probe *p, const char *what, uint64_t timeout_ms)
{
    host_error err = {{0}};
    if (!probe_submit(p, what, timeout_ms, &err)) fail_msg("probe_submit: %s", err.msg);
    probe_result r;
    uint64_t t0 = clock_now_ns();
    while (!probe_poll(p, &r)) {
        clock_wake wake = probe_wake(p);
        clock_sleep_until_woken(clock_now_ns() + 20000000ull, &wake, 1);
        if (clock_now_ns() - t0 > ANSWER_MS * 1000000ull) fail_msg("no answer for %s", what);
    }
    return r;
}

static void a_check_that_returns_passes_or_refuses_with_its_reason(void **state)
{
    probe *p = start_probe();
    probe_result r = ask(p, "pass@check", 5000);
    assert_int_equal(r.outcome, PROBE_PASSED);
    assert_int_equal(r.stage, PROBE_STAGE_CHECK);
    assert_true(r.ms >= 0);
    r = ask(p, "refuse@entry", 5000);
    assert_int_equal(r.outcome, PROBE_REFUSED);
    assert_int_equal(r.stage, PROBE_STAGE_ENTRY);
    assert_string_equal(r.message, "refused: refuse@entry");
    probe_stop(p);
}

static void crashes_are_answered_with_the_signal_and_the_stage(void **state)
{
    probe *p = start_probe();
    probe_result r = ask(p, "segv@entry", 5000);
    assert_int_equal(r.outcome, PROBE_CRASHED);
    assert_int_equal(r.stage, PROBE_STAGE_ENTRY);
    assert_string_equal(r.crash.what, "invalid memory access");
    assert_int_equal(r.crash.address, 16);
    assert_true(r.crash.pc != 0 && r.crash.frame_count > 0);
    r = ask(p, "abort", 5000);
    assert_int_equal(r.outcome, PROBE_CRASHED);
    assert_int_equal(r.stage, PROBE_STAGE_OPEN);
    assert_string_equal(r.crash.name, "SIGABRT");
    r = ask(p, "recurse@check", 5000);
    assert_int_equal(r.outcome, PROBE_CRASHED);
    assert_int_equal(r.stage, PROBE_STAGE_CHECK);
    assert_true(r.crash.stack_overflow);
    r = ask(p, "pass", 5000); /* the probe goes on after crashes */
    assert_int_equal(r.outcome, PROBE_PASSED);
    probe_stop(p);
}

static void a_hang_is_killed_at_its_timeout_and_an_exit_is_answered(void **state)
{
    probe *p = start_probe();
    uint64_t t0 = clock_now_ns();
    probe_result r = ask(p, "hang@entry", 300);
    assert_int_equal(r.outcome, PROBE_TIMED_OUT);
    assert_int_equal(r.stage, PROBE_STAGE_ENTRY);
    assert_true(clock_now_ns() - t0 >= 300000000ull);
    r = ask(p, "exit7", 5000);
    assert_int_equal(r.outcome, PROBE_EXITED);
    assert_int_equal(r.exit_status, 7);
    assert_int_equal(r.stage, PROBE_STAGE_OPEN);
    probe_stop(p);
}

/* A newer candidate overtakes one in flight: only the newer one is answered. */
static void a_candidate_given_up_is_never_answered(void **state)
{
    probe *p = start_probe();
    host_error err = {{0}};
    assert_true(probe_submit(p, "hang", 500, &err));
    probe_result r = ask(p, "refuse@check", 5000);
    assert_int_equal(r.outcome, PROBE_REFUSED);
    assert_string_equal(r.message, "refused: refuse@check");
    probe_stop(p);
}

int main(int argc, char **argv)
{
    if (probe_mode(argc, argv)) return probe_serve(argc, argv, test_check);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_check_that_returns_passes_or_refuses_with_its_reason),
        cmocka_unit_test(crashes_are_answered_with_the_signal_and_the_stage),
        cmocka_unit_test(a_hang_is_killed_at_its_timeout_and_an_exit_is_answered),
        cmocka_unit_test(a_candidate_given_up_is_never_answered),
    };
    return cmocka_run_group_tests_name("probe", tests, NULL, NULL);
}
