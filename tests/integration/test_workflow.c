/* test_workflow.c - the edit-build-debug loop with the real host, the real build script and the
 * real gdb and lldb. Proves: with --watch a saved source is rebuilt and reloaded with no build command typed;
 * a failed build (the host's or the user's own) reaches the host as a `build` event with the first
 * error at file:line while the old code runs on; a crash in a default (debug) build names file:line;
 * a second build with nothing changed compiles nothing and leaves the library alone; and a gdb
 * breakpoint set by function name stops in the new code after a reload, in gdb and in lldb. */
#include "harness.h"

#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define WAIT_MS 30000

typedef struct fixture {
    harness_game game;
    harness_host host;
    char command[HARNESS_PATH * 3];
} fixture;

/* The probe game, built, with the host on it; with `watch` the host runs the build on a save. */
static void fixture_start(fixture *f, bool watch)
{
    memset(f, 0, sizeof(*f));
    assert_true(harness_game_copy("tests/games/probe", &f->game));
    assert_int_equal(harness_game_build(&f->game), 0);
    snprintf(f->command, sizeof(f->command), "'%s/build.sh' game '%s'", harness_root(), f->game.dir);
    const char *args[] = {"--watch", "--build-command", f->command, NULL};
    assert_true(harness_host_start(&f->host, f->game.lib, watch ? args : NULL));
}

static void fixture_stop(fixture *f)
{
    assert_int_equal(harness_host_stop(&f->host), 0);
    harness_game_remove(&f->game);
}

static const char *wait_event(fixture *f, const char *name, const char *needle, int n)
{
    const char *line = harness_wait_event(&f->host, name, needle, n, WAIT_MS);
    if (!line) fail_msg("no %s event with %s (n=%d); host output in %s", name, needle ? needle : "-", n, f->host.output);
    return line;
}

/* ---- rebuild on save ---------------------------------------------------------------------------- */

static void test_a_saved_source_is_rebuilt_and_reloaded_by_the_host(void **unused)
{
    fixture f;
    fixture_start(&f, true);
    wait_event(&f, "log", "marker=alpha", 0);
    assert_true(harness_edit(&f.game, "probe.c", "return \"alpha\";", "return \"beta\";"));
    wait_event(&f, "build", "\"state\":\"started\",\"by\":\"host\"", 0);
    wait_event(&f, "build", "\"state\":\"ok\",\"by\":\"host\"", 0);
    wait_event(&f, "reload", NULL, 0);
    wait_event(&f, "log", "probe reloaded", 0);
    assert_non_null(strstr(harness_event(&f.host, "log", "probe reloaded", 0), "marker=beta"));
    fixture_stop(&f);
    (void)unused;
}

static void test_a_failed_build_is_shown_with_its_first_error_and_the_old_code_runs_on(void **unused)
{
    fixture f;
    fixture_start(&f, true);
    assert_true(harness_edit(&f.game, "probe.c", "return \"alpha\";", "return \"beta\""));
    char failed[8192];
    snprintf(failed, sizeof(failed), "%s", wait_event(&f, "build", "\"state\":\"failed\"", 0));
    char error[512];
    assert_true(harness_field(failed, "error", error, sizeof(error)));
    assert_non_null(strstr(error, "probe.c:"));
    assert_non_null(strstr(error, "error"));
    assert_non_null(strstr(failed, "\"output\":")); /* the whole compiler output */
    assert_int_equal(harness_count(&f.host, "reload"), 0);
    int ticks = harness_count(&f.host, "log");
    wait_event(&f, "log", "marker=alpha", ticks); /* the old code keeps running */
    assert_true(harness_host_alive(&f.host));
    assert_true(harness_edit(&f.game, "probe.c", "return \"beta\"", "return \"gamma\";"));
    wait_event(&f, "reload", NULL, 0);
    wait_event(&f, "log", "marker=gamma", 0);
    fixture_stop(&f);
    (void)unused;
}

/* ---- the user's own builds ---------------------------------------------------------------------- */

static void test_a_build_the_user_runs_is_shown_too(void **unused)
{
    fixture f;
    fixture_start(&f, false);
    assert_true(harness_edit(&f.game, "probe.c", "return \"alpha\";", "return \"alpha\"}"));
    assert_int_not_equal(harness_game_build(&f.game), 0);
    wait_event(&f, "build", "\"state\":\"started\",\"by\":\"script\"", 0);
    const char *failed = wait_event(&f, "build", "\"state\":\"failed\",\"by\":\"script\"", 0);
    assert_non_null(strstr(failed, "probe.c:"));
    assert_true(harness_edit(&f.game, "probe.c", "return \"alpha\"}", "return \"alpha\";"));
    assert_int_equal(harness_game_build(&f.game), 0);
    wait_event(&f, "build", "\"state\":\"ok\",\"by\":\"script\"", 0);
    wait_event(&f, "reload", NULL, 0);
    fixture_stop(&f);
    (void)unused;
}

