/* stats.c - the host's side of the allocation stats: the table in the block, frame ends, warnings,
 * requests, and the output files (see stats.h). */
#include "stats.h"
#include "../base/units.h"
#include "../os/fs.h"
#include "../os/stats_input.h"
#include "report.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define STATS_OVERLAY_REFRESH 15 /* frames between refreshes of the overlay's figures */
#define STATS_SUMMARY_WIDTH 120
#define STATS_SUMMARY_ROWS 60
#define STATS_EVENT_SITES 5      /* top sites named in a stats event */

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

static const char *const stats_kinds[STATS_ARENAS] = {"persistent", "frame", "frame", "scratch", "scratch", "host"};

typedef struct host_stats {
    stats_config cfg;
    block_header *block;
    const heap_region *heap;
    event_log *events;
    arena_stats_table *table;
    FILE *csv, *trace;
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
    bool ready;                /* started: write the outputs at exit */
} host_stats;

static double stats_now_us(const host_stats *st) { return st->events->now_ms() * 1000.0; }

/* The stats list the block's arenas in the block's own order (block_arena). */
static arena *stats_arena_of(const host_stats *st, stats_arena i) { return block_arena(st->block, (int)i); }

/* ---- a snapshot -------------------------------------------------------------------------- */

static void stats_collect_arena(report_snapshot *s, const arena *a, const char *kind, int tracked)
{
    const arena_history_entry *last = tracked >= 0 ? arena_stats_history(s->table, (uint32_t)tracked, 0) : NULL;
    report_arena *r = &s->arenas[s->arena_count++];
    r->name = a->name;
    r->kind = kind;
    r->reserved = a->capacity;
    r->committed = a->committed;
    r->used = a->pos;
    r->high_water = arena_stats_high_water(a);
    r->frame_high_water = last ? last->high_water : 0;
    r->pushes = arena_stats_pushes(a);
    r->bytes = arena_stats_bytes(a);
    r->frame_pushes = last ? last->pushes : 0;
    r->frame_bytes = last ? last->bytes : 0;
    r->bytes_popped = a->stats.bytes_popped;
    r->resets = a->stats.resets;
    r->padding = arena_stats_padding(a);
    r->failures = a->failure.count;
    r->tracked = tracked;
}

static void stats_collect_arenas(const host_stats *st, report_snapshot *s)
{
    for (int i = 0; i < STATS_ARENAS; i++) {
        const arena *a = stats_arena_of(st, (stats_arena)i);
        stats_collect_arena(s, a, stats_kinds[i], arena_stats_tracked_index(s->table, a));
    }
}

/* The arena that received most of a site's bytes. */
static const char *stats_site_arena(const arena_stats_table *t, uint32_t id)
{
    uint32_t best = 0;
    for (uint32_t i = 1; i < t->tracked_count; i++)
        if (t->tracked[i].counters[id].bytes > t->tracked[best].counters[id].bytes) best = i;
    return t->tracked_count ? t->tracked[best].arena->name : "";
}

