/* declared.c - the walk to the state's X_FN and X_STR fields (declared.h). */
#include "declared.h"

#include <stdlib.h>
#include <string.h>

typedef struct declared_item {
    uint8_t *at;
    int32_t type;
} declared_item;

typedef struct declared_walker {
    const layout_set *set;
    const declared_visitor *v;
    bool *reaches;          /* per type: holds such a field, itself or through what it points at */
    declared_item *stack;
    uint64_t depth, stack_cap;
    uintptr_t *seen;        /* open addressing: object address ^ type, 0 empty */
    uint64_t seen_count, seen_cap;
    bool failed;
} declared_walker;

/* ---- which types to follow ---------------------------------------------------------------------- */

static bool declared_holds_directly(const game_layout *t)
{
    for (uint32_t i = 0; i < t->field_count; i++)
        if (t->fields[i].kind == GAME_FIELD_FN || t->fields[i].kind == GAME_FIELD_STR) return true;
    return false;
}

/* A fixpoint over the types: a type reaches when a field's target type reaches. */
static bool declared_mark_types(declared_walker *w)
{
    bool any = false, changed = true;
    for (uint32_t i = 0; i < w->set->count; i++) any |= w->reaches[i] = declared_holds_directly(w->set->types[i]);
    while (any && changed) {
        changed = false;
        for (uint32_t i = 0; i < w->set->count; i++) {
            const game_layout *t = w->set->types[i];
            for (uint32_t f = 0; f < t->field_count && !w->reaches[i]; f++) {
                int32_t target = layout_field_target(w->set, &t->fields[f]);
                if (target >= 0 && w->reaches[target]) changed = w->reaches[i] = true;
            }
        }
    }
    return any;
}

/* ---- objects seen and to visit ----------------------------------------------------------------- */

static bool declared_seen_insert(declared_walker *w, uintptr_t key)
{
    if (2 * (w->seen_count + 1) > w->seen_cap) {
        uint64_t cap = w->seen_cap ? w->seen_cap * 2 : 1024;
        uintptr_t *table = calloc(cap, sizeof(uintptr_t)), *old = w->seen;
        if (!table) return w->failed = true, false;
        w->seen = table;
        uint64_t old_cap = w->seen_cap;
        w->seen_cap = cap;
        w->seen_count = 0;
        for (uint64_t i = 0; i < old_cap; i++)
            if (old[i]) declared_seen_insert(w, old[i]);
        free(old);
    }
    for (uint64_t i = (key * 0x9e3779b97f4a7c15ull) >> 20;; i++) {
        uintptr_t *slot = &w->seen[i & (w->seen_cap - 1)];
        if (*slot == key) return false;
        if (*slot) continue;
        *slot = key;
        w->seen_count++;
        return true;
    }
}

/* Queues the object at p of `type`, unless seen, out of bounds or of a type that leads nowhere. */
static void declared_push(declared_walker *w, uint8_t *p, int32_t type)
{
    const game_layout *t = w->set->types[type];
    if (!p || !w->reaches[type] || !w->v->holds(w->v->ctx, p, t->size)) return;
    if (!declared_seen_insert(w, (uintptr_t)p ^ (uintptr_t)(type + 1))) return;
    if (w->depth == w->stack_cap) {
        uint64_t cap = w->stack_cap ? w->stack_cap * 2 : 256;
        declared_item *stack = realloc(w->stack, cap * sizeof(declared_item));
        if (!stack) {
            w->failed = true;
            return;
        }
        w->stack = stack;
        w->stack_cap = cap;
    }
    w->stack[w->depth++] = (declared_item){p, type};
}

/* ---- visiting --------------------------------------------------------------------------------- */

static void declared_visit(declared_walker *w, uint8_t *obj, int32_t type);

static void declared_array(declared_walker *w, const game_layout *t, const game_layout_field *f, uint8_t *obj,
                           int32_t target)
{
    uint8_t *first;
    uint64_t n, bytes, size = w->set->types[target]->size;
    memcpy(&first, obj + f->offset, sizeof(first));
    if (!first || !layout_count_of(t, f, obj, &n) || !size_mul(n, size, &bytes)) return;
    if (!w->v->holds(w->v->ctx, first, bytes)) return;
    for (uint64_t i = 0; i < n && !w->failed; i++) declared_visit(w, first + i * size, target);
}

static void declared_visit(declared_walker *w, uint8_t *obj, int32_t type)
{
    const game_layout *t = w->set->types[type];
    for (uint32_t i = 0; i < t->field_count && !w->failed; i++) {
        const game_layout_field *f = &t->fields[i];
        int32_t target = layout_field_target(w->set, f);
        if (f->kind == GAME_FIELD_FN || f->kind == GAME_FIELD_STR) {
            w->v->field(w->v->ctx, obj + f->offset, (game_field_kind)f->kind);
        } else if (target < 0 || !w->reaches[target]) {
            continue;
        } else if (f->kind == GAME_FIELD_VALUE) { /* a nested struct */
            declared_visit(w, obj + f->offset, target);
        } else if (f->kind == GAME_FIELD_PTR) {
            uint8_t *p;
            memcpy(&p, obj + f->offset, sizeof(p));
            declared_push(w, p, target);
        } else if (f->kind == GAME_FIELD_ARRAY) {
            declared_array(w, t, f, obj, target);
        }
    }
}

bool declared_walk(const layout_set *set, void *root, const declared_visitor *v)
{
    if (!set || !set->count || !root) return true;
    declared_walker w = {set, v, calloc(set->count, sizeof(bool)), NULL, 0, 0, NULL, 0, 0, false};
    if (!w.reaches) return false;
    if (declared_mark_types(&w)) {
        declared_push(&w, root, 0);
        while (w.depth && !w.failed) {
            declared_item it = w.stack[--w.depth];
            declared_visit(&w, it.at, it.type);
        }
    }
    free(w.reaches);
    free(w.stack);
    free(w.seen);
    return !w.failed;
}
