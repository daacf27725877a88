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

void blockset_clear(blockset *s);
void blockset_free(blockset *s);

/* ---- inline: they sit on the heap's calls while a checkpoint is live ---------------------------- */

#define BLOCKSET_REMOVED UINT64_MAX

static inline uint64_t blockset_hash(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ull;
    return x ^ (x >> 29);
}

/* The slot of v, or (not found) the slot where it would go: the first removed one on its way, else
 * the empty one that ends it. */
static inline uint64_t *blockset_slot(const blockset *s, uint64_t v)
{
    uint64_t j = blockset_hash(v) & s->mask;
    uint64_t *free_slot = 0;
    for (; s->slots[j]; j = (j + 1) & s->mask) {
        if (s->slots[j] == v) return &s->slots[j];
        if (s->slots[j] == BLOCKSET_REMOVED && !free_slot) free_slot = &s->slots[j];
    }
    return free_slot ? free_slot : &s->slots[j];
}

/* Twice the room (or the first slots), removed slots dropped; false when out of memory. */
bool blockset_grow(blockset *s);

static inline bool blockset_add(blockset *s, const void *p)
{
    uint64_t v = (uint64_t)(uintptr_t)p;
    if ((!s->slots || (s->used + 1) * 2 > s->mask) && !blockset_grow(s)) return false;
    uint64_t *slot = blockset_slot(s, v);
    if (*slot == v) return true;
    if (!*slot) s->used++;
    *slot = v;
    s->count++;
    return true;
}

static inline bool blockset_has(const blockset *s, const void *p)
{
    uint64_t v = (uint64_t)(uintptr_t)p;
    return s->slots && v && *blockset_slot(s, v) == v;
}

/* False when p was not in it. */
static inline bool blockset_remove(blockset *s, const void *p)
{
    uint64_t v = (uint64_t)(uintptr_t)p;
    if (!s->slots || !v) return false;
    uint64_t *slot = blockset_slot(s, v);
    if (*slot != v) return false;
    *slot = BLOCKSET_REMOVED;
    s->count--;
    return true;
}

#endif
