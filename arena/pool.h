/* pool.h - fixed-size free lists on top of an arena, for objects with their own lifetimes.
 *
 *     arena_pool *enemies = arena_pool_create(persistent, sizeof(enemy), BASE_ALIGNOF(enemy), "enemies");
 *     enemy *e = arena_pool_alloc(enemies);   // zeroed; reuses a freed slot when there is one
 *     arena_pool_free(enemies, e);
 *
 * The pool header and its free list live in the arena (inside the block), so a pool survives a
 * reload like everything else. Slots are never returned to the arena. */
#ifndef POOL_H
#define POOL_H

#include "arena.h"

typedef struct arena_pool_slot {
    struct arena_pool_slot *next;
} arena_pool_slot;

typedef struct arena_pool {
    char name[ARENA_NAME_MAX];
    arena *arena;
    uint64_t slot_size;
    uint64_t slot_align;
    arena_pool_slot *free_list;
    uint64_t live;     /* slots handed out and not freed */
    uint64_t slots;    /* slots ever pushed from the arena */
    uint64_t high_water; /* most slots live at once */
    uint64_t allocs;
    uint64_t frees;
} arena_pool;

/* Pushes the pool header onto `a`; fatal when the arena is exhausted. */
arena_pool *arena_pool_create(arena *a, uint64_t slot_size, uint64_t slot_align, const char *name);
/* Zeroed slot; fatal when the arena is exhausted. */
void *arena_pool_alloc(arena_pool *p);
/* Zeroed slot, or NULL when the arena is exhausted. */
void *arena_pool_try_alloc(arena_pool *p);
/* Returns a slot to the pool; NULL is ignored. Fatal for a pointer the pool did not hand out. */
void arena_pool_free(arena_pool *p, void *slot);

#define pool_create(a, T, name) arena_pool_create((a), sizeof(T), BASE_ALIGNOF(T), (name))

#endif
