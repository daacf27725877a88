/* test_reload.c - the real host, real game libraries built by the real build script and rebuilt
 * while the host runs. Proves: state and addresses survive reloads, rapid builds are all seen, bad
 * libraries are refused while the old code runs on, copies and descriptors do not pile up, worker
 * threads are stopped and restarted, the template builds and runs from a copied folder, and the
 * release build links the game in. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define WAIT_MS 15000

/* A probe copy, built, with the host running on it at 60 fps. */
typedef struct fixture {
    harness_game game;
    harness_host host;
    char good[HARNESS_PATH + 96]; /* a copy of the first good build */
} fixture;

static void fixture_start(fixture *f, const char *game_rel, const char *const *args)
{
    memset(f, 0, sizeof(*f));
    assert_true(harness_game_copy(game_rel, &f->game));
    assert_int_equal(harness_game_build(&f->game), 0);
    snprintf(f->good, sizeof(f->good), "%s.good", f->game.lib);
    assert_true(harness_copy_file(f->game.lib, f->good));
    assert_true(harness_host_start(&f->host, f->game.lib, args));
}

static void fixture_stop(fixture *f)
{
    assert_int_equal(harness_host_stop(&f->host), 0);
    harness_game_remove(&f->game);
}

/* The n-th probe log line containing `what` (e.g. "probe tick"), waited for. */
static const char *probe_line(fixture *f, const char *what, int n)
{
    const char *line = harness_wait_event(&f->host, "log", what, n, WAIT_MS);
    assert_non_null(line);
    return line;
}

static uint64_t field(const char *line, const char *key)
{
    uint64_t v = harness_field_u64(line, key);
    assert_int_not_equal(v, UINT64_MAX);
    return v;
}

/* ---- reloading keeps state --------------------------------------------------------------- */

static void test_edit_rebuild_keeps_state_and_addresses(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/probe", NULL);
    const char *init = probe_line(&f, "probe init", 0);
    uint64_t root = field(init, "root"), nested = field(init, "nested");
    const char *tick = probe_line(&f, "probe tick", 0);
    uint64_t counter_before = field(tick, "counter");

    /* a constant and a function body change */
    assert_true(harness_edit(&f.game, "probe.c", "#define PROBE_STEP 1 ", "#define PROBE_STEP 1000 "));
    assert_true(harness_edit(&f.game, "probe.c", "return \"alpha\";", "return \"beta\";"));
    assert_int_equal(harness_game_build(&f.game), 0);
    assert_true(harness_wait(&f.host, "reload", 1, WAIT_MS));

    char reloaded[4096]; /* harness lines live until the next call: keep a copy */
    snprintf(reloaded, sizeof(reloaded), "%s", probe_line(&f, "probe reloaded", 0));
    assert_int_equal(field(reloaded, "root"), root);
    assert_int_equal(field(reloaded, "nested"), nested);
    assert_true(field(reloaded, "counter") >= counter_before);
    assert_int_equal(field(reloaded, "nested_sum"), 100 + 200 + 800);
    assert_non_null(strstr(reloaded, "name=probe-state"));
    assert_non_null(strstr(reloaded, "marker=beta"));

    /* the new code is what runs now: the counter moves by the new step */
    const char *after = harness_wait_event(&f.host, "log", "marker=beta step=1000", 1, WAIT_MS);
    assert_non_null(after);
    assert_int_equal(field(after, "root"), root);
    if (field(after, "counter") < field(reloaded, "counter") + 1000) fail_msg("no step of 1000:\n%s\n%s", reloaded, after);

    const char *ev = harness_event(&f.host, "reload", NULL, 0);
    assert_int_equal(field(ev, "version"), 2);
    assert_non_null(strstr(ev, "\"detect_ms\":"));
    assert_non_null(strstr(ev, "\"swap_ms\":"));
    fixture_stop(&f);
}

