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
 *    stable across reloads but is NOT a self-contained image of the heap. Checkpoints cover it through
 *    this API (host/checkpoint/): a heap per epoch, frees watched, and the calls logged so that another
 *    process can make them again.
 *
 * Epochs: the main thread may own several heaps in the region, oldest first (heap_region.heaps); the
 * newest is its default heap, the only one it allocates from. A checkpoint starts a new one, so the
 * older heaps' pages stop changing; a restore destroys the heaps born after its checkpoint. mimalloc
 * may hand a heap pages of an exited worker thread's heap (an abandoned segment of the same arena,
 * with live blocks) when it needs a new page: host/checkpoint/epochs.c never destroys such a heap.
 *
 * Watching: heap_watching's calls, when set, take the allocations, reallocations and frees of every
 * thread (host/checkpoint/ sets them while checkpoints or the heap log need to see them); the
 * _direct calls do what the plain ones do when nothing watches.
 *
 * The heap wrapper lives in the host process (it holds mimalloc pointers, so it is not stored in
 * the block); games reach it through the host API table. */
#ifndef HEAP_H
#define HEAP_H

#include "arena.h"

#include <mimalloc.h>
#include <stdatomic.h>

#define HEAP_REGION_ALIGN MB(32)
#define HEAP_HEAPS_MAX 1024 /* heaps of the main thread at once: the epochs of live checkpoints */

typedef struct heap_region {
    char name[ARENA_NAME_MAX];
    uint8_t *start;
    uint64_t size;
    int arena_id;            /* mimalloc's id of the exclusive arena */
    struct mi_heap_s *main;  /* the first heap of the thread that initialised the region (the main thread) */
    arena_failure failure;   /* the last request the region could not satisfy */
    struct mi_heap_s *heaps[HEAP_HEAPS_MAX]; /* the main thread's heaps, oldest first; the last is its default */
    uint32_t heap_count;
    atomic_bool had_workers; /* a thread but the main one was ever bound: its pages may be abandoned */
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
    bool main;           /* the thread that initialised the region: its heaps are the region's epochs */
} heap_binding;

extern _Thread_local heap_binding heap_this_thread;

typedef void *heap_alloc_fn(uint64_t size, uint64_t align, int flags);
typedef void *heap_realloc_fn(void *p, uint64_t size, int flags);
typedef void heap_free_fn(void *p);

/* What else changes mimalloc's state of the main thread's heaps without an allocation or a free: a
 * walk of their blocks (heap_visit with all_blocks gathers pending frees into the free lists) and a
 * settle. Another process that makes the same calls must make these too, in the same places. */
typedef enum heap_event { HEAP_EVENT_WALK, HEAP_EVENT_SETTLE } heap_event;
typedef void heap_event_fn(const struct heap_region *r, heap_event e);
/* A block the game freed that the watcher keeps allocated (a live checkpoint still needs its bytes):
 * no longer the game's, so counts of live blocks leave it out (heap_visit_live). */
typedef bool heap_held_fn(const void *p);

/* Each NULL unless something watches that call (set while the game's threads are stopped). */
typedef struct heap_watch {
    heap_alloc_fn *alloc;
    heap_realloc_fn *realloc;
    heap_free_fn *free;
    heap_event_fn *event;
    heap_held_fn *held;
} heap_watch;

extern heap_watch heap_watching;

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
/* The allocations that check mimalloc's answer themselves (aligned and try_ requests), and watched ones. */
void *heap_alloc_checked(uint64_t size, uint64_t align, int flags);
/* What heap_alloc, heap_realloc and heap_free do when nothing watches: for the watchers. */
void *heap_alloc_direct(uint64_t size, uint64_t align, int flags);
void *heap_realloc_direct(void *p, uint64_t size, int flags);

/* From the calling thread's region. align 0 means the natural alignment. HEAP_FATAL: a full region
 * is a one-line fatal error naming the region, the request and its size, like an exhausted arena;
 * without it, NULL. Inline: a fatal unaligned request costs what mi_malloc costs plus two
 * thread-local accesses. */
