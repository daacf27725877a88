/* test_crash.c - the real host against real builds of tests/games/crashy that go wrong while it runs.
 * Proves: an update that segfaults, aborts, overflows its stack, divides by zero, traps, or exhausts
 * the frame arena or the heap is reported (signal, hook, version, the game's frames, what ran out)
 * and rolled back to the last good version with the state intact; with no good version the game
 * pauses until a fixed build, with not one update meanwhile, and so does a rollback that cannot load
 * the old code again; an init that crashes pauses, and the
 * fixed build runs init; an after_reload that crashes is a reload_failed with the old code running
 * on; a before_reload that crashes does not stop the reload; with --stale-pointers warn, pointers
 * into an unloaded build are found by the scan after the reload (not repaired) and named when they
 * are used; --stale-pointers off turns the scan off; a function registry handle (registered with the function or by name alone) follows reloads,
 * and a vanished name stops the call naming it;
 * writable globals are listed at load; the watchdog names the function a stuck update is in; and a
 * SIGSEGV sent from outside still ends the host. */
#include "expect.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "expect.h"

#define WAIT_MS 15000
#define LINE EXPECT_LINE

typedef struct fixture {
    harness_game game;
    harness_host host;
    int mark; /* CRASHY_MARK of the newest build */
    char mode[32];
} fixture;

/* ---- the game's source ------------------------------------------------------------------------ */

static void set_define(fixture *f, const char *name, const char *from, const char *to)
{
    char a[128], b[128];
    snprintf(a, sizeof(a), "#define %s %s", name, from);
    snprintf(b, sizeof(b), "#define %s %s", name, to);
    if (!harness_edit(&f->game, "crashy.c", a, b)) fail_msg("no '%s' in crashy.c", a);
}

/* The next build: its mode and a new mark, so its log lines can be told apart. */
static void set_build(fixture *f, const char *mode)
{
    char from[16], to[16];
    snprintf(from, sizeof(from), "%d", f->mark);
    snprintf(to, sizeof(to), "%d", ++f->mark);
    set_define(f, "CRASHY_MARK", from, to);
    set_define(f, "CRASHY_MODE", f->mode, mode);
    snprintf(f->mode, sizeof(f->mode), "%s", mode);
}

static void build(fixture *f) { assert_int_equal(harness_game_build(&f->game), 0); }

/* A crashy copy built in `mode` (edits applied first), the host running on it. */
static void fixture_start(fixture *f, const char *mode, const char *const *edits, const char *const *args)
{
    memset(f, 0, sizeof(*f));
    f->mark = 1;
    snprintf(f->mode, sizeof(f->mode), "CRASHY_NONE");
    assert_true(harness_game_copy("tests/games/crashy", &f->game));
    for (; edits && edits[0]; edits += 2)
        if (!harness_edit(&f->game, "crashy.c", edits[0], edits[1])) fail_msg("no '%s' in crashy.c", edits[0]);
    set_define(f, "CRASHY_MODE", "CRASHY_NONE", mode);
    snprintf(f->mode, sizeof(f->mode), "%s", mode);
    build(f);
    assert_true(harness_host_start(&f->host, f->game.lib, args));
}

/* Exit statuses (host.h): crashes during the run make a run end with 3. */
#define EXIT_OK 0
#define EXIT_CRASHED 3

static void fixture_stop(fixture *f, int expected_exit)
{
    assert_int_equal(harness_host_stop(&f->host), expected_exit);
    harness_game_remove(&f->game);
}

/* ---- the event log ---------------------------------------------------------------------------- */

static uint64_t field(const char *line, const char *key)
{
    uint64_t v = harness_field_u64(line, key);
    if (v == UINT64_MAX) fail_msg("no %s in %s", key, line);
    return v;
}

/* A tick logged by the build with `mark`, after everything logged so far. */
static void expect_tick_of(fixture *f, int mark, char *out)
{
    char want[64];
    snprintf(want, sizeof(want), "mark=%d step", mark);
    int before = 0;
    while (harness_event(&f->host, "log", want, before)) before++;
    for (int waited = 0;; waited += 20) {
        const char *line = harness_event(&f->host, "log", want, before);
        if (line && strstr(line, "crashy tick")) {
            snprintf(out, LINE, "%s", line);
            return;
        }
        if (line) before++;
        else if (waited > WAIT_MS) fail_msg("no tick with %s", want);
        else harness_sleep_ms(20);
    }
}

