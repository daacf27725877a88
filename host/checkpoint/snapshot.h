/* snapshot.h - checkpoints of the whole block inside one process, costing what changed.
 *
 * A shadow copy of the block (a second reservation, same layout) holds every covered byte as it was
 * at the newest checkpoint. A checkpoint asks the dirty tracker (os/dirty.h) which pages were
 * written since the last one and, for each page covered then and now, keeps its old bytes (the
 * shadow's) as the checkpoint's undo record and copies the new ones into the shadow: two copies per
 * written page. A page covered now and not then (a new page of the heap) is copied into the shadow
 * only: a restore to an older checkpoint leaves it alone. A restore writes the shadow back over the
 * pages written since the newest checkpoint, then each newer checkpoint's undo records back to the
 * one asked for. The first checkpoint copies every covered byte once.
 *
 * Covered: the block header, each game arena's header and committed bytes, the media region's
 * committed bytes (the picture a rewound game shows), and the pages of the main thread's heaps
 * (never mimalloc's metadata between them). The heap's part works because each
 * checkpoint starts an epoch (epochs.h): pages of older heaps no longer change except through the
 * game's writes into live blocks, so their bytes can be put back whole. A deferred free carried out
 * when the oldest checkpoint is dropped changes a block in such a page after the newer checkpoints
 * were taken: the block's range becomes a hole that restores to those checkpoints leave alone, and
 * a page such frees empty becomes one whole (mimalloc may give it to the newest heap, whose free
 * lists a restore must not write over).
 * Not covered: the host arena (host bookkeeping), blocks allocated by worker threads.
 *
 * Memory: the shadow, and a ring of undo records (a third reservation); both are committed and
 * touched ahead (snapshot_ahead, once a frame: the shadow up to what the arenas have committed and
 * the heap's pages reach; the ring some records past its head), so that a checkpoint's copies do
 * not stall on page faults. A checkpoint whose undo records do not fit in the ring drops the oldest
 * checkpoints until they do.
 *
 *     snapshot_start(&s, block, heap, epochs, dirty, err);
 *     snapshot_ahead(&s);                     // once a frame
 *     snapshot_take(&s, frame, err);          // a checkpoint, the newest
 *     snapshot_restore(&s, i);                // back to checkpoint i; newer ones dropped
 *     snapshot_drop_oldest(&s);               // the ring moves on */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include "../base/block.h"
#include "../os/dirty.h"
#include "epochs.h"

#define SNAPSHOT_MAX 512
#define SNAPSHOT_RANGES 8 /* the header, the game's arenas, the media region, the heap region */

typedef struct snapshot_point {
    uint64_t frame;       /* the host's frame counter when taken */
    uint64_t seq;         /* increases with every checkpoint */
    epochs_mark heap;
    uint64_t undo_first;  /* its undo records: the ring's records [undo_first, undo_first + undo_pages) */
    uint64_t undo_pages;
    uint8_t *heap_pages;  /* 1 per page of the heap region inside a page of the main thread's heaps */
} snapshot_point;

typedef struct snapshot_hole {
    uint64_t seq;        /* restores to checkpoints before this one leave it alone */
    uint64_t offset, size;
} snapshot_hole;

/* Pages a checkpoint copies, by kind. */
typedef struct snapshot_pages {
    uintptr_t *at;
    uint64_t count, cap;
} snapshot_pages;

typedef struct snapshot {
    block_header *block;
    heap_region *heap;
    epochs *epochs;
    dirty_tracker *dirty;
    dirty_consumer consumer;
    uintptr_t media_start;          /* the media region (snapshot_cover_media) */
    const uint64_t *media_committed;
    uint64_t page;
    uint8_t *shadow;       /* the block's bytes at the newest checkpoint, at the same offsets */
    uint64_t touched[SNAPSHOT_RANGES]; /* bytes of each covered range's shadow touched, from its start */
    bool shadow_valid;     /* the shadow holds every page `covered` names (a checkpoint was taken) */
    uint8_t *covered;      /* the heap pages the shadow holds: the newest checkpoint's heap_pages */
    uint8_t *undo;         /* the ring: records of the page's offset (8 bytes) then its old bytes */
    uint64_t undo_cap;     /* records */
    uint64_t undo_head, undo_tail, undo_touched; /* records written, freed, touched (counted from 0) */
    snapshot_pages written, fresh; /* a checkpoint's pages: covered before and now, covered now only */
    snapshot_point points[SNAPSHOT_MAX]; /* oldest first */
    uint32_t count;
    uint64_t seq;
    uint64_t aheads;       /* snapshot_ahead calls */
    snapshot_hole *holes;  /* by offset while holes_sorted (a restore sorts them) */
    uint64_t hole_count, hole_cap;
    uint64_t hole_max;     /* the largest hole's size, once sorted */
    bool holes_sorted;
    uint64_t last_bytes;  /* copied by the last checkpoint or restore */
    uint64_t last_pages;
    bool out_of_memory;
} snapshot;

bool snapshot_start(snapshot *s, block_header *block, heap_region *heap, epochs *e, dirty_tracker *dirty,
                    host_error *err);
void snapshot_stop(snapshot *s);
/* Covers the block's media region too (the picture and the sound, platform/media.h): its first
 * *committed bytes from start, as they are when a checkpoint is taken. */
void snapshot_cover_media(snapshot *s, uintptr_t start, const uint64_t *committed);
/* Touches the shadow and the ring ahead of the state's growth; cheap when nothing grew. */
void snapshot_ahead(snapshot *s);
bool snapshot_take(snapshot *s, uint64_t frame, host_error *err);
void snapshot_restore(snapshot *s, uint32_t i);
void snapshot_drop_oldest(snapshot *s);
/* Every checkpoint dropped (the loop ended, the ring turned off). */
void snapshot_drop_all(snapshot *s);

#endif
