/* test_threads.c - the real host against real builds of tests/games/threads, whose worker thread
 * crashes. Proves: a worker that segfaults, aborts or overflows its stack ends alone - a `crash`
 * event names the thread and the function, before_reload stops the game's other threads, and the
 * host rolls back with the state intact, or pauses when there is nothing to roll back to (and a
 * fixed build carries on); a thread the game never announced is caught the same way and the report
 * says to announce it; a thread left running the old build after a reload is reported, says to stop
 * it in before_reload, and the new build runs on; its pthread_join in shutdown returns (the thread
 * ended), and a run with crashes exits with 3. */
#include "expect.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define LINE EXPECT_LINE
#define EXIT_OK 0
#define EXIT_CRASHED 3

typedef struct fixture {
    harness_game game;
    harness_host host;
    int mark;
} fixture;

static void set_define(fixture *f, const char *name, const char *to)
{
    assert_true(harness_define(&f->game, "threads.c", name, to));
}

/* The next build, with a new mark: the worker crashes as `crash`, announces itself or not. */
static void set_build(fixture *f, const char *crash, int announce, int stop)
{
    char mark[16], flag[4];
    snprintf(mark, sizeof(mark), "%d", ++f->mark);
    set_define(f, "THREADS_MARK", mark);
    set_define(f, "THREADS_CRASH", crash);
    snprintf(flag, sizeof(flag), "%d", announce);
    set_define(f, "THREADS_ANNOUNCE", flag);
    snprintf(flag, sizeof(flag), "%d", stop);
    set_define(f, "THREADS_STOP", flag);
}

static void build(fixture *f) { assert_int_equal(harness_game_build(&f->game), 0); }

static void fixture_start(fixture *f, const char *crash, int announce, int stop)
{
    memset(f, 0, sizeof(*f));
    assert_true(harness_game_copy("tests/games/threads", &f->game));
    set_build(f, crash, announce, stop);
    build(f);
    assert_true(harness_host_start(&f->host, f->game.lib, NULL));
}

static void fixture_stop(fixture *f, int expected_exit)
{
    assert_int_equal(harness_host_stop(&f->host), expected_exit);
    harness_game_remove(&f->game);
}

/* A tick of the code with `mark` whose worker runs the same code, logged after everything so far. */
static void expect_tick_of(fixture *f, int mark, char *out)
{
    char want[64];
    snprintf(want, sizeof(want), "code=%d worker_mark=%d", mark, mark);
    expect_next_log(&f->host, want, out);
}

typedef struct thread_case {
    const char *crash;
    const char *signal;
    const char *where; /* the function the crash names */
    const char *what;
} thread_case;

static void test_a_worker_crash_of_each_kind_rolls_back_after_before_reload(void **unused)
{
    static const thread_case cases[] = {
        {"THREADS_SEGV", "SIGSEGV", "threads_segv+", "\"address\":\"0x10\""},
        {"THREADS_ABORT", "SIGABRT", "threads_abort+", "abort() called"},
        {"THREADS_RECURSE", "SIGSEGV", "threads_recurse+", "\"what\":\"stack overflow\""},
    };
    fixture f;
    fixture_start(&f, "THREADS_NONE", 1, 1);
    char tick[LINE], line[LINE];
    expect_tick_of(&f, 1, tick);
    uint64_t root = harness_field_u64(tick, "root");
    for (int i = 0; i < 3; i++) {
        uint64_t counter = harness_field_u64(tick, "counter");
        set_build(&f, cases[i].crash, 1, 1);
        build(&f);
        expect_event(&f.host, "crash", NULL, i, line);
        expect_in(line, "\"hook\":\"thread\"");
        expect_in(line, "\"thread\":\"'worker'\"");
        expect_in(line, cases[i].signal);
        expect_in(line, cases[i].where);
        expect_in(line, cases[i].what);
        expect_in(line, "(threads.c:");
        expect_in(line, "\"action\":\"rollback\"");
        expect_in(line, "game thread 'worker' crashed in version");
        assert_int_equal(harness_field_u64(line, "version"), (uint64_t)f.mark);
        /* before_reload of the crashed build stopped its other threads; the fallback's worker runs */
        assert_non_null(harness_wait_event(&f.host, "log", "threads: worker stopped", 2 * i + 1, EXPECT_WAIT_MS));
        expect_event(&f.host, "rollback", NULL, i, line);
        assert_int_equal(harness_field_u64(line, "version"), 1);
        expect_tick_of(&f, 1, tick);
        assert_int_equal(harness_field_u64(tick, "root"), root);
        assert_true(harness_field_u64(tick, "counter") > counter);
    }
    fixture_stop(&f, EXIT_CRASHED);
}