/* The newest build was refused with `reason`, and version 1 runs on with the state of `init`. */
static void expect_refused_and_version_1_runs_on(fixture *f, const char *reason, const char *init)
{
    char line[LINE], tick[LINE];
    expect_event(&f->host, "reload_failed", NULL, 0, line);
    expect_in(line, reason);
    assert_int_equal(field(line, "running_version"), 1);
    expect_tick_of(f, 1, tick);
    assert_int_equal(field(tick, "root"), field(init, "root"));
}

/* ---- crashes in update ------------------------------------------------------------------------ */

typedef struct crash_case {
    const char *mode;
    const char *signal;
    const char *frame;  /* a game function in the backtrace */
    const char *detail; /* in the event: the stack overflow, what ran out */
} crash_case;

static void test_update_crashes_roll_back_to_the_last_good_version(void **unused)
{
    static const crash_case cases[] = {
        {"CRASHY_SEGV", "SIGSEGV", "crashy_segv+", "\"address\":\"0x10\""},
        {"CRASHY_ABORT", "SIGABRT", "crashy_abort+", "abort() called"},
        {"CRASHY_RECURSE", "SIGSEGV", "crashy_recurse+", "\"what\":\"stack overflow\""},
        {"CRASHY_FPE", "SIGFPE", "crashy_fpe+", "division by zero"},
        {"CRASHY_TRAP", "SIGILL", "crashy_trap+", "illegal instruction"},
        {"CRASHY_ARENA", "SIGABRT", "crashy_update+", "\"exhausted\":\"arena 'frame"},
        {"CRASHY_HEAP", "SIGABRT", "crashy_update+", "\"exhausted\":\"heap 'heap' full"},
    };
    fixture f;
    fixture_start(&f, "CRASHY_NONE", NULL, NULL);
    char init[LINE], line[LINE], tick[LINE];
    expect_event(&f.host, "log", "crashy init", 0, init);
    uint64_t root = field(init, "root");
    expect_tick_of(&f, 1, tick);
    for (int i = 0; i < (int)(sizeof(cases) / sizeof(cases[0])); i++) {
        const crash_case *c = &cases[i];
        uint64_t counter_before = field(tick, "counter");
        set_build(&f, c->mode);
        build(&f);
        expect_event(&f.host, "crash", NULL, i, line);
        expect_in(line, "\"hook\":\"update\"");
        expect_in(line, c->signal);
        expect_in(line, c->frame);
        expect_in(line, c->detail);
        expect_in(line, "\"action\":\"rollback\"");
        assert_int_equal(field(line, "version"), (uint64_t)f.mark);
        expect_event(&f.host, "rollback", NULL, i, line);
        assert_int_equal(field(line, "version"), 1);
        assert_int_equal(field(line, "from"), (uint64_t)f.mark);
        /* version 1 again, on the same state, still counting from where it was */
        expect_tick_of(&f, 1, tick);
        assert_int_equal(field(tick, "root"), root);
        assert_true(field(tick, "counter") > counter_before);
    }
    set_build(&f, "CRASHY_NONE");
    build(&f);
    expect_tick_of(&f, f.mark, tick);
    assert_int_equal(field(tick, "root"), root);
    assert_int_equal(harness_count(&f.host, "crash"), 7);
    fixture_stop(&f, EXIT_CRASHED);
}

static void test_crash_with_no_good_version_pauses_until_a_fixed_build(void **unused)
{
    fixture f;
    fixture_start(&f, "CRASHY_SEGV", NULL, NULL);
    char line[LINE], tick[LINE];
    expect_event(&f.host, "crash", NULL, 0, line);
    expect_in(line, "\"action\":\"pause\"");
    assert_int_equal(field(line, "version"), 1);
    assert_true(harness_host_alive(&f.host));
    set_build(&f, "CRASHY_NONE");
    build(&f);
    expect_event(&f.host, "log", "crashy reloaded", 0, line);
    /* not one update while paused: the counter is where the 10th update (CRASHY_AT) crashed */
    assert_int_equal(field(line, "counter"), 10);
    expect_tick_of(&f, f.mark, tick);
    assert_int_equal(harness_count(&f.host, "rollback"), 0);
    fixture_stop(&f, EXIT_CRASHED);
}

