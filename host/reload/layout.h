/* layout.h - the game state's struct layouts: stored in the block, compared at every reload, and
 * the state migrated when they change. Pure C on block memory: no OS, no process, no library.
 *
 *     layout_library lib;                                      // at every load
 *     if (!layout_from_library(api, &lib, &err)) refuse(err);
 *     block->layouts = layout_store(block->host, &lib.set, mem->root_size);   // after init
 *
 *     layout_diff *d = layout_compare(&block->layouts->set, &lib.set, scratch);  // at a reload
 *     if (d->verdict == LAYOUT_CHANGED) {
 *         layout_migration *m = layout_migrate_begin(d, mem, &heap, want_hook, scratch, &err);
 *         if (!m) refuse(err);                 // nothing changed in the block
 *         layout_migrate_commit(m);            // root and pointers now on the new copies
 *         layout_migrate_hook(m, api->migrate, mem, services);   // the game converts the rest
 *         layout_migrate_end(m, &report);      // old heap copies freed
 *     }
 *
 * Where new copies go: a struct or array that was in the persistent arena gets its new copy there
 * (the old one becomes unused space, counted in the report and in layout_record.unused_bytes); one
 * that was a heap allocation gets a new heap allocation (zeroed) and the old one is freed, so the
 * game can still realloc or free it. Objects whose own layout did not change keep their address;
 * only their pointers to moved objects are updated. Pointers anywhere else (frame arenas, outside
 * the block) are refused: the state cannot hold them across frames anyway. */
#ifndef LAYOUT_H
#define LAYOUT_H

#include "../base/error.h"
#include "../api/game_layout.h"

#define LAYOUT_MAX_TYPES 256
#define LAYOUT_MAX_FIELDS 1024 /* per struct */
#define LAYOUT_NAME_MAX 64     /* a struct or field name, with its NUL */
#define LAYOUT_TYPE_MAX 128    /* a type's spelling, with its NUL */

/* What a reload does when the state's layout changed: --on-layout-change=migrate|restart|refuse,
 * in this order. */
typedef enum layout_policy { LAYOUT_MIGRATE, LAYOUT_RESTART, LAYOUT_REFUSE, LAYOUT_POLICY_COUNT } layout_policy;

/* A set of layouts: a library's (pointers into its image) or a stored one (every name a copy in
 * the block). */
typedef struct layout_set {
    const game_layout *const *types; /* types[0] is the root state's */
    uint32_t count;                  /* 0: no layouts declared */
    uint64_t root_size;              /* the root state's size; 0: unknown */
} layout_set;

/* A library's layouts, valid while the library is loaded; never stored. */
typedef struct layout_library {
    layout_set set;
    const game_layout *types[LAYOUT_MAX_TYPES];
} layout_library;

/* The layouts the state was built with, in the block (the host arena). */
typedef struct layout_record {
    layout_set set;
    uint64_t migrations;   /* migrations since the state was created */
    uint64_t unused_bytes; /* old copies left in the persistent arena by them */
} layout_record;

/* Reads the library's table (calling its layout functions) and checks it: names, sizes, offsets,
 * counts, element types registered, every type reachable from the root. */
bool layout_from_library(const game_api *api, layout_library *out, host_error *err);

/* The index in `set` of the registered struct a field holds (X of a struct type) or points at
 * (X_ARRAY, X_PTR, X_POOL); -1 for any other field. */
int32_t layout_field_target(const layout_set *set, const game_layout_field *f);
/* The element count of an X_ARRAY field of `object` (of type t); false when it is negative. */
bool layout_count_of(const game_layout *t, const game_layout_field *array, const void *object, uint64_t *out);

/* A copy of `set` on `a` with every name copied; root_size fills in an unknown one. NULL when the
 * arena is full. */
layout_record *layout_store(arena *a, const layout_set *set, uint64_t root_size);

/* ---- comparing ---------------------------------------------------------------------------- */

typedef enum layout_verdict {
    LAYOUT_SAME,    /* nothing to do */
    LAYOUT_CHANGED, /* both sides declare layouts and they differ: the state can be migrated */
    LAYOUT_RESIZED, /* the root's size changed and a side declares no layouts: it cannot */
} layout_verdict;

typedef struct layout_diff layout_diff; /* on the scratch arena */

/* old NULL (nothing stored) compares as the same. */
layout_diff *layout_compare(const layout_set *old_set, const layout_set *new_set, arena *scratch);
layout_verdict layout_diff_verdict(const layout_diff *d);
/* One line for messages: "state: +lives -speed ~hp; enemy: +armor", or the two root sizes. */
const char *layout_diff_summary(const layout_diff *d);

/* ---- migrating ---------------------------------------------------------------------------- */

/* The block's heap, for objects that were heap allocations. */
typedef struct layout_heap {
    const uint8_t *start;
    uint64_t size;
    void *(*alloc)(void *ctx, uint64_t size, uint64_t align); /* zeroed; NULL when full */
    void (*free)(void *ctx, void *p);
    void *ctx;
} layout_heap;

typedef struct layout_migration layout_migration; /* on the scratch arena */

/* Builds the new copies; nothing the game can see changes yet. NULL with err (and every new copy
 * given back) when the state cannot be migrated. want_hook: keep what the migrate hook needs. */
layout_migration *layout_migrate_begin(layout_diff *d, game_memory *mem, const layout_heap *heap, bool want_hook,
                                       arena *scratch, host_error *err);
/* Instead of a commit: gives back every new copy (the persistent arena to where it was, heap copies
 * freed); the state is as it was. */
void layout_migrate_cancel(layout_migration *m);
/* Switches the state over: root, pointers of objects that stayed, pools. Cannot fail. */
void layout_migrate_commit(layout_migration *m);
/* Calls the game's hook once per new copy of a changed struct. */
void layout_migrate_hook(layout_migration *m,
                         void (*hook)(game_memory *mem, const game_migration *gm, const host_api *host),
                         game_memory *mem, const host_api *host);

/* Names of fields as "struct.field". */
typedef struct layout_names {
    uint32_t count;
    const char **items;
} layout_names;

typedef struct layout_report {
    layout_names changed;   /* structs whose layout changed */
    layout_names kept;      /* copied to the new copies */
    layout_names zeroed;    /* new fields, and changed ones nothing converted */
    layout_names dropped;   /* fields the new layout does not have */
    layout_names converted; /* old fields the migrate hook read */
    layout_names lost;      /* changed fields nothing converted, "state.hp (int32_t -> float)": a warning */
    uint64_t objects;       /* new copies (array elements counted one by one) */
    uint64_t updated;       /* objects that stayed where they were, with pointers updated */
    uint64_t unused_bytes;  /* old copies left in the persistent arena (and dropped pool slots) */
    uint64_t heap_freed;    /* old heap copies freed */
} layout_report;

/* Frees the old heap copies and describes what happened; the report's names live on the scratch
 * arena. */
void layout_migrate_end(layout_migration *m, layout_report *out);

/* The report of a change that was not migrated (restart, refuse): what a migration would do. */
void layout_diff_report(const layout_diff *d, arena *scratch, layout_report *out);

/* The names as a JSON array (["a","b"]) or a text list ("a, b"), cut to fit `cap` (at least 3). */
const char *layout_names_format(const layout_names *n, bool json, char *out, size_t cap);

#endif
