/* stats_leaks.c - what is still live: heap blocks (by the site that allocated them, with --leaks)
 * and pool slots, into snapshots (the profile's inuse figures) and as the leak report at a
 * restart and at exit, the way a tracking allocator prints it: the top sites by bytes, the totals. */
#include "stats_internal.h"
#include "../base/units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATS_LEAK_SITES 20 /* sites a leak report lists */

/* ---- what is live, by site --------------------------------------------------------------- */

typedef struct stats_live_walk {
    const heap_sites *hs;
    report_site *sites; /* by id */
    uint32_t count;
} stats_live_walk;

static bool stats_live_block(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)heap;
    (void)size;
    stats_live_walk *w = arg;
    if (!block) return true; /* an area, before its blocks */
    uint32_t id = heap_sites_owner(w->hs, block);
    if (id < w->count) {
        w->sites[id].arena = "heap";
        w->sites[id].live++;
        w->sites[id].live_bytes += area->block_size;
    }
    return true;
}

void stats_collect_live(host_stats *st, report_snapshot *s)
{
    stats_live_walk w = {&st->heap_sites, s->sites, s->site_count};
    /* the main thread's heaps: this runs on the main thread */
    if (st->heap_tracked) heap_visit_live(st->heap, stats_live_block, &w);
    const arena_stats_table *t = st->table;
    for (uint32_t i = 0; i < t->pool_count; i++) {
        const arena_pool *p = arena_stats_pool(t, i);
        uint32_t id = p ? arena_stats_key_site(p->site.key[0]) : s->site_count;
        if (id >= s->site_count) continue;
        s->sites[id].live += p->live;
        s->sites[id].live_bytes += p->live * p->slot_size;
    }
}

/* ---- the report -------------------------------------------------------------------------- */

typedef struct stats_leak {
    uint64_t bytes, count;
    char what[48]; /* "heap block", "pool 'enemies' slot" */
    char where[256];
} stats_leak;

static int stats_leak_order(const void *pa, const void *pb)
{
    const stats_leak *a = pa, *b = pb;
    return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

/* "callers_init (callers.c:18)": the function the site is in (its caller's name, for a heap site,
 * whose place is the line that called heap_alloc) and its place. */
static void stats_leak_where(const report_site *site, bool heap, char *out, size_t cap)
{
    const char *func = heap ? (site->depth ? site->frames[0].func : "") : site->func;
    const char *slash = strrchr(site->file, '/');
    if (site->line) snprintf(out, cap, "%s (%s:%u)", *func ? func : "?", slash ? slash + 1 : site->file, site->line);
    else if (site->depth) snprintf(out, cap, "%s (no line)", *func ? func : "?");
    else snprintf(out, cap, "an unknown caller");
}

/* The leaks of a snapshot: heap sites with live blocks, pools with live slots (named by the site
 * that created the pool). */
static uint32_t stats_leaks_list(const host_stats *st, const report_snapshot *s, stats_leak *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->site_count && n < cap; i++) {
        const report_site *site = &s->sites[i];
        if (!site->live || strcmp(site->func, "heap_alloc") != 0) continue;
        out[n] = (stats_leak){site->live_bytes, site->live, "heap block", ""};
        stats_leak_where(site, true, out[n++].where, sizeof(out[0].where));
    }
    const arena_stats_table *t = st->table;
    for (uint32_t i = 0; i < t->pool_count && n < cap; i++) {
        const arena_pool *p = arena_stats_pool(t, i);
        if (!p || !p->live) continue;
        out[n] = (stats_leak){p->live * p->slot_size, p->live, "", ""};
        snprintf(out[n].what, sizeof(out[n].what), "pool '%s' slot", p->name);
        uint32_t created = t->pools[i].created;
        for (uint32_t k = 0; k < s->site_count; k++)
            if (s->sites[k].id == created) stats_leak_where(&s->sites[k], false, out[n].where, sizeof(out[n].where));
        n++;
    }
    qsort(out, n, sizeof(*out), stats_leak_order);
    return n;
}

static void stats_leaks_event(host_stats *st, const char *when, const stats_leak *l, uint32_t n, uint64_t bytes,
                              uint64_t count)
{
    char sites[EVENT_MAX / 2];
    size_t len = (size_t)snprintf(sites, sizeof(sites), "[");
    for (uint32_t i = 0; i < n && i < STATS_LEAK_SITES && len < sizeof(sites); i++) {
        char what[sizeof(l->what) * 2], where[sizeof(l->where) * 2];
        event_escape(what, sizeof(what), l[i].what);
        event_escape(where, sizeof(where), l[i].where);
        len += (size_t)snprintf(sites + len, sizeof(sites) - len, "%s{\"what\":\"%s\",\"where\":\"%s\",\"count\":%llu,"
                                "\"bytes\":%llu}", i ? "," : "", what, where, (unsigned long long)l[i].count,
                                (unsigned long long)l[i].bytes);
    }
    if (len >= sizeof(sites) - 1) snprintf(sites, sizeof(sites), "[]"); /* too many to list in one event */
    else snprintf(sites + len, sizeof(sites) - len, "]");
    event e = event_begin(st->events, "leaks");
    event_str(&e, "when", when);
    event_uint(&e, "count", count);
    event_uint(&e, "bytes", bytes);
    event_raw(&e, "sites", sites);
    event_end(st->events, &e);
}

uint64_t stats_leaks(host_stats *st, const char *when, uint64_t version)
{
    if (!st || !st->ready || st->cfg.leaks == STATS_LEAKS_OFF) return 0;
    report_snapshot s = stats_collect(st, when, version);
    uint32_t cap = s.site_count + st->table->pool_count;
    stats_leak *l = calloc(cap ? cap : 1, sizeof(*l));
    uint32_t n = l ? stats_leaks_list(st, &s, l, cap) : 0;
    uint64_t bytes = 0, count = 0;
    for (uint32_t i = 0; i < n; i++) bytes += l[i].bytes, count += l[i].count;
    if (n) {
        event_say(st->events, "leaks at %s: %llu allocations (%s) still live; by the site that allocated them:",
                when, (unsigned long long)count, units_bytes(bytes).s);
        for (uint32_t i = 0; i < n && i < STATS_LEAK_SITES; i++)
            event_say(st->events, "  %10s in %llu %s%s from %s", units_bytes(l[i].bytes).s,
                    (unsigned long long)l[i].count, l[i].what, l[i].count == 1 ? "" : "s", l[i].where);
        if (n > STATS_LEAK_SITES) event_say(st->events, "  and %u more sites", n - STATS_LEAK_SITES);
        stats_leaks_event(st, when, l, n, bytes, count);
    }
    st->leaks_found += bytes;
    free(l);
    stats_snapshot_free(&s);
    return bytes;
}

bool stats_leaks_failed(const host_stats *st)
{
    return st && st->cfg.leaks == STATS_LEAKS_FAIL && st->leaks_found > 0;
}
