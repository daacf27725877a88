/* test_cli.c - proves the command line: documented defaults, every option in both "--flag value"
 * and "--flag=value" forms, --help/--version, and a clear CLI_BAD message (naming the option) for
 * every mistake a user can make; plus the release mode where no library is needed. */
#include "test_util.h"

#include "host/cli.h"
#include "host/reload/layout.h"

/* Parses a NULL-terminated list of arguments after the program name. */
static cli_result parse(bool library_required, host_options *o, host_error *err, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "host";
    va_list ap;
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *)) != NULL;) argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    memset(err, 0, sizeof(*err));
    return cli_parse(argc, argv, library_required ? CLI_HOST : CLI_RELEASE, o, err);
}

#define PARSE(...) parse(true, &o, &err, __VA_ARGS__, (char *)NULL)

static void defaults_are_the_documented_ones(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("game.so"), CLI_RUN);
    assert_string_equal(o.library, "game.so");
    assert_int_equal(o.fps, 60);
    assert_int_equal(o.frames, 0);
    assert_false(o.headless);
    assert_null(o.events_path);
    assert_int_equal(o.block.base, 0x200000000000ull);
    assert_int_equal(o.block.reserve, GB(64));
    assert_int_equal(o.block.heap_size, GB(1));
    assert_int_equal(o.block.frame_size, MB(256));
    assert_int_equal(o.block.scratch_size, MB(256));
    assert_false(o.help);
    assert_false(o.version);
}

static void every_option_with_a_separate_value(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("--headless", "--frames", "120", "--fps", "30", "--events", "ev.jsonl", "--base",
                           "0x300000000000", "--reserve", "8G", "--heap", "64M", "--frame-arena", "2M",
                           "--scratch-arena", "1M", "lib/libgame.so"),
                     CLI_RUN);
    assert_true(o.headless);
    assert_int_equal(o.frames, 120);
    assert_int_equal(o.fps, 30);
    assert_string_equal(o.events_path, "ev.jsonl");
    assert_int_equal(o.block.base, 0x300000000000ull);
    assert_int_equal(o.block.reserve, GB(8));
    assert_int_equal(o.block.heap_size, MB(64));
    assert_int_equal(o.block.frame_size, MB(2));
    assert_int_equal(o.block.scratch_size, MB(1));
    assert_string_equal(o.library, "lib/libgame.so");
}

static void every_option_with_an_equals_value(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("game.so", "--frames=7", "--fps=0", "--events=out.jsonl", "--base=123456789",
                           "--reserve=128G", "--heap=1G", "--frame-arena=64K", "--scratch-arena=128K"),
                     CLI_RUN);
    assert_int_equal(o.frames, 7);
    assert_int_equal(o.fps, 0);
    assert_string_equal(o.events_path, "out.jsonl");
    assert_int_equal(o.block.base, 123456789);
    assert_int_equal(o.block.reserve, GB(128));
    assert_int_equal(o.block.heap_size, GB(1));
    assert_int_equal(o.block.frame_size, KB(64));
    assert_int_equal(o.block.scratch_size, KB(128));
}

static void library_may_come_before_or_after_options(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("--fps", "10", "a.so", "--headless"), CLI_RUN);
    assert_string_equal(o.library, "a.so");
    assert_true(o.headless);
    assert_int_equal(o.fps, 10);
}

static void a_later_option_overrides_an_earlier_one(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("--fps", "10", "--fps=25", "a.so"), CLI_RUN);
    assert_int_equal(o.fps, 25);
}

static void help_and_version_are_done_even_without_a_library(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("--help"), CLI_DONE);
    assert_true(o.help);
    assert_int_equal(PARSE("--version"), CLI_DONE);
    assert_true(o.version);
    assert_int_equal(PARSE("game.so", "--version"), CLI_DONE);
}

