/* dirty.h - which pages of the block were written since a consumer last asked.
 *
 * Two parts of the host want to know what changed in the block: the stale-pointer scan of a reload
 * (pages written since the previous reload) and checkpoints (pages written since the previous
 * checkpoint). The OS keeps one record of written pages and clears it when it is read, so the
 * consumers cannot each read it: a collection gets and clears the OS's record and adds it to the
 * page set of every consumer, and each consumer takes and clears only its own set. Nothing is
 * lost between two consumers with different epochs:
 *
 *     dirty_tracker *t = dirty_start(base, size, DIRTY_PAGEMAP_SCAN, &err); // best first, falls back
 *     dirty_consumer scan;
 *     dirty_consumer_add(t, &scan, &err);            // once per consumer, before its first collection
 *     ...                                            // the game writes
 *     dirty_range used[] = {{arena->base, arena->pos}, {heap_start, heap_size}};
 *     dirty_collect(t, used, 2);                     // the OS's record of these ranges, into every set
 *     dirty_take(t, scan, arena->base, arena->pos, on_run, ctx); // scan's written runs, then cleared
 *
 * A consumer collects before it takes (a collection is cheap when little was written), with the
 * ranges that hold anything it cares about: pages outside them keep the OS's record until a later
 * collection covers them (but see soft-dirty). A page is dirty from its first write after the
 * tracker started; at the first collection that means every page touched so far.
 *
 * Mechanisms, best first (dirty_method_name names the one in use, dirty_fallback_reason why the
 * better ones were not available; the host's `start` event shows both):
 *  - DIRTY_PAGEMAP_SCAN (Linux 6.7+): the block is registered with userfaultfd in write-protect
 *    async mode (UFFD_FEATURE_WP_ASYNC: the kernel resolves the write fault itself and clears the
 *    page's write-protect bit), and the PAGEMAP_SCAN ioctl on /proc/self/pagemap reports the written
 *    pages and protects them again in one atomic step, so writes of other threads are never lost.
 *    The cost is a walk of the range's page tables (skipping holes) plus one minor fault on the
 *    first write to each page after a collection.
 *  - DIRTY_SOFT_DIRTY (Linux with CONFIG_MEM_SOFT_DIRTY): pagemap's bit 55, read for each page of
 *    the ranges, then cleared for the whole process by writing 4 to /proc/self/clear_refs. Reading
 *    and clearing are two steps: a write between them by another thread is lost, so collect while
 *    the game's threads are stopped (a reload and a checkpoint do), and name every range that
 *    matters in each collection (the clear reaches pages outside the ranges too).
 *  - DIRTY_WRITE_WATCH (Windows): GetWriteWatch with WRITE_WATCH_FLAG_RESET on the block, which
 *    block_win32.c reserves with MEM_WRITE_WATCH (the heap region too: the host reserves it and
 *    mimalloc only commits inside it).
 *  - DIRTY_EVERYTHING: every page of the collected ranges, as if all were written.
 *
 * A page never touched since the tracker started is not reported until it is written, and a page
 * that lost its contents (MADV_DONTNEED, a decommit) only when it is written again: so a range may
 * run far past what is in use (an arena that pushed more than it touched, the whole heap region)
 * at no cost. (Reporting untouched pages would also cost the block its huge pages: marking a hole
 * write-protected gives it a page table of small pages.) DIRTY_EVERYTHING reports every page.
 *
 * Interactions: arenas commit on first touch (a new page is a written page); mimalloc resets and
 * decommits pages inside the heap region (madvise, mprotect: the registration follows the split
 * mappings; a mapping laid over part of the block drops it, which the next collection notices:
 * it reports its ranges whole and registers the block again); ASan poisons shadow memory outside
 * the block. A forked child does not inherit the registration.
 *
 * Threads: one thread uses the tracker at a time. A watch (below) runs its rounds on a thread of the
 * tracker's own; anyone who collects or takes while a watch runs pauses it first.
 *
 * Watching: a consumer that must act on what was written by a deadline (the reload's scan) can have
 * its pages handed to it between its deadlines on the tracker's thread, in rounds, so that at the
 * deadline only what was written since the last round is left:
 *
 *     dirty_watcher w = {used_ranges, scan_run, ctx, 50};
 *     dirty_watch_start(t, scan, &w);    // false: this method cannot (see below), do it all at once
 *     ...
 *     dirty_watch_kick(t);               // a round now, while the caller does something else
 *     dirty_watch_pause(t);              // waits for a round in progress; no other starts
 *     dirty_collect(...); dirty_take(...);   // the rest, written since the last round
 *     dirty_watch_resume(t);
 *
 * Only DIRTY_PAGEMAP_SCAN can be watched: its collection is atomic, so the game keeps running
 * during a round, and written pages stay readable (Linux frees a page's memory at most to the zero
 * page); soft-dirty's two-step collection would lose writes, and on Windows mimalloc and arenas
 * decommit pages that a round could then not read. */
#ifndef DIRTY_H
#define DIRTY_H

#include "../base/error.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum dirty_method {
    DIRTY_PAGEMAP_SCAN,
    DIRTY_SOFT_DIRTY,
    DIRTY_WRITE_WATCH,
    DIRTY_EVERYTHING,
    DIRTY_METHOD_COUNT
} dirty_method;

