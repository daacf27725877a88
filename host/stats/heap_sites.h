/* heap_sites.h - which call site allocated each live heap block, for leak reports and the heap's
 * share of an allocation profile.
 *
 *     heap_sites hs;
 *     heap_sites_init(&hs, region, table);        // the owner map: 2 bytes per 16 bytes of region
 *     void *p = heap_alloc(MAX(size, HEAP_SITES_GRAIN), 0, HEAP_FATAL);
 *     heap_sites_note(&hs, p, ARENA_CALLER);      // in the service the game called
 *     uint32_t site = heap_sites_owner(&hs, p);   // a site of the stats table: "heap_alloc" at
 *                                                 // the line that called it (game.c:40), from the
 *                                                 // game's function
 *
 * A call site is keyed by the source line of the call (looked up once per call site, through the
 * `line` function the stats hand over; "(heap)" line 0 without debug information) and the calling
 * function, so two allocations in one function are two sites, and a reload finds them again.
 * The owner map is host memory (calloc: pages are committed only where blocks are), indexed by a
 * block's offset in the region over 16, so noting costs a look-up of the caller in a small cache
 * and one store; frees cost nothing (a block is only looked at while it is live, and a new block
 * at the same place writes its own owner). Blocks smaller than 16 bytes would share an entry, so a
 * tracked allocation asks for at least HEAP_SITES_GRAIN. The cache holds raw return addresses:
 * heap_sites_forget_callers after every reload or rollback, whose code may sit where the old one
 * was. Site ids above 65535 are noted as 0 ("(no site)"). */
#ifndef HEAP_SITES_H
#define HEAP_SITES_H

#include "../../arena/arena_stats.h"
#include "../../arena/heap.h"

#define HEAP_SITES_GRAIN 16
#define HEAP_SITES_CACHE 1024 /* callers remembered, by return address */

/* "file.c:12" for the code a return address comes back to (the call before it); false when unknown. */
typedef bool heap_sites_line_fn(void *ctx, const arena_stats_frame *f, char *out, size_t cap);

typedef struct heap_sites {
    uint8_t *start;          /* the heap region */
    uint64_t size;
    uint16_t *owner;         /* per HEAP_SITES_GRAIN bytes of the region */
    arena_stats_table *table;
    heap_sites_line_fn *line;
    void *line_ctx;
    uint64_t cache[HEAP_SITES_CACHE]; /* return address << 16 | site id; 0: empty */
} heap_sites;

/* False when the owner map cannot be allocated (out of memory). */
bool heap_sites_init(heap_sites *hs, const heap_region *r, arena_stats_table *table, heap_sites_line_fn *line,
                     void *line_ctx);
void heap_sites_free(heap_sites *hs);
/* The site of a caller not in the cache: resolved in the table, then cached. */
uint32_t heap_sites_resolve(heap_sites *hs, uintptr_t caller);
void heap_sites_forget_callers(heap_sites *hs);

/* Records that `caller` (a return address in the code that called the heap service) allocated p
 * (a block of the region, or NULL). Any thread. */
static inline void heap_sites_note(heap_sites *hs, const void *p, uintptr_t caller)
{
    if (!p) return;
    uint64_t c = hs->cache[(caller >> 2) & (HEAP_SITES_CACHE - 1)];
    uint32_t id = c && c >> 16 == caller ? (uint32_t)(c & 0xffff) : heap_sites_resolve(hs, caller);
    hs->owner[(uint64_t)((const uint8_t *)p - hs->start) / HEAP_SITES_GRAIN] = (uint16_t)id;
}

/* The site that allocated a live block (0 when not noted). */
static inline uint32_t heap_sites_owner(const heap_sites *hs, const void *p)
{
    return hs->owner[(uint64_t)((const uint8_t *)p - hs->start) / HEAP_SITES_GRAIN];
}

#endif
