/* test_probe.c - the real host against real builds of tests/games/ctor whose first code goes wrong
 * while the library loads. Proves: a build whose constructor segfaults, aborts, overflows its stack,
 * never ends or calls exit(0), or whose game_get_api never returns, is refused in the probe process
 * (reload_failed naming what happened, where, and the source line) while the old build runs on with
 * its state, and the next good build runs; a hung probe is killed (nothing is left running); a bad
 * first build is the host's one line and exit 1; with --no-probe the constructor runs in the host
 * (and takes it down); a probe helper that died is started again, with a warning. */
#include "expect.h"

#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define LINE EXPECT_LINE

typedef struct fixture {
    harness_game game;
    harness_host host;
    int mark;
} fixture;

/* The next build: its mode and a new mark. */
static void set_build(fixture *f, const char *mode)
{
    char mark[16];
    snprintf(mark, sizeof(mark), "%d", ++f->mark);
    assert_true(harness_define(&f->game, "ctor.c", "CTOR_MARK", mark));
    assert_true(harness_define(&f->game, "ctor.c", "CTOR_MODE", mode));
}

static void build(fixture *f) { assert_int_equal(harness_game_build(&f->game), 0); }

static void fixture_copy(fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->mark = 1;
    assert_true(harness_game_copy("tests/games/ctor", &f->game));
}

/* A tick of the build with `mark`, logged after everything logged so far. */
static void expect_tick_of(fixture *f, int mark, char *out)
{
    char want[64];
    snprintf(want, sizeof(want), "mark=%d", mark);
    expect_next_log(&f->host, want, out);
}

/* The processes whose parent is `pid`; the last one found in *child (may be NULL). */
static int children_of(pid_t pid, pid_t *child)
{
    DIR *d = opendir("/proc");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[300], stat[512];
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        FILE *f = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? fopen(path, "r") : NULL;
        if (!f) continue;
        size_t len = fread(stat, 1, sizeof(stat) - 1, f);
        fclose(f);
        stat[len] = 0;
        const char *after = strrchr(stat, ')'); /* the name may hold spaces */
        int ppid = 0;
        if (!after || sscanf(after + 2, "%*c %d", &ppid) != 1 || ppid != pid) continue;
        n++;
        if (child) *child = (pid_t)atoi(e->d_name);
    }
    if (d) closedir(d);
    return n;
}

/* ---- refused builds -------------------------------------------------------------------------- */

typedef struct bad_case {
    const char *mode;
    const char *reason; /* in reload_failed */
    const char *line;   /* the source line named, or NULL */
} bad_case;

static void test_bad_first_code_is_refused_and_the_old_build_runs_on_with_its_state(void **unused)
{
    static const bad_case cases[] = {
        {"CTOR_SEGV", "library constructor crashed: SIGSEGV (invalid memory access) in ctor_segv+", "(ctor.c:"},
        {"CTOR_ABORT", "library constructor crashed: SIGABRT (abort() called) in ctor_boom+", "(ctor.c:"},
        {"CTOR_RECURSE", "library constructor crashed: stack overflow (SIGSEGV): runaway recursion? in ctor_recurse+",
         "(ctor.c:"},
        {"CTOR_LOOP", "library constructor did not finish in 1 s (an endless loop or a deadlock?)", NULL},
        {"CTOR_EXIT", "library constructor ended the process (exit status 0) while the library was loading", NULL},
        {"CTOR_ENTRY_LOOP", "game_get_api did not finish in 1 s", NULL},
    };
    fixture f;
    fixture_copy(&f);
    build(&f);
    const char *args[] = {"--probe-timeout", "1", NULL};
    assert_true(harness_host_start(&f.host, f.game.lib, args));
    char tick[LINE], line[LINE];
    expect_tick_of(&f, 1, tick);
    uint64_t root = harness_field_u64(tick, "root");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t counter = harness_field_u64(tick, "counter");
        set_build(&f, cases[i].mode);
        build(&f);
        expect_event(&f.host, "reload_failed", NULL, (int)i, line);
        expect_in(line, cases[i].reason);
        if (cases[i].line) expect_in(line, cases[i].line);
        assert_int_equal(harness_field_u64(line, "running_version"), 1);
        assert_true(harness_host_alive(&f.host));
        expect_tick_of(&f, 1, tick); /* version 1 on, with its state */
        assert_int_equal(harness_field_u64(tick, "root"), root);
        assert_true(harness_field_u64(tick, "counter") > counter);
        assert_int_equal(children_of(f.host.pid, NULL), 1); /* the helper; no probe left running */
    }
    set_build(&f, "CTOR_NONE");
    build(&f);
    expect_event(&f.host, "reload", NULL, 0, line);
    assert_int_equal(harness_field_u64(line, "version"), 2);
    expect_in(line, "\"probe_ms\":");
    expect_tick_of(&f, f.mark, tick);
    assert_int_equal(harness_field_u64(tick, "root"), root);
    assert_int_equal(harness_count(&f.host, "crash"), 0);
    assert_int_equal(harness_host_stop(&f.host), 0); /* refused builds are no crash of the game */
    harness_game_remove(&f.game);
}