#define DIRTY_CONSUMERS_MAX 4

typedef struct dirty_tracker dirty_tracker;
typedef uint32_t dirty_consumer;

typedef struct dirty_range {
    uintptr_t start;
    uint64_t size;
} dirty_range;

/* Tracks [base, base + size) (page aligned, the whole block), trying `first` and then each weaker
 * method; DIRTY_EVERYTHING always works, so this fails only when out of memory. */
dirty_tracker *dirty_start(uintptr_t base, uint64_t size, dirty_method first, host_error *err);
void dirty_stop(dirty_tracker *t);

dirty_method dirty_method_of(const dirty_tracker *t);
/* "pagemap_scan", "soft_dirty", "write_watch", "everything". */
const char *dirty_method_name(dirty_method m);
/* Why the better methods were not used ("" when the best one of this OS is in use). */
const char *dirty_fallback_reason(const dirty_tracker *t);
uint64_t dirty_page_size(const dirty_tracker *t);

/* A new consumer, its set empty: it gets what every collection from now on reports (the tracker's
 * first collection reports every page touched so far). DIRTY_CONSUMERS_MAX at most. */
bool dirty_consumer_add(dirty_tracker *t, dirty_consumer *out, host_error *err);

/* Gets and clears the OS's record of written pages in the ranges and adds them to every
 * consumer's set. */
void dirty_collect(dirty_tracker *t, const dirty_range *ranges, uint32_t count);
/* The same, but the OS's record stays (not cleared, the pages not protected again): a later
 * collection reports these pages again. For a consumer about to write pages that were written
 * already (a checkpoint's restore): written before the collection, they cost no fault
 * (PAGEMAP_SCAN), and the collection afterwards hands the writes to the other consumers. Scattered
 * pages are why: dirty_before_write unprotects run by run, an ioctl each, which doubled a restore
 * of 1% of 1 GiB (bench_checkpoint). Pause a watch around it like around a collection. */
void dirty_gather(dirty_tracker *t, const dirty_range *ranges, uint32_t count);

/* Called with each run of dirty pages, clipped to the range taken. */
typedef void dirty_run_fn(void *ctx, uintptr_t start, uint64_t size);

/* Hands the consumer's dirty pages in [start, start + size) to fn, run by run, and clears them from
 * its set (a page the range covers only in part is handed out clipped and cleared whole). Returns
 * the bytes handed out. */
uint64_t dirty_take(dirty_tracker *t, dirty_consumer c, uintptr_t start, uint64_t size, dirty_run_fn *fn, void *ctx);

/* The host is about to write [start, start + size) itself (a repair): with DIRTY_PAGEMAP_SCAN the
 * pages are unprotected at once, counting as written as the writes would make them, instead of
 * taking a fault each; the other methods learn of the writes when they happen. */
void dirty_before_write(dirty_tracker *t, uintptr_t start, uint64_t size);

typedef struct dirty_watcher {
    /* The ranges to collect, read on the tracker's thread while the game runs. */
    uint32_t (*ranges)(void *ctx, dirty_range *out, uint32_t max);
    dirty_run_fn *run; /* each run of the consumer's pages, on the tracker's thread */
    void *ctx;
    uint32_t period_ms; /* between rounds; at least ten times as long as the last round took */
} dirty_watcher;

#define DIRTY_WATCH_RANGES_MAX 16

bool dirty_watch_start(dirty_tracker *t, dirty_consumer c, const dirty_watcher *w);
void dirty_watch_kick(dirty_tracker *t);
void dirty_watch_pause(dirty_tracker *t);
void dirty_watch_resume(dirty_tracker *t);
/* Ends the watch (dirty_stop does it too). */
void dirty_watch_stop(dirty_tracker *t);

/* ---- for the per-OS halves (dirty_posix.c, dirty_win32.c) ------------------------------------ */

typedef struct dirty_os dirty_os;

/* Sets `method` up for [base, base + size); NULL with err when this OS or kernel cannot (err left
 * empty when the method is not one of this OS's). */
dirty_os *dirty_os_start(dirty_method method, uintptr_t base, uint64_t size, host_error *err);
/* Gets the OS's record of written pages of one range, calling dirty_mark for them, and clears it
 * when `clear`; false when the OS failed (the caller then marks the whole range). */
bool dirty_os_collect(dirty_os *os, dirty_tracker *t, const dirty_range *r, bool clear);
/* After every range of one collection that cleared. */
void dirty_os_collected(dirty_os *os);
void dirty_os_stop(dirty_os *os);
uint64_t dirty_os_page_size(void);
/* dirty_before_write's part. */
void dirty_os_before_write(dirty_os *os, uintptr_t start, uint64_t size);
/* The OS half's state of a tracker (NULL with DIRTY_EVERYTHING); the watch_* functions above are
 * the OS half's too, and find their state through it. */
dirty_os *dirty_os_of(const dirty_tracker *t);

/* Adds [start, end) (page aligned) to every consumer's set. */
void dirty_mark(dirty_tracker *t, uintptr_t start, uintptr_t end);

#endif
