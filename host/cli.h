/* cli.h - the host's command line: one table of options drives parsing and --help. */
#ifndef CLI_H
#define CLI_H

#include "base/block.h"
#include "base/error.h"

#include <stdio.h>

#define HOST_VERSION "0.1.0"

typedef struct host_options {
    const char *library; /* the game library the user named */
    bool headless;
    bool poll;       /* watch the library by polling instead of inotify / ReadDirectoryChangesW */
    uint64_t frames; /* exit after this many frames; 0 = run until the game quits */
    uint64_t fps;    /* 0 = as fast as possible */
    const char *events_path;
    block_config block;
    bool help;
    bool version;
    uint32_t on_layout_change; /* a layout_policy (layout.h) */
    uint64_t watchdog;         /* seconds one game call may run before a warning; 0 = no watchdog */
    bool no_stale_scan;        /* skip the stale-pointer scan after reloads */
    const char *stats_path;     /* --stats: JSON snapshots of the allocation stats */
    const char *stats_csv_path; /* --stats-csv: a row per frame per arena */
    const char *trace_path;     /* --trace: Chrome/Perfetto trace */
    const char *report_path;    /* --report: HTML report at exit */
    bool watch;                 /* --watch: run the game's build when a source file is saved */
    const char *build_command;  /* --build-command: what --watch runs (default SOURCES/build.sh) */
    const char *save_state_path; /* --save-state: the state written at exit and on the save key */
    const char *load_state_path; /* --load-state: the state read at the start, instead of init */
    const char *record_path;     /* --record: every frame's input from the start, written at exit */
    const char *replay_path;     /* --replay: a recording's frames instead of live input */
    const char *expect_checksum; /* --expect-checksum: exit 5 when the state ends with another checksum */
    uint64_t rewind_seconds;     /* --rewind: how far back the rewind ring reaches; 0 = off */
    uint64_t rewind_every;       /* --rewind-every: frames between the ring's checkpoints */
    const char *loop_key;        /* --loop-key: starts, replays and ends the live loop (default l) */
    const char *rewind_key;      /* --rewind-key: steps back through the ring (default b) */
    const char *save_key;        /* --save-key: writes --save-state now (default k) */
} host_options;

typedef enum cli_result {
    CLI_RUN,  /* options are good: run */
    CLI_DONE, /* --help or --version: print and exit 0 */
    CLI_BAD,  /* err says what is wrong: exit 2 */
} cli_result;

/* Parses argv into opts (defaults first). `library_required` is false for the release build. */
cli_result cli_parse(int argc, char **argv, bool library_required, host_options *opts, host_error *err);

/* The --help text. */
void cli_print_help(FILE *out, const char *program);

#endif
