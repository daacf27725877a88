/* stale.h - after a reload, the used parts of the block are scanned for pointer-sized values inside
 * the build just unloaded (a function pointer, a string literal, a table of the old code kept in
 * the state): one `warning` per finding, up to STALE_REPORT_MAX, naming the region, the offset and
 * the old symbol; the figures go in the `reload` event.
 *
 * Scanned: the header, each arena up to its position, the main thread's live heap blocks (worker
 * threads' heaps are theirs to walk, and are not scanned). */
#ifndef STALE_H
#define STALE_H

#include "../base/block.h"
#include "../../arena/heap.h"
#include "versions.h"

#define STALE_REPORT_MAX 32 /* warnings per scan; the reload event counts them all */

typedef struct stale_scan {
    bool done;
    double ms;
    uint64_t bytes;
    uint64_t found;
} stale_scan;

/* Scans for pointers into `old` (an unloaded version); the figures in *out. */
void stale_scan_block(stale_scan *out, const block_header *block, const heap_region *heap, const lib_version *old,
                      const event_log *log);
/* The scan's figures in a reload or rollback event (nothing when no scan ran); its time is the
 * caller's to write (scan_ms: the reload event has it in its budget). */
void stale_event(const stale_scan *s, event *e);

#endif