static void test_two_builds_within_one_second_are_both_loaded(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/probe", NULL);
    assert_true(harness_put_library(&f.game, f.good));
    harness_sleep_ms(300);
    assert_true(harness_put_library(&f.game, f.good));
    assert_true(harness_wait(&f.host, "reload", 2, WAIT_MS));

    /* two real rebuilds in a row (a build that starts before the host loaded the previous one
     * holds the lock, and then only the newest is loaded) */
    assert_true(harness_edit(&f.game, "probe.c", "return \"alpha\";", "return \"gamma\";"));
    assert_int_equal(harness_game_build(&f.game), 0);
    assert_true(harness_wait(&f.host, "reload", 3, WAIT_MS));
    assert_true(harness_edit(&f.game, "probe.c", "return \"gamma\";", "return \"delta\";"));
    assert_int_equal(harness_game_build(&f.game), 0);
    assert_true(harness_wait(&f.host, "reload", 4, WAIT_MS));
    assert_non_null(harness_wait_event(&f.host, "log", "marker=delta", 0, WAIT_MS));
    fixture_stop(&f);
}

/* ---- bad libraries are refused, the old code runs on ------------------------------------- */

static void expect_refused(fixture *f, int failures, const char *reason_part)
{
    assert_true(harness_wait(&f->host, "reload_failed", failures, WAIT_MS));
    const char *ev = harness_event(&f->host, "reload_failed", NULL, failures - 1);
    if (!strstr(ev, reason_part)) fail_msg("reload_failed without '%s': %s", reason_part, ev);
    assert_true(harness_host_alive(&f->host));
    /* still ticking on the same state after the refusal */
    int ticks = harness_count(&f->host, "log");
    assert_non_null(harness_wait_event(&f->host, "log", "probe tick", ticks, WAIT_MS));
}

/* With --poll the host notices rebuilds without inotify, two within one second too. */
static void test_polling_watch_sees_rebuilds(void **unused)
{
    fixture f;
    const char *args[] = {"--poll", NULL};
    fixture_start(&f, "tests/games/probe", args);
    assert_true(harness_edit(&f.game, "probe.c", "return \"alpha\";", "return \"polled\";"));
    assert_int_equal(harness_game_build(&f.game), 0);
    assert_true(harness_wait(&f.host, "reload", 1, WAIT_MS));
    assert_non_null(harness_wait_event(&f.host, "log", "marker=polled", 0, WAIT_MS));
    assert_true(harness_put_library(&f.game, f.good));
    harness_sleep_ms(300);
    assert_true(harness_put_library(&f.game, f.good));
    assert_true(harness_wait(&f.host, "reload", 3, WAIT_MS));
    fixture_stop(&f);
}

static void test_bad_libraries_are_refused_and_state_kept(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/probe", NULL);
    uint64_t root = field(probe_line(&f, "probe init", 0), "root");

    assert_true(harness_put_bytes(&f.game, "not a library\n", 14));
    expect_refused(&f, 1, "not a library");

    size_t cut = 4096;
    FILE *src = fopen(f.good, "rb");
    char *head = malloc(cut);
    assert_int_equal(fread(head, 1, cut, src), cut);
    fclose(src);
    assert_true(harness_put_bytes(&f.game, head, cut));
    free(head);
    expect_refused(&f, 2, "truncated");

    assert_true(harness_put_bytes(&f.game, "", 0));
    expect_refused(&f, 3, "not a library");

    /* the same library claiming another machine (e_machine 183, aarch64) */
    FILE *whole = fopen(f.good, "rb");
    static char image[1 << 20];
    size_t n = fread(image, 1, sizeof(image), whole);
    fclose(whole);
    image[18] = (char)183;
    image[19] = 0;
    assert_true(harness_put_bytes(&f.game, image, n));
    expect_refused(&f, 4, "another architecture");

    /* a real build against another ABI version */
    assert_true(harness_edit(&f.game, "probe.c", "#define PROBE_ABI GAME_API_VERSION", "#define PROBE_ABI 999"));
    assert_int_equal(harness_game_build(&f.game), 0);
    expect_refused(&f, 5, "ABI 999");
    assert_non_null(strstr(harness_event(&f.host, "reload_failed", NULL, 4), "host speaks ABI"));

    /* a real build without the entry point */
    assert_true(harness_edit(&f.game, "probe.c", "#define PROBE_ABI 999", "#define PROBE_ABI GAME_API_VERSION"));
    assert_true(harness_edit(&f.game, "probe.c", "*game_get_api(uint32_t", "*game_get_api_renamed(uint32_t"));
    assert_int_equal(harness_game_build(&f.game), 0);
    expect_refused(&f, 6, "no entry point 'game_get_api'");

    assert_int_equal(harness_count(&f.host, "reload"), 0);
    assert_true(harness_put_library(&f.game, f.good));
    assert_true(harness_wait(&f.host, "reload", 1, WAIT_MS));
    assert_int_equal(field(probe_line(&f, "probe reloaded", 0), "root"), root);
    fixture_stop(&f);
}

