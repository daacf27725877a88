/* cli.c - option table, parser, help. */
#include "cli.h"
#include "base/units.h"
#include "platform/input.h"
#include "platform/media.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef enum cli_kind {
    CLI_FLAG,
    CLI_COUNT,
    CLI_SIZE,
    CLI_SIZE2,  /* WxH */
    CLI_ADDR,
    CLI_TEXT,
    CLI_OUTPUT, /* a file the host writes: checked at start (cli_outputs) */
    CLI_ENUM,
    CLI_PAIR,   /* two words after the option */
    CLI_KEY,    /* a key by name (input_key_named), into an int32_t */
} cli_kind;

typedef struct cli_option {
    const char *name;
    const char *arg; /* the value's name in --help; NULL for flags; CLI_ENUM: the values, "a|b|c" */
    cli_kind kind;
    size_t offset;   /* of the field in host_options */
    uint64_t max;    /* for counts */
    const char *help;
    uint64_t min;    /* for counts */
    const char *example; /* a sensible value, for the error about a bad one */
    bool reload;     /* about reloading: not an option of a release build */
} cli_option;

#define CLI_AT(field) offsetof(host_options, field)
#define CLI_OPT(name_, arg_, kind_, field_, help_, ...) \
    {.name = name_, .arg = arg_, .kind = kind_, .offset = CLI_AT(field_), .help = help_, __VA_ARGS__}

