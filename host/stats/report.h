/* report.h - the stats outputs, written from plain data the host collects (stats.c):
 *
 *     report_json     a snapshot: arenas, pools, heap, call sites, tags, frame history (--stats)
 *     report_csv_*    one row per frame per arena (--stats-csv)
 *     report_trace_*  Chrome/Perfetto JSON trace: counter tracks per arena, markers (--trace)
 *     report_html     one self-contained page with inline SVG charts (--report)
 *     report_text     the live summary table (SIGUSR1, "stats" on stdin, a key in the game)
 *
 * The writers know nothing of the host or the block: everything they print is in the structs below,
 * so each one is tested on made-up numbers. Whole documents are built in a report_buf and written
 * at once (fs_write_atomic); the per-frame streams go to a FILE. Schemas: README.md, "Profiling". */
#ifndef REPORT_H
#define REPORT_H

#include "../../arena/arena_stats.h"
#include "../../arena/heap.h"

#include <stdio.h>

#define REPORT_SCHEMA "hotblock-stats/1"
#define REPORT_MAX_ARENAS ARENA_STATS_MAX_TRACKED

/* ---- a growing text buffer --------------------------------------------------------------- */

typedef struct report_buf {
    char *data; /* NUL-terminated; malloc'd */
    size_t len;
    size_t cap;
    bool failed; /* out of memory: the text is cut short */
} report_buf;

void report_printf(report_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void report_append(report_buf *b, const char *data, size_t size);
/* s as the body of a JSON string (no quotes); also safe in HTML text and attributes. */
void report_escape_json(report_buf *b, const char *s);
void report_escape_html(report_buf *b, const char *s);
void report_buf_free(report_buf *b);

/* ---- a snapshot -------------------------------------------------------------------------- */

/* "frame_" figures are those of the last frame ended. */
typedef struct report_arena {
    const char *name;
    const char *kind; /* "persistent", "frame", "scratch", "host" */
    uint64_t reserved, committed, used, high_water, frame_high_water;
    uint64_t pushes, bytes, frame_pushes, frame_bytes;
    uint64_t bytes_popped, resets, padding, failures;
    int tracked; /* its index in the stats table (for the history) */
} report_arena;

typedef struct report_site {
    const char *file, *func;
    uint32_t line;
    uint64_t pushes, bytes, frame_pushes, frame_bytes, peak_bytes, peak_frame;
    const char *arena; /* where most of its bytes went */
} report_site;

typedef struct report_tag {
    const char *name;
    uint64_t pushes, bytes, frame_pushes, frame_bytes, peak_bytes, peak_frame;
} report_tag;

typedef struct report_pool {
    const char *name, *arena;
    uint64_t slot_size, live, slots, high_water, allocs, frees;
} report_pool;

typedef struct report_snapshot {
    const char *reason;  /* "exit", "reload", "request" */
    uint64_t frame;      /* the last frame ended */
    uint64_t frames;     /* frames ended so far */
    double t_ms;
    uint64_t version, reloads;
    report_arena arenas[REPORT_MAX_ARENAS];
    uint32_t arena_count;
    report_site *sites; /* by bytes, most first */
    uint32_t site_count;
    report_tag *tags;   /* by bytes, most first */
    uint32_t tag_count;
    report_pool *pools;
    uint32_t pool_count;
    bool has_heap;
    heap_stats heap;
    uint64_t refused;   /* sites, tags or pools the table had no room for */
    const arena_stats_table *table; /* the history of each arena, for report_json */
} report_snapshot;

void report_json(report_buf *b, const report_snapshot *s);
/* The live summary: at most `rows` lines (the top sites are cut first) no wider than `width`. */
void report_text(report_buf *b, const report_snapshot *s, int width, int rows);

/* ---- one frame, for the streams ---------------------------------------------------------- */

typedef struct report_frame_arena {
    const char *name;
    uint64_t used, high_water, pushes, bytes, committed;
} report_frame_arena;

typedef struct report_frame {
    uint64_t frame;
    double start_us, end_us; /* since the host started */
    report_frame_arena arenas[REPORT_MAX_ARENAS];
    uint32_t arena_count;
    int current;  /* the frame arena the frame used (index in arenas), or -1 */
    bool has_heap;
    uint64_t heap_used, heap_committed;
} report_frame;

void report_csv_header(FILE *f);
void report_csv_frame(FILE *f, const report_frame *fr);

/* The trace is appended to `b` in whole records (each starts with ",\n"), so that a file cut after
 * any record reads as JSON once "]" is added: the caller writes each piece in one write. */
void report_trace_begin(report_buf *b);
void report_trace_frame(report_buf *b, const report_frame *fr);
/* An instant marker across all tracks: a reload, a crash, a warning. `args_json` is an object. */
void report_trace_mark(report_buf *b, const char *name, double t_us, const char *args_json);
void report_trace_end(report_buf *b);

/* ---- the whole run, for the HTML report -------------------------------------------------- */

#define REPORT_POINTS 720 /* points per series; older frames are merged two by two */
#define REPORT_MARKS 64

/* One point covers frames [first, last]: the highest high-water among them, and their bytes. */
typedef struct report_point {
    uint64_t first, last;
    uint64_t high_water, bytes;
} report_point;

typedef struct report_series {
    char name[ARENA_NAME_MAX];
    uint64_t capacity; /* 0 when it has none worth drawing */
    report_point points[REPORT_POINTS];
    uint32_t count;
    uint32_t stride;      /* frames per point */
    report_point pending; /* frames gathered toward the next point */
    uint32_t pending_frames;
} report_series;

typedef struct report_mark {
    uint64_t frame;
    char name[24];
    char text[104];
} report_mark;

typedef struct report_timeline {
    uint32_t series_count;
    report_series series[REPORT_MAX_ARENAS + 2];
    report_mark marks[REPORT_MARKS];
    uint32_t mark_count;
    uint64_t marks_dropped;
} report_timeline;

void report_timeline_init(report_timeline *t);
/* The series named `name`, made on first use (NULL when there is no room). */
report_series *report_timeline_series(report_timeline *t, const char *name, uint64_t capacity);
/* Adds one frame's figures to a series; call it for every series every frame. */
void report_series_add(report_series *s, uint64_t frame, uint64_t high_water, uint64_t bytes);
void report_timeline_mark(report_timeline *t, uint64_t frame, const char *name, const char *text);

void report_html(report_buf *b, const report_snapshot *s, const report_timeline *t);

#endif