static void test_a_worker_crash_with_nothing_to_roll_back_to_pauses_until_a_fixed_build(void **unused)
{
    fixture f;
    fixture_start(&f, "THREADS_SEGV", 1, 1);
    char tick[LINE], line[LINE];
    expect_event(&f.host, "crash", NULL, 0, line);
    expect_in(line, "\"action\":\"pause\"");
    expect_event(&f.host, "log", "threads: worker stopped", 0, line); /* before_reload stopped the game's threads */
    int ticks = 0;
    while (harness_event(&f.host, "log", "threads tick", ticks)) ticks++;
    harness_sleep_ms(500);
    assert_null(harness_event(&f.host, "log", "threads tick", ticks + 1)); /* no updates while paused */
    set_build(&f, "THREADS_NONE", 1, 1);
    build(&f);
    expect_event(&f.host, "reload", NULL, 0, line);
    expect_tick_of(&f, f.mark, tick);
    assert_int_equal(harness_count(&f.host, "rollback"), 0);
    fixture_stop(&f, EXIT_CRASHED);
}

static void test_a_thread_the_game_never_announced_is_caught_too(void **unused)
{
    fixture f;
    fixture_start(&f, "THREADS_NONE", 1, 1);
    char tick[LINE], line[LINE];
    expect_tick_of(&f, 1, tick);
    set_build(&f, "THREADS_SEGV", 0, 1);
    build(&f);
    expect_event(&f.host, "crash", NULL, 0, line);
    expect_in(line, "\"announced\":false");
    expect_in(line, "never announced: call host->thread_begin in it");
    expect_in(line, "threads_segv+");
    expect_in(line, "\"action\":\"rollback\"");
    expect_tick_of(&f, 1, tick);
    fixture_stop(&f, EXIT_CRASHED);
}

/* Build 1 leaves its worker running at the reload: it faults in the old build's fenced range. */
static void test_a_thread_left_in_the_old_build_is_reported_and_the_new_build_runs_on(void **unused)
{
    fixture f;
    fixture_start(&f, "THREADS_NONE", 1, 0);
    char tick[LINE], line[LINE];
    expect_tick_of(&f, 1, tick);
    uint64_t root = harness_field_u64(tick, "root");
    set_build(&f, "THREADS_NONE", 1, 1);
    build(&f);
    expect_event(&f.host, "crash", NULL, 0, line);
    expect_in(line, "\"old_code\":true");
    expect_in(line, "\"thread\":\"'worker'\"");
    expect_in(line, "after the reload to version 2");
    expect_in(line, "stop game threads in before_reload");
    expect_in(line, "\"action\":\"continue\"");
    assert_int_equal(harness_field_u64(line, "version"), 1);
    expect_event(&f.host, "log", "threads reloaded code=2", 0, line);
    char want[64];
    snprintf(want, sizeof(want), "code=%d", f.mark);
    expect_next_log(&f.host, want, line);
    expect_next_log(&f.host, want, line); /* build 2 runs on */
    assert_int_equal(harness_field_u64(line, "root"), root);
    assert_int_equal(harness_count(&f.host, "rollback"), 0);
    fixture_stop(&f, EXIT_CRASHED); /* shutdown joins the ended thread: it returns */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_worker_crash_of_each_kind_rolls_back_after_before_reload),
        cmocka_unit_test(test_a_worker_crash_with_nothing_to_roll_back_to_pauses_until_a_fixed_build),
        cmocka_unit_test(test_a_thread_the_game_never_announced_is_caught_too),
        cmocka_unit_test(test_a_thread_left_in_the_old_build_is_reported_and_the_new_build_runs_on),
    };
    return harness_finish(cmocka_run_group_tests_name("integration: threads", tests, NULL, NULL));
}