/* The folder the running host loads its library copies from: where its game library is mapped. */
static void copies_dir(const fixture *f, char *out, size_t cap)
{
    char maps[64], line[HARNESS_PATH + 128];
    snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)f->host.pid);
    FILE *m = fopen(maps, "r"); /* a /proc file has no size: read line by line */
    const char *at = NULL;
    while (!at && m && fgets(line, sizeof(line), m)) at = strstr(line, "/hotreload-");
    if (m) fclose(m);
    if (!at) fail_msg("no library copy of the host's in %s", maps);
    at = strchr(line, '/');
    snprintf(out, cap, "%.*s", (int)(strchr(strstr(at, "/hotreload-") + 1, '/') - at), at);
}

/* When the last good version cannot be loaded again (the copies' folder is gone), the crash pauses
 * the game instead: the rollback event says it failed, the host lives on with the state kept, and
 * once the folder is back a fixed build runs on that state. */
static void test_a_rollback_that_cannot_load_the_old_code_pauses(void **unused)
{
    fixture f;
    const char *const edits[] = {"#define CRASHY_AT 10 ", "#define CRASHY_AT 120 ", NULL};
    fixture_start(&f, "CRASHY_NONE", edits, NULL);
    char init[LINE], line[LINE], tick[LINE], dir[HARNESS_PATH];
    expect_event(&f.host, "log", "crashy init", 0, init);
    set_build(&f, "CRASHY_SEGV");
    build(&f);
    expect_event(&f.host, "reload", NULL, 0, line);
    copies_dir(&f, dir, sizeof(dir));
    const char *rm[] = {"/bin/rm", "-rf", dir, NULL};
    assert_int_equal(harness_run(rm, NULL, 0), 0);
    expect_event(&f.host, "rollback", NULL, 0, line);
    expect_in(line, "\"paused\":true");
    expect_in(line, "\"failed\":");
    assert_true(harness_host_alive(&f.host));
    assert_int_equal(mkdir(dir, 0700), 0);
    set_build(&f, "CRASHY_NONE");
    build(&f);
    expect_tick_of(&f, f.mark, tick);
    assert_int_equal(field(tick, "root"), field(init, "root"));
    fixture_stop(&f, EXIT_CRASHED);
}

/* ---- crashes in the other hooks --------------------------------------------------------------- */

static void test_init_crash_pauses_then_a_fixed_build_runs_init(void **unused)
{
    fixture f;
    fixture_start(&f, "CRASHY_INIT", NULL, NULL);
    char line[LINE], tick[LINE];
    expect_event(&f.host, "crash", NULL, 0, line);
    expect_in(line, "\"hook\":\"init\"");
    expect_in(line, "\"action\":\"pause\"");
    expect_in(line, "crashy_segv+");
    assert_null(harness_event(&f.host, "log", "crashy init", 0));
    set_build(&f, "CRASHY_NONE");
    build(&f);
    expect_event(&f.host, "log", "crashy init", 0, line);
    assert_int_equal(field(line, "counter"), 0);
    expect_tick_of(&f, f.mark, tick);
    /* and the state it made reloads like any other */
    set_build(&f, "CRASHY_NONE");
    build(&f);
    assert_true(harness_wait(&f.host, "reload", 2, WAIT_MS));
    expect_tick_of(&f, f.mark, tick);
    assert_int_equal(harness_count(&f.host, "reload_failed"), 0);
    fixture_stop(&f, EXIT_CRASHED);
}

