/* test_repair.c - pointers into the old build, repaired by name: the real host against real builds of
 * tests/games/repair (C) and tests/games/zoo (C++), rebuilt while it runs. Proves:
 *  - function pointers (in the arena and in a heap object), a literal, a pointer into the middle of
 *    a literal, a named const object, and declared X_FN / X_STR fields (one holding bytes that are
 *    not text, one an empty literal) are repaired and then called and read by the new code; a
 *    literal whose text the new build changed reads the old text (copied into the block);
 *  - random words and words that point inside a function are never rewritten (the game checks
 *    their sum), the latter reported; a range given to host->stale_skip is left alone and reported;
 *  - a function the new build removed is reported (why: gone) and its later call is the clear
 *    stale-pointer crash, rolled back;
 *  - C++ objects with single and multiple inheritance (two vptrs), in the arena and on the heap,
 *    survive a build that adds virtual methods (every slot and the second vtable move) and one that
 *    reorders functions and changes every override; a virtual destructor called after the reloads
 *    runs the new code;
 *  - a callback that another library of the process keeps (outside the block): with --old-code
 *    forward the old build's entry jumps to the new build's function, and a build without that
 *    function makes its call the stale-pointer crash; with the default (fence) the call is that
 *    crash at once;
 *  - 200 reloads, each repairing every pointer again, leave descriptors, mappings and resident
 *    memory flat.
 * GAME_CFLAGS from the environment (the ASan run's flags) is kept: each build adds to it. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expect.h"

#define WAIT_MS 20000
#define LINE EXPECT_LINE
#define SOAK_RELOADS 200
#define SOAK_SETTLE 20
#define SOAK_RSS_SLACK 8192 /* KiB */

static char base_cflags[1024]; /* GAME_CFLAGS as the suite set it */

typedef struct fixture {
    harness_game game;
    harness_host host;
} fixture;

static void build_with(fixture *f, const char *flags)
{
    char all[2048];
    snprintf(all, sizeof(all), "%s %s", base_cflags, flags);
    setenv("GAME_CFLAGS", all, 1);
    assert_int_equal(harness_game_build(&f->game), 0);
}

static void fixture_start(fixture *f, const char *game, const char *flags, const char *const *args)
{
    memset(f, 0, sizeof(*f));
    assert_true(harness_game_copy(game, &f->game));
    build_with(f, flags);
    assert_true(harness_host_start(&f->host, f->game.lib, args));
}

/* `expected_exit`: a run with a crash on purpose says so in its exit status (3; 4: it ended paused). */
static void fixture_stop(fixture *f, int expected_exit)
{
    assert_int_equal(harness_host_stop(&f->host), expected_exit);
    harness_game_remove(&f->game);
}

static void wait_copy(fixture *f, const char *name, const char *needle, int n, char *out)
{
    expect_event(&f->host, name, needle, n, out);
}


static int64_t number(const char *line, const char *key)
{
    char v[64] = "";
    if (!harness_field(line, key, v, sizeof(v))) fail_msg("no %s in %s", key, line);
    return strtoll(v, NULL, 10);
}

/* The first log line of a build after everything logged so far that contains `needle`. */
static void next_log(fixture *f, const char *needle, char *out)
{
    int before = 0;
    while (harness_event(&f->host, "log", needle, before)) before++;
    wait_copy(f, "log", needle, before, out);
}

/* ---- C: function pointers, literals, const objects, declared fields ---------------------------- */

/* What repair.c logs in `stage` with its results for that update. */
static void expect_repair_tick(fixture *f, int stage, const char *changed)
{
    char needle[64], line[LINE];
    snprintf(needle, sizeof(needle), "repair stage=%d upd=", stage);
    next_log(f, needle, line);
    int64_t u = number(line, "upd");
    assert_int_equal(number(line, "step"), 3 * u + stage);
    assert_int_equal(number(line, "heap"), u * u + stage);
    assert_int_equal(number(line, "decl"), -u - stage);
    char text[128];
    snprintf(text, sizeof(text), "name=goblin mid=goblin changed=%s kind=%d/goblin kind binary=1 empty=0 noise=intact",
             changed, 10 * stage);
    expect_in(line, text);
}

