/* stats.h - allocation profiling in the running host.
 *
 * The stats table (arena/arena_stats.h) lives in the block's host arena and tracks every arena of
 * the block, so counts per call site and per tag survive reloads and restarts. Around it the stats
 * end each frame's counts, warn when a frame arena passes 90% of its capacity, answer requests for
 * the live summary (the game's host->stats_request, SIGUSR1, "stats" on stdin when headless) and
 * write the files asked for on the command line:
 *
 *     --stats FILE.json    a snapshot at exit, after every reload and on every request
 *     --stats-csv FILE     one row per frame per arena
 *     --trace FILE.json    Chrome/Perfetto trace: a counter track per arena, reload/crash markers
 *     --report FILE.html   at exit: charts of the whole run, top call sites and tags
 *     --alloc-profile FILE at exit: allocations by call stack, pprof's protobuf or collapsed stacks
 *     --leaks=report|fail  heap blocks and pool slots still live at a restart and at exit, by site
 *
 * Reloads, crashes and warnings reach the stats through the event log (they observe it), so the
 * stats know nothing of the reload core. The life of the stats, from the host's frame loop:
 *     stats_start    after the block is set up, before the game's init
 *     stats_frame    at the start of every frame, before the frame arena is cleared
 *     stats_overlay  the summary to draw over the game, while it is toggled on
 *     stats_leaks    before a restart throws the state away, and after the game's shutdown
 *     stats_stop     at exit, before the game's shutdown (the outputs), then stats_free */
#ifndef STATS_H
#define STATS_H

#include "../base/block.h"
#include "../base/events.h"
#include "../../arena/heap.h"

#include <stdio.h>

#define STATS_WARN_PERCENT 90 /* a frame arena this full at the end of a frame gets a warning */

typedef enum stats_leaks_mode { STATS_LEAKS_OFF, STATS_LEAKS_REPORT, STATS_LEAKS_FAIL } stats_leaks_mode;

/* The source line of code in a game build, from the builds the reload core keeps: the stats do not
 * reach the reload core, so the host hands them this. `offset` is from the build's start. */
typedef struct stats_code {
    void *ctx;
    bool (*line)(void *ctx, uint32_t version, uint64_t offset, char *out, size_t cap); /* "file.c:12" */
} stats_code;

typedef struct stats_config {
    const char *json_path;    /* --stats */
    const char *csv_path;     /* --stats-csv */
    const char *trace_path;   /* --trace */
    const char *report_path;  /* --report */
    const char *profile_path; /* --alloc-profile */
    uint32_t leaks;           /* --leaks: a stats_leaks_mode */
    stats_code code;
} stats_config;

typedef struct host_stats host_stats;

/* Opens the outputs; false with the reason. *out is set even then: stats_stop frees it. */
bool stats_start(host_stats **out, const stats_config *cfg, block_header *block, const heap_region *heap,
                 event_log *events, host_error *err);
/* Frame `frame` begins: ends the previous frame's counts (the CSV row, the trace counters, the 90%
 * check), then answers what was asked since: a snapshot after a reload, and on a request the
 * summary (on stdout, or with `interactive` as the overlay's toggle) and a snapshot. */
void stats_frame(host_stats *st, uint64_t frame, uint64_t version, bool interactive);
/* The summary to draw over the game (refreshed every few frames), or NULL while it is off. */
const char *stats_overlay(host_stats *st, uint64_t frame, uint64_t version, int columns, int rows);
/* While the overlay is on: the frame arena's use (bytes pushed, as a share of the most any of them
 * pushed) in each of the last frames, at most `max`, oldest first; the count, and a line saying
 * what it shows (the last frame's bytes, the peak, and the peak's share of the capacity). */
int stats_frame_graph(host_stats *st, float *share, int max, char *label, size_t cap);
/* Before frame `frame` would begin: ends the last frame, writes the exit snapshot, the HTML
 * report and the allocation profile, closes the files. */
void stats_stop(host_stats *st, uint64_t frame, uint64_t version);
void stats_free(host_stats *st);

/* The table, which the reload core tells where each build's code is (reload_world.code_map). */
arena_stats_table *stats_table(host_stats *st);
/* The owner map the heap services note each allocation in; NULL without --leaks. */
struct heap_sites *stats_heap_sites(host_stats *st);

/* With --leaks: the heap blocks and pool slots still live, by site, on stderr and as a `leaks`
 * event (`when`: "restart", "shutdown"); the bytes found. */
uint64_t stats_leaks(host_stats *st, const char *when, uint64_t version);
/* --leaks=fail and some leak was found: the host exits with STATS_EXIT_LEAKS. */
bool stats_leaks_failed(const host_stats *st);
#define STATS_EXIT_LEAKS 3

/* host --stats-diff A B (stats_diff.c): the table of what changed from snapshot A to snapshot B on
 * `out`; 0, or 1 with one line on `errs` when a file cannot be read. */
int stats_diff_files(const char *a_path, const char *b_path, FILE *out, FILE *errs);

/* The services behind host_api's stats_tag and stats_request. A request is answered at the start
 * of the next frame. */
uint32_t stats_tag(host_stats *st, const char *name);
void stats_request(host_stats *st);
/* host_api's stats_mark: the reports compare with this moment ("since mark"); set at the start of
 * the next frame, with a `mark` event. */
void stats_mark(host_stats *st, const char *name);

#endif
