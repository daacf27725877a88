/* stats.h - allocation profiling in the running host.
 *
 * The stats table (arena/arena_stats.h) lives in the block's host arena and tracks every arena of
 * the block, so counts per call site and per tag survive reloads and restarts. Around it the host
 * ends each frame's counts, warns when a frame arena passes 90% of its capacity, answers requests
 * for the live summary (the game's host->stats_request, SIGUSR1, "stats" on stdin when headless)
 * and writes the files asked for on the command line:
 *
 *     --stats FILE.json    a snapshot at exit, after every reload and on every request
 *     --stats-csv FILE     one row per frame per arena
 *     --trace FILE.json    Chrome/Perfetto trace: a counter track per arena, reload/crash markers
 *     --report FILE.html   at exit: charts of the whole run, top call sites and tags
 *
 * The life of the stats, from host.c:
 *     stats_start   after the block is set up, before the game's init
 *     stats_frame   at the start of every frame, before the frame arena is cleared
 *     stats_draw    after the game drew a frame (the summary overlay in a terminal)
 *     stats_stop    at exit, before the game's shutdown */
#ifndef STATS_H
#define STATS_H

#include "error.h"

#include <stdbool.h>
#include <stdint.h>

#define STATS_WARN_PERCENT 90 /* a frame arena this full at the end of a frame gets a warning */

struct host;

bool stats_start(struct host *h, host_error *err);
/* Ends the previous frame's counts (the CSV row, the trace counters, the 90% check), then answers
 * what was asked since: a snapshot after a reload, the summary and a snapshot on a request. */
void stats_frame(struct host *h);
void stats_draw(struct host *h);
/* Ends the last frame, writes the exit snapshot and the HTML report, closes the files. */
void stats_stop(struct host *h);

/* The services behind host_api's stats_tag and stats_request. A request is answered at the start
 * of the next frame: headless, the summary goes to stdout; in a terminal it toggles an overlay. */
uint32_t stats_tag(struct host *h, const char *name);
void stats_request(struct host *h);

#endif