static int stats_site_order(const void *pa, const void *pb)
{
    const report_site *a = pa, *b = pb;
    return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

static int stats_tag_order(const void *pa, const void *pb)
{
    const report_tag *a = pa, *b = pb;
    return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

static void stats_collect_sites(arena_stats_table *t, report_snapshot *s)
{
    uint32_t n = arena_stats_site_count(t);
    s->sites = calloc(n, sizeof(*s->sites));
    if (!s->sites) return;
    for (uint32_t i = 0; i < n; i++) {
        const arena_site_info *info = &t->sites[i];
        arena_site_counter total = arena_stats_site_total(t, i);
        s->sites[i] = (report_site){arena_stats_name(t, info->file), arena_stats_name(t, info->func), info->line,
                                    total.pushes, total.bytes, info->window.frame_pushes, info->window.frame_bytes,
                                    info->window.peak_bytes, info->window.peak_frame, stats_site_arena(t, i)};
    }
    s->site_count = n;
    qsort(s->sites, n, sizeof(*s->sites), stats_site_order);
}

static void stats_collect_tags(arena_stats_table *t, report_snapshot *s)
{
    uint32_t n = arena_stats_tag_count(t);
    s->tags = calloc(n, sizeof(*s->tags));
    if (!s->tags) return;
    for (uint32_t i = 0; i < n; i++) {
        const arena_tag_info *info = &t->tags[i];
        s->tags[i] = (report_tag){arena_stats_name(t, info->name), info->total.pushes, info->total.bytes,
                                  info->window.frame_pushes, info->window.frame_bytes, info->window.peak_bytes,
                                  info->window.peak_frame};
    }
    s->tag_count = n;
    qsort(s->tags, n, sizeof(*s->tags), stats_tag_order);
}

static void stats_collect_pools(const arena_stats_table *t, report_snapshot *s)
{
    s->pools = calloc(t->pool_count ? t->pool_count : 1, sizeof(*s->pools));
    if (!s->pools) return;
    for (uint32_t i = 0; i < t->pool_count; i++) {
        const arena_pool *p = arena_stats_pool(t, i);
        if (p)
            s->pools[s->pool_count++] = (report_pool){p->name, p->arena->name, p->slot_size, p->live, p->slots,
                                                      p->high_water, p->allocs, p->frees};
    }
}

static report_snapshot stats_collect(host_stats *st, const char *reason, uint64_t version)
{
    arena_stats_table *t = st->table;
    report_snapshot s;
    memset(&s, 0, sizeof(s));
    s.reason = reason;
    s.frame = t->last_frame;
    s.frames = t->frames;
    s.t_ms = st->events->now_ms();
    s.version = version;
    s.reloads = st->reloads;
    s.refused = t->refused;
    s.table = t;
    stats_collect_arenas(st, &s);
    stats_collect_sites(t, &s);
    stats_collect_tags(t, &s);
    stats_collect_pools(t, &s);
    s.has_heap = true;
    s.heap = heap_collect_stats(st->heap); /* the main thread's heaps: this runs on the main thread */
    return s;
}

static void stats_snapshot_free(report_snapshot *s)
{
    free(s->sites);
    free(s->tags);
    free(s->pools);
}

/* ---- writing files ----------------------------------------------------------------------- */

static void stats_write(host_stats *st, const char *path, const report_buf *b, const char *what)
{
    host_error err;
    if (b->failed) snprintf(err.msg, sizeof(err.msg), "out of memory while building it");
    else if (fs_write_atomic(path, b->data, b->len, &err)) return;
    if (st->warned_write) return;
    st->warned_write = true;
    event_warn(st->events, "cannot write the %s %s: %s; check the path and the free space", what, path, err.msg);
}

static void stats_write_json(host_stats *st, const char *reason, uint64_t version)
{
    if (!st->cfg.json_path) return;
    report_snapshot s = stats_collect(st, reason, version);
    report_buf b = {0};
    report_json(&b, &s);
    stats_write(st, st->cfg.json_path, &b, "stats snapshot");
    report_buf_free(&b);
    stats_snapshot_free(&s);
}

static FILE *stats_open(const char *path, const char *flag, host_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f) host_fail(err, "cannot open %s %s: %s; check that its folder exists", flag, path, strerror(errno));
    return f;
}

/* ---- the event log: reloads, crashes and warnings become markers -------------------------- */

static bool stats_is_marker(const char *name)
{
    static const char *const markers[] = {"reload", "reload_failed", "rollback", "restart", "crash", "warning"};
    for (size_t i = 0; i < ARRAY_COUNT(markers); i++)
        if (strcmp(name, markers[i]) == 0) return true;
    return false;
}

static void stats_observe(void *ctx, const char *line, size_t len)
{
    host_stats *st = ctx;
    char name[32], text[128];
    if (!event_field(line, "event", name, sizeof(name)) || !stats_is_marker(name)) return;
    if (strcmp(name, "reload") == 0) {
        st->reloaded = true;
        st->reloads++;
    }
    if (strcmp(name, "crash") == 0) arena_stats_untag_all(st->table); /* its open scopes never end */
    if (st->trace) {
        char args[EVENT_MAX];
        snprintf(args, sizeof(args), "%.*s", (int)(len && line[len - 1] == '\n' ? len - 1 : len), line);
        report_trace_mark(st->trace, name, stats_now_us(st), args);
    }
    if (st->timeline) {
        char version[24] = "?";
        if (!event_field(line, "msg", text, sizeof(text)) && !event_field(line, "reason", text, sizeof(text))) {
            event_field(line, "version", version, sizeof(version));
            snprintf(text, sizeof(text), "version %s", version);
        }
        report_timeline_mark(st->timeline, *st->events->frame, name, text);
    }
}

/* ---- start and stop ---------------------------------------------------------------------- */

static bool stats_open_outputs(host_stats *st, host_error *err)
{
    if (st->cfg.csv_path) {
        if (!(st->csv = stats_open(st->cfg.csv_path, "--stats-csv", err))) return false;
        report_csv_header(st->csv);
    }
    if (st->cfg.trace_path) {
        if (!(st->trace = stats_open(st->cfg.trace_path, "--trace", err))) return false;
        report_trace_begin(st->trace);
    }
    if (st->cfg.report_path) {
        st->timeline = malloc(sizeof(*st->timeline));
        if (!st->timeline) return host_fail(err, "out of memory for the --report timeline");
        report_timeline_init(st->timeline);
    }
    return true;
}

bool stats_start(host_stats **out, const stats_config *cfg, block_header *block, const heap_region *heap,
                 event_log *events, host_error *err)
{
    host_stats *st = *out = calloc(1, sizeof(*st));
    if (!st) return host_fail(err, "out of memory for the stats");
    st->cfg = *cfg;
    st->block = block;
    st->heap = heap;
    st->events = events;
    uint32_t stamp = (uint32_t)fs_random() | 1; /* a stamp no site key of another run can match */
    st->table = arena_stats_table_create(block->host, (arena_stats_params){.stamp = stamp});
    if (!st->table) return host_fail(err, "the host arena has no room for the stats table; this is a host bug");
    for (int i = 0; i < STATS_TRACKED; i++)
        if (!arena_stats_track(st->table, stats_arena_of(st, (stats_arena)i)))
            return host_fail(err, "cannot track arena %d in the stats table; this is a host bug", i);
    event_observe(events, stats_observe, st);
    stats_input_start();
    st->ready = stats_open_outputs(st, err);
    return st->ready;
}

/* ---- frames ------------------------------------------------------------------------------ */

/* Quick heap figures for every frame: mimalloc's pages, not a walk over every block. */
static bool stats_heap_area(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)heap;
    (void)block;
    (void)size;
    uint64_t *sums = arg;
    sums[0] += (uint64_t)area->used * area->block_size;
    sums[1] += area->committed;
    return true;
}

