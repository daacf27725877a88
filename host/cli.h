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
    uint32_t stale_pointers;   /* a stale_mode (stale.h): repair, warn or off */
    uint32_t old_code;         /* a reload_old_code (reload.h): fence or forward */
    const char *stats_path;     /* --stats: JSON snapshots of the allocation stats */
    const char *stats_csv_path; /* --stats-csv: a row per frame per arena */
    const char *trace_path;     /* --trace: Chrome/Perfetto trace */
    const char *report_path;    /* --report: HTML report at exit */
    bool watch;                 /* --watch: run the game's build when a source file is saved */
    const char *build_command;  /* --build-command: what --watch runs (default SOURCES/build.sh) */
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
