/* heap.h - malloc-style memory inside the block, run by mimalloc 2.x.
 *
 * The block's heap region is handed to mimalloc as an exclusive arena. Heaps made for the region
 * allocate only there (a full region gives NULL, never OS memory) and no other heap allocates there,
 * so heap pointers keep their addresses across reloads like arena pointers do.
 *
 *     heap_region r;
 *     heap_status s = heap_region_init(&r, start, MB(256), true, "heap");  // main thread, once
 *     char *p = heap_alloc(100, 0, HEAP_FATAL);                            // from the thread's region
 *     p = heap_realloc(p, 4000, HEAP_FATAL);
 *     heap_free(p);                                                        // from any thread
 *
 * A thread allocates from a region only once it is bound to it: heap_region_init binds the main
 * thread, heap_thread_bind a worker; an allocation on an unbound thread is a one-line fatal error.
 * Binding makes a region heap the thread's default mimalloc heap, so the allocation calls are
 * mimalloc's fastest path (mi_heap_malloc costs ~0.8 ns more per call in 2.0.9) and even a stray
 * mi_malloc or mi_realloc on a bound thread stays inside the block.
 *
 * A full region is reported from inside mimalloc: heap_region_init registers a mimalloc error
 * handler that prints the fatal line for the request the thread has in progress, so the fatal
 * allocation is a plain tail call of mi_malloc (a NULL check after the call cost ~20% of an
 * allocation). The try variants mark their call so the handler lets mimalloc return NULL. The
 * handler is process-wide (nothing else in the process may call mi_register_error) and acts on any
 * mimalloc allocation on a bound thread: there, running out outside a try_ call is always fatal.
 *
 * Rules of mimalloc 2.0.9 this wrapper keeps (tests/unit/arena/test_heap.c proves each):
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

/* What a thread knows about its binding. Thread-local, so the allocation fast path reads no shared
 * state; the error handler reads it to name the region and the request. */
typedef struct heap_binding {
    heap_region *region; /* where this thread allocates; NULL when unbound */
    uint64_t request;    /* the size of the allocation in progress */
    uint64_t align;      /* its alignment; 0 outside aligned calls */
    bool quiet;          /* a try_ call is in progress: a full region gives NULL, not the fatal line */
} heap_binding;

extern _Thread_local heap_binding heap_this_thread;

/* Binds the calling thread to a new heap in the region (NULL when mimalloc cannot make one). */
struct mi_heap_s *heap_thread_bind(heap_region *r);
/* The calling thread stops allocating from the region; its heap is left for mimalloc to retire when
 * the thread exits (deleting it now would move its pages to the thread's default heap). */
void heap_thread_unbind(void);
/* Until heap_thread_resume, the calling thread's stray mimalloc allocations (the malloc and C++ new
 * that Debian's libmimalloc overrides) go to its own heap outside the block: for calls into
 * libraries that allocate on the caller's thread (a GL driver's C++ under SDL), whose memory must
 * never land in the game's heap. Returns what to resume with. */
struct mi_heap_s *heap_thread_pause(void);
void heap_thread_resume(struct mi_heap_s *heap);
/* The region the calling thread allocates from, or NULL. */
static inline heap_region *heap_thread_region(void) { return heap_this_thread.region; }

/* Where an allocation failed: records it, and with HEAP_FATAL prints the one line and aborts. */
void *heap_fail(heap_region *r, uint64_t size, uint64_t align, int flags);
/* An allocation on a thread that is not bound: one line naming the fix, then abort. */
BASE_NORETURN void heap_fail_unbound(void);
/* The allocations that check mimalloc's answer themselves: aligned and try_ requests. */
void *heap_alloc_checked(uint64_t size, uint64_t align, int flags);

/* From the calling thread's region. align 0 means the natural alignment. HEAP_FATAL: a full region
 * is a one-line fatal error naming the region, the request and its size, like an exhausted arena;
 * without it, NULL. Inline: a fatal unaligned request costs what mi_malloc costs plus two
 * thread-local accesses. */
static inline void *heap_alloc(uint64_t size, uint64_t align, int flags)
{
    heap_binding *t = &heap_this_thread;
    if (BASE_UNLIKELY(!t->region)) heap_fail_unbound();
    if (align || !(flags & HEAP_FATAL)) return heap_alloc_checked(size, align, flags);
    t->request = size;
    return (flags & HEAP_ZERO) ? mi_zalloc((size_t)size) : mi_malloc((size_t)size);
}

void *heap_calloc(uint64_t count, uint64_t size, int flags);
/* Stays in the region: grows in place or moves within it. NULL p allocates; size 0 frees. */
void *heap_realloc(void *p, uint64_t size, int flags);
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