static inline void *heap_alloc(uint64_t size, uint64_t align, int flags)
{
    /* the thread-local by name, not through a pointer: GCC 12's UBSan at -O1 reports a pointer to
     * it kept across a loop's iterations as NULL */
    if (BASE_UNLIKELY(!heap_this_thread.region)) heap_fail_unbound();
    if (align || !(flags & HEAP_FATAL) || heap_watching.alloc) return heap_alloc_checked(size, align, flags);
    heap_this_thread.request = size;
    return (flags & HEAP_ZERO) ? mi_zalloc((size_t)size) : mi_malloc((size_t)size);
}

void *heap_calloc(uint64_t count, uint64_t size, int flags);
/* Stays in the region: grows in place or moves within it. NULL p allocates; size 0 frees. Every
 * byte the old block's bytes do not fill is zeroed, up to the block's usable size: a growing array
 * holds no bytes that depend on what the memory held before, so two runs that make the same calls
 * hold the same bytes in their blocks (the state's checksum covers a block's usable size). */
void *heap_realloc(void *p, uint64_t size, int flags);
static inline void heap_free(void *p)
{
    heap_free_fn *watcher = heap_watching.free;
    if (BASE_UNLIKELY(watcher != NULL)) watcher(p);
    else mi_free(p);
}
uint64_t heap_usable_size(const void *p);
/* Zeroes block p from byte `from` up to its usable size (mimalloc rounds sizes up). */
void heap_zero_slack(void *p, uint64_t from);
bool heap_contains(const heap_region *r, const void *p);

typedef struct heap_stats {
    uint64_t reserved;      /* the region's size */
    uint64_t committed;     /* bytes of pages mimalloc uses for this heap's blocks */
    uint64_t used;          /* bytes of live blocks (usable size) */
    uint64_t blocks;        /* live blocks */
    uint64_t pages;         /* pages (areas) holding them */
    double fragmentation;   /* 1 - used / committed: share of committed memory not in live blocks */
} heap_stats;

/* Walks the live blocks of the main thread's heaps (heap_visit_live; call it on the main thread). */
heap_stats heap_collect_stats(const heap_region *r);

/* mi_heap_visit_blocks over each of the main thread's heaps, oldest first; false when fn stopped it. */
bool heap_visit(const heap_region *r, bool all_blocks, mi_block_visit_fun *fn, void *arg);
/* The same over every block the game has live: the blocks a watcher holds (heap_held_fn) left out.
 * For counts of live blocks (stats, leak reports); a walk that must see every byte a restore can
 * bring back (a scan, a checksum) uses heap_visit. */
bool heap_visit_live(const heap_region *r, mi_block_visit_fun *fn, void *arg);

/* ---- epochs (main thread only) ------------------------------------------------------------------ */

/* A new heap becomes the main thread's default; false (nothing changed) when mimalloc cannot make
 * one or HEAP_HEAPS_MAX are alive. */
bool heap_epoch_begin(heap_region *r);
/* Destroys heap i and every heap after it (their blocks are gone), then starts a new default heap;
 * false when that cannot be made (the region then has no default heap: a fatal state for callers). */
bool heap_epoch_destroy_from(heap_region *r, uint32_t i);
/* Brings the frees mimalloc keeps pending (each page's local and thread free lists) into the free
 * lists of every main-thread heap and releases their empty pages. Afterwards only allocations and
 * frees change those heaps' pages: a walk of their blocks (heap_visit with all_blocks) gathers
 * pending frees first, writing free-list links into the pages, which a checkpoint must not miss. */
void heap_epoch_settle(heap_region *r);
/* Destroys heap i with every block in it, unless it is the default; the heaps after it move down. */
void heap_epoch_destroy(heap_region *r, uint32_t i);
/* The index of the main thread's heap that holds p, or -1 (a worker's block, or not a block). */
int heap_epoch_of(const heap_region *r, const void *p);

#endif
