/* test_command.c - proves the background command: its exit status, its output in the log file (a
 * second run truncates it), a command that cannot be found is a failed exit and not a crash, and
 * command_stop ends a command that still runs (and what it started) without waiting for it. */
#include "../test_util.h"

#include "host/os/clock.h"
#include "host/os/command.h"
#include "host/os/fs.h"

#define WAIT_MS 5000

static int setup(void **state)
{
    *state = temp_file_new("command", "out.log");
    return 0;
}

#define F ((temp_file *)*state)

/* Runs `line` to its end; returns its status. */
static int run(void **state, const char *line)
{
    host_error err = {{0}};
    command *c = command_start(line, F->path, &err);
    if (!c) print_error("command_start: %s\n", err.msg);
    assert_non_null(c);
    int status = -2;
    for (int waited = 0; !command_done(c, &status); waited += 5) {
        assert_true(waited < WAIT_MS);
        sleep_ms(5);
    }
    command_stop(c);
    return status;
}

static void the_exit_status_and_the_output_come_back(void **state)
{
    assert_int_equal(run(state, "echo built && exit 3"), 3);
    char out[256];
    assert_true(read_text(F->path, out, sizeof(out)) > 0);
    assert_non_null(strstr(out, "built"));
    assert_int_equal(run(state, "echo again"), 0);
    assert_true(read_text(F->path, out, sizeof(out)) > 0);
    assert_null(strstr(out, "built")); /* the log starts over */
    assert_non_null(strstr(out, "again"));
}

static void a_missing_program_is_a_failed_exit(void **state)
{
    assert_int_not_equal(run(state, "no-such-program-hotblock-test"), 0);
    char out[512];
    assert_true(read_text(F->path, out, sizeof(out)) > 0); /* the shell said why */
}

#if !defined(_WIN32)
/* Alive and not a zombie waiting for its new parent to reap it. */
static bool process_runs(const char *pid)
{
    char path[64], stat[256];
    snprintf(path, sizeof(path), "/proc/%d/stat", atoi(pid));
    if (read_text(path, stat, sizeof(stat)) <= 0) return false;
    const char *state = strrchr(stat, ')');
    return state && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

static void stop_ends_a_running_command_and_its_children(void **state)
{
    char pidfile[FS_PATH_MAX + 16], line[FS_PATH_MAX * 2];
    snprintf(pidfile, sizeof(pidfile), "%s/child.pid", F->dir);
    snprintf(line, sizeof(line), "sleep 30 & echo $! > '%s'; wait", pidfile);
    host_error err = {{0}};
    command *c = command_start(line, F->path, &err);
    assert_non_null(c);
    char pid[32] = "";
    for (int waited = 0; read_text(pidfile, pid, sizeof(pid)) <= 0; waited += 5) {
        assert_true(waited < WAIT_MS);
        sleep_ms(5);
    }
    int status;
    assert_false(command_done(c, &status));
    uint64_t t0 = clock_now_ns();
    command_stop(c);
    assert_true(clock_now_ns() - t0 < 2000000000ull);
    for (int waited = 0; process_runs(pid); waited += 5) { /* the grandchild goes with it */
        assert_true(waited < WAIT_MS);
        sleep_ms(5);
    }
}
#endif

#define T(name) cmocka_unit_test_setup_teardown(name, setup, temp_file_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(the_exit_status_and_the_output_come_back),
        T(a_missing_program_is_a_failed_exit),
#if !defined(_WIN32)
        T(stop_ends_a_running_command_and_its_children),
#endif
    };
    return cmocka_run_group_tests_name("command", tests, NULL, NULL);
}
