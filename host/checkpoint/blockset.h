/* blockset.h - a set of heap blocks by address: which blocks a heap-log replay made (heap_log.c),
 * which blocks the main thread allocated while a checkpoint is live (epochs.c). Open addressing in
 * host memory (malloc), a few nanoseconds per call.
 *
 *     blockset s = {0};
 *     blockset_add(&s, p);       // false only when out of memory
 *     blockset_has(&s, p);
 *     blockset_remove(&s, p);    // false when p was not in it
 *     blockset_clear(&s);        // empty, memory kept
 *     blockset_free(&s); */
#ifndef BLOCKSET_H
#define BLOCKSET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct blockset {
    uint64_t *slots; /* 0 empty, UINT64_MAX removed, else an address */
    uint64_t mask;   /* slots - 1 (a power of two minus one) */
    uint64_t used;   /* slots not empty */
    uint64_t count;  /* addresses in the set */
} blockset;

bool blockset_add(blockset *s, const void *p);
bool blockset_has(const blockset *s, const void *p);
bool blockset_remove(blockset *s, const void *p);
void blockset_clear(blockset *s);
void blockset_free(blockset *s);

#endif
