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

/* Appends raw bytes (the buffer stays NUL-terminated after them). */
void report_bytes(report_buf *b, const void *data, size_t size);
void report_printf(report_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* s as the body of a JSON string (no quotes); also safe in HTML text and attributes. */
void report_escape_json(report_buf *b, const char *s);
void report_escape_html(report_buf *b, const char *s);
void report_buf_free(report_buf *b);

/* ---- diffs: what grew, shrank, appeared or vanished between two moments ----------------- */

typedef enum report_change { REPORT_SAME, REPORT_GREW, REPORT_SHRANK, REPORT_APPEARED, REPORT_VANISHED } report_change;
#define REPORT_CHANGES 5

typedef struct report_diff_row {
    const char *kind; /* "arena", "heap", "tag", "site", "host site" */
    char name[200];
    const char *unit; /* "B/frame" or "B" */
    double a, b;
    report_change change;
} report_diff_row;

typedef struct report_diff {
    report_diff_row *rows;
    uint32_t count, cap;
    uint32_t changes[REPORT_CHANGES]; /* rows of each kind of change */
    bool failed;                      /* out of memory: rows are missing */
} report_diff;

/* One row: present in A and/or B with its value there. A row present in both with values that
 * differ by less than half a byte is the same. */
void report_diff_add(report_diff *d, const char *kind, const char *name, const char *unit, bool in_a, double a,
                     bool in_b, double b);
/* Orders the rows by how much they changed, most first (appeared and vanished by their value). */
void report_diff_sort(report_diff *d);
void report_diff_free(report_diff *d);
extern const char *const report_change_names[REPORT_CHANGES]; /* "same", "grew", ... */
/* The diff as one terminal table: the `rows` biggest changes, then the counts. */
void report_diff_text(report_buf *b, const report_diff *d, uint32_t rows);
/* The same as an HTML table (report_html.c). */
void report_diff_html(report_buf *b, const report_diff *d, uint32_t rows);

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

/* A frame above a push site: the calling function and where in it ("file.c:12", "" if unknown). */
typedef struct report_frame_name {
    const char *func;
    const char *where;
} report_frame_name;

typedef struct report_site {
    const char *file, *func;
    uint32_t line;
    uint64_t pushes, bytes, frame_pushes, frame_bytes, peak_bytes, peak_frame;
    const char *arena; /* where most of its bytes went */
    uint32_t id;       /* in the table (its series) */
    bool host;         /* the host's own code */
    uint32_t depth;    /* frames above the push, the caller first */
    report_frame_name frames[ARENA_STATS_CALLERS];
    uint64_t live, live_bytes; /* heap blocks or pool slots it allocated that are still live */
} report_site;

typedef struct report_tag {
    const char *name;
    uint64_t pushes, bytes, frame_pushes, frame_bytes, peak_bytes, peak_frame;
    uint32_t id; /* in the table (its series) */
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
    const char *mark_name;          /* the last mark set (host->stats_mark, "mark" on stdin), or NULL */
    uint64_t mark_frame;            /* the last frame ended before it */
    report_diff since_mark;         /* bytes per frame before the mark against since */
} report_snapshot;

void report_json(report_buf *b, const report_snapshot *s);

/* The allocation profile (--alloc-profile): pprof's protobuf (profile.proto, through protobuf-c),
 * one sample per site with its call stack and the values alloc_objects, alloc_space (pushes and
 * bytes), inuse_objects, inuse_space (heap blocks and pool slots still live); or collapsed stacks,
 * "caller;site bytes" per line, for a path ending in .folded, .collapsed or .txt. */
bool report_profile_is_collapsed(const char *path);
void report_pprof(report_buf *b, const report_snapshot *s);
void report_collapsed(report_buf *b, const report_snapshot *s);
/* The live summary: at most `rows` lines (the top sites are cut first) no wider than `width`. */
void report_text(report_buf *b, const report_snapshot *s, int width, int rows);

/* ---- one frame, for the streams ---------------------------------------------------------- */

typedef struct report_frame_arena {
    const char *name;
    uint64_t used, high_water, pushes, bytes, committed;
} report_frame_arena;

typedef struct report_frame {
    const arena_stats_table *table; /* its sites and tags: their bytes in this frame */
    uint64_t frame;
    double start_us, end_us; /* since the host started */
    report_frame_arena arenas[REPORT_MAX_ARENAS];
    uint32_t arena_count;
    int current;  /* the frame arena the frame used (index in arenas), or -1 */
    bool has_heap;
    uint64_t heap_used, heap_committed;
} report_frame;

/* "stats.c:40 stats_frame_text < stats_update": a site as one short line (file without its folder,
 * the push, its caller). */
void report_site_label(const arena_stats_table *t, uint32_t id, char *out, size_t cap);

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
    char text[1024]; /* the event's whole message */
    int change;      /* a reload: its index in the timeline's changes, else -1 */
} report_mark;

/* What changed across a reload: the bytes per frame of sites and tags in the frames before it
 * against the frames after it (the biggest changes only). */
typedef struct report_change_set {
    uint64_t frame;
    char title[64];          /* "reload to version 3" */
    uint64_t frames_before, frames_after;
    report_diff diff;
} report_change_set;

typedef struct report_timeline {
    uint32_t series_count;
    report_series series[REPORT_MAX_ARENAS + 2];
    report_mark marks[REPORT_MARKS];
    uint32_t mark_count;
    uint64_t marks_dropped;
    report_change_set changes[REPORT_MARKS];
    uint32_t change_count;
} report_timeline;

void report_timeline_init(report_timeline *t);
/* The series named `name`, made on first use (NULL when there is no room). */
report_series *report_timeline_series(report_timeline *t, const char *name, uint64_t capacity);
/* Adds one frame's figures to a series; call it for every series every frame. */
void report_series_add(report_series *s, uint64_t frame, uint64_t high_water, uint64_t bytes);
/* A marker on every chart; returns it (NULL when the list is full) so a reload can be given its
 * changes later. */
report_mark *report_timeline_mark(report_timeline *t, uint64_t frame, const char *name, const char *text);
/* The changes of a reload marker (its diff is the timeline's to free); NULL when there is no room. */
report_change_set *report_timeline_changes(report_timeline *t, report_mark *m);
void report_timeline_free(report_timeline *t);

void report_html(report_buf *b, const report_snapshot *s, const report_timeline *t);

#endif
