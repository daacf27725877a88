/* registry.h - the function registry: a small handle for a game function that stays valid across
 * reloads, because the host finds the function again by name in every new build.
 *
 *     uint32_t h = registry_register(&r, "enemy_chase", (registry_fn)enemy_chase); // 1, 2, 3, ...
 *     registry_fn f = registry_get(&r, h);          // the function in the code loaded now
 *     registry_resolve(&r, lookup, ctx);            // after a reload: every name looked up again
 *
 * A handle is an index, so the game keeps it in its state (in the block) where a function pointer
 * would dangle after the next reload. A name the new build no longer has resolves to `trap`: calling
 * it stops the call with an error naming the function instead of jumping into unloaded code. The
 * table (names copied, pointers) lives in host memory, never in the block. Register on the main
 * thread; registry_get may be called from any thread while no reload runs. */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#define REGISTRY_NAME_MAX 128

typedef void (*registry_fn)(void);

typedef struct registry_entry {
    char name[REGISTRY_NAME_MAX];
    registry_fn fn; /* NULL: the code loaded now has no function of that name */
} registry_entry;

typedef struct registry {
    registry_entry *entries;
    uint32_t count;
    uint32_t capacity;
    registry_fn trap;     /* handed out for a missing function; it asks registry_trapped which one */
    uint32_t trapped;     /* the handle registry_get last answered with the trap */
} registry;

/* The handle for `name` (the same one every time), pointing at fn; 0 for an empty or too long name
 * or when out of memory. */
uint32_t registry_register(registry *r, const char *name, registry_fn fn);

/* The function behind a handle, or r->trap when the handle is unknown or its name is missing. */
registry_fn registry_get(registry *r, uint32_t handle);

/* The name of a handle; NULL when it was never handed out. */
const char *registry_name(const registry *r, uint32_t handle);

/* The function of that name in the code loaded now, or NULL. */
typedef registry_fn registry_lookup_fn(void *ctx, const char *name);

/* Looks every registered name up again; returns how many are missing. */
uint32_t registry_resolve(registry *r, registry_lookup_fn *lookup, void *ctx);

void registry_free(registry *r);

#endif