static void test_after_reload_crash_is_refused_and_the_old_code_runs_on(void **unused)
{
    fixture f;
    fixture_start(&f, "CRASHY_NONE", NULL, NULL);
    char init[LINE], line[LINE], tick[LINE];
    expect_event(&f.host, "log", "crashy init", 0, init);
    expect_tick_of(&f, 1, tick);

    set_build(&f, "CRASHY_AFTER_RELOAD");
    build(&f);
    expect_event(&f.host, "crash", NULL, 0, line);
    expect_in(line, "\"hook\":\"after_reload\"");
    expect_in(line, "crashy_after_reload+");
    expect_refused_and_version_1_runs_on(&f, "after_reload of version 2", init);

    /* a build whose before_reload crashes runs fine until the next build replaces it anyway */
    set_build(&f, "CRASHY_BEFORE_RELOAD");
    build(&f);
    expect_tick_of(&f, f.mark, tick);
    set_build(&f, "CRASHY_NONE");
    build(&f);
    expect_event(&f.host, "crash", NULL, 1, line);
    expect_in(line, "\"hook\":\"before_reload\"");
    expect_in(line, "\"action\":\"continue\"");
    expect_tick_of(&f, f.mark, tick);
    assert_int_equal(field(tick, "root"), field(init, "root"));
    fixture_stop(&f, EXIT_CRASHED);
}

/* A build whose entry point crashes is refused like a bad file. */
static void test_entry_point_crash_is_refused_and_the_old_code_runs_on(void **unused)
{
    fixture f;
    fixture_start(&f, "CRASHY_NONE", NULL, NULL);
    char init[LINE], tick[LINE];
    expect_event(&f.host, "log", "crashy init", 0, init);
    set_build(&f, "CRASHY_ENTRY");
    build(&f);
    expect_refused_and_version_1_runs_on(&f, "game_get_api crashed: SIGSEGV (invalid memory access) in crashy_segv+",
                                         init);
    set_build(&f, "CRASHY_NONE");
    build(&f);
    expect_tick_of(&f, f.mark, tick);
    assert_int_equal(field(tick, "root"), field(init, "root"));
    fixture_stop(&f, EXIT_OK);
}

/* At the start there is no old code to run on: one line, exit 1. */
static void test_entry_point_crash_at_the_start_is_one_line(void **unused)
{
    fixture f = {.mark = 1, .mode = "CRASHY_NONE"};
    assert_true(harness_game_copy("tests/games/crashy", &f.game));
    set_build(&f, "CRASHY_ENTRY");
    build(&f);
    const char *argv[] = {harness_host_path(), "--headless", "--frames", "10", f.game.lib, NULL};
    char out[4096];
    assert_int_equal(harness_run(argv, out, sizeof(out)), 1);
    expect_in(out, "game_get_api crashed: SIGSEGV (invalid memory access) in crashy_segv+");
    expect_in(out, "fix it and rebuild");
    assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
    harness_game_remove(&f.game);
}

/* ---- stale pointers --------------------------------------------------------------------------- */

static const char *const keep_pointers[] = {"#define CRASHY_KEEP_POINTERS 0", "#define CRASHY_KEEP_POINTERS 1", NULL};

static void test_stale_pointers_are_found_after_a_reload_and_named_when_used(void **unused)
{
    fixture f;
    const char *args[] = {"--stale-pointers", "warn", NULL};
    fixture_start(&f, "CRASHY_NONE", keep_pointers, args);
    char line[LINE], tick[LINE];
    expect_tick_of(&f, 1, tick);
    set_build(&f, "CRASHY_NONE");
    build(&f);
    expect_event(&f.host, "reload", NULL, 0, line);
    assert_int_equal(field(line, "stale_pointers"), 2 + 40); /* CRASHY_KEPT_TABLE */
    assert_int_equal(field(line, "stale_left"), 2 + 40);
    assert_null(strstr(line, "\"repaired\""));
    assert_true(field(line, "scan_bytes") > 0);
    expect_in(line, "\"scan_ms\":");
    expect_event(&f.host, "warning", "crashy_kept+0x0", 0, line);
    expect_in(line, "\"region\":\"persistent\"");
    assert_int_equal(field(line, "version"), 1);
    expect_event(&f.host, "warning", "\"symbol\":\".rodata+", 0, line);
    int warned = 0;
    while (harness_event(&f.host, "warning", "stale pointer after the reload", warned)) warned++;
    assert_int_equal(warned, 32); /* one per finding, up to GUARD_SCAN_REPORT_MAX */

    /* the function pointer kept by version 1, called by version 3 */
    set_build(&f, "CRASHY_CALL_STALE");
    build(&f);
    expect_event(&f.host, "crash", NULL, 0, line);
    expect_in(line, "stale pointer into game library version 1 (crashy_kept + 0x0)");
    expect_in(line, "\"backtrace\":[\"stale: version 1 crashy_kept+0x0 (crashy.c:"); /* and its caller */
    expect_in(line, "\"action\":\"rollback\"");
    expect_event(&f.host, "rollback", NULL, 0, line);
    assert_int_equal(field(line, "version"), 2);
    expect_tick_of(&f, 2, tick);

    /* the string literal kept by version 1, read by version 4 (inside libc's printf) */
    set_build(&f, "CRASHY_READ_STALE");
    build(&f);
    expect_event(&f.host, "crash", NULL, 1, line);
    expect_in(line, "stale pointer into game library version 1 (.rodata + 0x");
    expect_tick_of(&f, 2, tick);
    fixture_stop(&f, EXIT_CRASHED);
}

