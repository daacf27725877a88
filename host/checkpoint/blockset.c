/* blockset.c - a set of block addresses (blockset.h). */
#include "blockset.h"

#include <stdlib.h>
#include <string.h>

#define BLOCKSET_REMOVED UINT64_MAX

static uint64_t blockset_hash(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ull;
    return x ^ (x >> 29);
}

/* The slot of v, or (not found) the empty slot where it would go. */
static uint64_t *blockset_slot(const blockset *s, uint64_t v)
{
    uint64_t j = blockset_hash(v) & s->mask;
    uint64_t *free_slot = NULL;
    for (; s->slots[j]; j = (j + 1) & s->mask) {
        if (s->slots[j] == v) return &s->slots[j];
        if (s->slots[j] == BLOCKSET_REMOVED && !free_slot) free_slot = &s->slots[j];
    }
    return free_slot ? free_slot : &s->slots[j];
}

/* Twice the room (or the first 1024 slots), tombstones dropped. */
static bool blockset_grow(blockset *s)
{
    uint64_t slots = s->slots ? (s->count * 4 > s->mask ? (s->mask + 1) * 2 : s->mask + 1) : 1024;
    blockset next = {calloc((size_t)slots, sizeof(uint64_t)), slots - 1, 0, 0};
    if (!next.slots) return false;
    for (uint64_t i = 0; s->slots && i <= s->mask; i++) {
        uint64_t v = s->slots[i];
        if (!v || v == BLOCKSET_REMOVED) continue;
        *blockset_slot(&next, v) = v;
        next.used++;
        next.count++;
    }
    free(s->slots);
    *s = next;
    return true;
}

bool blockset_add(blockset *s, const void *p)
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

bool blockset_has(const blockset *s, const void *p)
{
    uint64_t v = (uint64_t)(uintptr_t)p;
    return s->slots && v && *blockset_slot(s, v) == v;
}

bool blockset_remove(blockset *s, const void *p)
{
    uint64_t v = (uint64_t)(uintptr_t)p;
    if (!s->slots || !v) return false;
    uint64_t *slot = blockset_slot(s, v);
    if (*slot != v) return false;
    *slot = BLOCKSET_REMOVED;
    s->count--;
    return true;
}

void blockset_clear(blockset *s)
{
    if (s->slots) memset(s->slots, 0, (size_t)(s->mask + 1) * sizeof(uint64_t));
    s->used = s->count = 0;
}

void blockset_free(blockset *s)
{
    free(s->slots);
    memset(s, 0, sizeof(*s));
}
