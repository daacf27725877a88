/* stats.c - the host's side of the allocation stats: the table in the block, frame ends, warnings,
 * requests, and the output files (see stats.h). */
#include "stats.h"
#include "host.h"
#include "report.h"
#include "stats_input.h"
#include "terminal.h"
#include "units.h"

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

static double stats_now_us(void) { return host_now_ms() * 1000.0; }

static arena *stats_arena_of(const host *h, stats_arena i)
{
    game_memory *m = &h->block->memory;
    arena *arenas[STATS_ARENAS] = {m->persistent, h->block->frames[0], h->block->frames[1], m->scratch[0],
                                   m->scratch[1], h->block->host};
    return arenas[i];
}

static void stats_warn(host *h, const char *msg)
{
    event e = event_begin(&h->events, "warning");
    event_str(&e, "msg", msg);
    event_end(&h->events, &e);
    fprintf(stderr, "host: warning: %s\n", msg);
}

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

static void stats_collect_arenas(const host *h, report_snapshot *s)
{
    for (int i = 0; i < STATS_ARENAS; i++) {
        const arena *a = stats_arena_of(h, (stats_arena)i);
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

static report_snapshot stats_collect(host *h, const char *reason)
{
    arena_stats_table *t = h->stats->table;
    report_snapshot s;
    memset(&s, 0, sizeof(s));
    s.reason = reason;
    s.frame = t->last_frame;
    s.frames = t->frames;
    s.t_ms = host_now_ms();
    s.version = h->version;
    s.reloads = h->stats->reloads;
    s.refused = t->refused;
    s.table = t;
    stats_collect_arenas(h, &s);
    stats_collect_sites(t, &s);
    stats_collect_tags(t, &s);
    stats_collect_pools(t, &s);
    s.has_heap = true;
    s.heap = heap_collect_stats(&h->heap); /* the main thread's heap: this runs on the main thread */
    return s;
}

static void stats_snapshot_free(report_snapshot *s)
{
    free(s->sites);
    free(s->tags);
    free(s->pools);
}

/* ---- writing files ----------------------------------------------------------------------- */

static void stats_write(host *h, const char *path, const report_buf *b, const char *what)
{
    host_error err;
    if (b->failed) snprintf(err.msg, sizeof(err.msg), "out of memory while building it");
    else if (fs_write_atomic(path, b->data, b->len, &err)) return;
    if (h->stats->warned_write) return;
    h->stats->warned_write = true;
    char msg[HOST_ERROR_MAX + FS_PATH_MAX];
    snprintf(msg, sizeof(msg), "cannot write the %s %s: %s; check the path and the free space", what, path, err.msg);
    stats_warn(h, msg);
}

static void stats_write_json(host *h, const char *reason)
{
    if (!h->opts.stats_path) return;
    report_snapshot s = stats_collect(h, reason);
    report_buf b = {0};
    report_json(&b, &s);
    stats_write(h, h->opts.stats_path, &b, "stats snapshot");
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

/* The string value of "key" in an event line, unescaped (a \uXXXX becomes '?'); false when absent. */
static bool stats_event_field(const char *line, const char *key, char *out, size_t cap)
{
    char want[64];
    snprintf(want, sizeof(want), "\"%s\":\"", key);
    const char *at = strstr(line, want);
    if (!at) return false;
    size_t n = 0;
    for (at += strlen(want); *at && *at != '"' && n + 1 < cap; at++) {
        if (*at == '\\' && at[1]) {
            at++;
            out[n++] = *at == 'u' ? '?' : *at == 'n' || *at == 't' ? ' ' : *at;
            if (*at == 'u') at += strspn(at + 1, "0123456789abcdefABCDEF") < 4 ? 0 : 4;
            continue;
        }
        out[n++] = *at;
    }
    out[n] = 0;
    return true;
}

static bool stats_is_marker(const char *name)
{
    static const char *const markers[] = {"reload", "reload_failed", "rollback", "restart", "crash", "warning"};
    for (size_t i = 0; i < ARRAY_COUNT(markers); i++)
        if (strcmp(name, markers[i]) == 0) return true;
    return false;
}

static void stats_observe(void *ctx, const char *line, size_t len)
{
    host *h = ctx;
    host_stats *st = h->stats;
    char name[32], text[128];
    if (!st || !stats_event_field(line, "event", name, sizeof(name)) || !stats_is_marker(name)) return;
    if (strcmp(name, "reload") == 0) {
        st->reloaded = true;
        st->reloads++;
    }
    if (strcmp(name, "crash") == 0) arena_stats_untag_all(st->table); /* its open scopes never end */
    if (st->trace) {
        char args[EVENT_MAX];
        snprintf(args, sizeof(args), "%.*s", (int)(len && line[len - 1] == '\n' ? len - 1 : len), line);
        report_trace_mark(st->trace, name, stats_now_us(), args);
    }
    if (st->timeline) {
        if (!stats_event_field(line, "msg", text, sizeof(text)) && !stats_event_field(line, "reason", text, sizeof(text)))
            snprintf(text, sizeof(text), "version %llu", (unsigned long long)h->version);
        report_timeline_mark(st->timeline, h->frame, name, text);
    }
}

/* ---- start and stop ---------------------------------------------------------------------- */

static bool stats_open_outputs(host *h, host_stats *st, host_error *err)
{
    if (h->opts.stats_csv_path) {
        if (!(st->csv = stats_open(h->opts.stats_csv_path, "--stats-csv", err))) return false;
        report_csv_header(st->csv);
    }
    if (h->opts.trace_path) {
        if (!(st->trace = stats_open(h->opts.trace_path, "--trace", err))) return false;
        report_trace_begin(st->trace);
    }
    if (h->opts.report_path) {
        st->timeline = malloc(sizeof(*st->timeline));
        if (!st->timeline) return host_fail(err, "out of memory for the --report timeline");
        report_timeline_init(st->timeline);
    }
    return true;
}

bool stats_start(host *h, host_error *err)
{
    host_stats *st = calloc(1, sizeof(*st));
    if (!st) return host_fail(err, "out of memory for the stats");
    h->stats = st;
    uint32_t stamp = (uint32_t)fs_random() | 1; /* a stamp no site key of another run can match */
    st->table = arena_stats_table_create(h->block->host, (arena_stats_params){.stamp = stamp});
    if (!st->table) return host_fail(err, "the host arena has no room for the stats table; this is a host bug");
    for (int i = 0; i < STATS_TRACKED; i++)
        if (!arena_stats_track(st->table, stats_arena_of(h, (stats_arena)i)))
            return host_fail(err, "cannot track arena %d in the stats table; this is a host bug", i);
    h->events.observe = stats_observe;
    h->events.observe_ctx = h;
    stats_input_start();
    st->ready = stats_open_outputs(h, st, err);
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

static void stats_frame_row(host *h, report_frame *fr, double now_us)
{
    host_stats *st = h->stats;
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
        if (a == h->block->memory.frame) fr->current = (int)i;
    }
    uint64_t heap[2] = {0, 0};
    mi_heap_visit_blocks(mi_heap_get_default(), false, stats_heap_area, heap);
    fr->has_heap = true;
    fr->heap_used = heap[0];
    fr->heap_committed = heap[1];
}

static void stats_timeline_add(host *h, const report_frame *fr)
{
    report_timeline *tl = h->stats->timeline;
    for (uint32_t i = 0; i < fr->arena_count; i++) {
        if (i == STATS_FRAME0 || i == STATS_FRAME1) continue; /* shown as one series: the frame's arena */
        report_series *s = report_timeline_series(tl, fr->arenas[i].name, 0);
        if (s) report_series_add(s, fr->frame, fr->arenas[i].high_water, fr->arenas[i].bytes);
    }
    report_series *heap = report_timeline_series(tl, "heap", 0);
    if (heap) report_series_add(heap, fr->frame, fr->heap_used, 0);
    const report_frame_arena *cur = fr->current >= 0 ? &fr->arenas[fr->current] : NULL;
    report_series *frame = report_timeline_series(tl, "frame", h->block->memory.frame->capacity);
    if (frame && cur) report_series_add(frame, fr->frame, cur->high_water, cur->bytes);
}

/* A frame arena above STATS_WARN_PERCENT: one warning per new record, not one per frame. */
static void stats_check_frame_arena(host *h)
{
    arena_stats_table *t = h->stats->table;
    const arena *a = h->block->memory.frame;
    int i = arena_stats_tracked_index(t, a);
    const arena_history_entry *e = i >= 0 ? arena_stats_history(t, (uint32_t)i, 0) : NULL;
    if (!e || e->high_water * 100 <= a->capacity * STATS_WARN_PERCENT || e->high_water <= h->stats->warned[i]) return;
    h->stats->warned[i] = e->high_water;
    char msg[512];
    snprintf(msg, sizeof(msg), "frame arena '%s' held %s of its %s (%.1f%%) in frame %llu, above %d%%; raise "
                               "--frame-arena or push less per frame",
             a->name, units_bytes(e->high_water).s, units_bytes(a->capacity).s,
             100.0 * (double)e->high_water / (double)a->capacity, (unsigned long long)e->frame, STATS_WARN_PERCENT);
    event ev = event_begin(&h->events, "warning");
    event_str(&ev, "msg", msg);
    event_str(&ev, "arena", a->name);
    event_uint(&ev, "used", e->high_water);
    event_uint(&ev, "capacity", a->capacity);
    event_end(&h->events, &ev);
    fprintf(stderr, "host: warning: %s\n", msg);
}

/* Ends frame h->frame - 1: its counts, its row, its trace counters. */
static void stats_end_frame(host *h)
{
    host_stats *st = h->stats;
    double now = stats_now_us();
    arena_stats_frame_end(st->table, h->frame - 1);
    stats_check_frame_arena(h);
    if (st->csv || st->trace || st->timeline) {
        report_frame fr;
        stats_frame_row(h, &fr, now);
        if (st->csv) report_csv_frame(st->csv, &fr);
        if (st->trace) report_trace_frame(st->trace, &fr);
        if (st->timeline) stats_timeline_add(h, &fr);
    }
    st->frame_start_us = now;
}

/* ---- requests ---------------------------------------------------------------------------- */

static void stats_event(host *h, const report_snapshot *s)
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
    event e = event_begin(&h->events, "stats");
    event_uint(&e, "frames", s->frames);
    event_uint(&e, "last_frame", s->frame);
    event_raw(&e, "arenas", arenas);
    event_uint(&e, "heap_used", s->heap.used);
    event_uint(&e, "heap_committed", s->heap.committed);
    event_raw(&e, "top_sites", sites);
    event_end(&h->events, &e);
}

/* The summary (stdout, or the overlay's toggle), a snapshot and a stats event. */
static void stats_answer(host *h)
{
    report_snapshot s = stats_collect(h, "request");
    if (h->terminal) {
        h->stats->overlay = !h->stats->overlay;
        h->stats->overlay_frame = 0;
    } else {
        report_buf b = {0};
        report_text(&b, &s, STATS_SUMMARY_WIDTH, STATS_SUMMARY_ROWS);
        if (b.data) fwrite(b.data, 1, b.len, stdout);
        fflush(stdout);
        report_buf_free(&b);
    }
    stats_event(h, &s);
    stats_snapshot_free(&s);
    stats_write_json(h, "request");
}

void stats_frame(host *h)
{
    host_stats *st = h->stats;
    if (!st) return;
    if (st->frames_started) {
        stats_end_frame(h);
    } else {
        arena_stats_frame_skip(st->table); /* what init pushed counts for no frame */
        st->frames_started = true;
        st->frame_start_us = stats_now_us();
    }
    if (st->reloaded) {
        st->reloaded = false;
        stats_write_json(h, "reload");
    }
    int asked = stats_input_take(!h->terminal) + st->requested;
    st->requested = 0;
    if (asked) stats_answer(h);
}

void stats_request(host *h)
{
    if (h->stats) h->stats->requested = 1;
}

uint32_t stats_tag(host *h, const char *name)
{
    return h->stats && name ? arena_stats_tag(h->stats->table, name) : ARENA_STATS_UNTAGGED;
}

/* ---- the overlay ------------------------------------------------------------------------- */

void stats_draw(host *h)
{
    host_stats *st = h->stats;
    if (!st || !st->overlay || !h->terminal) return;
    if (!st->overlay_frame || h->frame - st->overlay_frame >= STATS_OVERLAY_REFRESH) {
        report_snapshot s = stats_collect(h, "request");
        st->overlay_text.len = 0;
        report_text(&st->overlay_text, &s, MAX(h->input.width - 2, 20), MAX(h->input.height - 2, 4));
        stats_snapshot_free(&s);
        st->overlay_frame = h->frame ? h->frame : 1;
    }
    report_buf out = {0};
    int row = 1;
    for (const char *line = st->overlay_text.data; line && *line; row++) {
        const char *end = strchr(line, '\n');
        int len = end ? (int)(end - line) : (int)strlen(line);
        report_printf(&out, "\x1b[%d;1H\x1b[0;30;47m %-*.*s\x1b[0m", row, MAX(h->input.width - 2, 1), len, line);
        line = end ? end + 1 : line + len;
    }
    if (out.data) terminal_write(out.data, out.len);
    report_buf_free(&out);
}

/* ---- stop -------------------------------------------------------------------------------- */

static void stats_write_report(host *h)
{
    report_snapshot s = stats_collect(h, "exit");
    report_buf b = {0};
    report_html(&b, &s, h->stats->timeline);
    stats_write(h, h->opts.report_path, &b, "HTML report");
    report_buf_free(&b);
    stats_snapshot_free(&s);
}

void stats_stop(host *h)
{
    host_stats *st = h->stats;
    if (!st) return;
    if (st->ready && st->frames_started) stats_end_frame(h);
    if (st->ready) stats_write_json(h, "exit");
    if (st->ready && st->timeline) stats_write_report(h);
    if (st->csv) fclose(st->csv);
    if (st->trace) {
        report_trace_end(st->trace);
        fclose(st->trace);
    }
    h->events.observe = NULL;
    report_buf_free(&st->overlay_text);
    free(st->timeline);
    free(st);
    h->stats = NULL;
}
