/* stats_collect.c - snapshots of the stats table for the reports, and the names of the code in
 * them: the host's own executable described to the table, and the source line of every frame of a
 * call stack, named once per site (the game's builds through the host's stats_code, the host's
 * through its own debug information). */
#include "stats_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const stats_kinds[STATS_ARENAS] = {"persistent", "frame", "frame", "scratch", "scratch", "host"};

/* ---- the code: the host's module, and source lines --------------------------------------- */

void stats_describe_host(host_stats *st)
{
    stats_self *self = &st->self;
    host_error err;
    if (!symbols_self(&self->image, &err) || !symbols_read(self->image.image, self->image.size, &self->symbols, &err)) {
        event_warn(st->events, "the host's own call sites will have no callers: %s", err.msg);
        return;
    }
    const symbol_table *t = &self->symbols;
    arena_stats_function *fns = malloc(sizeof(*fns) * (t->count ? t->count : 1));
    if (!fns) return;
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->count; i++) /* by vaddr already */
        if (t->symbols[i].kind == SYMBOL_CODE && t->symbols[i].vaddr >= t->image_vaddr)
            fns[n++] = (arena_stats_function){t->symbols[i].vaddr - t->image_vaddr, t->symbols[i].name};
    if (!arena_stats_module_set(st->table, ARENA_STATS_HOST_MODULE, self->image.start,
                                self->image.end - self->image.start, fns, n))
        event_warn(st->events, "the host's own call sites will have no callers: no room in the stats table");
    free(fns);
    self->lines = lines_open(self->image.path, self->image.image, self->image.size, self->image.start, t->image_vaddr);
}

void stats_forget_host(host_stats *st)
{
    lines_close(st->self.lines);
    symbols_free(&st->self.symbols);
    free(st->self.image.image);
    memset(&st->self, 0, sizeof(st->self));
}

/* "file.c:12" for a return address: the line of the call, the byte before it. */
bool stats_frame_line(void *ctx, const arena_stats_frame *f, char *out, size_t cap)
{
    host_stats *st = ctx;
    if (!f->offset || f->module == ARENA_STATS_NO_MODULE) return false;
    /* a worker thread's heap allocation may ask too: libdw's look-ups are not thread-safe */
    while (!ARENA_STATS_TRY_LOCK(&st->lines_lock)) {
    }
    bool found = f->module == ARENA_STATS_HOST_MODULE
                     ? st->self.lines && lines_find(st->self.lines, st->self.image.start + f->offset - 1, out, cap)
                     : st->cfg.code.line && st->cfg.code.line(st->cfg.code.ctx, f->module, f->offset - 1, out, cap);
    ARENA_STATS_STORE(&st->lines_lock, 0u);
    return found;
}

void stats_name_sites(host_stats *st)
{
    arena_stats_table *t = st->table;
    uint32_t n = arena_stats_site_count(t);
    for (; st->named < n; st->named++) {
        const arena_site_info *s = &t->sites[st->named];
        for (uint32_t k = 0; k < s->depth; k++) {
            char where[160];
            if (!s->frames[k].where && stats_frame_line(st, &s->frames[k], where, sizeof(where)))
                arena_stats_frame_where(t, st->named, k, where);
        }
    }
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

static report_site stats_site(const arena_stats_table *t, uint32_t id)
{
    const arena_site_info *info = &t->sites[id];
    arena_site_counter total = arena_stats_site_total(t, id);
    report_site r;
    memset(&r, 0, sizeof(r));
    r.file = arena_stats_name(t, info->file);
    r.func = arena_stats_name(t, info->func);
    r.line = info->line;
    r.pushes = total.pushes;
    r.bytes = total.bytes;
    r.frame_pushes = info->window.frame_pushes;
    r.frame_bytes = info->window.frame_bytes;
    r.peak_bytes = info->window.peak_bytes;
    r.peak_frame = info->window.peak_frame;
    r.arena = stats_site_arena(t, id);
    r.id = id;
    r.host = info->origin == ARENA_STATS_HOST;
    r.depth = info->depth;
    for (uint32_t k = 0; k < info->depth; k++)
        r.frames[k] = (report_frame_name){arena_stats_name(t, info->frames[k].func),
                                          arena_stats_name(t, info->frames[k].where)};
    return r;
}

/* In table order: stats_collect_live adds to them by id before they are sorted. */
static void stats_collect_sites(arena_stats_table *t, report_snapshot *s)
{
    uint32_t n = arena_stats_site_count(t);
    s->sites = calloc(n, sizeof(*s->sites));
    if (!s->sites) return;
    for (uint32_t i = 0; i < n; i++) s->sites[i] = stats_site(t, i);
    s->site_count = n;
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
                                  info->window.peak_frame, i};
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

report_snapshot stats_collect(host_stats *st, const char *reason, uint64_t version)
{
    arena_stats_table *t = st->table;
    stats_name_sites(st);
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
    if (st->mark.taken) {
        s.mark_name = st->mark.name;
        s.mark_frame = st->mark.frame;
        stats_moment_diff(st, &st->mark, &s.since_mark);
    }
    if (s.sites) {
        stats_collect_live(st, &s);
        qsort(s.sites, s.site_count, sizeof(*s.sites), stats_site_order);
    }
    return s;
}

void stats_snapshot_free(report_snapshot *s)
{
    report_diff_free(&s->since_mark);
    free(s->sites);
    free(s->tags);
    free(s->pools);
}

