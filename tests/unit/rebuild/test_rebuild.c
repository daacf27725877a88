/* test_rebuild.c - proves the edit-build loop's parts on real files and real commands: the first
 * error is found in gcc's, clang's, MSVC's and the linker's words (the folder left off the file);
 * a build run by someone else is shown from its lock and result files (started, then ok or failed
 * with the first error and the whole output); with a source folder, a save runs the build command
 * once after the quiet time, a save during a build queues exactly one more, and a command that ends
 * without writing a result is a failed build with the command's own output. */
#include "../test_util.h"

#include "host/rebuild/rebuild.h"

#define WAIT_MS 5000

/* ---- the first error --------------------------------------------------------------------------- */

static void expect_first_error(const char *output, const char *want)
{
    char got[512];
    bool found = rebuild_first_error(output, got, sizeof(got));
    if (!want) {
        assert_false(found);
        return;
    }
    assert_true(found);
    assert_string_equal(got, want);
}

static void the_first_error_is_found_in_each_compilers_words(void **state)
{
    (void)state;
    expect_first_error("/home/u/game/snake.c: In function 'f':\n"
                       "/home/u/game/snake.c:450:12: error: expected ';' before '}' token\n"
                       "/home/u/game/snake.c:460:1: error: second\n",
                       "snake.c:450:12: error: expected ';' before '}' token");
    expect_first_error("screen.c:7:3: warning: unused\nscreen.c:9:1: fatal error: nope.h: No such file\n",
                       "screen.c:9:1: fatal error: nope.h: No such file");
    expect_first_error("C:\\games\\mine\\snake.c(450): error C2143: syntax error: missing ';' before '}'\r\n",
                       "snake.c(450): error C2143: syntax error: missing ';' before '}'");
    expect_first_error("/usr/bin/ld: game.o: in function `update':\ngame.c:(.text+0x1d): undefined reference to `nope'\n",
                       "game.c:(.text+0x1d): undefined reference to `nope'");
    expect_first_error("cc snake.c\nall fine: 0 errors\n", NULL);
    expect_first_error("", NULL);
}

/* ---- a build seen from its files ----------------------------------------------------------------- */

typedef struct fixture {
    char dir[256];
    char lib[FS_PATH_MAX];
    char path[FS_PATH_MAX + 32];
    event_log log;
    rebuild b;
    int events;
    char lines[16][2048];
} fixture;