/* ---- debug builds --------------------------------------------------------------------------------- */

static void test_a_crash_in_a_default_build_names_file_and_line(void **unused)
{
    fixture f;
    memset(&f, 0, sizeof(f));
    assert_true(harness_game_copy("tests/games/crashy", &f.game));
    assert_true(harness_edit(&f.game, "crashy.c", "#define CRASHY_MODE CRASHY_NONE", "#define CRASHY_MODE CRASHY_SEGV"));
    assert_int_equal(harness_game_build(&f.game), 0);
    assert_true(harness_host_start(&f.host, f.game.lib, NULL));
    const char *crash = wait_event(&f, "crash", NULL, 0);
    char location[512];
    assert_true(harness_field(crash, "location", location, sizeof(location)));
    if (!strstr(location, "crashy.c:")) fail_msg("crash location without file:line: %s", location);
    assert_non_null(strstr(crash, "crashy.c:")); /* and in the backtrace */
    harness_host_stop(&f.host);
    harness_game_remove(&f.game);
    (void)unused;
}

/* Runs ./build.sh game DIR; its output in out. */
static int build_output(const harness_game *g, char *out, size_t cap)
{
    char script[HARNESS_PATH + 16];
    snprintf(script, sizeof(script), "%s/build.sh", harness_root());
    const char *argv[] = {script, "game", g->dir, NULL};
    return harness_run(argv, out, cap);
}

static void test_a_build_with_nothing_changed_compiles_nothing(void **unused)
{
    harness_game g;
    assert_true(harness_game_copy("tests/games/probe", &g));
    char out[8192];
    assert_int_equal(build_output(&g, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "cc probe.c"));
    struct stat before, after;
    assert_int_equal(stat(g.lib, &before), 0);
    assert_int_equal(build_output(&g, out, sizeof(out)), 0);
    if (strstr(out, "cc ") || strstr(out, "ld ")) fail_msg("a no-op build compiled: %s", out);
    assert_int_equal(stat(g.lib, &after), 0);
    assert_true(before.st_mtim.tv_sec == after.st_mtim.tv_sec && before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    assert_true(before.st_ino == after.st_ino);
    assert_true(harness_edit(&g, "probe.c", "#define PROBE_STEP 1 ", "#define PROBE_STEP 2 "));
    assert_int_equal(build_output(&g, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "cc probe.c"));
    assert_null(strstr(out, "cc arena/")); /* one changed file: one compile */
    harness_game_remove(&g);
    (void)unused;
}

/* ---- debuggers ------------------------------------------------------------------------------------ */

/* A breakpoint on probe_update that says which copy it stopped in, keeps going in the first copy,
 * and ends the run (SIGTERM to the host: a clean exit) once it stops in another. */
static void write_gdb_script(const char *path, const char *recipe)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "source %s\n"
               "python\n"
               "import gdb\n"
               "first = []\n"
               "class Probe(gdb.Breakpoint):\n"
               "    def stop(self):\n"
               "        lib = gdb.current_progspace().solib_name(int(gdb.parse_and_eval('$pc')))\n"
               "        if not first:\n"
               "            first.append(lib)\n"
               "            print('debug-test first stop in', lib, flush=True)\n"
               "        return lib != first[0]\n"
               "Probe('probe_update')\n"
               "end\n"
               "run\n"
               "python print('debug-test stopped in', gdb.current_progspace().solib_name(int(gdb.parse_and_eval('$pc'))), flush=True)\n"
               "delete\n"
               "signal SIGTERM\n",
            recipe);
    fclose(f);
}

/* The same with lldb: the README's recipe (breakpoint set --name) and a Python callback, in a module
 * beside the script. */