static void test_c_pointers_are_repaired_and_used_by_the_new_code(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/repair", "-DREPAIR_STAGE=1", NULL);
    expect_repair_tick(&f, 1, "first text");
    build_with(&f, "-DREPAIR_STAGE=2");
    char line[LINE];
    wait_copy(&f, "reload", NULL, 0, line);
    /* step, heap fn, decl fn; kind; name, mid, binary, empty; changed; 16 near misses, removed, skipped */
    expect_in(line, "\"repaired\":{\"functions\":3,\"vtables\":0,\"typeinfo\":0,\"objects\":1,\"strings\":4,"
                    "\"strings_copied\":1}");
    assert_int_equal(number(line, "stale_left"), 16 + 1 + 1);
    assert_int_equal(number(line, "stale_pointers"), 3 + 1 + 4 + 1 + 18);
    expect_repair_tick(&f, 2, "first text"); /* the old text, copied: the new build says "second text" */

    wait_copy(&f, "warning", "repair_removed", 0, line);
    expect_in(line, "\"why\":\"the function repair_removed is gone from the new build\"");
    expect_in(line, "\"region\":\"persistent\"");
    wait_copy(&f, "warning", "host->stale_skip", 0, line);
    expect_in(line, "repair_triple+0x0");
    wait_copy(&f, "warning", "points inside the function repair_square", 0, line);

    /* the removed function's pointer, called by a later build: the stale-pointer crash */
    build_with(&f, "-DREPAIR_STAGE=2 -DREPAIR_CALL_REMOVED=1");
    wait_copy(&f, "crash", NULL, 0, line);
    expect_in(line, "stale pointer into game library version 1 (repair_removed + 0x0)");
    wait_copy(&f, "rollback", NULL, 0, line);
    assert_int_equal(number(line, "version"), 2);
    expect_repair_tick(&f, 2, "first text");
    fixture_stop(&f, 3);
}

/* ---- C++: vtables ------------------------------------------------------------------------------ */

static void expect_zoo(fixture *f, int stage, int64_t sounds, int64_t moves, int64_t weights, int64_t names)
{
    char needle[64], line[LINE];
    snprintf(needle, sizeof(needle), "zoo stage=%d upd=", stage);
    next_log(f, needle, line);
    assert_int_equal(number(line, "sounds"), sounds);
    assert_int_equal(number(line, "moves"), moves);
    assert_int_equal(number(line, "weights"), weights);
    assert_int_equal(number(line, "names"), names);
}

static void test_cpp_objects_survive_rebuilds_that_change_their_classes(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/zoo", "-DZOO_STAGE=1", NULL);
    expect_zoo(&f, 1, 410, 80, 0, 2 * 'a' + 2 * 'b');
    build_with(&f, "-DZOO_STAGE=2"); /* virtual methods added before the old ones */
    char line[LINE];
    wait_copy(&f, "reload", NULL, 0, line);
    expect_in(line, "\"vtables\":6,"); /* two Animals, and two vptrs in each of two Birds */
    assert_int_equal(number(line, "stale_left"), 0);
    expect_zoo(&f, 2, 410, 80, 16, 2 * 'a' + 2 * 'b');
    build_with(&f, "-DZOO_STAGE=3"); /* functions reordered, every override changed */
    wait_copy(&f, "reload", NULL, 1, line);
    expect_in(line, "\"vtables\":6,");
    expect_zoo(&f, 3, 4410, 2080, 16, 2 * 'a' + 2 * 'b');
    build_with(&f, "-DZOO_STAGE=3 -DZOO_DESTROY=1"); /* the heap Bird deleted through a Named* */
    wait_copy(&f, "log", "zoo destroyed a bird in stage 3", 0, line);
    expect_zoo(&f, 3, 3210, 1030, 15, 2 * 'a' + 'b');
    assert_int_equal(harness_count(&f.host, "crash"), 0);
    fixture_stop(&f, 0);
}

/* ---- --old-code forward: a callback held outside the block ------------------------------------- */

/* tests/games/forward's other library, built on its own; its path goes to the game in the
 * environment (the host passes it on). */
static void forward_callee(fixture *f)
{
    char cmd[HARNESS_PATH * 4], path[HARNESS_PATH + 32];
    snprintf(path, sizeof(path), "%s/libcallee.so", f->game.top);
    snprintf(cmd, sizeof(cmd), "cc -shared -fPIC -O1 -o '%s' '%s/tests/games/forward/callee/callee.c'", path,
             harness_root());
    assert_int_equal(system(cmd), 0);
    setenv("FORWARD_CALLEE", path, 1);
}

static void expect_forward_tick(fixture *f, int stage)
{
    char needle[64], line[LINE];
    snprintf(needle, sizeof(needle), "forward stage=%d upd=", stage);
    next_log(f, needle, line);
    assert_int_equal(number(line, "cb"), 100 * number(line, "upd") + stage);
}

static void forward_start(fixture *f, const char *const *args)
{
    memset(f, 0, sizeof(*f));
    assert_true(harness_game_copy("tests/games/forward", &f->game));
    forward_callee(f);
    build_with(f, "-DFORWARD_STAGE=1");
    assert_true(harness_host_start(&f->host, f->game.lib, args));
    expect_forward_tick(f, 1);
}

