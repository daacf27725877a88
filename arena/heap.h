/* heap.h - malloc-style memory inside the block, run by mimalloc 2.x.
 *
 * The block's heap region is handed to mimalloc as an exclusive arena. Heaps made for the region
 * allocate only there (a full region gives NULL, never OS memory) and no other heap allocates there,
 * so heap pointers keep their addresses across reloads like arena pointers do.
 *
 *     heap_region r;
 *     heap_status s = heap_region_init(&r, start, MB(256), true, "heap");  // main thread, once
 *     char *p = heap_alloc(&r, 100, 0, HEAP_FATAL);
 *     p = heap_realloc(&r, p, 4000, HEAP_FATAL);
 *     heap_free(p);                                                        // from any thread
 *
 * A thread allocates from the region only once it is bound to it: heap_region_init binds the main
 * thread, heap_thread_bind a worker. Binding makes a region heap the thread's default mimalloc heap,
 * so the allocation calls are mimalloc's fastest path (mi_heap_malloc costs ~0.8 ns more per call in
 * 2.0.9) and even a stray mi_malloc or mi_realloc on a bound thread stays inside the block.
 *
 * Rules of mimalloc 2.0.9 this wrapper keeps (tests/unit/test_heap.c proves each):
 *  - the region starts 32 MiB aligned and is a multiple of 32 MiB; release builds of mimalloc do not
 *    check this and then return NULL for every allocation;
 *  - on a thread not bound to the region, plain mi_realloc of a region block moves it into that
 *    thread's default heap, out of the block: allocate and reallocate only on bound threads;
 *  - a region heap is never mi_heap_delete'd: its pages would move to the thread's default heap and
 *    plain mi_malloc would then hand out memory inside the block. The main heap lives as long as the
 *    process; a worker's heap is retired by mimalloc itself when its thread exits;
 *  - a heap belongs to the thread that made it; any thread may free;
 *  - mimalloc keeps its metadata (heap structs, the arena's bitmaps) outside the block: the region is
 *    stable across reloads but is NOT a self-contained image of the heap. Anything that copies or
 *    saves the block must leave the heap region out, or say that it does not cover it.
 *
 * The heap wrapper lives in the host process (it holds mimalloc pointers, so it is not stored in
 * the block); games reach it through the host API table. */
#ifndef HEAP_H
#define HEAP_H

#include "arena.h"

#include <mimalloc.h>

#define HEAP_REGION_ALIGN MB(32)

typedef struct heap_region {
    char name[ARENA_NAME_MAX];
    uint8_t *start;
    uint64_t size;
    int arena_id;            /* mimalloc's id of the exclusive arena */
    struct mi_heap_s *main;  /* the heap of the thread that initialised the region */
    arena_failure failure;   /* the last request the region could not satisfy */
} heap_region;

typedef enum heap_status {
    HEAP_OK,
    HEAP_MISALIGNED, /* start not 32 MiB aligned */
    HEAP_BAD_SIZE,   /* size not a non-zero multiple of 32 MiB */
    HEAP_REFUSED,    /* mimalloc did not take the region */
} heap_status;

enum { HEAP_ZERO = 1, HEAP_FATAL = 2 };

/* Hands [start, start + size) to mimalloc, creates the main heap and binds the calling thread to
 * it. `committed`: the memory is already usable (Linux MAP_NORESERVE) rather than only reserved
 * (Windows MEM_RESERVE). */
heap_status heap_region_init(heap_region *r, void *start, uint64_t size, bool committed, const char *name);
const char *heap_status_text(heap_status s);

/* Binds the calling thread to a new heap in the region (NULL when mimalloc cannot make one). */
struct mi_heap_s *heap_thread_bind(heap_region *r);
/* The calling thread stops allocating from the region; its heap is left for mimalloc to retire when
 * the thread exits (deleting it now would move its pages to the thread's default heap). */
void heap_thread_unbind(void);

/* Where an allocation failed: records it, and with HEAP_FATAL prints the one line and aborts. */
void *heap_fail(heap_region *r, uint64_t size, uint64_t align, int flags);

/* From the calling thread's bound heap. align 0 means the natural alignment. HEAP_FATAL: a full
 * region is a one-line fatal error naming the region, the request and its size, like an exhausted
 * arena; without it, NULL. Inline, so the block heap costs what mimalloc costs. */
static inline void *heap_alloc(heap_region *r, uint64_t size, uint64_t align, int flags)
{
    void *p;
    if (align)
        p = size_is_pow2(align) ? ((flags & HEAP_ZERO) ? mi_zalloc_aligned((size_t)size, (size_t)align)
                                                       : mi_malloc_aligned((size_t)size, (size_t)align))
                                : NULL;
    else
        p = (flags & HEAP_ZERO) ? mi_zalloc((size_t)size) : mi_malloc((size_t)size);
    return BASE_LIKELY(p != NULL) ? p : heap_fail(r, size, align, flags);
}

void *heap_calloc(heap_region *r, uint64_t count, uint64_t size, int flags);
/* Stays in the region: grows in place or moves within it. NULL p allocates; size 0 frees. */
void *heap_realloc(heap_region *r, void *p, uint64_t size, int flags);
static inline void heap_free(void *p) { mi_free(p); }
uint64_t heap_usable_size(const void *p);
bool heap_contains(const heap_region *r, const void *p);

typedef struct heap_stats {
    uint64_t reserved;      /* the region's size */
    uint64_t committed;     /* bytes of pages mimalloc uses for this heap's blocks */
    uint64_t used;          /* bytes of live blocks (usable size) */
    uint64_t blocks;        /* live blocks */
    uint64_t pages;         /* pages (areas) holding them */
    double fragmentation;   /* 1 - used / committed: share of committed memory not in live blocks */
} heap_stats;

/* Walks the live blocks of the calling thread's bound heap. */
heap_stats heap_collect_stats(const heap_region *r);

#endif