static void stats_frame_row(host_stats *st, report_frame *fr, double now_us)
{
    arena_stats_table *t = st->table;
    memset(fr, 0, sizeof(*fr));
    fr->frame = t->last_frame;
    fr->start_us = st->frame_start_us;
    fr->end_us = now_us;
    fr->current = -1;
    for (uint32_t i = 0; i < t->tracked_count; i++) {
        const arena *a = t->tracked[i].arena;
        const arena_history_entry *e = arena_stats_history(t, i, 0);
        fr->arenas[fr->arena_count++] = (report_frame_arena){a->name, e->used, e->high_water, e->pushes, e->bytes,
                                                             a->committed};
        if (a == st->block->memory.frame) fr->current = (int)i;
    }
    uint64_t heap[2] = {0, 0};
    heap_visit(st->heap, false, stats_heap_area, heap);
    fr->has_heap = true;
    fr->heap_used = heap[0];
    fr->heap_committed = heap[1];
}

static void stats_timeline_add(host_stats *st, const report_frame *fr)
{
    report_timeline *tl = st->timeline;
    for (uint32_t i = 0; i < fr->arena_count; i++) {
        if (i == STATS_FRAME0 || i == STATS_FRAME1) continue; /* shown as one series: the frame's arena */
        report_series *s = report_timeline_series(tl, fr->arenas[i].name, 0);
        if (s) report_series_add(s, fr->frame, fr->arenas[i].high_water, fr->arenas[i].bytes);
    }
    report_series *heap = report_timeline_series(tl, "heap", 0);
    if (heap) report_series_add(heap, fr->frame, fr->heap_used, 0);
    const report_frame_arena *cur = fr->current >= 0 ? &fr->arenas[fr->current] : NULL;
    report_series *frame = report_timeline_series(tl, "frame", st->block->memory.frame->capacity);
    if (frame && cur) report_series_add(frame, fr->frame, cur->high_water, cur->bytes);
}