static void collect(void *ctx, const char *line, size_t len)
{
    fixture *f = ctx;
    if (f->events < 16) snprintf(f->lines[f->events], sizeof(f->lines[0]), "%.*s", (int)len, line);
    f->events++;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    temp_dir_create(f->dir, sizeof(f->dir), "rebuild");
    snprintf(f->lib, sizeof(f->lib), "%s/libgame.so", f->dir);
    event_observe(&f->log, collect, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rebuild_stop(&f->b);
    temp_dir_remove(f->dir);
    free(f);
    return 0;
}

#define F ((fixture *)*state)

static void start(void **state, const char *sources, const char *build)
{
    host_error err = {{0}};
    rebuild_config cfg = {F->lib, sources, build, false};
    bool ok = rebuild_start(&F->b, &cfg, &F->log, &err);
    if (!ok) print_error("rebuild_start: %s\n", err.msg);
    assert_true(ok);
}

/* Polls like the frame loop until `count` events were seen. */
static void poll_until(void **state, int count)
{
    for (int waited = 0; F->events < count; waited += 2) {
        if (waited >= WAIT_MS) print_error("%d events after %d ms, want %d\n", F->events, waited, count);
        assert_true(waited < WAIT_MS);
        rebuild_poll(&F->b);
        sleep_ms(2);
    }
}

/* Polls for `ms` and fails on any event past `count`. */
static void poll_quiet(void **state, int count, int ms)
{
    for (int waited = 0; waited < ms; waited += 2) {
        rebuild_poll(&F->b);
        sleep_ms(2);
    }
    if (F->events != count) print_error("unexpected event: %s\n", F->lines[count < 16 ? count : 15]);
    assert_int_equal(F->events, count);
}

static void expect_event(void **state, int n, const char *needle)
{
    if (!strstr(F->lines[n], needle)) print_error("event %d: %s\nwanted: %s\n", n, F->lines[n], needle);
    assert_non_null(strstr(F->lines[n], needle));
}

static void put_file(void **state, const char *suffix, const char *text)
{
    char tmp[FS_PATH_MAX + 40];
    snprintf(F->path, sizeof(F->path), "%s%s", F->lib, suffix);
    snprintf(tmp, sizeof(tmp), "%s.tmp", F->path);
    write_text(tmp, text);
    assert_int_equal(rename(tmp, F->path), 0);
}

static void a_build_by_a_script_is_shown_from_its_lock_and_result(void **state)
{
    put_file(state, ".result", "ok\nan old result\n"); /* from before the host started: old news */
    start(state, NULL, NULL);
    poll_quiet(state, 0, 200);
    put_file(state, ".lock", "1234");
    poll_until(state, 1);
    expect_event(state, 0, "\"state\":\"started\",\"by\":\"script\"");
    put_file(state, ".result", "failed\n/x/y/snake.c: In function 'f':\n/x/y/snake.c:3:1: error: expected ';'\n");
    snprintf(F->path, sizeof(F->path), "%s.lock", F->lib);
    assert_int_equal(unlink(F->path), 0);
    poll_until(state, 2);
    expect_event(state, 1, "\"state\":\"failed\",\"by\":\"script\"");
    expect_event(state, 1, "\"error\":\"snake.c:3:1: error: expected ';'\"");
    expect_event(state, 1, "\"output\":\"/x/y/snake.c: In function 'f':\\n/x/y/snake.c:3:1:");
    put_file(state, ".result", "ok\n");
    poll_until(state, 3);
    expect_event(state, 2, "\"state\":\"ok\"");
    poll_quiet(state, 3, 200);
}

#if !defined(_WIN32) /* the build scripts below are POSIX shell */
/* A build command that appends a line to a count file, sleeps a little, and writes an ok result. */
static void build_script(void **state, char *line, size_t cap, int sleep_ms_each)
{
    char script[FS_PATH_MAX + 32];
    snprintf(script, sizeof(script), "%s/build.sh", F->dir);
    char text[FS_PATH_MAX * 6];
    snprintf(text, sizeof(text), "echo build >> '%s/count'\nsleep %d.%03d\nprintf 'ok\\n' > '%s.result.tmp' && mv '%s.result.tmp' '%s.result'\n",
             F->dir, sleep_ms_each / 1000, sleep_ms_each % 1000, F->lib, F->lib, F->lib);
    write_text(script, text);
    snprintf(line, cap, "sh '%s'", script);
}

static int build_count(void **state)
{
    char path[FS_PATH_MAX + 16], text[4096];
    snprintf(path, sizeof(path), "%s/count", F->dir);
    long n = read_text(path, text, sizeof(text));
    int count = 0;
    for (long i = 0; i < n; i++) count += text[i] == '\n';
    return count;
}

static void a_save_builds_once_and_a_save_during_a_build_queues_one_more(void **state)
{
    char line[FS_PATH_MAX * 2], src[FS_PATH_MAX + 16];
    build_script(state, line, sizeof(line), 300);
    snprintf(src, sizeof(src), "%s/game.c", F->dir);
    write_text(src, "int a;");
    start(state, F->dir, line);
    poll_quiet(state, 0, 200);
    write_text(src, "int a; int b;");
    write_text(src, "int a; int b; int c;"); /* an editor's two writes: one build */
    poll_until(state, 1);
    expect_event(state, 0, "\"state\":\"started\",\"by\":\"host\"");
    write_text(src, "int d;"); /* while it builds */
    write_text(src, "int e;");
    poll_until(state, 2);
    expect_event(state, 1, "\"state\":\"ok\",\"by\":\"host\"");
    poll_until(state, 4);
    expect_event(state, 2, "\"state\":\"started\"");
    expect_event(state, 3, "\"state\":\"ok\"");
    poll_quiet(state, 4, 500);
    assert_int_equal(build_count(state), 2);
}

static void a_command_that_writes_no_result_is_a_failed_build_with_its_output(void **state)
{
    char src[FS_PATH_MAX + 16];
    snprintf(src, sizeof(src), "%s/game.c", F->dir);
    write_text(src, "int a;");
    start(state, F->dir, "echo 'build.sh: cannot find the engine' && exit 1");
    write_text(src, "int b;");
    poll_until(state, 2);
    expect_event(state, 0, "\"state\":\"started\"");
    expect_event(state, 1, "\"state\":\"failed\"");
    expect_event(state, 1, "cannot find the engine");
}

#endif

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_first_error_is_found_in_each_compilers_words),
        T(a_build_by_a_script_is_shown_from_its_lock_and_result),
#if !defined(_WIN32)
        T(a_save_builds_once_and_a_save_during_a_build_queues_one_more),
        T(a_command_that_writes_no_result_is_a_failed_build_with_its_output),
#endif
    };
    return cmocka_run_group_tests_name("rebuild", tests, NULL, NULL);
}
