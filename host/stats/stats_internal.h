/* stats_internal.h - what the files of the stats room share: the host's stats state. stats.c runs
 * it (start, frames, requests, stop), stats_collect.c turns the table into snapshots and names the
 * code in them, stats_leaks.c reports what is still live at a restart or at exit. */
#ifndef STATS_INTERNAL_H
#define STATS_INTERNAL_H

#include "heap_sites.h"
#include "report.h"
#include "stats.h"
#include "../os/lines.h"
#include "../os/symbols.h"

#include <signal.h>

/* The arenas of the block, in the order the outputs list them. The stats table tracks the game's;
 * the host arena (which holds the table) is listed in snapshots only, so the host's own tables do
 * not crowd the game's call sites. */
typedef enum stats_arena {
    STATS_PERSISTENT,
    STATS_FRAME0,
    STATS_FRAME1,
    STATS_SCRATCH0,
    STATS_SCRATCH1,
    STATS_TRACKED,
    STATS_HOST = STATS_TRACKED,
    STATS_ARENAS
} stats_arena;

/* A moment to compare with (stats_marks.c): bytes per frame of each site and tag before it. */
typedef struct stats_moment {
    char name[64];
    uint64_t frame;     /* the last frame ended before it */
    uint64_t frames_at; /* frames ended before it */
    uint32_t sites, tags;
    double *before;     /* sites, then tags; < 0: no frame kept */
    double arena_before[ARENA_STATS_MAX_TRACKED]; /* mean high-water */
    uint64_t heap_before;
    bool taken;
} stats_moment;

/* The host's own executable, described to the table as module 0 and named with its own lines. */
typedef struct stats_self {
    symbols_self_image image;
    symbol_table symbols;
    lines *lines;
} stats_self;

struct host_stats {
    stats_config cfg;
    block_header *block;
    const heap_region *heap;
    event_log *events;
    arena_stats_table *table;
    stats_self self;
    uint32_t named;            /* sites whose frames have their source lines (ids below it) */
    volatile uint32_t lines_lock; /* one source-line look-up at a time (stats_frame_line) */
    heap_sites heap_sites;     /* with --leaks: the owner of each heap block */
    bool heap_tracked;
    uint64_t leaks_found;      /* bytes still live at restarts and at exit */
    FILE *csv, *trace;         /* the trace unbuffered: written a whole frame (or marker) per write */
    report_buf trace_text;     /* the records not written yet */
    report_timeline *timeline; /* with --report */
    bool frames_started;       /* the first frame began: init's pushes count for no frame */
    double frame_start_us;
    uint64_t warned[STATS_TRACKED]; /* the highest frame high-water warned about, per arena */
    volatile sig_atomic_t requested; /* host->stats_request (a game thread may ask) */
    bool reloaded;             /* a reload since the last frame: write a snapshot */
    uint64_t reloads;
    bool overlay;              /* the summary drawn over the game (terminal) */
    report_buf overlay_text;
    uint64_t overlay_frame;
    bool warned_write;         /* a failed write of a snapshot was reported */
    stats_moment mark;         /* the last mark, for "since mark" */
    volatile char mark_asked[64];       /* host->stats_mark's name, until the next frame */
    volatile sig_atomic_t mark_wanted;
    stats_moment reload;       /* the last reload, until its changes are measured */
    report_change_set *reload_changes; /* where they go (the --report timeline) */
    report_change_set *reload_next;    /* a reload's, until the frame under way ends */
    bool ready;                /* started: write the outputs at exit */
};

/* The stats list the block's arenas in the block's own order (block_arena). */
static inline arena *stats_arena_of(const host_stats *st, stats_arena i) { return block_arena(st->block, (int)i); }

/* stats_collect.c */
report_snapshot stats_collect(host_stats *st, const char *reason, uint64_t version);
void stats_snapshot_free(report_snapshot *s);
/* "file.c:12" for a frame (a heap_sites_line_fn: ctx is the host_stats). */
bool stats_frame_line(void *ctx, const arena_stats_frame *f, char *out, size_t cap);
/* Gives the frames of the sites added since the last call their source lines. */
void stats_name_sites(host_stats *st);
/* Describes the host's own code to the table (module 0); a warning when it cannot. */
void stats_describe_host(host_stats *st);
void stats_forget_host(host_stats *st);

/* stats_marks.c */
void stats_moment_take(host_stats *st, stats_moment *m, const char *name);
void stats_moment_free(stats_moment *m);
/* Bytes per frame before the moment against since, as a sorted diff. */
void stats_moment_diff(host_stats *st, const stats_moment *m, report_diff *d);
/* A mark asked for since the last frame (by the game, or on stdin when `read_stdin`). */
void stats_marks_frame(host_stats *st, bool read_stdin);
/* A reload happened (and the last frame of the old code ended): its changes will go to `changes`
 * (NULL: nowhere). */
void stats_reload_begin(host_stats *st, report_change_set *changes);
/* Measures the last reload's changes once enough frames passed, or now when `last`. */
void stats_reload_tick(host_stats *st, bool last);

/* stats_leaks.c: the heap blocks and pool slots still live, by site, into the snapshot's sites. */
void stats_collect_live(host_stats *st, report_snapshot *s);

#endif
