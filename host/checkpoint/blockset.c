/* blockset.c - a set of block addresses (blockset.h). */
#include "blockset.h"

#include <stdlib.h>
#include <string.h>

bool blockset_grow(blockset *s)
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
