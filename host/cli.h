/* cli.h - the host's command line: one table of options drives parsing, --help and the check of the
 * output files at start. The release build (the game linked in, HOST_RELEASE) has the same table
 * without the options that are about reloading, and takes no library. */
#ifndef CLI_H
#define CLI_H

#include "base/block.h"
#include "base/error.h"

#include <stdio.h>

#define HOST_VERSION "0.1.0"

/* --resolution WxH */
typedef struct cli_size2 {
    uint32_t width, height;
} cli_size2;

typedef struct host_options {
    const char *library; /* the game library the user named */
    bool headless;       /* no window, no terminal, no audio device */
    bool terminal;       /* the terminal instead of a window */
    cli_size2 resolution; /* a fixed picture; 0 x 0: the picture follows the window */
    bool fullscreen;
    bool no_vsync;
    const char *screenshot_path; /* --screenshot: the last frame's picture as PNG at exit */
    bool poll;       /* watch the library by polling instead of inotify / ReadDirectoryChangesW */
    uint64_t frames; /* exit after this many frames; 0 = run until the game quits */
    uint64_t fps;    /* 0 = as fast as possible */
    const char *events_path;
    block_config block;
    bool help;
    bool version;
    uint32_t on_layout_change; /* a layout_policy (layout.h) */
    uint64_t watchdog;         /* seconds one game call may run before a warning; 0 = no watchdog */
    uint32_t stale_pointers;   /* a stale_mode (stale.h): repair, warn or off */
    uint32_t old_code;         /* a reload_old_code (reload.h): fence or forward */
    const char *stats_path;     /* --stats: JSON snapshots of the allocation stats */
    const char *stats_csv_path; /* --stats-csv: a row per frame per arena */
    const char *trace_path;     /* --trace: Chrome/Perfetto trace */
    const char *report_path;    /* --report: HTML report at exit */
    const char *profile_path;   /* --alloc-profile: allocations by call stack at exit (pprof or collapsed) */
    uint32_t leaks;             /* --leaks: a stats_leaks_mode (off, report, fail) */
    const char *stats_diff[2];  /* --stats-diff A B: compare two snapshots and exit */
    bool watch;                 /* --watch: run the game's build when a source file is saved */
    const char *build_command;  /* --build-command: what --watch runs (default SOURCES/build.sh) */
    bool no_probe;              /* --no-probe: open new builds without the probe process */
    uint64_t probe_timeout;     /* --probe-timeout: seconds the probe may run a build's first code */
    bool keep_going;            /* --keep-going: exit 0 even after game crashes */
    const char *save_state_path; /* --save-state: the state written at exit and on the save key */
    const char *load_state_path; /* --load-state: the state read at the start, instead of init */
    const char *record_path;     /* --record: every frame's input from the start, written at exit */
    const char *replay_path;     /* --replay: a recording's frames instead of live input */
    const char *expect_checksum; /* --expect-checksum: exit 5 when the state ends with another checksum */
    uint64_t rewind_seconds;     /* --rewind: how far back the rewind ring reaches; 0 = off */
    uint64_t rewind_every;       /* --rewind-every: frames between the ring's checkpoints */
    int32_t loop_key;            /* --loop-key: a game_key; starts, replays and ends the live loop */
    int32_t rewind_key;          /* --rewind-key: steps back through the ring */
    int32_t save_key;            /* --save-key: writes --save-state now */
} host_options;

/* Which executable parses: the hot-reload host, or a game's release build. */
typedef enum cli_mode { CLI_RELEASE, CLI_HOST } cli_mode;

typedef enum cli_result {
    CLI_RUN,  /* options are good: run */
    CLI_DONE, /* --help, --version or --stats-diff: do that and exit */
    CLI_BAD,  /* err says what is wrong: exit 2 */
} cli_result;

/* Parses argv into opts (defaults first). */
cli_result cli_parse(int argc, char **argv, cli_mode mode, host_options *opts, host_error *err);

/* The --help text. */
void cli_print_help(FILE *out, const char *program, cli_mode mode);

/* An output file the options name: its flag and path. */
typedef struct cli_output {
    const char *flag;
    const char *path;
} cli_output;

/* The output files given (up to max), so the host can check each at start; returns the count. */
int cli_outputs(const host_options *opts, cli_output *out, int max);

#endif
