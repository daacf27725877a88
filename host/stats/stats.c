/* stats.c - the host's side of the allocation stats: the table in the block, frame ends, warnings,
 * requests, and the output files (see stats.h). */
#include "stats_internal.h"
#include "../base/units.h"
#include "../os/fs.h"
#include "../os/stats_input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STATS_OVERLAY_REFRESH 15 /* frames between refreshes of the overlay's figures */
#define STATS_SUMMARY_WIDTH 120
#define STATS_SUMMARY_ROWS 60
#define STATS_EVENT_SITES 5      /* top sites named in a stats event */

static double stats_now_us(const host_stats *st) { return st->events->now_ms() * 1000.0; }

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

/* Whole records in one write each, so that the trace reads as JSON after a kill -9 with "]" added. */
static void stats_trace_write(host_stats *st)
{
    if (st->trace_text.len) fwrite(st->trace_text.data, 1, st->trace_text.len, st->trace);
    st->trace_text.len = 0;
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
    static const char *const markers[] = {"reload", "reload_failed", "rollback", "restart", "crash", "warning", "mark"};
    for (size_t i = 0; i < ARRAY_COUNT(markers); i++)
        if (strcmp(name, markers[i]) == 0) return true;
    return false;
}

/* The text of a marker: the event's message, reason or name, else its version. */
static void stats_marker_text(const char *line, char *text, size_t cap)
{
    if (event_field(line, "msg", text, cap) || event_field(line, "reason", text, cap) ||
        event_field(line, "name", text, cap))
        return;
    char version[24] = "?";
    event_field(line, "version", version, sizeof(version));
    snprintf(text, cap, "version %s", version);
}

static void stats_observe(void *ctx, const char *line, size_t len)
{
    host_stats *st = ctx;
    char name[32];
    if (!event_field(line, "event", name, sizeof(name)) || !stats_is_marker(name)) return;
    bool reload = strcmp(name, "reload") == 0;
    if (reload) {
        st->reloaded = true;
        st->reloads++;
    }
    if (strcmp(name, "crash") == 0) arena_stats_untag_all(st->table); /* its open scopes never end */
    /* new code may sit where the old was: raw return addresses mean something else now */
    if (st->heap_tracked && (reload || strcmp(name, "rollback") == 0)) heap_sites_forget_callers(&st->heap_sites);
    if (st->trace) {
        char args[EVENT_MAX];
        snprintf(args, sizeof(args), "%.*s", (int)(len && line[len - 1] == '\n' ? len - 1 : len), line);
        report_trace_mark(&st->trace_text, name, stats_now_us(st), args);
        stats_trace_write(st);
    }
    if (!st->timeline) return;
    char text[sizeof(st->timeline->marks[0].text)];
    stats_marker_text(line, text, sizeof(text));
    report_mark *m = report_timeline_mark(st->timeline, *st->events->frame, name, text);
    report_change_set *changes = reload ? report_timeline_changes(st->timeline, m) : NULL;
    if (changes) {
        snprintf(changes->title, sizeof(changes->title), "reload to %.50s", text);
        st->reload_next = changes; /* measured from the next frame end: the frame under way ran old code */
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
        setvbuf(st->trace, NULL, _IONBF, 0);
        report_trace_begin(&st->trace_text);
        stats_trace_write(st);
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
    stats_describe_host(st);
    if (cfg->leaks != STATS_LEAKS_OFF) {
        st->heap_tracked = heap_sites_init(&st->heap_sites, heap, st->table, stats_frame_line, st);
        if (!st->heap_tracked) return host_fail(err, "out of memory for --leaks' map of the heap");
    }
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
    fr->table = t;
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
    event_say(st->events, "warning: %s", msg);
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
        if (st->trace) report_trace_frame(&st->trace_text, &fr), stats_trace_write(st);
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
        stats_reload_begin(st, st->reload_next);
        st->reload_next = NULL;
        stats_name_sites(st); /* while the build that made them is still among the known ones */
        stats_write_json(st, "reload", version);
    }
    stats_reload_tick(st, false);
    stats_marks_frame(st, !interactive);
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

int stats_frame_graph(host_stats *st, float *share, int max, char *label, size_t cap)
{
    if (!st || !st->overlay) return 0;
    const arena *a = stats_arena_of(st, STATS_FRAME0);
    int t0 = arena_stats_tracked_index(st->table, a);
    int t1 = arena_stats_tracked_index(st->table, stats_arena_of(st, STATS_FRAME1));
    if (t0 < 0 || t1 < 0 || max <= 0) return 0;
    uint64_t n = MIN(arena_stats_history_count(st->table, (uint32_t)t0), arena_stats_history_count(st->table, (uint32_t)t1));
    n = MIN(n, (uint64_t)max);
    uint64_t last = 0, peak = 1;
    for (uint64_t back = 0; back < n; back++) { /* the two arenas take turns: a frame pushes into one */
        uint64_t bytes = arena_stats_history(st->table, (uint32_t)t0, back)->bytes +
                         arena_stats_history(st->table, (uint32_t)t1, back)->bytes;
        share[n - 1 - back] = (float)bytes;
        if (!back) last = bytes;
        peak = MAX(peak, bytes);
    }
    for (uint64_t i = 0; i < n; i++) share[i] /= (float)peak;
    snprintf(label, cap, "frame arena, per frame: %s last, %s at most in the last %llu (%.3f%% of its %s)",
             units_bytes(last).s, units_bytes(peak).s, (unsigned long long)n, 100.0 * (double)peak / (double)a->capacity,
             units_bytes(a->capacity).s);
    return (int)n;
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

static void stats_write_profile(host_stats *st, uint64_t version)
{
    report_snapshot s = stats_collect(st, "exit", version);
    report_buf b = {0};
    if (report_profile_is_collapsed(st->cfg.profile_path)) report_collapsed(&b, &s);
    else report_pprof(&b, &s);
    stats_write(st, st->cfg.profile_path, &b, "allocation profile");
    report_buf_free(&b);
    stats_snapshot_free(&s);
}

void stats_stop(host_stats *st, uint64_t frame, uint64_t version)
{
    if (!st) return;
    if (st->ready && st->frames_started) stats_end_frame(st, frame - 1);
    stats_reload_tick(st, true);
    if (st->ready) stats_write_json(st, "exit", version);
    if (st->ready && st->timeline) stats_write_report(st, version);
    if (st->ready && st->cfg.profile_path) stats_write_profile(st, version);
    if (st->csv) fclose(st->csv);
    if (st->trace) {
        report_trace_end(&st->trace_text);
        stats_trace_write(st);
        fclose(st->trace);
    }
    st->csv = st->trace = NULL;
    event_unobserve(st->events, stats_observe, st);
}

void stats_free(host_stats *st)
{
    if (!st) return;
    if (st->heap_tracked) heap_sites_free(&st->heap_sites);
    stats_forget_host(st);
    stats_moment_free(&st->mark);
    stats_moment_free(&st->reload);
    report_buf_free(&st->overlay_text);
    if (st->timeline) report_timeline_free(st->timeline);
    report_buf_free(&st->trace_text);
    free(st->timeline);
    free(st);
}

arena_stats_table *stats_table(host_stats *st) { return st ? st->table : NULL; }

heap_sites *stats_heap_sites(host_stats *st) { return st && st->heap_tracked ? &st->heap_sites : NULL; }
