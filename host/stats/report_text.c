/* report_text.c - the live summary: arenas, pools, heap, top call sites and tags, as a text table. */
#include "report.h"
#include "../base/units.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_TOP_SITES 8
#define TEXT_TOP_TAGS 6

typedef struct text_out {
    report_buf *b;
    int width;
    int rows_left;
} text_out;

/* One line, cut to the width; nothing once the rows are used up. */
static void text_line(text_out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void text_line(text_out *o, const char *fmt, ...)
{
    if (o->rows_left <= 0) return;
    char line[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(line, sizeof(line), fmt, args);
    va_end(args);
    report_printf(o->b, "%.*s\n", MIN(o->width, (int)sizeof(line)), line);
    o->rows_left--;
}

static const char *text_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *back = strrchr(path, '\\');
    if (back && (!slash || back > slash)) slash = back;
    return slash ? slash + 1 : path;
}

static void text_arenas(text_out *o, const report_snapshot *s)
{
    text_line(o, "%-12s %10s %10s %10s %10s %8s %10s %9s %9s %6s", "arena", "used", "high-water", "committed",
              "reserved", "pushes/f", "bytes/f", "pushes", "padding", "resets");
    for (uint32_t i = 0; i < s->arena_count; i++) {
        const report_arena *a = &s->arenas[i];
        text_line(o, "%-12.12s %10s %10s %10s %10s %8llu %10s %9llu %9s %6llu", a->name, units_bytes(a->used).s,
                  units_bytes(a->high_water).s, units_bytes(a->committed).s, units_bytes(a->reserved).s,
                  (unsigned long long)a->frame_pushes, units_bytes(a->frame_bytes).s, (unsigned long long)a->pushes,
                  units_bytes(a->padding).s, (unsigned long long)a->resets);
    }
}

static void text_pools(text_out *o, const report_snapshot *s)
{
    if (!s->pool_count) return;
    text_line(o, "%-12s %-12s %8s %8s %8s %10s %9s %9s", "pool", "arena", "slot", "live", "slots", "high-water",
              "allocs", "frees");
    for (uint32_t i = 0; i < s->pool_count; i++) {
        const report_pool *p = &s->pools[i];
        text_line(o, "%-12.12s %-12.12s %8s %8llu %8llu %10llu %9llu %9llu", p->name, p->arena,
                  units_bytes(p->slot_size).s, (unsigned long long)p->live, (unsigned long long)p->slots,
                  (unsigned long long)p->high_water, (unsigned long long)p->allocs, (unsigned long long)p->frees);
    }
}

static void text_heap(text_out *o, const report_snapshot *s)
{
    if (!s->has_heap) return;
    const heap_stats *h = &s->heap;
    text_line(o, "heap: %s used in %llu blocks, %s committed of %s, fragmentation %.1f%%", units_bytes(h->used).s,
              (unsigned long long)h->blocks, units_bytes(h->committed).s, units_bytes(h->reserved).s,
              h->fragmentation * 100.0);
}

/* Sites ordered by bytes in the last frame, then by bytes in all. */
static int text_site_order(const void *pa, const void *pb)
{
    const report_site *a = pa, *b = pb;
    if (a->frame_bytes != b->frame_bytes) return a->frame_bytes < b->frame_bytes ? 1 : -1;
    return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : 0;
}

/* The game's sites (the host's own are summed in one line): file:line, function and its caller. */
static void text_sites(text_out *o, const report_snapshot *s)
{
    report_site top[TEXT_TOP_SITES];
    uint32_t n = 0, host_sites = 0;
    uint64_t host_bytes = 0;
    for (uint32_t i = 0; i < s->site_count; i++) {
        if (!s->sites[i].pushes) continue;
        if (s->sites[i].host) {
            host_sites++;
            host_bytes += s->sites[i].bytes;
            continue;
        }
        if (n < TEXT_TOP_SITES) top[n++] = s->sites[i];
        else if (text_site_order(&s->sites[i], &top[n - 1]) < 0) top[n - 1] = s->sites[i];
        else continue;
        qsort(top, n, sizeof(top[0]), text_site_order);
    }
    text_line(o, "%-48s %10s %8s %10s %10s", "top call sites (by bytes this frame) < caller", "bytes/f", "pushes/f",
              "peak/f", "bytes");
    for (uint32_t i = 0; i < n; i++) {
        char where[200];
        int len = top[i].line ? snprintf(where, sizeof(where), "%s:%u %s", text_base_name(top[i].file), top[i].line, top[i].func)
                              : snprintf(where, sizeof(where), "%s %s", top[i].file, top[i].func); /* a pool's slots */
        if (top[i].depth && len > 0 && (size_t)len < sizeof(where))
            snprintf(where + len, sizeof(where) - (size_t)len, " < %s", top[i].frames[0].func);
        text_line(o, "%-48.48s %10s %8llu %10s %10s", where, units_bytes(top[i].frame_bytes).s,
                  (unsigned long long)top[i].frame_pushes, units_bytes(top[i].peak_bytes).s,
                  units_bytes(top[i].bytes).s);
    }
    if (host_sites)
        text_line(o, "and the host's own: %u call sites, %s pushed into the game's arenas", host_sites,
                  units_bytes(host_bytes).s);
}

static void text_tags(text_out *o, const report_snapshot *s)
{
    if (s->tag_count <= 1 && (!s->tag_count || !s->tags[0].pushes)) return;
    text_line(o, "%-48s %10s %8s %10s %10s", "tags", "bytes/f", "pushes/f", "peak/f", "bytes");
    for (uint32_t i = 0; i < s->tag_count && i < TEXT_TOP_TAGS; i++) {
        const report_tag *t = &s->tags[i];
        text_line(o, "%-48.48s %10s %8llu %10s %10s", t->name, units_bytes(t->frame_bytes).s,
                  (unsigned long long)t->frame_pushes, units_bytes(t->peak_bytes).s, units_bytes(t->bytes).s);
    }
}

void report_text(report_buf *b, const report_snapshot *s, int width, int rows)
{
    text_out o = {b, width, rows};
    text_line(&o, "stats at frame %llu: %llu frames, version %llu, %llu reloads (\"/f\": in that frame)",
              (unsigned long long)s->frame, (unsigned long long)s->frames, (unsigned long long)s->version,
              (unsigned long long)s->reloads);
    text_arenas(&o, s);
    text_pools(&o, s);
    text_heap(&o, s);
    text_tags(&o, s);
    text_sites(&o, s); /* last: what a short screen cuts */
}