/* A frame arena above STATS_WARN_PERCENT: one warning per new record, not one per frame. */
static void stats_check_frame_arena(host_stats *st)
{
    arena_stats_table *t = st->table;
    const arena *a = st->block->memory.frame;
    int i = arena_stats_tracked_index(t, a);
    const arena_history_entry *e = i >= 0 ? arena_stats_history(t, (uint32_t)i, 0) : NULL;
    if (!e || e->high_water * 100 <= a->capacity * STATS_WARN_PERCENT || e->high_water <= st->warned[i]) return;
    st->warned[i] = e->high_water;
    char msg[512];
    snprintf(msg, sizeof(msg), "frame arena '%s' held %s of its %s (%.1f%%) in frame %llu, above %d%%; raise "
                               "--frame-arena or push less per frame",
             a->name, units_bytes(e->high_water).s, units_bytes(a->capacity).s,
             100.0 * (double)e->high_water / (double)a->capacity, (unsigned long long)e->frame, STATS_WARN_PERCENT);
    event ev = event_begin(st->events, "warning");
    event_str(&ev, "msg", msg);
    event_str(&ev, "arena", a->name);
    event_uint(&ev, "used", e->high_water);
    event_uint(&ev, "capacity", a->capacity);
    event_end(st->events, &ev);
    fprintf(stderr, "host: warning: %s\n", msg);
}

/* Ends frame `frame`: its counts, its row, its trace counters. */
static void stats_end_frame(host_stats *st, uint64_t frame)
{
    double now = stats_now_us(st);
    arena_stats_frame_end(st->table, frame);
    stats_check_frame_arena(st);
    if (st->csv || st->trace || st->timeline) {
        report_frame fr;
        stats_frame_row(st, &fr, now);
        if (st->csv) report_csv_frame(st->csv, &fr);
        if (st->trace) report_trace_frame(st->trace, &fr);
        if (st->timeline) stats_timeline_add(st, &fr);
    }
    st->frame_start_us = now;
}

/* ---- requests ---------------------------------------------------------------------------- */

static void stats_event(host_stats *st, const report_snapshot *s)
{
    char arenas[EVENT_MAX / 2], sites[EVENT_MAX / 4];
    size_t n = (size_t)snprintf(arenas, sizeof(arenas), "[");
    for (uint32_t i = 0; i < s->arena_count && n < sizeof(arenas); i++) {
        const report_arena *a = &s->arenas[i];
        n += (size_t)snprintf(arenas + n, sizeof(arenas) - n,
                              "%s{\"name\":\"%s\",\"used\":%llu,\"high_water\":%llu,\"committed\":%llu,"
                              "\"frame_pushes\":%llu,\"frame_bytes\":%llu}",
                              i ? "," : "", a->name, (unsigned long long)a->used, (unsigned long long)a->high_water,
                              (unsigned long long)a->committed, (unsigned long long)a->frame_pushes,
                              (unsigned long long)a->frame_bytes);
    }
    if (n < sizeof(arenas)) snprintf(arenas + n, sizeof(arenas) - n, "]");
    n = (size_t)snprintf(sites, sizeof(sites), "[");
    for (uint32_t i = 0, shown = 0; i < s->site_count && shown < STATS_EVENT_SITES && n < sizeof(sites); i++) {
        const report_site *t = &s->sites[i];
        char file[128];
        event_escape(file, sizeof(file), t->file);
        n += (size_t)snprintf(sites + n, sizeof(sites) - n, "%s{\"file\":\"%s\",\"line\":%u,\"bytes\":%llu,"
                              "\"frame_bytes\":%llu}", shown++ ? "," : "", file, t->line,
                              (unsigned long long)t->bytes, (unsigned long long)t->frame_bytes);
    }
    if (n < sizeof(sites)) snprintf(sites + n, sizeof(sites) - n, "]");
    event e = event_begin(st->events, "stats");
    event_uint(&e, "frames", s->frames);
    event_uint(&e, "last_frame", s->frame);
    event_raw(&e, "arenas", arenas);
    event_uint(&e, "heap_used", s->heap.used);
    event_uint(&e, "heap_committed", s->heap.committed);
    event_raw(&e, "top_sites", sites);
    event_end(st->events, &e);
}