static void test_old_code_forward_keeps_a_callback_of_another_library_working(void **unused)
{
    fixture f;
    const char *args[] = {"--old-code", "forward", NULL};
    forward_start(&f, args);
    build_with(&f, "-DFORWARD_STAGE=2");
    char line[LINE];
    wait_copy(&f, "reload", NULL, 0, line);
    expect_in(line, "\"old_code\":{\"kept\":1,");
    expect_in(line, "\"missing\":0,\"unpatchable\":0,");
    assert_true(number(line, "bytes") > 0);
    expect_forward_tick(&f, 2); /* the other library called version 1's entry: version 2's code ran */

    build_with(&f, "-DFORWARD_STAGE=3 -DFORWARD_DROP=1"); /* the callback's function is gone */
    wait_copy(&f, "reload", NULL, 1, line);
    expect_in(line, "\"kept\":2,");
    expect_in(line, "\"missing\":2,"); /* in both kept builds */
    wait_copy(&f, "crash", NULL, 0, line);
    expect_in(line, "stale pointer into game library version 1 (forward_callback + 0x0)");
    wait_copy(&f, "rollback", NULL, 0, line);
    expect_forward_tick(&f, 2);
    fixture_stop(&f, 3);

    forward_start(&f, NULL); /* the default, fence: the kept callback is the stale-pointer crash */
    build_with(&f, "-DFORWARD_STAGE=2");
    wait_copy(&f, "crash", NULL, 0, line);
    expect_in(line, "stale pointer into game library version 1 (forward_callback + 0x0)");
    assert_null(strstr(harness_event(&f.host, "reload", NULL, 0), "old_code"));
    /* crashed (3), or paused (4) when the rolled-back build met the kept callback again before the stop */
    int rc = harness_host_stop(&f.host);
    if (rc != 3 && rc != 4) fail_msg("the host exited with %d, not 3 or 4 (a crash during the run)", rc);
    harness_game_remove(&f.game);
}

/* ---- many reloads ------------------------------------------------------------------------------ */

typedef struct soak_sample {
    int fds, maps;
    long rss_kib;
} soak_sample;

static soak_sample soak_measure(pid_t pid)
{
    soak_sample s = {harness_fd_count(pid), harness_map_count(pid, "/hotreload-"), harness_rss_kib(pid)};
    return s;
}

static void test_200_reloads_with_repairs_keep_resources_flat(void **unused)
{
    /* an ASan host keeps freed memory in quarantine: none, so that resident memory shows leaks */
    char asan[1024];
    const char *was = getenv("ASAN_OPTIONS");
    snprintf(asan, sizeof(asan), "%s%squarantine_size_mb=0", was ? was : "", was && *was ? ":" : "");
    setenv("ASAN_OPTIONS", asan, 1);
    fixture f;
    const char *args[] = {"--fps", "250", NULL};
    fixture_start(&f, "tests/games/repair", "-DREPAIR_STAGE=2", args);
    char good[HARNESS_PATH + 96], line[LINE];
    snprintf(good, sizeof(good), "%s.good", f.game.lib);
    assert_true(harness_copy_file(f.game.lib, good));
    soak_sample settled = {0};
    long at = 0;
    for (int i = 1; i <= SOAK_RELOADS; i++) {
        assert_true(harness_put_library(&f.game, good));
        const char *r = harness_next_event(&f.host, "reload", NULL, &at, 10000);
        if (!r) fail_msg("reload %d did not happen", i);
        /* every copy loads elsewhere: each reload repairs every pointer again */
        snprintf(line, sizeof(line), "%s", r);
        expect_in(line, "\"functions\":4,"); /* stage 2's init keeps repair_square where stage 1 kept the removed one */
        expect_in(line, i == 1 ? "\"strings\":5," : "\"strings\":5,\"strings_copied\":0");
        if (i == SOAK_SETTLE) settled = soak_measure(f.host.pid);
    }
    expect_repair_tick(&f, 2, "second text");
    soak_sample end = soak_measure(f.host.pid);
    assert_int_equal(end.fds, settled.fds);
    assert_int_equal(end.maps, settled.maps);
    if (end.rss_kib > settled.rss_kib + SOAK_RSS_SLACK)
        fail_msg("resident memory grew from %ld KiB at reload %d to %ld KiB at reload %d", settled.rss_kib,
                 SOAK_SETTLE, end.rss_kib, SOAK_RELOADS);
    printf("repair soak: %d reloads, fds %d, mappings %d, rss %ld -> %ld KiB\n", SOAK_RELOADS, end.fds, end.maps,
           settled.rss_kib, end.rss_kib);
    fixture_stop(&f, 0);
}

int main(void)
{
    const char *flags = getenv("GAME_CFLAGS");
    snprintf(base_cflags, sizeof(base_cflags), "%s", flags ? flags : "");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_pointers_are_repaired_and_used_by_the_new_code),
        cmocka_unit_test(test_cpp_objects_survive_rebuilds_that_change_their_classes),
        cmocka_unit_test(test_old_code_forward_keeps_a_callback_of_another_library_working),
        cmocka_unit_test(test_200_reloads_with_repairs_keep_resources_flat),
    };
    return harness_finish(cmocka_run_group_tests(tests, NULL, NULL));
}