static char *help_text(cli_mode mode, const char *program, char *text, size_t cap)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    cli_print_help(f, program, mode);
    rewind(f);
    size_t n = fread(text, 1, cap - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

static void help_text_lists_every_option(void **state)
{
    char text[16384];
    help_text(CLI_HOST, "host", text, sizeof(text));
    assert_contains(text, "usage: host [options] GAME_LIBRARY");
    static const char *const names[] = {"--headless", "--frames N", "--fps N", "--events FILE", "--base ADDR",
                                        "--reserve SIZE", "--heap SIZE", "--frame-arena SIZE",
                                        "--scratch-arena SIZE", "--help", "--version",
                                        "--on-layout-change migrate|restart|refuse", "--save-state FILE",
                                        "--load-state FILE", "--record FILE", "--replay FILE", "--expect-checksum HEX",
                                        "--rewind SECONDS", "--rewind-every N", "--loop-key KEY", "--rewind-key KEY",
                                        "--save-key KEY"};
    for (size_t i = 0; i < ARRAY_COUNT(names); i++) assert_contains(text, names[i]);
}

static void help_says_what_frames_0_and_the_exit_statuses_mean(void **state)
{
    char text[16384];
    help_text(CLI_HOST, "host", text, sizeof(text));
    assert_contains(text, "--frames N");
    assert_contains(text, "(default 0: run until the game quits)");
    assert_contains(text, "--probe-timeout SECONDS");
    assert_contains(text, "--no-probe");
    assert_contains(text, "their constructors then run unguarded in the host");
    assert_contains(text, "--keep-going");
    assert_contains(text, "3 the game crashed during the run");
    assert_contains(text, "--leaks=fail found leaks; 4 the run ended with the game paused after a crash; 5 the state\n"
                          "ended with another checksum than --expect-checksum's");
    assert_contains(text, "L the live loop (record, replay in a loop, leave), F7 rewind (--rewind), F8 save");
    host_options o;
    host_error err;
    assert_int_equal(PARSE("-h"), CLI_DONE);
    assert_true(o.help);
}

/* The release build: its own help, no reload options, and no library. */
static void release_help_and_parse_leave_out_reloading(void **state)
{
    char text[16384];
    help_text(CLI_RELEASE, "game", text, sizeof(text));
    assert_contains(text, "usage: game [options]\n");
    assert_contains(text, "linked into this executable");
    assert_contains(text, "--frames N");
    assert_contains(text, "--keep-going");
    static const char *const reload_only[] = {"--watch ", "--poll", "--probe-timeout", "--no-probe", "--on-layout-change",
                                              "--no-stale-scan", "--build-command", "GAME_LIBRARY"};
    for (size_t i = 0; i < ARRAY_COUNT(reload_only); i++)
        if (strstr(text, reload_only[i])) fail_msg("the release help offers %s:\n%s", reload_only[i], text);
    host_options o;
    host_error err;
    assert_int_equal(parse(false, &o, &err, "game.so", (char *)NULL), CLI_BAD);
    assert_string_equal(err.msg, "'game.so': this is a release build with the game linked in; it takes no game library "
                                 "(see --help)");
    assert_int_equal(parse(false, &o, &err, "--watch", (char *)NULL), CLI_BAD);
    assert_string_equal(err.msg, "--watch is an option of the hot-reload host; this release build does not reload (see "
                                 "--help)");
    assert_int_equal(parse(false, &o, &err, "--frames", "5", "--keep-going", (char *)NULL), CLI_RUN);
    assert_true(o.keep_going);
}

static void every_size_error_names_its_flag_and_an_example(void **state)
{
    static const char *const cases[][2] = {{"--reserve", "64G"}, {"--heap", "1G"}, {"--frame-arena", "256M"},
                                           {"--scratch-arena", "256M"}};
    host_options o;
    host_error err;
    for (size_t i = 0; i < ARRAY_COUNT(cases); i++) {
        char want[128];
        assert_int_equal(PARSE("game.so", cases[i][0], "big"), CLI_BAD);
        snprintf(want, sizeof(want), "%s: 'big' is not a size; use bytes or a K/M/G/T suffix, e.g. %s %s", cases[i][0],
                 cases[i][0], cases[i][1]);
        assert_string_equal(err.msg, want);
    }
}

static void probe_options_and_their_limits(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("game.so"), CLI_RUN);
    assert_int_equal(o.probe_timeout, 5);
    assert_false(o.no_probe);
    assert_int_equal(PARSE("game.so", "--probe-timeout", "1", "--no-probe"), CLI_RUN);
    assert_int_equal(o.probe_timeout, 1);
    assert_true(o.no_probe);
    assert_int_equal(PARSE("game.so", "--probe-timeout=0"), CLI_BAD);
    assert_string_equal(err.msg, "--probe-timeout: '0' is not a whole number from 1 to 3600");
}

/* Every output file the options name is listed, so the host checks each at start. */
static void outputs_are_listed_with_their_flags(void **state)
{
    host_options o;
    host_error err;
    cli_output out[8];
    assert_int_equal(PARSE("game.so"), CLI_RUN);
    assert_int_equal(cli_outputs(&o, out, 8), 0);
    assert_int_equal(PARSE("--trace", "t.json", "game.so", "--events=e.jsonl", "--stats", "s.json", "--report", "r.html",
                           "--stats-csv", "s.csv"),
                     CLI_RUN);
    assert_int_equal(cli_outputs(&o, out, 8), 5);
    const char *want[][2] = {{"--events", "e.jsonl"}, {"--stats", "s.json"}, {"--stats-csv", "s.csv"},
                             {"--trace", "t.json"}, {"--report", "r.html"}};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(out[i].flag, want[i][0]);
        assert_string_equal(out[i].path, want[i][1]);
    }
    assert_int_equal(cli_outputs(&o, out, 2), 2);
}

