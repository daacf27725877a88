/* pool.c - fixed-size slots with an intrusive free list. */
#include "pool.h"
#include "arena_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ARENA_ABORT
#define ARENA_ABORT() abort()
#endif

arena_pool *arena_pool_create_at(arena *a, uint64_t slot_size, uint64_t slot_align, const char *name, arena_site *site,
                                 uintptr_t caller)
{
    arena_pool *p =
        arena_push_at(a, sizeof(arena_pool), BASE_ALIGNOF(arena_pool), ARENA_PUSH_ZERO | ARENA_PUSH_FATAL, site, caller);
    size_t n = name ? strlen(name) : 0;
    if (n >= ARENA_NAME_MAX) n = ARENA_NAME_MAX - 1;
    if (n) memcpy(p->name, name, n);
    p->arena = a;
    /* a free slot stores the list link, so it must fit and be aligned for one */
    p->slot_size = MAX(slot_size, sizeof(arena_pool_slot));
    p->slot_align = MAX(slot_align, BASE_ALIGNOF(arena_pool_slot));
    /* the push just made this caller's key the site's first */
    if (a->stats.table) arena_stats_pool_add(a->stats.table, p, site ? arena_stats_key_site(site->key[0]) : 0);
    return p;
}

static void *arena_pool_alloc_impl(arena_pool *p, bool fatal)
{
    void *slot;
    if (p->free_list) {
        slot = p->free_list;
        BASE_UNPOISON(slot, p->slot_size);
        p->free_list = p->free_list->next;
        memset(slot, 0, (size_t)p->slot_size);
    } else {
        int flags = ARENA_PUSH_ZERO | (fatal ? ARENA_PUSH_FATAL : 0);
        slot = arena_push_at(p->arena, p->slot_size, p->slot_align, flags, &p->site, 0);
        if (!slot) return NULL;
        p->slots++;
    }
    p->allocs++;
    p->live++;
    if (p->live > p->high_water) p->high_water = p->live;
    return slot;
}

void *arena_pool_alloc(arena_pool *p) { return arena_pool_alloc_impl(p, true); }

void *arena_pool_try_alloc(arena_pool *p) { return arena_pool_alloc_impl(p, false); }

void arena_pool_free(arena_pool *p, void *slot)
{
    if (!slot) return;
    if (!arena_contains(p->arena, slot) || ((uintptr_t)slot & (p->slot_align - 1)) || p->live == 0) {
        fprintf(stderr, "pool '%s': free of %p, which this pool did not hand out (or freed twice)\n",
                p->name, slot);
        fflush(stderr);
        ARENA_ABORT();
        return;
    }
    arena_pool_slot *s = (arena_pool_slot *)slot;
    s->next = p->free_list;
    p->free_list = s;
    /* keep the link readable for the allocator, poison the rest so a use after free is caught */
    BASE_POISON((uint8_t *)slot + sizeof(arena_pool_slot), p->slot_size - sizeof(arena_pool_slot));
    p->live--;
    p->frees++;
}