static const cli_option cli_options[] = {
    CLI_OPT("--headless", NULL, CLI_FLAG, headless,
            "no window, no terminal, no audio device (the picture is still drawn: see --screenshot); game logs go to "
            "stdout"),
    CLI_OPT("--terminal", NULL, CLI_FLAG, terminal,
            "run in this terminal instead of a window: the game's text (host->draw), or its picture in half-blocks"),
    CLI_OPT("--resolution", "WxH", CLI_SIZE2, resolution,
            "a fixed picture of W x H pixels, scaled to the window by whole numbers (default: it follows the window)",
            .max = MEDIA_SIDE_MAX),
    CLI_OPT("--fullscreen", NULL, CLI_FLAG, fullscreen, "start fullscreen (F11 toggles it)"),
    CLI_OPT("--no-vsync", NULL, CLI_FLAG, no_vsync, "keep the pace with --fps alone, never waiting for the display"),
    CLI_OPT("--screenshot", "FILE.png", CLI_OUTPUT, screenshot_path,
            "at exit, save the last frame's picture as PNG (with --frames N: frame N's)"),
    CLI_OPT("--poll", NULL, CLI_FLAG, poll, "notice rebuilds by polling the library (for mounts without change events)",
            .reload = true),
    CLI_OPT("--frames", "N", CLI_COUNT, frames, "exit after N frames (default 0: run until the game quits)",
            .max = UINT64_MAX),
    CLI_OPT("--fps", "N", CLI_COUNT, fps, "target frames per second; 0 = as fast as possible (default 60)", .max = 10000),
    CLI_OPT("--events", "FILE", CLI_OUTPUT, events_path, "write the event log (JSON Lines) to FILE"),
    CLI_OPT("--base", "ADDR", CLI_ADDR, block.base, "fixed base address of the block (default 0x200000000000)"),
    CLI_OPT("--reserve", "SIZE", CLI_SIZE, block.reserve, "bytes of address space to reserve (default 64G)",
            .example = "64G"),
    CLI_OPT("--heap", "SIZE", CLI_SIZE, block.heap_size, "heap region inside the block, multiple of 32M (default 1G)",
            .example = "1G"),
    CLI_OPT("--frame-arena", "SIZE", CLI_SIZE, block.frame_size,
            "capacity of each of the two frame arenas, multiple of 64K (default 256M)", .example = "256M"),
    CLI_OPT("--scratch-arena", "SIZE", CLI_SIZE, block.scratch_size,
            "capacity of each scratch arena, multiple of 64K (default 256M)", .example = "256M"),
    CLI_OPT("--on-layout-change", "migrate|restart|refuse", CLI_ENUM, on_layout_change,
            "when a reload changes the state's struct layout (default migrate)", .reload = true),
    CLI_OPT("--watchdog", "SECONDS", CLI_COUNT, watchdog,
            "warn, naming the game function it is in, when one call into the game runs SECONDS or longer (default 0: "
            "off)", .max = 86400),
    CLI_OPT("--stale-pointers", "repair|warn|off", CLI_ENUM, stale_pointers,
            "after a reload, pointers into the old build kept in the block: repaired by name (default), only "
            "reported, or not looked for", .reload = true),
    CLI_OPT("--old-code", "fence|forward", CLI_ENUM, old_code,
            "an old build after a reload: unloaded, its range fenced (default), or kept with each function jumping "
            "to the new build's (x86-64; for callbacks other libraries keep)", .reload = true),
    CLI_OPT("--probe-timeout", "SECONDS", CLI_COUNT, probe_timeout,
            "longest a new build's constructors and entry point may run in the probe process (default 5)", .min = 1,
            .max = 3600, .reload = true),
    CLI_OPT("--no-probe", NULL, CLI_FLAG, no_probe,
            "open new builds without running them in a probe process first: their constructors then run unguarded "
            "in the host (a crash there ends it, a hang hangs it)", .reload = true),
    CLI_OPT("--keep-going", NULL, CLI_FLAG, keep_going, "exit 0 even when the game crashed during the run"),
    CLI_OPT("--stats", "FILE", CLI_OUTPUT, stats_path,
            "write a memory stats snapshot (JSON) at exit, after each reload and on each stats request"),
    CLI_OPT("--stats-csv", "FILE", CLI_OUTPUT, stats_csv_path,
            "write one CSV row per frame per arena (used, pushes, bytes)"),
    CLI_OPT("--trace", "FILE", CLI_OUTPUT, trace_path,
            "write a Chrome/Perfetto trace (JSON): a counter track per arena, reload and crash markers"),
    CLI_OPT("--report", "FILE", CLI_OUTPUT, report_path, "write an HTML memory report (charts, top call sites) at exit"),
    CLI_OPT("--alloc-profile", "FILE", CLI_OUTPUT, profile_path,
            "write allocations by call stack at exit: pprof protobuf, or collapsed stacks for FILE.folded/.collapsed/.txt"),
    CLI_OPT("--leaks", "off|report|fail", CLI_ENUM, leaks,
            "at a restart and at exit, list heap blocks and pool slots still live by the site that allocated them "
            "(each heap allocation is noted: a few ns more); fail: also exit 3 if any (default off)"),
    CLI_OPT("--save-state", "FILE", CLI_OUTPUT, save_state_path,
            "write the whole state to FILE at exit and on the save key, to go on from with --load-state"),
    CLI_OPT("--load-state", "FILE", CLI_TEXT, load_state_path, "start from the state in FILE instead of init"),
    CLI_OPT("--record", "FILE", CLI_OUTPUT, record_path,
            "record every frame's input from the start (and the --load-state state) to FILE at exit"),
    CLI_OPT("--replay", "FILE", CLI_TEXT, replay_path, "run a recording's frames instead of live input, then exit"),
    CLI_OPT("--expect-checksum", "HEX", CLI_TEXT, expect_checksum,
            "exit 5 when the state's checksum at exit (the exit event's) is not HEX"),
    CLI_OPT("--rewind", "SECONDS", CLI_COUNT, rewind_seconds,
            "keep checkpoints of the last SECONDS to step back to with the rewind key (default 0: off)", .max = 3600),
    CLI_OPT("--rewind-every", "N", CLI_COUNT, rewind_every, "frames between rewind checkpoints (default 10)", .min = 1,
            .max = 100000),
    CLI_OPT("--loop-key", "KEY", CLI_KEY, loop_key,
            "the live loop's key: record, replay in a loop, leave (default L)"),
    CLI_OPT("--rewind-key", "KEY", CLI_KEY, rewind_key, "step back to the previous rewind checkpoint (default F7)"),
    CLI_OPT("--save-key", "KEY", CLI_KEY, save_key, "write the --save-state file now (default F8)"),
    CLI_OPT("--watch", NULL, CLI_FLAG, watch,
            "rebuild the game when one of its source files is saved (the folder above the library's build/ folder)",
            .reload = true),
    CLI_OPT("--build-command", "CMD", CLI_TEXT, build_command,
            "the build --watch runs, through the shell (default: SOURCES/build.sh)", .reload = true),
    CLI_OPT("--stats-diff", "A.json B.json", CLI_PAIR, stats_diff,
            "print what grew, shrank, appeared or vanished from snapshot A to snapshot B (--stats files) and exit",
            .reload = true),
    CLI_OPT("--help", NULL, CLI_FLAG, help, "print this help and exit (also -h)"),
    CLI_OPT("--version", NULL, CLI_FLAG, version, "print the host version and game ABI version and exit"),
};