/* The timeline's options: keys by name, none of the host's own keys and no two alike; the files it
 * writes are outputs checked at start. */
static void timeline_options_and_keys(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("game.so"), CLI_RUN);
    assert_int_equal(o.loop_key, 'l');
    assert_int_equal(o.rewind_key, GAME_KEY_F7);
    assert_int_equal(o.save_key, GAME_KEY_F8);
    assert_int_equal(o.rewind_every, 10);
    assert_int_equal(o.rewind_seconds, 0);
    assert_int_equal(PARSE("--loop-key", "F9", "--rewind-key=space", "--save-key", "K", "--rewind", "30", "game.so"),
                     CLI_RUN);
    assert_int_equal(o.loop_key, GAME_KEY_F9);
    assert_int_equal(o.rewind_key, GAME_KEY_SPACE);
    assert_int_equal(o.save_key, 'k');
    assert_int_equal(o.rewind_seconds, 30);
    assert_int_equal(PARSE("--loop-key", "loop", "game.so"), CLI_BAD);
    assert_string_equal(err.msg, "--loop-key: 'loop' is not a key; give a character, F1 to F12, or a name like Space "
                                 "or Tab (e.g. --loop-key L)");
    assert_int_equal(PARSE("--save-key", "F5", "game.so"), CLI_BAD);
    assert_string_equal(err.msg, "--save-key: F5 is one of the host's own keys (Esc, F1, F2, F5, F6, F11, F12); pick another");
    assert_int_equal(PARSE("--rewind-key", "L", "game.so"), CLI_BAD);
    assert_string_equal(err.msg, "--loop-key and --rewind-key are both L; give each its own key");
    assert_int_equal(PARSE("--rewind-every", "0", "game.so"), CLI_BAD);
    cli_output out[4];
    assert_int_equal(PARSE("--save-state", "s.state", "--record", "r.rec", "--load-state", "in.state", "game.so"), CLI_RUN);
    assert_int_equal(cli_outputs(&o, out, 4), 2);
    assert_string_equal(out[0].flag, "--save-state");
    assert_string_equal(out[1].path, "r.rec");
}

static void unknown_option_is_bad_and_named(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("game.so", "--turbo"), CLI_BAD);
    assert_string_equal(err.msg, "unknown option '--turbo'; see --help");
    assert_int_equal(PARSE("game.so", "--fpsx=3"), CLI_BAD);
    assert_contains(err.msg, "unknown option '--fpsx=3'");
    assert_int_equal(PARSE("game.so", "-f"), CLI_BAD);
    assert_contains(err.msg, "unknown option '-f'");
}

static void missing_value_is_bad_and_names_the_option(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("game.so", "--fps"), CLI_BAD);
    assert_string_equal(err.msg, "--fps needs a value (N)");
    assert_int_equal(PARSE("game.so", "--base"), CLI_BAD);
    assert_string_equal(err.msg, "--base needs a value (ADDR)");
    assert_int_equal(PARSE("game.so", "--events="), CLI_BAD);
    assert_string_equal(err.msg, "--events needs a non-empty FILE");
}

static void a_flag_given_a_value_is_bad(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("game.so", "--headless=yes"), CLI_BAD);
    assert_string_equal(err.msg, "--headless takes no value");
}

static void bad_numbers_are_bad_and_name_the_option_and_value(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("game.so", "--fps", "fast"), CLI_BAD);
    assert_string_equal(err.msg, "--fps: 'fast' is not a whole number from 0 to 10000");
    assert_int_equal(PARSE("game.so", "--fps=10001"), CLI_BAD);
    assert_contains(err.msg, "--fps: '10001'");
    assert_int_equal(PARSE("game.so", "--frames=-1"), CLI_BAD);
    assert_contains(err.msg, "--frames: '-1' is not a whole number");
    assert_int_equal(PARSE("game.so", "--reserve", "lots"), CLI_BAD);
    assert_string_equal(err.msg, "--reserve: 'lots' is not a size; use bytes or a K/M/G/T suffix, e.g. --reserve 64G");
    assert_int_equal(PARSE("game.so", "--heap=0"), CLI_BAD);
    assert_contains(err.msg, "--heap: '0' is not a size");
    assert_int_equal(PARSE("game.so", "--base", "here"), CLI_BAD);
    assert_string_equal(err.msg, "--base: 'here' is not an address; use hex like 0x200000000000");
    assert_int_equal(PARSE("game.so", "--base=0"), CLI_BAD);
    assert_contains(err.msg, "--base: '0' is not an address");
    assert_int_equal(PARSE("game.so", "--frame-arena=1.5M"), CLI_BAD);
    assert_contains(err.msg, "--frame-arena: '1.5M'");
    assert_int_equal(PARSE("game.so", "--scratch-arena=99999999999T"), CLI_BAD);
    assert_contains(err.msg, "--scratch-arena: '99999999999T'");
}