static void test_build_lock_delays_reload(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/probe", NULL);
    char lock[HARNESS_PATH + 96];
    snprintf(lock, sizeof(lock), "%s.lock", f.game.lib);
    FILE *l = fopen(lock, "w");
    assert_non_null(l);
    fclose(l);
    assert_true(harness_put_library(&f.game, f.good));
    harness_sleep_ms(800);
    assert_int_equal(harness_count(&f.host, "reload"), 0);
    assert_int_equal(remove(lock), 0);
    assert_true(harness_wait(&f.host, "reload", 1, WAIT_MS));
    fixture_stop(&f);
}

/* A library that cannot be unmapped (linked with -z nodelete) is still swapped, and the host says
 * why the old code stayed in memory. */
static void test_library_that_stays_mapped_gives_a_warning_naming_the_cause(void **unused)
{
    harness_game g;
    assert_true(harness_game_copy("tests/games/probe", &g));
    const char *before = getenv("GAME_CFLAGS");
    char flags[512];
    snprintf(flags, sizeof(flags), "%s -Wl,-z,nodelete", before ? before : "");
    setenv("GAME_CFLAGS", flags, 1);
    int rc = harness_game_build(&g);
    if (before) setenv("GAME_CFLAGS", before, 1);
    else unsetenv("GAME_CFLAGS");
    assert_int_equal(rc, 0);
    harness_host h;
    assert_true(harness_host_start(&h, g.lib, NULL));
    char good[HARNESS_PATH + 96];
    snprintf(good, sizeof(good), "%s.good", g.lib);
    assert_true(harness_copy_file(g.lib, good));
    assert_true(harness_put_library(&g, good));
    assert_true(harness_wait(&h, "reload", 1, WAIT_MS));
    const char *warning = harness_wait_event(&h, "warning", "still mapped", 0, WAIT_MS);
    assert_non_null(warning);
    assert_non_null(strstr(warning, "-z nodelete"));
    assert_int_equal(harness_host_stop(&h), 0);
    harness_game_remove(&g);
}

/* ---- requests from the game -------------------------------------------------------------- */

static void test_game_requests_reload_then_restart(void **unused)
{
    harness_game g;
    assert_true(harness_game_copy("tests/games/probe", &g));
    assert_true(harness_edit(&g, "probe.c", "#define PROBE_REQUEST_AT 0 ", "#define PROBE_REQUEST_AT 10 "));
    assert_int_equal(harness_game_build(&g), 0);
    harness_host h;
    assert_true(harness_host_start(&h, g.lib, NULL));
    assert_true(harness_wait(&h, "reload", 1, WAIT_MS));
    assert_non_null(strstr(harness_event(&h, "reload", NULL, 0), "\"cause\":\"request\""));
    assert_true(harness_wait(&h, "restart", 1, WAIT_MS));
    /* init ran again on fresh state: a second init report with the counter starting over */
    const char *second = harness_wait_event(&h, "log", "probe init", 1, WAIT_MS);
    assert_non_null(second);
    assert_int_equal(harness_field_u64(second, "counter"), 0);
    assert_int_equal(harness_host_stop(&h), 0);
    harness_game_remove(&g);
}