static bool cli_offered(const cli_option *o, cli_mode mode) { return mode == CLI_HOST || !o->reload; }

void cli_print_help(FILE *out, const char *program, cli_mode mode)
{
    if (mode == CLI_HOST)
        fprintf(out, "usage: %s [options] GAME_LIBRARY\n\n"
                     "Runs a game library and reloads it whenever it is rebuilt, keeping all game memory at a\n"
                     "fixed address.\n\noptions:\n", program);
    else
        fprintf(out, "usage: %s [options]\n\n"
                     "Runs the game, which is linked into this executable (a release build: no reloading).\n\n"
                     "options:\n", program);
    for (size_t i = 0; i < ARRAY_COUNT(cli_options); i++) {
        const cli_option *o = &cli_options[i];
        if (!cli_offered(o, mode)) continue;
        char left[64];
        snprintf(left, sizeof(left), "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-22s %s\n", left, o->help);
    }
    fprintf(out, "\nSIZE takes K, M, G or T suffixes (binary); ADDR is decimal or 0x hex.\n"
                 "While it runs, SIGUSR1 (or the line \"stats\" on stdin when headless) prints the memory stats.\n"
                 "Keys in a window or terminal, whatever the game does: F1 memory stats, F2 a stats mark, F5\n"
                 "reload, F6 restart (init on a fresh state), F11 fullscreen, F12 screenshot\n"
                 "(screenshot-NNNN.png), Esc quits;\n"
                 "L the live loop (record, replay in a loop, leave), F7 rewind (--rewind), F8 save (--save-state).\n"
                 "\nexit status: 0 the run ended normally; 1 it could not start (one line says why); 2 a bad\n"
                 "command line; 3 the game crashed during the run (and was rolled back or went on), or\n"
                 "--leaks=fail found leaks; 4 the run ended with the game paused after a crash; 5 the state\n"
                 "ended with another checksum than --expect-checksum's. With --keep-going, crashes alone give 0.\n");
}

/* An argument as it can appear inside a one-line message: control bytes escaped, long ones cut. */
typedef struct cli_text {
    char s[96];
} cli_text;

static cli_text cli_quote(const char *arg)
{
    cli_text t;
    size_t n = 0;
    for (; *arg && n + 5 < sizeof(t.s); arg++) {
        unsigned char c = (unsigned char)*arg;
        if (c < 0x20 || c == 0x7f) n += (size_t)snprintf(t.s + n, sizeof(t.s) - n, "\\x%02x", c);
        else t.s[n++] = (char)c;
    }
    if (*arg && n + 4 <= sizeof(t.s)) memcpy(t.s + n, "...", 3), n += 3;
    t.s[n] = 0;
    return t;
}

static const cli_option *cli_find(const char *name, size_t len)
{
    if (len == 2 && strncmp(name, "-h", 2) == 0) name = "--help", len = 6;
    for (size_t i = 0; i < ARRAY_COUNT(cli_options); i++)
        if (strlen(cli_options[i].name) == len && strncmp(cli_options[i].name, name, len) == 0) return &cli_options[i];
    return NULL;
}