static void test_stale_pointers_off_turns_the_scan_off(void **unused)
{
    fixture f;
    const char *args[] = {"--stale-pointers", "off", NULL};
    fixture_start(&f, "CRASHY_NONE", keep_pointers, args);
    char line[LINE];
    set_build(&f, "CRASHY_NONE");
    build(&f);
    expect_event(&f.host, "reload", NULL, 0, line);
    assert_null(strstr(line, "stale_pointers"));
    assert_null(harness_event(&f.host, "warning", "stale pointer", 0));
    fixture_stop(&f, EXIT_OK);
}

/* ---- the function registry -------------------------------------------------------------------- */

static void test_registry_handle_follows_reloads_and_a_vanished_name_stops_the_call(void **unused)
{
    fixture f;
    fixture_start(&f, "CRASHY_NONE", NULL, NULL);
    char line[LINE], tick[LINE];
    expect_event(&f.host, "log", "crashy registered", 0, line);
    expect_in(line, "step=1 by_name=1"); /* by name alone: the same handle */
    expect_tick_of(&f, 1, tick);
    expect_in(tick, "step=1 ");

    set_define(&f, "CRASHY_STEP", "1 ", "1000 ");
    set_build(&f, "CRASHY_NONE");
    build(&f);
    expect_tick_of(&f, 2, tick);
    expect_in(tick, "step=1000 "); /* the same handle, the new code behind it */
    uint64_t counter = field(tick, "counter");
    expect_tick_of(&f, 2, tick);
    assert_true(field(tick, "counter") >= counter + 30 * 1000);

    assert_true(harness_edit(&f.game, "crashy.c", "static uint64_t crashy_step(void)", "static uint64_t crashy_renamed(void)"));
    assert_true(harness_edit(&f.game, "crashy.c", "GAME_FN_REGISTER(host, crashy_step)", "GAME_FN_REGISTER(host, crashy_renamed)"));
    set_build(&f, "CRASHY_NONE");
    build(&f);
    expect_event(&f.host, "warning", "has no function named crashy_step", 0, line);
    expect_in(line, "version 3");
    /* after_reload reports through the handle: the call stops there, naming the function */
    expect_event(&f.host, "crash", NULL, 0, line);
    expect_in(line, "called function 'crashy_step' (handle 1), which game library version 3 does not have");
    expect_in(line, "\"hook\":\"after_reload\"");
    expect_in(line, "crashy_report"); /* or a clone of it, crashy_report.isra.0 */
    expect_event(&f.host, "rollback", NULL, 0, line);
    assert_int_equal(field(line, "version"), 2);
    expect_tick_of(&f, 2, tick);
    expect_in(tick, "step=1000 ");
    fixture_stop(&f, EXIT_CRASHED);
}

/* ---- warnings --------------------------------------------------------------------------------- */

static void test_writable_globals_are_listed_at_load(void **unused)
{
    fixture f;
    fixture_start(&f, "CRASHY_NONE", NULL, NULL);
    char line[LINE];
    expect_event(&f.host, "warning", "writable globals", 0, line);
    expect_in(line, "\"globals\":[\"crashy_data_global\",\"crashy_bss_global\"]");
    expect_in(line, "GAME_TRANSIENT");
    assert_null(strstr(line, "crashy_build_updates")); /* marked GAME_TRANSIENT */
    fixture_stop(&f, EXIT_OK);
}

