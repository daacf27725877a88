/* stale.h - pointers into the build a reload swaps out: after the swap, with both builds still
 * mapped, the block is scanned for pointer-sized values inside the old build, and each is repaired
 * by name (repair.h: functions, vtables, typeinfo, named read-only objects, string literals) or
 * reported; what is left keeps pointing at the old range, which the reload then fences, so a later
 * use is the clear "stale pointer" crash.
 *
 *     stale_start(&s, STALE_REPAIR, dirty_tracker, &err);      // --stale-pointers repair|warn|off
 *     stale_pass(&s, &scene);                                  // after each swap, before after_reload
 *     stale_event(&s, &e);                                     // the figures, in the reload event
 *
 * What is scanned: the pages of the block's used parts (the header, each arena up to its position,
 * the heap region) written since the previous pass (os/dirty.h), so the cost follows what the game
 * wrote, not the size of its state. A repaired word is written, so its page is scanned again at the
 * next reload, when it points into the build that is old then. With no way to learn which pages
 * were written (dirty_method "everything") the used bytes are scanned, and the heap through the
 * main thread's live blocks, as before the tracker existed.
 *
 * Between reloads, where the tracker can watch (os/dirty.h: Linux's PAGEMAP_SCAN), its thread
 * scans the pages written since its last round for words inside the running build and remembers
 * where they are; a reload kicks a last round while it loads the new build (stale_prepare), and
 * the pass then scans only what was written after that round and looks again at the remembered
 * words. So the pass costs about what the game wrote in its last frame, however much it writes
 * between reloads.
 *
 * Only aligned 8-byte words are read. The conservative rules (repair.h) decide what a word may
 * become; a game turns them off for a range it knows holds no pointers (hashes, random numbers)
 * with host->stale_skip. One `warning` per word not repaired (its region, offset, value, old
 * symbol and why), up to STALE_REPORT_MAX per pass; in the heap region only for words inside a
 * live block of the main thread's heap (the rest is freed memory or a worker's heap, counted in
 * `stale_unowned`). */
#ifndef STALE_H
#define STALE_H

#include "../base/block.h"
#include "../os/dirty.h"
#include "../../arena/heap.h"
#include "repair.h"

#define STALE_REPORT_MAX 32 /* warnings per pass; the reload event counts them all */
#define STALE_SKIP_MAX 64   /* ranges a game can exclude */
#define STALE_PENDING_MAX 64 /* heap words not repaired whose owner is looked up at the end of a pass */

/* --stale-pointers, in this order. */
typedef enum stale_mode { STALE_REPAIR, STALE_WARN, STALE_OFF, STALE_MODE_COUNT } stale_mode;

typedef struct stale_figures {
    bool done;
    double ms;         /* the pass */
    double wait_ms;    /* before it, for the watch's round in progress */
    uint64_t bytes;    /* scanned */
    uint64_t found;    /* words into the old build, freed heap memory left out */
    uint64_t repaired[REPAIR_KIND_COUNT];
    uint64_t left;     /* found and not repaired: still pointing into the (fenced) old build */
    uint64_t unowned;  /* in the heap region outside the main thread's live blocks */
} stale_figures;

typedef struct stale_range {
    uintptr_t start;
    uint64_t size;
} stale_range;

/* Where the watch found words inside the running build (host memory, grown as needed). */
typedef struct stale_hits {
    uintptr_t *at;
    uint64_t count, cap;
    uint64_t kept;  /* the count after the last compaction */
    bool lost;      /* out of memory: the next pass scans every used byte */
} stale_hits;

typedef struct stale {
    stale_mode mode;
    dirty_tracker *dirty;
    dirty_consumer consumer; /* the pages written since the previous pass */
    block_header *block;
    const heap_region *heap;
    stale_range skips[STALE_SKIP_MAX];
    uint32_t skip_count;
    bool watching;           /* the tracker's thread scans between reloads */
    uintptr_t target_lo, target_hi; /* the running build, which the watch looks for */
    stale_hits hits;
    stale_figures last;      /* of the last pass */
} stale;

bool stale_start(stale *s, stale_mode mode, dirty_tracker *dirty, block_header *block, const heap_region *heap,
                 host_error *err);
/* The build now running: what the watch looks for from now on (starts the watch the first time). */
void stale_follow(stale *s, const lib_version *running);
/* A reload begins: the watch's last round runs while the new build loads. */
void stale_prepare(stale *s);
void stale_stop(stale *s);

typedef struct stale_scene {
    const lib_version *old_version; /* swapped out, still mapped */
    const lib_version *new_version;
    const event_log *log;
} stale_scene;

/* The block's written pages scanned for words inside the old build; each repaired or reported. */
void stale_pass(stale *s, const stale_scene *scene);
/* The last pass's figures in a reload or rollback event (nothing when it did not run); its time is
 * the caller's to write (scan_ms: the reload event has it in its budget). */
void stale_event(const stale *s, event *e);

/* The conservative repair leaves [start, start + size) alone (its words are still reported); size 0
 * forgets the range that starts at `start`. False when STALE_SKIP_MAX ranges are taken. */
bool stale_skip(stale *s, const void *start, uint64_t size);
/* Every range forgotten: the state they were in is gone (a restart). */
void stale_skip_clear(stale *s);

#endif