static void write_lldb_script(const char *path, const char *folder)
{
    char module[HARNESS_PATH + 32];
    snprintf(module, sizeof(module), "%s/debug_probe.py", folder);
    FILE *f = fopen(module, "w");
    assert_non_null(f);
    fprintf(f, "first = []\n"
               "def stop(frame, location, extra):\n"
               "    lib = frame.GetModule().GetFileSpec().GetFilename()\n"
               "    if not first:\n"
               "        first.append(lib)\n"
               "        print('debug-test first stop in', lib, flush=True)\n"
               "    return lib != first[0]\n");
    fclose(f);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "command script import %s\n"
               "breakpoint set --name probe_update\n"
               "breakpoint command add -F debug_probe.stop 1\n"
               "process launch\n"
               "script print('debug-test stopped in', lldb.frame.GetModule().GetFileSpec().GetFilename(), flush=True)\n"
               "breakpoint delete --force\n"
               "process handle SIGTERM --stop false --notify false --pass true\n"
               "script import os, signal; os.kill(lldb.process.GetProcessID(), signal.SIGTERM)\n"
               "continue\n",
            module);
    fclose(f);
}

/* Debian 12's lldb names a Python folder without its lldb module (`lldb -P`); the module is in
 * LLVM's own folder, which PYTHONPATH then points at. */
static void lldb_python_path(void)
{
    glob_t found;
    if (glob("/usr/lib/llvm-*/lib/python3*/dist-packages/lldb/embedded_interpreter.py", 0, NULL, &found) != 0) return;
    char *folder = found.gl_pathv[found.gl_pathc - 1]; /* the newest LLVM */
    *strstr(folder, "/lldb/embedded_interpreter.py") = 0;
    setenv("PYTHONPATH", folder, 1);
    globfree(&found);
}

static bool output_has(const harness_host *h, const char *text)
{
    FILE *f = fopen(h->output, "r");
    if (!f) return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

/* The debugger stops in probe_update of the first copy; the game is rebuilt; the same breakpoint
 * stops in the reloaded copy. */
static void debug_across_a_reload(harness_debugger debugger)
{
    fixture f;
    memset(&f, 0, sizeof(f));
    assert_true(harness_game_copy("tests/games/probe", &f.game));
    assert_int_equal(harness_game_build(&f.game), 0);
    char script[HARNESS_PATH + 32], recipe[HARNESS_PATH + 64];
    snprintf(script, sizeof(script), "%s/test.debug", f.game.top);
    snprintf(recipe, sizeof(recipe), "%s/game_template/hotblock.gdb", harness_root());
    if (debugger == HARNESS_GDB) write_gdb_script(script, recipe);
    else write_lldb_script(script, f.game.top);
    assert_true(harness_debug_start(&f.host, debugger, script, f.game.lib, NULL));
    for (int waited = 0; !output_has(&f.host, "debug-test first stop in"); waited += 50) {
        if (waited > WAIT_MS) fail_msg("the breakpoint never stopped; debugger output in %s", f.host.output);
        harness_sleep_ms(50);
    }
    assert_true(harness_edit(&f.game, "probe.c", "return \"alpha\";", "return \"beta\";"));
    assert_int_equal(harness_game_build(&f.game), 0);
    int rc = harness_host_wait(&f.host, WAIT_MS);
    if (rc != 0) fail_msg("the debugger ended with %d; its output in %s", rc, f.host.output);
    assert_true(output_has(&f.host, "debug-test stopped in"));
    assert_non_null(harness_event(&f.host, "reload", NULL, 0)); /* it stopped in the reloaded copy */
    assert_non_null(harness_event(&f.host, "exit", NULL, 0));   /* and the host ended cleanly */
    harness_game_remove(&f.game);
}

static void test_a_gdb_breakpoint_stops_in_the_new_code_after_a_reload(void **unused)
{
    debug_across_a_reload(HARNESS_GDB);
    (void)unused;
}

static void test_an_lldb_breakpoint_stops_in_the_new_code_after_a_reload(void **unused)
{
    lldb_python_path();
    debug_across_a_reload(HARNESS_LLDB);
    (void)unused;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_saved_source_is_rebuilt_and_reloaded_by_the_host),
        cmocka_unit_test(test_a_failed_build_is_shown_with_its_first_error_and_the_old_code_runs_on),
        cmocka_unit_test(test_a_build_the_user_runs_is_shown_too),
        cmocka_unit_test(test_a_crash_in_a_default_build_names_file_and_line),
        cmocka_unit_test(test_a_build_with_nothing_changed_compiles_nothing),
        cmocka_unit_test(test_a_gdb_breakpoint_stops_in_the_new_code_after_a_reload),
        cmocka_unit_test(test_an_lldb_breakpoint_stops_in_the_new_code_after_a_reload),
    };
    return harness_finish(cmocka_run_group_tests_name("workflow", tests, NULL, NULL));
}