/* At the start there is no old build to run on: one line, exit 1, and soon. */
static void test_a_bad_first_build_is_one_line_and_exit_1(void **unused)
{
    static const char *const modes[] = {"CTOR_SEGV", "CTOR_LOOP"};
    static const char *const reasons[] = {"library constructor crashed: SIGSEGV", "did not finish in 1 s"};
    for (int i = 0; i < 2; i++) {
        fixture f;
        fixture_copy(&f);
        set_build(&f, modes[i]);
        build(&f);
        const char *argv[] = {harness_host_path(), "--headless", "--probe-timeout", "1", "--frames", "10", f.game.lib, NULL};
        char out[4096];
        time_t t0 = time(NULL);
        assert_int_equal(harness_run(argv, out, sizeof(out)), 1);
        assert_true(time(NULL) - t0 < 10);
        expect_in(out, reasons[i]);
        expect_in(out, "fix it and rebuild");
        assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
        harness_game_remove(&f.game);
    }
}

/* --no-probe: the constructor runs in the host itself, unguarded, as documented. */
static void test_without_the_probe_a_constructor_runs_in_the_host(void **unused)
{
    fixture f;
    fixture_copy(&f);
    build(&f);
    const char *args[] = {"--no-probe", NULL};
    assert_true(harness_host_start(&f.host, f.game.lib, args));
    char tick[LINE];
    expect_tick_of(&f, 1, tick);
    assert_int_equal(children_of(f.host.pid, NULL), 0);
    set_build(&f, "CTOR_ABORT");
    build(&f);
    assert_int_equal(harness_host_wait(&f.host, EXPECT_WAIT_MS), -SIGABRT);
    harness_game_remove(&f.game);
}

/* The helper killed from outside: the next build starts a new one, says so, and loads. */
static void test_a_probe_helper_that_died_is_started_again_with_a_warning(void **unused)
{
    fixture f;
    fixture_copy(&f);
    build(&f);
    assert_true(harness_host_start(&f.host, f.game.lib, NULL));
    char tick[LINE], line[LINE];
    expect_tick_of(&f, 1, tick);
    pid_t helper = 0;
    assert_int_equal(children_of(f.host.pid, &helper), 1);
    assert_int_equal(kill(helper, SIGKILL), 0);
    set_build(&f, "CTOR_NONE");
    build(&f);
    expect_event(&f.host, "warning", "the probe process had died", 0, line);
    expect_event(&f.host, "reload", NULL, 0, line);
    expect_tick_of(&f, f.mark, tick);
    assert_int_equal(children_of(f.host.pid, NULL), 1);
    assert_int_equal(harness_host_stop(&f.host), 0);
    harness_game_remove(&f.game);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_first_code_is_refused_and_the_old_build_runs_on_with_its_state),
        cmocka_unit_test(test_a_bad_first_build_is_one_line_and_exit_1),
        cmocka_unit_test(test_without_the_probe_a_constructor_runs_in_the_host),
        cmocka_unit_test(test_a_probe_helper_that_died_is_started_again_with_a_warning),
    };
    return harness_finish(cmocka_run_group_tests_name("integration: probe", tests, NULL, NULL));
}