/* ---- the heap ---------------------------------------------------------------------------- */

/* The test game's heap data (a growing array, a linked list, a 20 MiB block) keeps its addresses and
 * contents over several rebuilds, and every address is inside the block's heap region. */
static void test_heap_data_survives_reloads(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/heap", NULL);
    char init[4096];
    snprintf(init, sizeof(init), "%s", probe_line(&f, "heap init", 0));
    const char *start = harness_event(&f.host, "start", NULL, 0);
    uint64_t base = field(start, "base"), heap_lo = base + field(start, "heap_offset");
    uint64_t heap_hi = heap_lo + field(start, "heap");
    for (int v = 2; v <= 4; v++) {
        char from[64], to[64], mark[32];
        snprintf(from, sizeof(from), "#define HEAP_MARK %d", v - 1);
        snprintf(to, sizeof(to), "#define HEAP_MARK %d", v);
        assert_true(harness_edit(&f.game, "heap.c", from, to));
        assert_int_equal(harness_game_build(&f.game), 0);
        assert_true(harness_wait(&f.host, "reload", v - 1, WAIT_MS));
        snprintf(mark, sizeof(mark), "mark=%d", v);
        const char *r = harness_wait_event(&f.host, "log", mark, 0, WAIT_MS);
        assert_non_null(r);
        assert_int_equal(field(r, "root"), field(init, "root"));
        assert_int_equal(field(r, "list"), field(init, "list"));
        assert_int_equal(field(r, "big"), field(init, "big"));
        assert_int_equal(field(r, "nodes"), 100);
        assert_int_equal(field(r, "list_sum"), field(init, "list_sum"));
        uint64_t n = field(r, "count");
        assert_int_equal(field(r, "items_sum"), 7 * (n * (n - 1) / 2)); /* every element kept */
        uint64_t ptrs[] = {field(r, "items"), field(r, "list"), field(r, "big")};
        for (int i = 0; i < 3; i++)
            if (ptrs[i] < heap_lo || ptrs[i] >= heap_hi) fail_msg("0x%llx outside the heap region", (unsigned long long)ptrs[i]);
    }
    fixture_stop(&f);
}

/* ---- threads ----------------------------------------------------------------------------- */

static void test_worker_thread_stopped_and_restarted_across_reloads(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/worker", NULL);
    for (int v = 2; v <= 4; v++) {
        char from[64], to[64], want[64];
        snprintf(from, sizeof(from), "#define WORKER_MARK %d", v - 1);
        snprintf(to, sizeof(to), "#define WORKER_MARK %d", v);
        assert_true(harness_edit(&f.game, "worker.c", from, to));
        assert_int_equal(harness_game_build(&f.game), 0);
        assert_true(harness_wait(&f.host, "reload", v - 1, WAIT_MS));
        snprintf(want, sizeof(want), "worker restarted code=%d", v);
        assert_non_null(harness_wait_event(&f.host, "log", want, 0, WAIT_MS));
        /* the worker now runs the new code only */
        snprintf(want, sizeof(want), "worker mark=%d code=%d", v, v);
        assert_non_null(harness_wait_event(&f.host, "log", want, 0, WAIT_MS));
    }
    assert_true(harness_host_alive(&f.host));
    fixture_stop(&f);
}

/* ---- no leaks over many reloads ---------------------------------------------------------- */