/* The summary (stdout, or the overlay's toggle), a snapshot and a stats event. */
static void stats_answer(host_stats *st, uint64_t version, bool interactive)
{
    report_snapshot s = stats_collect(st, "request", version);
    if (interactive) {
        st->overlay = !st->overlay;
        st->overlay_frame = 0;
    } else {
        report_buf b = {0};
        report_text(&b, &s, STATS_SUMMARY_WIDTH, STATS_SUMMARY_ROWS);
        if (b.data) fwrite(b.data, 1, b.len, stdout);
        fflush(stdout);
        report_buf_free(&b);
    }
    stats_event(st, &s);
    stats_snapshot_free(&s);
    stats_write_json(st, "request", version);
}

void stats_frame(host_stats *st, uint64_t frame, uint64_t version, bool interactive)
{
    if (!st) return;
    if (st->frames_started) {
        stats_end_frame(st, frame - 1);
    } else {
        arena_stats_frame_skip(st->table); /* what init pushed counts for no frame */
        st->frames_started = true;
        st->frame_start_us = stats_now_us(st);
    }
    if (st->reloaded) {
        st->reloaded = false;
        stats_write_json(st, "reload", version);
    }
    int asked = stats_input_take(!interactive) + st->requested;
    st->requested = 0;
    if (asked) stats_answer(st, version, interactive);
}

void stats_request(host_stats *st)
{
    if (st) st->requested = 1;
}

uint32_t stats_tag(host_stats *st, const char *name)
{
    return st && name ? arena_stats_tag(st->table, name) : ARENA_STATS_UNTAGGED;
}

/* ---- the overlay ------------------------------------------------------------------------- */

const char *stats_overlay(host_stats *st, uint64_t frame, uint64_t version, int columns, int rows)
{
    if (!st || !st->overlay) return NULL;
    if (!st->overlay_frame || frame - st->overlay_frame >= STATS_OVERLAY_REFRESH) {
        report_snapshot s = stats_collect(st, "request", version);
        st->overlay_text.len = 0;
        report_text(&st->overlay_text, &s, MAX(columns, 20), MAX(rows, 4));
        stats_snapshot_free(&s);
        st->overlay_frame = frame ? frame : 1;
    }
    return st->overlay_text.data;
}

/* ---- stop -------------------------------------------------------------------------------- */

static void stats_write_report(host_stats *st, uint64_t version)
{
    report_snapshot s = stats_collect(st, "exit", version);
    report_buf b = {0};
    report_html(&b, &s, st->timeline);
    stats_write(st, st->cfg.report_path, &b, "HTML report");
    report_buf_free(&b);
    stats_snapshot_free(&s);
}

void stats_stop(host_stats *st, uint64_t frame, uint64_t version)
{
    if (!st) return;
    if (st->ready && st->frames_started) stats_end_frame(st, frame - 1);
    if (st->ready) stats_write_json(st, "exit", version);
    if (st->ready && st->timeline) stats_write_report(st, version);
    if (st->csv) fclose(st->csv);
    if (st->trace) {
        report_trace_end(st->trace);
        fclose(st->trace);
    }
    event_unobserve(st->events, stats_observe, st);
    report_buf_free(&st->overlay_text);
    free(st->timeline);
    free(st);
}