/* The field (a uint32_t) gets the index of `value` among the option's "a|b|c". */
static bool cli_set_choice(const cli_option *o, const char *value, uint32_t *field, host_error *err)
{
    size_t len = strlen(value);
    uint32_t i = 0;
    for (const char *c = o->arg; *c; i++) {
        size_t n = strcspn(c, "|");
        if (n == len && strncmp(c, value, n) == 0) return *field = i, true;
        c += n + (c[n] == '|');
    }
    return host_fail(err, "%s: '%s' is not one of %s", o->name, cli_quote(value).s, o->arg);
}

/* "WxH", each side from 1 to o->max. */
static bool cli_set_size2(const cli_option *o, const char *value, cli_size2 *field, host_error *err)
{
    char w[24], h[24];
    size_t x = strcspn(value, "xX");
    uint64_t width = 0, height = 0;
    bool ok = value[x] && x < sizeof(w) && strlen(value + x + 1) < sizeof(h);
    if (ok) {
        snprintf(w, sizeof(w), "%.*s", (int)x, value);
        snprintf(h, sizeof(h), "%s", value + x + 1);
        ok = units_parse_u64(w, &width) && units_parse_u64(h, &height) && width >= 1 && height >= 1 &&
             width <= o->max && height <= o->max;
    }
    if (!ok)
        return host_fail(err, "%s: '%s' is not a size like 320x180 (each side from 1 to %llu)", o->name,
                         cli_quote(value).s, (unsigned long long)o->max);
    field->width = (uint32_t)width;
    field->height = (uint32_t)height;
    return true;
}

static bool cli_set(const cli_option *o, const char *value, host_options *opts, host_error *err)
{
    void *field = (char *)opts + o->offset;
    uint64_t v = 0;
    switch (o->kind) {
    case CLI_FLAG: *(bool *)field = true; return true;
    case CLI_TEXT:
    case CLI_OUTPUT:
        if (!*value) return host_fail(err, "%s needs a non-empty %s", o->name, o->arg);
        *(const char **)field = value;
        return true;
    case CLI_COUNT:
        if (!units_parse_u64(value, &v) || v < o->min || v > o->max)
            return host_fail(err, "%s: '%s' is not a whole number from %llu to %llu", o->name, cli_quote(value).s,
                             (unsigned long long)o->min, (unsigned long long)o->max);
        break;
    case CLI_SIZE:
        if (!units_parse_size(value, &v) || v == 0)
            return host_fail(err, "%s: '%s' is not a size; use bytes or a K/M/G/T suffix, e.g. %s %s", o->name,
                             cli_quote(value).s, o->name, o->example);
        break;
    case CLI_ADDR:
        if (!units_parse_u64(value, &v) || v == 0)
            return host_fail(err, "%s: '%s' is not an address; use hex like 0x200000000000", o->name,
                             cli_quote(value).s);
        break;
    case CLI_ENUM: return cli_set_choice(o, value, (uint32_t *)field, err);
    case CLI_SIZE2: return cli_set_size2(o, value, (cli_size2 *)field, err);
    case CLI_PAIR: return true; /* cli_option_at takes both values */
    case CLI_KEY:
        if ((*(int32_t *)field = input_key_named(value)) < 0)
            return host_fail(err, "%s: '%s' is not a key; give a character, F1 to F12, or a name like Space or Tab "
                                  "(e.g. %s L)", o->name, cli_quote(value).s, o->name);
        return true;
    }
    *(uint64_t *)field = v;
    return true;
}

/* A word that is not an option: the game library (the host's only argument). */
static bool cli_argument(const char *a, cli_mode mode, host_options *opts, host_error *err)
{
    if (mode == CLI_RELEASE)
        return host_fail(err, "'%s': this is a release build with the game linked in; it takes no game library "
                              "(see --help)", cli_quote(a).s);
    if (opts->library)
        return host_fail(err, "two game libraries given ('%s' and '%s'); pass one", cli_quote(opts->library).s,
                         cli_quote(a).s);
    opts->library = a;
    return true;
}

