/* cli.c - option table, parser, help. */
#include "cli.h"
#include "base/units.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef enum cli_kind { CLI_FLAG, CLI_COUNT, CLI_SIZE, CLI_ADDR, CLI_TEXT, CLI_ENUM } cli_kind;

typedef struct cli_option {
    const char *name;
    const char *arg; /* the value's name in --help; NULL for flags; CLI_ENUM: the values, "a|b|c" */
    cli_kind kind;
    size_t offset;   /* of the field in host_options */
    uint64_t max;    /* for counts */
    const char *help;
} cli_option;

#define CLI_AT(field) offsetof(host_options, field)

static const cli_option cli_options[] = {
    {"--headless", NULL, CLI_FLAG, CLI_AT(headless), 0, "no terminal drawing or raw keys; game logs go to stdout"},
    {"--poll", NULL, CLI_FLAG, CLI_AT(poll), 0, "notice rebuilds by polling the library (for mounts without change events)"},
    {"--frames", "N", CLI_COUNT, CLI_AT(frames), UINT64_MAX, "exit after N frames (default: run until the game quits)"},
    {"--fps", "N", CLI_COUNT, CLI_AT(fps), 10000, "target frames per second; 0 = as fast as possible (default 60)"},
    {"--events", "FILE", CLI_TEXT, CLI_AT(events_path), 0, "write the event log (JSON Lines) to FILE"},
    {"--base", "ADDR", CLI_ADDR, CLI_AT(block.base), 0, "fixed base address of the block (default 0x200000000000)"},
    {"--reserve", "SIZE", CLI_SIZE, CLI_AT(block.reserve), 0, "bytes of address space to reserve (default 64G)"},
    {"--heap", "SIZE", CLI_SIZE, CLI_AT(block.heap_size), 0, "heap region inside the block, multiple of 32M (default 1G)"},
    {"--frame-arena", "SIZE", CLI_SIZE, CLI_AT(block.frame_size), 0, "capacity of each of the two frame arenas (default 256M)"},
    {"--scratch-arena", "SIZE", CLI_SIZE, CLI_AT(block.scratch_size), 0, "capacity of each scratch arena (default 256M)"},
    {"--on-layout-change", "migrate|restart|refuse", CLI_ENUM, CLI_AT(on_layout_change), 0,
     "when a reload changes the state's struct layout (default migrate)"},
    {"--watchdog", "SECONDS", CLI_COUNT, CLI_AT(watchdog), 86400,
     "warn, naming the game function it is in, when one call into the game runs SECONDS or longer (default 0: off)"},
    {"--no-stale-scan", NULL, CLI_FLAG, CLI_AT(no_stale_scan), 0,
     "after a reload, skip the scan of the block for pointers into the unloaded library"},
    {"--stats", "FILE", CLI_TEXT, CLI_AT(stats_path), 0,
     "write a memory stats snapshot (JSON) at exit, after each reload and on each stats request"},
    {"--stats-csv", "FILE", CLI_TEXT, CLI_AT(stats_csv_path), 0, "write one CSV row per frame per arena (used, pushes, bytes)"},
    {"--trace", "FILE", CLI_TEXT, CLI_AT(trace_path), 0,
     "write a Chrome/Perfetto trace (JSON): a counter track per arena, reload and crash markers"},
    {"--report", "FILE", CLI_TEXT, CLI_AT(report_path), 0, "write an HTML memory report (charts, top call sites) at exit"},
    {"--watch", NULL, CLI_FLAG, CLI_AT(watch), 0,
     "rebuild the game when one of its source files is saved (the folder above the library's build/ folder)"},
    {"--build-command", "CMD", CLI_TEXT, CLI_AT(build_command), 0,
     "the build --watch runs, through the shell (default: SOURCES/build.sh)"},
    {"--save-state", "FILE", CLI_TEXT, CLI_AT(save_state_path), 0,
     "write the whole state to FILE at exit and on the save key, to continue with --load-state"},
    {"--load-state", "FILE", CLI_TEXT, CLI_AT(load_state_path), 0, "start from the state in FILE instead of init"},
    {"--record", "FILE", CLI_TEXT, CLI_AT(record_path), 0,
     "record every frame's input from the start (with the --load-state state) to FILE at exit"},
    {"--replay", "FILE", CLI_TEXT, CLI_AT(replay_path), 0, "run a recording's frames instead of live input, then exit"},
    {"--expect-checksum", "HEX", CLI_TEXT, CLI_AT(expect_checksum), 0,
     "exit with status 5 when the state's checksum at exit (the exit event's) is not HEX"},
    {"--rewind", "SECONDS", CLI_COUNT, CLI_AT(rewind_seconds), 3600,
     "keep checkpoints of the last SECONDS to step back to with the rewind key (default 0: off)"},
    {"--rewind-every", "N", CLI_COUNT, CLI_AT(rewind_every), 100000, "frames between rewind checkpoints (default 10)"},
    {"--loop-key", "KEY", CLI_TEXT, CLI_AT(loop_key), 0, "the live loop's key: record, replay in a loop, leave (default l)"},
    {"--rewind-key", "KEY", CLI_TEXT, CLI_AT(rewind_key), 0, "step back to the previous rewind checkpoint (default b)"},
    {"--save-key", "KEY", CLI_TEXT, CLI_AT(save_key), 0, "write the --save-state file now (default k)"},
    {"--help", NULL, CLI_FLAG, CLI_AT(help), 0, "print this help and exit"},
    {"--version", NULL, CLI_FLAG, CLI_AT(version), 0, "print the host version and game ABI version and exit"},
};

