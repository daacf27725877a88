/* test_soak.c - a day of work in a minute: 1,000 reloads of a real library while the host runs,
 * with the state checked after every one, and the host's open descriptors, mappings, library copies
 * and resident memory compared between reload 100 and reload 1,000. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define SOAK_RELOADS 1000
#define SOAK_SETTLE 100    /* resources are compared from here on, after caches have warmed */
#define SOAK_RSS_SLACK 4096 /* KiB: allocator and page-cache jitter, far below one leaked copy per reload */

typedef struct soak_sample {
    int fds, maps, copies;
    long rss_kib;
} soak_sample;

static soak_sample soak_measure(pid_t pid)
{
    int copies = harness_copy_dir_files_settled(pid, 1, 1000); /* the old copy goes after the next frame */
    soak_sample s = {harness_fd_count(pid), harness_map_count(pid, "/hotreload-"), copies, harness_rss_kib(pid)};
    return s;
}

static void test_1000_reloads_keep_state_and_resources_flat(void **unused)
{
    harness_game g;
    assert_true(harness_game_copy("tests/games/probe", &g));
    assert_int_equal(harness_game_build(&g), 0);
    char good[HARNESS_PATH + 96];
    snprintf(good, sizeof(good), "%s.good", g.lib);
    assert_true(harness_copy_file(g.lib, good));
    harness_host h;
    const char *args[] = {"--fps", "250", NULL};
    assert_true(harness_host_start(&h, g.lib, args));

    long at = 0;
    const char *init = harness_next_event(&h, "log", "probe init", &at, 10000);
    assert_non_null(init);
    uint64_t root = harness_field_u64(init, "root"), nested = harness_field_u64(init, "nested");
    uint64_t counter = 0;
    soak_sample settled = {0};
    for (int i = 1; i <= SOAK_RELOADS; i++) {
        assert_true(harness_put_library(&g, good));
        const char *r = harness_next_event(&h, "log", "probe reloaded", &at, 10000);
        if (!r) fail_msg("reload %d: no report from the reloaded library", i);
        /* the state after every reload: same addresses, counter never goes back, contents intact */
        assert_int_equal(harness_field_u64(r, "root"), root);
        assert_int_equal(harness_field_u64(r, "nested"), nested);
        assert_int_equal(harness_field_u64(r, "nested_sum"), 1100);
        uint64_t c = harness_field_u64(r, "counter");
        assert_true(c >= counter);
        counter = c;
        if (i == SOAK_SETTLE) settled = soak_measure(h.pid);
    }
    soak_sample end = soak_measure(h.pid);
    assert_int_equal(harness_count(&h, "reload"), SOAK_RELOADS);
    assert_int_equal(harness_count(&h, "reload_failed"), 0);
    assert_int_equal(harness_count(&h, "warning"), 0);
    assert_int_equal(end.fds, settled.fds);
    assert_int_equal(end.maps, settled.maps);
    assert_int_equal(end.copies, 1);
    if (end.rss_kib > settled.rss_kib + SOAK_RSS_SLACK)
        fail_msg("resident memory grew from %ld KiB at reload %d to %ld KiB at reload %d", settled.rss_kib,
                 SOAK_SETTLE, end.rss_kib, SOAK_RELOADS);
    printf("soak: %d reloads, fds %d, mappings %d, rss %ld -> %ld KiB\n", SOAK_RELOADS, end.fds, end.maps,
           settled.rss_kib, end.rss_kib);
    assert_int_equal(harness_host_stop(&h), 0);
    harness_game_remove(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_1000_reloads_keep_state_and_resources_flat),
    };
    return harness_finish(cmocka_run_group_tests_name("integration: soak", tests, NULL, NULL));
}