/* One option at argv[*i] (its value may be the next argument). */
static bool cli_option_at(int argc, char **argv, int *i, cli_mode mode, host_options *opts, host_error *err)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    const cli_option *o = cli_find(a, eq ? (size_t)(eq - a) : strlen(a));
    if (!o) return host_fail(err, "unknown option '%s'; see --help", cli_quote(a).s);
    if (!cli_offered(o, mode))
        return host_fail(err, "%s is an option of the hot-reload host; this release build does not reload (see --help)",
                         o->name);
    const char *value = eq ? eq + 1 : NULL;
    if (o->kind == CLI_PAIR) {
        if (eq || *i + 2 >= argc) return host_fail(err, "%s needs two values (%s)", o->name, o->arg);
        const char **pair = (const char **)((char *)opts + o->offset);
        pair[0] = argv[++*i];
        pair[1] = argv[++*i];
        return true;
    }
    if (o->kind == CLI_FLAG && value) return host_fail(err, "%s takes no value", o->name);
    if (o->kind != CLI_FLAG && !value) {
        if (*i + 1 >= argc) return host_fail(err, "%s needs a value (%s)", o->name, o->arg);
        value = argv[++*i];
    }
    return cli_set(o, value, opts, err);
}

/* The loop, rewind and save keys: none of the keys the host takes in every game (host.c's host_keys),
 * and no two the same. */
static bool cli_check_keys(const host_options *o, host_error *err)
{
    static const int taken[] = {GAME_KEY_ESCAPE, GAME_KEY_F1, GAME_KEY_F2, GAME_KEY_F5,
                                GAME_KEY_F6,     GAME_KEY_F11, GAME_KEY_F12};
    const int32_t keys[] = {o->loop_key, o->rewind_key, o->save_key};
    static const char *const flags[] = {"--loop-key", "--rewind-key", "--save-key"};
    char name[32];
    for (size_t i = 0; i < ARRAY_COUNT(keys); i++) {
        input_key_name(keys[i], name, sizeof(name));
        for (size_t k = 0; k < ARRAY_COUNT(taken); k++)
            if (keys[i] == taken[k])
                return host_fail(err, "%s: %s is one of the host's own keys (Esc, F1, F2, F5, F6, F11, F12); pick another",
                                 flags[i], name);
        for (size_t k = 0; k < i; k++)
            if (keys[i] == keys[k]) return host_fail(err, "%s and %s are both %s; give each its own key", flags[k], flags[i], name);
    }
    return true;
}

cli_result cli_parse(int argc, char **argv, cli_mode mode, host_options *opts, host_error *err)
{
    memset(opts, 0, sizeof(*opts));
    opts->fps = 60;
    opts->probe_timeout = 5;
    opts->rewind_every = 10;
    opts->loop_key = 'l';
    opts->rewind_key = GAME_KEY_F7;
    opts->save_key = GAME_KEY_F8;
    opts->block = block_config_default();

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool ok = a[0] != '-' || a[1] == 0 ? cli_argument(a, mode, opts, err)
                                           : cli_option_at(argc, argv, &i, mode, opts, err);
        if (!ok) return CLI_BAD;
    }
    if (opts->help || opts->version || opts->stats_diff[0]) return CLI_DONE;
    if (opts->headless && opts->terminal)
        return host_fail(err, "--headless and --terminal exclude each other; pass one (or neither, for a window)"), CLI_BAD;
    if (!cli_check_keys(opts, err)) return CLI_BAD;
    if (mode == CLI_HOST && !opts->library)
        return host_fail(err, "no game library given; usage: host [options] GAME_LIBRARY (see --help)"), CLI_BAD;
    return CLI_RUN;
}

int cli_outputs(const host_options *opts, cli_output *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < ARRAY_COUNT(cli_options) && n < max; i++) {
        const cli_option *o = &cli_options[i];
        const char *path = o->kind == CLI_OUTPUT ? *(const char *const *)((const char *)opts + o->offset) : NULL;
        if (path) out[n++] = (cli_output){o->name, path};
    }
    return n;
}
