/* heap.c - the block's heap on top of a mimalloc exclusive arena. */
#include "heap.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef ARENA_ABORT
#define ARENA_ABORT() abort()
#endif

heap_status heap_region_init(heap_region *r, void *start, uint64_t size, bool committed, const char *name)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "heap");
    if ((uintptr_t)start % HEAP_REGION_ALIGN) return HEAP_MISALIGNED;
    if (size == 0 || size % HEAP_REGION_ALIGN) return HEAP_BAD_SIZE;
    mi_arena_id_t id;
    /* is_zero: fresh reserved or NORESERVE pages read as zero */
    if (!mi_manage_os_memory_ex(start, (size_t)size, committed, false, true, -1, true, &id)) return HEAP_REFUSED;
    r->start = start;
    r->size = size;
    r->arena_id = id;
    r->main = heap_thread_bind(r);
    return r->main ? HEAP_OK : HEAP_REFUSED;
}

const char *heap_status_text(heap_status s)
{
    switch (s) {
    case HEAP_OK: return "ok";
    case HEAP_MISALIGNED: return "the heap region must start at a multiple of 32 MiB";
    case HEAP_BAD_SIZE: return "the heap region must be a non-zero multiple of 32 MiB";
    case HEAP_REFUSED: return "mimalloc refused the heap region";
    }
    return "unknown heap status";
}

struct mi_heap_s *heap_thread_bind(heap_region *r)
{
    mi_heap_t *h = mi_heap_new_in_arena(r->arena_id);
    if (h) mi_heap_set_default(h);
    return h;
}

void heap_thread_unbind(void) { mi_heap_set_default(mi_heap_get_backing()); }

BASE_NOINLINE void *heap_fail(heap_region *r, uint64_t size, uint64_t align, int flags)
{
    r->failure.count++;
    r->failure.request = size;
    r->failure.align = align;
    r->failure.capacity = r->size;
    if (!(flags & HEAP_FATAL)) return NULL;
    fprintf(stderr,
            "heap '%s' full: allocation of %llu bytes (align %llu) does not fit in the %llu-byte heap region; "
            "give it more with --heap SIZE or use the try_ variant where running out is expected\n",
            r->name, (unsigned long long)size, (unsigned long long)align, (unsigned long long)r->size);
    fflush(stderr);
    ARENA_ABORT();
    return NULL;
}

void *heap_calloc(heap_region *r, uint64_t count, uint64_t size, int flags)
{
    uint64_t total;
    if (!size_mul(count, size, &total)) return heap_fail(r, UINT64_MAX, 0, flags);
    return heap_alloc(r, total, 0, flags | HEAP_ZERO);
}

void *heap_realloc(heap_region *r, void *p, uint64_t size, int flags)
{
    if (!p) return heap_alloc(r, size, 0, flags);
    if (size == 0) {
        mi_free(p);
        return NULL;
    }
    /* the bound thread's default heap is a region heap, so mi_realloc stays in the region */
    void *q = mi_realloc(p, (size_t)size);
    return q ? q : heap_fail(r, size, 0, flags);
}

uint64_t heap_usable_size(const void *p) { return p ? mi_usable_size(p) : 0; }

bool heap_contains(const heap_region *r, const void *p)
{
    const uint8_t *b = p;
    return b >= r->start && b < r->start + r->size;
}

static bool heap_visit(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t block_size, void *arg)
{
    (void)h;
    (void)block_size;
    heap_stats *s = arg;
    if (!block) {
        /* once per area (page) before its blocks */
        s->pages++;
        s->committed += area->committed;
        return true;
    }
    s->blocks++;
    s->used += area->block_size;
    return true;
}

heap_stats heap_collect_stats(const heap_region *r)
{
    heap_stats s = {0};
    s.reserved = r->size;
    mi_heap_visit_blocks(mi_heap_get_default(), true, heap_visit, &s);
    s.fragmentation = s.committed ? 1.0 - (double)s.used / (double)s.committed : 0.0;
    return s;
}