static void the_largest_counts_are_accepted(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("game.so", "--fps=10000", "--frames=18446744073709551615"), CLI_RUN);
    assert_int_equal(o.fps, 10000);
    assert_int_equal(o.frames, UINT64_MAX);
}

static void two_libraries_are_bad_and_both_named(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("a.so", "b.so"), CLI_BAD);
    assert_string_equal(err.msg, "two game libraries given ('a.so' and 'b.so'); pass one");
}

static void missing_library_is_bad_with_usage(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("--headless"), CLI_BAD);
    assert_contains(err.msg, "no game library given");
    assert_contains(err.msg, "usage: host [options] GAME_LIBRARY");
    assert_int_equal(parse(true, &o, &err, (char *)NULL), CLI_BAD);
    assert_contains(err.msg, "no game library given");
}

static void release_mode_runs_without_a_library(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(parse(false, &o, &err, "--headless", "--frames", "3", (char *)NULL), CLI_RUN);
    assert_null(o.library);
    assert_true(o.headless);
    assert_int_equal(o.frames, 3);
    assert_int_equal(parse(false, &o, &err, (char *)NULL), CLI_RUN);
    assert_int_equal(o.fps, 60);
}

static void a_lone_dash_is_taken_as_the_library(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("-"), CLI_RUN);
    assert_string_equal(o.library, "-");
}

static void parse_resets_options_from_a_previous_call(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("--headless", "--fps=5", "x.so"), CLI_RUN);
    assert_int_equal(PARSE("y.so"), CLI_RUN);
    assert_false(o.headless);
    assert_int_equal(o.fps, 60);
    assert_string_equal(o.library, "y.so");
}

static void the_layout_policy_is_one_of_its_names(void **state)
{
    host_options o;
    host_error err;
    assert_int_equal(PARSE("x.so"), CLI_RUN);
    assert_int_equal(o.on_layout_change, LAYOUT_MIGRATE);
    assert_int_equal(PARSE("--on-layout-change=restart", "x.so"), CLI_RUN);
    assert_int_equal(o.on_layout_change, LAYOUT_RESTART);
    assert_int_equal(PARSE("--on-layout-change", "refuse", "x.so"), CLI_RUN);
    assert_int_equal(o.on_layout_change, LAYOUT_REFUSE);
    assert_int_equal(PARSE("--on-layout-change=migrate", "x.so"), CLI_RUN);
    assert_int_equal(o.on_layout_change, LAYOUT_MIGRATE);
    assert_int_equal(PARSE("--on-layout-change=restar", "x.so"), CLI_BAD);
    assert_contains(err.msg, "--on-layout-change: 'restar' is not one of migrate|restart|refuse");
    assert_int_equal(PARSE("--on-layout-change=", "x.so"), CLI_BAD);
    assert_int_equal(PARSE("--on-layout-change=migrate|restart", "x.so"), CLI_BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_documented_ones),
        cmocka_unit_test(every_option_with_a_separate_value),
        cmocka_unit_test(every_option_with_an_equals_value),
        cmocka_unit_test(library_may_come_before_or_after_options),
        cmocka_unit_test(a_later_option_overrides_an_earlier_one),
        cmocka_unit_test(help_and_version_are_done_even_without_a_library),
        cmocka_unit_test(help_text_lists_every_option),
        cmocka_unit_test(unknown_option_is_bad_and_named),
        cmocka_unit_test(missing_value_is_bad_and_names_the_option),
        cmocka_unit_test(a_flag_given_a_value_is_bad),
        cmocka_unit_test(bad_numbers_are_bad_and_name_the_option_and_value),
        cmocka_unit_test(the_largest_counts_are_accepted),
        cmocka_unit_test(two_libraries_are_bad_and_both_named),
        cmocka_unit_test(missing_library_is_bad_with_usage),
        cmocka_unit_test(release_mode_runs_without_a_library),
        cmocka_unit_test(a_lone_dash_is_taken_as_the_library),
        cmocka_unit_test(parse_resets_options_from_a_previous_call),
        cmocka_unit_test(the_layout_policy_is_one_of_its_names),
        cmocka_unit_test(help_says_what_frames_0_and_the_exit_statuses_mean),
        cmocka_unit_test(release_help_and_parse_leave_out_reloading),
        cmocka_unit_test(every_size_error_names_its_flag_and_an_example),
        cmocka_unit_test(probe_options_and_their_limits),
        cmocka_unit_test(outputs_are_listed_with_their_flags),
        cmocka_unit_test(timeline_options_and_keys),
    };
    return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
