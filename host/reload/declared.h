/* declared.h - the fields of the state a game declared X_FN or X_STR (game_layout.h), found by
 * walking the state from its root through the stored layouts, so that the stale-pointer pass
 * repairs them precisely (stale.h).
 *
 *     declared_walk(&block->layouts->set, mem->root, &holds, on_field, ctx);
 *
 * The walk follows X_PTR and X_ARRAY fields and nested structs, only into types that hold such a
 * field themselves or through what they point at, and only to objects `holds` accepts (the block's
 * used parts: a garbage pointer is never followed out of them); it visits each object once, so
 * a cycle of pointers is fine. Pool slots are reached through pointers, as the layout migration
 * reaches them. Its cost is the number of such objects: a game declares X_FN / X_STR where it
 * keeps one, and a big array of structs without them is not walked. Pure: reads the block only. */
#ifndef DECLARED_H
#define DECLARED_H

#include "layout.h"

/* True when [p, p + size) lies in memory the walk may read. */
typedef bool declared_holds_fn(void *ctx, const void *p, uint64_t size);
/* One X_FN or X_STR field, at `field`. */
typedef void declared_field_fn(void *ctx, void *field, game_field_kind kind);

typedef struct declared_visitor {
    declared_holds_fn *holds;
    declared_field_fn *field;
    void *ctx;
} declared_visitor;

/* Walks the state; false when out of memory (the walk stopped part-way). */
bool declared_walk(const layout_set *set, void *root, const declared_visitor *v);

#endif