static void test_200_reloads_leave_no_fds_maps_or_copies(void **unused)
{
    fixture f;
    const char *args[] = {"--fps", "200", NULL};
    fixture_start(&f, "tests/games/probe", args);
    assert_true(harness_put_library(&f.game, f.good));
    assert_true(harness_wait(&f.host, "reload", 1, WAIT_MS));
    int fds = harness_fd_count(f.host.pid);
    int maps = harness_map_count(f.host.pid, "/hotreload-");
    int copies = harness_copy_dir_files_settled(f.host.pid, 1, WAIT_MS);
    assert_true(fds > 0);
    assert_true(maps > 0);
    assert_int_equal(copies, 1);
    for (int i = 2; i <= 200; i++) {
        assert_true(harness_put_library(&f.game, f.good));
        if (!harness_wait(&f.host, "reload", i, WAIT_MS)) fail_msg("reload %d did not happen", i);
    }
    assert_int_equal(harness_count(&f.host, "reload_failed"), 0);
    assert_int_equal(harness_fd_count(f.host.pid), fds);
    assert_int_equal(harness_map_count(f.host.pid, "/hotreload-"), maps);
    assert_int_equal(harness_copy_dir_files_settled(f.host.pid, 1, WAIT_MS), 1);
    assert_int_equal(harness_count(&f.host, "warning"), 0);
    fixture_stop(&f);
}

/* ---- the template and the release build -------------------------------------------------- */

static void test_template_copy_builds_and_runs_outside_the_repo(void **unused)
{
    harness_game g;
    assert_true(harness_game_copy_isolated("game_template", &g));
    char cmd[HARNESS_PATH * 3];
    snprintf(cmd, sizeof(cmd), "cd '%s' && ENGINE_DIR='%s' ./build.sh >/dev/null 2>&1", g.dir, harness_root());
    assert_int_equal(system(cmd), 0);
    const char *argv[] = {harness_host_path(), "--headless", "--frames", "120", "--fps", "0", g.lib, NULL};
    char out[8192];
    int rc = harness_run(argv, out, sizeof(out));
    if (rc != 0) fail_msg("template copy exited %d: %s", rc, out);
    /* a copy that cannot find the engine says so in one line */
    snprintf(cmd, sizeof(cmd), "cd '%s' && env -u ENGINE_DIR ./build.sh >'%s/out.txt' 2>&1", g.dir, g.dir);
    assert_int_not_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "grep -q ENGINE_DIR '%s/out.txt'", g.dir);
    assert_int_equal(system(cmd), 0);
    harness_game_remove(&g);
}

static void test_release_build_runs_the_game_linked_in(void **unused)
{
    harness_game g;
    assert_true(harness_game_copy("game_template", &g));
    char cmd[HARNESS_PATH * 3];
    snprintf(cmd, sizeof(cmd), "'%s/build.sh' release '%s' >/dev/null 2>&1", harness_root(), g.dir);
    assert_int_equal(system(cmd), 0);
    char exe[HARNESS_PATH + 16];
    snprintf(exe, sizeof(exe), "%s/build/game", g.dir);
    const char *argv[] = {exe, "--headless", "--frames", "60", "--fps", "0", "--events", "/dev/stdout", NULL};
    char out[16384];
    int rc = harness_run(argv, out, sizeof(out));
    if (rc != 0) fail_msg("release build exited %d: %s", rc, out);
    assert_non_null(strstr(out, "\"path\":\"(linked in)\""));
    assert_non_null(strstr(out, "\"event\":\"exit\",\"frame\":60"));
    /* its own help: no reloading, no library */
    const char *help[] = {exe, "--help", NULL};
    assert_int_equal(harness_run(help, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "/build/game [options]\n"));
    assert_null(strstr(out, "--watch "));
    assert_null(strstr(out, "--probe-timeout"));
    const char *library[] = {exe, g.lib, NULL};
    assert_int_equal(harness_run(library, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "this is a release build with the game linked in; it takes no game library"));
    harness_game_remove(&g);
}

