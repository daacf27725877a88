/* heap_sites.c - the owner map of the heap region (heap_sites.h). */
#include "heap_sites.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool heap_sites_init(heap_sites *hs, const heap_region *r, arena_stats_table *table, heap_sites_line_fn *line,
                     void *line_ctx)
{
    memset(hs, 0, sizeof(*hs));
    hs->start = r->start;
    hs->size = r->size;
    hs->table = table;
    hs->line = line;
    hs->line_ctx = line_ctx;
    hs->owner = calloc(r->size / HEAP_SITES_GRAIN, sizeof(*hs->owner));
    return hs->owner != NULL;
}

void heap_sites_free(heap_sites *hs)
{
    free(hs->owner);
    hs->owner = NULL;
}

uint32_t heap_sites_resolve(heap_sites *hs, uintptr_t caller)
{
    arena_stats_frame f = arena_stats_frame_at(hs->table, caller);
    char where[160], *colon;
    arena_site site = {"(heap)", "heap_alloc", 0, {0}}; /* its keys are this call's only */
    if (hs->line(hs->line_ctx, &f, where, sizeof(where)) && (colon = strrchr(where, ':')) != NULL) {
        *colon = 0;
        site.file = where;
        site.line = (uint32_t)strtoul(colon + 1, NULL, 10);
    }
    uint32_t id = arena_stats_site_of(hs->table, &site, caller);
    if (id > 0xffff) return ARENA_STATS_NO_SITE;
    hs->cache[(caller >> 2) & (HEAP_SITES_CACHE - 1)] = (uint64_t)caller << 16 | id;
    return id;
}

void heap_sites_forget_callers(heap_sites *hs)
{
    memset(hs->cache, 0, sizeof(hs->cache));
}
