/* registry.c - the function registry's table: names, current functions, handles = index + 1. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

static uint32_t registry_find(const registry *r, const char *name)
{
    for (uint32_t i = 0; i < r->count; i++)
        if (strcmp(r->entries[i].name, name) == 0) return i + 1;
    return 0;
}

static bool registry_grow(registry *r)
{
    if (r->count < r->capacity) return true;
    uint32_t capacity = r->capacity ? r->capacity * 2 : 16;
    registry_entry *grown = realloc(r->entries, sizeof(registry_entry) * capacity);
    if (!grown) return false;
    r->entries = grown;
    r->capacity = capacity;
    return true;
}

uint32_t registry_register(registry *r, const char *name, registry_fn fn)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len >= REGISTRY_NAME_MAX) return 0;
    uint32_t handle = registry_find(r, name);
    if (!handle) {
        if (!registry_grow(r)) return 0;
        memcpy(r->entries[r->count].name, name, len + 1);
        handle = ++r->count;
    }
    r->entries[handle - 1].fn = fn;
    return handle;
}

registry_fn registry_get(registry *r, uint32_t handle)
{
    if (handle - 1 < r->count && r->entries[handle - 1].fn) return r->entries[handle - 1].fn;
    r->trapped = handle;
    return r->trap;
}

const char *registry_name(const registry *r, uint32_t handle)
{
    return handle - 1 < r->count ? r->entries[handle - 1].name : NULL;
}

uint32_t registry_resolve(registry *r, registry_lookup_fn *lookup, void *ctx)
{
    uint32_t missing = 0;
    for (uint32_t i = 0; i < r->count; i++) {
        r->entries[i].fn = lookup(ctx, r->entries[i].name);
        missing += r->entries[i].fn == NULL;
    }
    return missing;
}

void registry_free(registry *r)
{
    free(r->entries);
    memset(r, 0, sizeof(*r));
}
