/* snapshot.h - checkpoints of the whole block inside one process, costing what changed.
 *
 * A shadow copy of the block (a second reservation, same layout, pages touched as they are first
 * used) holds every covered byte as it was at the newest checkpoint. A checkpoint asks the dirty
 * tracker (os/dirty.h) which pages were written since the last one and, for each covered page,
 * keeps its old bytes (the shadow's) as the checkpoint's undo record and copies the new ones into
 * the shadow: two copies per written page. A restore writes the shadow back over the pages written
 * since the newest checkpoint, then each newer checkpoint's undo records back to the one asked for.
 * The first checkpoint copies every covered byte once.
 *
 * Covered: the block header, each game arena's header and committed bytes, and the pages of the main
 * thread's heaps (never mimalloc's metadata between them). The heap's part works because each
 * checkpoint starts an epoch (epochs.h): pages of older heaps no longer change except through the
 * game's writes into live blocks, so their bytes can be put back whole. A deferred free carried out
 * when the oldest checkpoint is dropped changes a block in such a page after the newer checkpoints
 * were taken: the block's range becomes a hole that restores to those checkpoints leave alone.
 * Not covered: the host arena (host bookkeeping), blocks allocated by worker threads.
 *
 *     snapshot_start(&s, block, heap, epochs, dirty, err);
 *     snapshot_take(&s, frame, err);          // a checkpoint, the newest
 *     snapshot_restore(&s, i);                // back to checkpoint i; newer ones dropped
 *     snapshot_drop_oldest(&s);               // the ring moves on */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include "../base/block.h"
#include "../os/dirty.h"
#include "epochs.h"

#define SNAPSHOT_MAX 512

typedef struct snapshot_undo {
    uint64_t offset; /* of the page in the block */
} snapshot_undo;

typedef struct snapshot_point {
    uint64_t frame;     /* the host's frame counter when taken */
    uint64_t seq;       /* increases with every checkpoint */
    epochs_mark heap;
    uint8_t *undo;      /* pages: offset (8 bytes) then the page as it was at the previous checkpoint */
    uint64_t undo_pages;
    uint64_t undo_cap;
    uint8_t *heap_pages; /* 1 per page of the heap region inside a page of the main thread's heaps */
} snapshot_point;

typedef struct snapshot_hole {
    uint64_t seq;        /* restores to checkpoints before this one leave it alone */
    uint64_t offset, size;
} snapshot_hole;

typedef struct snapshot {
    block_header *block;
    heap_region *heap;
    epochs *epochs;
    dirty_tracker *dirty;
    dirty_consumer consumer;
    uint8_t *shadow;      /* the block's bytes at the newest checkpoint, at the same offsets */
    uint64_t page;
    snapshot_point points[SNAPSHOT_MAX]; /* oldest first */
    uint32_t count;
    uint64_t seq;
    snapshot_hole *holes;
    uint64_t hole_count, hole_cap;
    uint64_t last_bytes;  /* copied by the last checkpoint or restore */
    uint64_t last_pages;
    bool out_of_memory;
} snapshot;

bool snapshot_start(snapshot *s, block_header *block, heap_region *heap, epochs *e, dirty_tracker *dirty,
                    host_error *err);
void snapshot_stop(snapshot *s);
bool snapshot_take(snapshot *s, uint64_t frame, host_error *err);
void snapshot_restore(snapshot *s, uint32_t i);
void snapshot_drop_oldest(snapshot *s);
/* Every checkpoint dropped (the loop ended, the ring turned off). */
void snapshot_drop_all(snapshot *s);

#endif
