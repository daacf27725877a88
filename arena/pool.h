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

#ifdef __cplusplus
extern "C" {
#endif

typedef struct arena_pool_slot {
    struct arena_pool_slot *next;
} arena_pool_slot;

typedef struct arena_pool {
    char name[ARENA_NAME_MAX];
    struct arena *arena; /* `struct`: C++ would read a member named like its type as a new meaning */
    uint64_t slot_size;
    uint64_t slot_align;
    arena_pool_slot *free_list;
    uint64_t live;     /* slots handed out and not freed */
    uint64_t slots;    /* slots ever pushed from the arena */
    uint64_t high_water; /* most slots live at once */
    uint64_t allocs;
    uint64_t frees;
    arena_site site;    /* the slots' pushes count as the site "(pool) NAME" (no caller); its strings are NULL */
    uint64_t stats_key; /* matches the stats table's entry while this pool is alive */
} arena_pool;

/* Pushes the pool header onto `a` (a push from the caller's site); fatal when the arena is
 * exhausted. With a stats table on `a`, the pool's slots count as the site "(pool) NAME", and the
 * pool is listed in the table while it lives when `a` is tracked. */
#define arena_pool_create(a, slot_size, slot_align, name) arena_pool_create_at((a), (slot_size), (slot_align), (name), ARENA_HERE)
arena_pool *arena_pool_create_at(arena *a, uint64_t slot_size, uint64_t slot_align, const char *name, arena_site *site,
                                 uintptr_t caller);
/* Zeroed slot; fatal when the arena is exhausted. */
void *arena_pool_alloc(arena_pool *p);
/* Zeroed slot, or NULL when the arena is exhausted. */
void *arena_pool_try_alloc(arena_pool *p);
/* Returns a slot to the pool; NULL is ignored. Fatal for a pointer the pool did not hand out. */
void arena_pool_free(arena_pool *p, void *slot);

#define pool_create(a, T, name) arena_pool_create((a), sizeof(T), BASE_ALIGNOF(T), (name))

#ifdef __cplusplus
}
#endif

#endif
