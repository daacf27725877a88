/* epochs.h - the heap's side of checkpoints (and of the heap log): what arena/heap.h's watch calls
 * do while either needs them.
 *
 * A checkpoint starts a new epoch: a new heap of the main thread becomes its default (heap.h), so
 * mi_malloc's fast path stays, and the older heaps' pages stop changing. While a checkpoint is live:
 *  - once a worker thread was ever bound to the heap, the main thread's allocations are remembered
 *    (`young`), so that a restore knows which blocks it may take back (see below);
 *  - a free of a block not allocated in the newest epoch is deferred (the block stays allocated,
 *    remembered in order), a realloc of one allocates anew and defers the free; a block of the
 *    newest epoch is freed at once;
 *  - frees of worker threads wait in a queue for the main thread, so that every call into the main
 *    thread's heaps happens on it (the heap log's order is then mimalloc's order).
 *
 *     epochs_mark m;
 *     epochs_checkpoint(&e, &m, &err);   // a new epoch
 *     ... frames ...
 *     epochs_restore(&e, m);             // blocks allocated since gone, frees since forgotten
 *     epochs_release(&e, m, ...);        // m's checkpoint dropped: its deferred frees carried out
 *
 * A restore destroys each heap born since the checkpoint, with its blocks, when every block in it
 * is one the main thread allocated since. mimalloc can hand a heap pages of an exited worker
 * thread's heap (with that worker's live blocks) when it needs a page; such a heap is kept, only the
 * blocks allocated since are freed (one by one), and the restore counts the adopted blocks
 * (`adopted`). Without a worker thread ever bound to the heap there are no such pages, and blocks
 * are not remembered (the set costs the heap's calls a few nanoseconds). A block allocated before
 * the first worker was bound and freed later counts as adopted: kept (a leak), never destroyed. Blocks of worker threads: their frees are deferred like any older block's, but a
 * restore cannot take back what a worker allocated since (mimalloc frees a heap only on its own
 * thread), and checkpoints do not capture their bytes (see snapshot.h). */
#ifndef EPOCHS_H
#define EPOCHS_H

#include "blockset.h"
#include "heap_log.h"

#include <stdatomic.h>

/* Where the heap stood at a checkpoint. */
typedef struct epochs_mark {
    uint32_t heap;     /* the index of the epoch's heap (heap_region.heaps) */
    uint64_t deferred; /* frees deferred before the checkpoint, counted from the first ever */
} epochs_mark;

typedef struct epochs {
    heap_region *region;
    heap_log *log;            /* NULL: calls are not logged */
    uint32_t live;            /* live checkpoints */
    blockset young;           /* blocks the main thread allocated while a checkpoint was live, still allocated */
    void **deferred;          /* frees the game made that a live checkpoint still needs, oldest first */
    uint64_t deferred_count;
    uint64_t deferred_cap;
    uint64_t deferred_done;   /* deferred frees carried out so far (they left the front of the list) */
    uint64_t deferred_changes; /* changes to the list so far */
    void **held;              /* the list sorted by address, as of held_changes, for heap_held_fn (heap.h) */
    uint64_t held_count, held_cap, held_changes;
    void **queued;            /* frees of worker threads, for the main thread */
    uint64_t queued_count;
    uint64_t queued_cap;
    atomic_flag lock;         /* guards queued */
    atomic_uint_fast64_t worker_allocs; /* allocations of worker threads while watched */
    uint64_t adopted;         /* blocks of exited workers that restores found in heaps born since (kept) */
    bool zero_slack;          /* the main thread's new blocks get the bytes past the size asked for zeroed */
    bool out_of_memory;       /* a list found no room: blocks leak (never a double free) */
} epochs;

/* One per process (the watch calls find it here); nothing is watched until a checkpoint or a log. */
void epochs_start(epochs *e, heap_region *r);
void epochs_stop(epochs *e);
/* From now on every main-thread call is logged into `log` (NULL: no longer). */
void epochs_log(epochs *e, heap_log *log);

/* From now on (or no longer) the main thread's allocations get their slack zeroed: mimalloc rounds
 * sizes up, and the bytes past the size asked for are then the same in every pass of a live loop,
 * wherever a block lands. Watched only while a checkpoint is live. */
void epochs_zero_slack(epochs *e, bool on);

/* Main thread, game threads stopped: the queued frees of worker threads are made (or deferred). */
void epochs_drain(epochs *e);

/* A new epoch; false when mimalloc cannot make a heap (nothing changed). */
bool epochs_checkpoint(epochs *e, epochs_mark *m, host_error *err);
/* Back to m: the blocks allocated since are freed (their heaps destroyed, see above) and a new heap
 * started, and the frees deferred since are forgotten (those blocks are back). m stays usable. */
void epochs_restore(epochs *e, epochs_mark m);
/* The newest live checkpoint is dropped by a restore to an older one (call before epochs_restore). */
void epochs_release_newest(epochs *e);
/* Called with each block whose deferred free is carried out, just after mimalloc freed it. */
typedef void epochs_freed_fn(void *ctx, void *block, uint64_t size);
/* The oldest live checkpoint (at m) is dropped and `next` is the next oldest (NULL: none left): the
 * frees deferred before next are carried out, and heaps older than next's epoch that hold no block
 * are destroyed. Returns how many heaps went, all below next->heap (shift the live marks down). */
uint32_t epochs_release(epochs *e, const epochs_mark *next, epochs_freed_fn *fn, void *ctx);
/* How many deferred frees epochs_release(e, next, ...) would carry out now (after a drain). */
uint64_t epochs_frees_at_release(epochs *e, const epochs_mark *next);

#endif
