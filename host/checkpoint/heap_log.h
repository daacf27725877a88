/* heap_log.h - the main thread's calls into the block's heap, logged so that another process can
 * make them again.
 *
 * mimalloc keeps the heap's metadata outside the block, so a state file cannot carry the heap as
 * bytes. mimalloc places blocks deterministically: the same calls on one thread, in a fresh region
 * at the same address, give the same addresses. So a state file carries this log (every call since
 * the region was fresh), and a new host makes the calls again before it writes the blocks' bytes
 * back; each allocation must land where the log says, or the load is refused.
 *
 *     heap_log log = {0};
 *     heap_log_alloc(&log, region, 64, 0, p);           // after p = mi_malloc(64)
 *     heap_log_free(&log, region, p);
 *     ...
 *     heap_log_replay(log.data, log.size, fresh_region, &err); // in the new process
 *
 * Calls are a byte each plus varints: 5 to 10 bytes per call. Walks of the heap's blocks and
 * settles change mimalloc's free lists too (heap.h, heap_event), so they are calls of the log.
 * Worker threads' calls cannot be replayed in their order (their heaps run concurrently): a
 * worker's allocation breaks the log. */
#ifndef HEAP_LOG_H
#define HEAP_LOG_H

#include "../../arena/heap.h"
#include "../base/error.h"

typedef enum heap_log_op {
    HEAP_LOG_ALLOC = 1,         /* size, align (0: none), result (offset + 1; 0: NULL) */
    HEAP_LOG_REALLOC,           /* block, size, result */
    HEAP_LOG_FREE,              /* block */
    HEAP_LOG_EPOCH_BEGIN,       /* heap_epoch_begin */
    HEAP_LOG_EPOCH_DESTROY,     /* index: heap_epoch_destroy */
    HEAP_LOG_WALK,              /* a walk of every block of the main heaps (heap_visit, all_blocks) */
    HEAP_LOG_SETTLE,            /* heap_epoch_settle */
} heap_log_op;

typedef struct heap_log {
    uint8_t *data;
    uint64_t size;
    uint64_t capacity;
    uint64_t calls;
    bool broken;        /* a call the log cannot make again happened: it cannot rebuild the heap */
    bool out_of_memory; /* the log could not grow: broken too */
} heap_log;

void heap_log_alloc(heap_log *l, const heap_region *r, uint64_t size, uint64_t align, const void *result);
void heap_log_realloc(heap_log *l, const heap_region *r, const void *p, uint64_t size, const void *result);
void heap_log_free(heap_log *l, const heap_region *r, const void *p);
/* An epoch call (the index: HEAP_LOG_EPOCH_DESTROY's), a walk or a settle. */
void heap_log_epoch(heap_log *l, heap_log_op op, uint32_t index);
/* Starts the log over from a copy of `data` (a loaded state's log, to which this process adds). */
bool heap_log_adopt(heap_log *l, const uint8_t *data, uint64_t size);
void heap_log_free_all(heap_log *l);

/* Makes the logged calls on `r`, a region no call has touched since heap_region_init. False, with
 * err naming the call, when the log is malformed or a block lands elsewhere; the region's heaps
 * are then destroyed and one fresh heap is left. */
bool heap_log_replay(const uint8_t *data, uint64_t size, heap_region *r, host_error *err);

#endif