static void test_watchdog_names_the_function_an_update_is_stuck_in(void **unused)
{
    fixture f;
    char release[HARNESS_PATH + 32];
    const char *args[] = {"--watchdog", "1", NULL};
    memset(&f, 0, sizeof(f));
    /* crashy_spin returns once this file exists */
    snprintf(release, sizeof(release), "/tmp/crashy-release-%d", (int)getpid());
    unlink(release);
    setenv("CRASHY_RELEASE", release, 1);
    fixture_start(&f, "CRASHY_SPIN", NULL, args);
    char line[LINE], tick[LINE];
    expect_event(&f.host, "warning", "crashy_spin+", 0, line);
    expect_in(line, "\"hook\":\"update\"");
    expect_in(line, "\"function\":\"crashy_spin+");
    expect_in(line, "endless loop");
    FILE *r = fopen(release, "w");
    assert_non_null(r);
    fclose(r);
    expect_tick_of(&f, 1, tick);
    assert_int_equal(harness_count(&f.host, "crash"), 0);
    unlink(release);
    fixture_stop(&f, EXIT_OK);
}

/* For scripts and CI: a headless run that ends paused after a crash exits 4 (one that crashed and
 * went on exits 3, as every fixture_stop above says); --keep-going makes it 0. */
static void test_a_run_that_ends_paused_after_a_crash_exits_4(void **unused)
{
    fixture f = {.mark = 1, .mode = "CRASHY_NONE"};
    assert_true(harness_game_copy("tests/games/crashy", &f.game));
    set_build(&f, "CRASHY_SEGV");
    build(&f);
    char out[8192];
    const char *argv[] = {harness_host_path(), "--headless", "--fps", "0", "--frames", "60", f.game.lib, NULL};
    assert_int_equal(harness_run(argv, out, sizeof(out)), 4);
    expect_in(out, "host: game crashed in update of version 1");
    const char *keep[] = {harness_host_path(), "--headless", "--fps", "0", "--frames", "60", "--keep-going", f.game.lib, NULL};
    assert_int_equal(harness_run(keep, out, sizeof(out)), 0);
    harness_game_remove(&f.game);
}

static void test_a_segv_sent_from_outside_still_ends_the_host(void **unused)
{
    fixture f;
    fixture_start(&f, "CRASHY_NONE", NULL, NULL);
    char tick[LINE];
    expect_tick_of(&f, 1, tick);
    kill(f.host.pid, SIGSEGV);
    assert_int_equal(harness_host_stop(&f.host), -SIGSEGV);
    assert_int_equal(harness_count(&f.host, "crash"), 0);
    harness_game_remove(&f.game);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_crashes_roll_back_to_the_last_good_version),
        cmocka_unit_test(test_crash_with_no_good_version_pauses_until_a_fixed_build),
        cmocka_unit_test(test_a_rollback_that_cannot_load_the_old_code_pauses),
        cmocka_unit_test(test_init_crash_pauses_then_a_fixed_build_runs_init),
        cmocka_unit_test(test_after_reload_crash_is_refused_and_the_old_code_runs_on),
        cmocka_unit_test(test_entry_point_crash_is_refused_and_the_old_code_runs_on),
        cmocka_unit_test(test_entry_point_crash_at_the_start_is_one_line),
        cmocka_unit_test(test_stale_pointers_are_found_after_a_reload_and_named_when_used),
        cmocka_unit_test(test_stale_pointers_off_turns_the_scan_off),
        cmocka_unit_test(test_registry_handle_follows_reloads_and_a_vanished_name_stops_the_call),
        cmocka_unit_test(test_writable_globals_are_listed_at_load),
        cmocka_unit_test(test_watchdog_names_the_function_an_update_is_stuck_in),
        cmocka_unit_test(test_a_run_that_ends_paused_after_a_crash_exits_4),
        cmocka_unit_test(test_a_segv_sent_from_outside_still_ends_the_host),
    };
    return harness_finish(cmocka_run_group_tests_name("integration: crash", tests, NULL, NULL));
}