/* ---- the command line -------------------------------------------------------------------- */

static int run_host(const char *a, const char *b, const char *c, const char *d, char *out, size_t cap)
{
    const char *argv[] = {harness_host_path(), a, b, c, d, NULL};
    return harness_run(argv, out, cap);
}

static void test_cli_errors_are_one_line_with_exit_2(void **unused)
{
    char out[4096];
    assert_int_equal(run_host("--fps", "fast", "x.so", NULL, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "--fps: 'fast'"));
    assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* exactly one line */
    assert_int_equal(run_host("--bogus", "x.so", NULL, NULL, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "unknown option '--bogus'"));
    assert_int_equal(run_host("--reserve", "12Q", "x.so", NULL, out, sizeof(out)), 2);
    assert_int_equal(run_host(NULL, NULL, NULL, NULL, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "no game library"));
    assert_int_equal(run_host("--help", NULL, NULL, NULL, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "--reserve SIZE"));
}

static void test_missing_library_and_taken_base_fail_clearly(void **unused)
{
    char out[4096];
    assert_int_equal(run_host("--headless", "/nonexistent/libgame.so", NULL, NULL, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "/nonexistent/libgame.so does not exist"));

    harness_game g;
    assert_true(harness_game_copy("tests/games/probe", &g));
    assert_int_equal(harness_game_build(&g), 0);
    assert_int_equal(run_host("--headless", "--base", "0x1000", g.lib, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "0x1000"));
    assert_non_null(strstr(out, "--base"));

    /* the default base is taken by a running host only in its own process: a second host runs */
    harness_host h;
    assert_true(harness_host_start(&h, g.lib, NULL));
    const char *argv[] = {harness_host_path(), "--headless", "--frames", "5", g.lib, NULL};
    assert_int_equal(harness_run(argv, out, sizeof(out)), 0);
    assert_int_equal(harness_host_stop(&h), 0);
    harness_game_remove(&g);
}

static void test_sigterm_exits_cleanly_and_removes_copies(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/probe", NULL);
    probe_line(&f, "probe tick", 0);
    char dir[HARNESS_PATH];
    assert_true(harness_copy_dir(f.host.pid, dir, sizeof(dir)));
    assert_int_equal(harness_copy_dir_files(f.host.pid), 1);
    assert_int_equal(harness_host_stop(&f.host), 0);
    assert_non_null(harness_event(&f.host, "exit", NULL, 0));
    assert_non_null(harness_event(&f.host, "log", "probe shutdown", 0));
    assert_int_equal(access(dir, F_OK), -1); /* the private folder is gone */
    harness_game_remove(&f.game);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_rebuild_keeps_state_and_addresses),
        cmocka_unit_test(test_two_builds_within_one_second_are_both_loaded),
        cmocka_unit_test(test_polling_watch_sees_rebuilds),
        cmocka_unit_test(test_bad_libraries_are_refused_and_state_kept),
        cmocka_unit_test(test_build_lock_delays_reload),
        cmocka_unit_test(test_library_that_stays_mapped_gives_a_warning_naming_the_cause),
        cmocka_unit_test(test_game_requests_reload_then_restart),
        cmocka_unit_test(test_heap_data_survives_reloads),
        cmocka_unit_test(test_worker_thread_stopped_and_restarted_across_reloads),
        cmocka_unit_test(test_200_reloads_leave_no_fds_maps_or_copies),
        cmocka_unit_test(test_template_copy_builds_and_runs_outside_the_repo),
        cmocka_unit_test(test_release_build_runs_the_game_linked_in),
        cmocka_unit_test(test_cli_errors_are_one_line_with_exit_2),
        cmocka_unit_test(test_missing_library_and_taken_base_fail_clearly),
        cmocka_unit_test(test_sigterm_exits_cleanly_and_removes_copies),
    };
    return harness_finish(cmocka_run_group_tests_name("integration: reload", tests, NULL, NULL));
}