void cli_print_help(FILE *out, const char *program)
{
    fprintf(out, "usage: %s [options] GAME_LIBRARY\n\n"
                 "Runs a game library and reloads it whenever it is rebuilt, keeping all game memory at a\n"
                 "fixed address.\n\noptions:\n", program);
    for (size_t i = 0; i < ARRAY_COUNT(cli_options); i++) {
        const cli_option *o = &cli_options[i];
        char left[64];
        snprintf(left, sizeof(left), "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-22s %s\n", left, o->help);
    }
    fprintf(out, "\nSIZE takes K, M, G or T suffixes (binary); ADDR is decimal or 0x hex.\n"
                 "While it runs, SIGUSR1 (or the line \"stats\" on stdin when headless) prints the memory stats.\n");
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

static bool cli_set(const cli_option *o, const char *value, host_options *opts, host_error *err)
{
    void *field = (char *)opts + o->offset;
    uint64_t v = 0;
    switch (o->kind) {
    case CLI_FLAG: *(bool *)field = true; return true;
    case CLI_TEXT:
        if (!*value) return host_fail(err, "%s needs a non-empty %s", o->name, o->arg);
        *(const char **)field = value;
        return true;
    case CLI_COUNT:
        if (!units_parse_u64(value, &v) || v > o->max)
            return host_fail(err, "%s: '%s' is not a whole number from 0 to %llu", o->name, cli_quote(value).s,
                             (unsigned long long)o->max);
        break;
    case CLI_SIZE:
        if (!units_parse_size(value, &v) || v == 0)
            return host_fail(err, "%s: '%s' is not a size; use bytes or a K/M/G/T suffix, e.g. %s 64G", o->name,
                             cli_quote(value).s, o->name);
        break;
    case CLI_ADDR:
        if (!units_parse_u64(value, &v) || v == 0)
            return host_fail(err, "%s: '%s' is not an address; use hex like 0x200000000000", o->name,
                             cli_quote(value).s);
        break;
    case CLI_ENUM: return cli_set_choice(o, value, (uint32_t *)field, err);
    }
    *(uint64_t *)field = v;
    return true;
}

cli_result cli_parse(int argc, char **argv, bool library_required, host_options *opts, host_error *err)
{
    memset(opts, 0, sizeof(*opts));
    opts->fps = 60;
    opts->rewind_every = 10;
    opts->loop_key = "l";
    opts->rewind_key = "b";
    opts->save_key = "k";
    opts->block = block_config_default();

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0) {
            if (opts->library)
                return host_fail(err, "two game libraries given ('%s' and '%s'); pass one", cli_quote(opts->library).s,
                                 cli_quote(a).s),
                       CLI_BAD;
            opts->library = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        const cli_option *o = cli_find(a, eq ? (size_t)(eq - a) : strlen(a));
        if (!o) return host_fail(err, "unknown option '%s'; see --help", cli_quote(a).s), CLI_BAD;
        const char *value = eq ? eq + 1 : NULL;
        if (o->kind == CLI_FLAG && value) return host_fail(err, "%s takes no value", o->name), CLI_BAD;
        if (o->kind != CLI_FLAG && !value) {
            if (i + 1 >= argc) return host_fail(err, "%s needs a value (%s)", o->name, o->arg), CLI_BAD;
            value = argv[++i];
        }
        if (!cli_set(o, value, opts, err)) return CLI_BAD;
    }
    if (opts->help || opts->version) return CLI_DONE;
    if (library_required && !opts->library)
        return host_fail(err, "no game library given; usage: host [options] GAME_LIBRARY (see --help)"), CLI_BAD;
    return CLI_RUN;
}
