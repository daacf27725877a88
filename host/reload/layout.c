/* layout.c - checking a library's layouts, storing them, comparing, migrating the state. */
#include "layout.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- lookups ------------------------------------------------------------------------------ */

static int32_t layout_find_type(const layout_set *set, const char *name)
{
    for (uint32_t i = 0; i < set->count; i++)
        if (strcmp(set->types[i]->name, name) == 0) return (int32_t)i;
    return -1;
}

static int32_t layout_find_field(const game_layout *t, const char *name)
{
    for (uint32_t i = 0; i < t->field_count; i++)
        if (strcmp(t->fields[i].name, name) == 0) return (int32_t)i;
    return -1;
}

/* X, X_FN and X_STR: the field holds its value (a function or string pointer is copied as one). */
static bool layout_is_value(const game_layout_field *f)
{
    return f->kind == GAME_FIELD_VALUE || f->kind == GAME_FIELD_FN || f->kind == GAME_FIELD_STR;
}

static bool layout_is_signed(const char *type)
{
    return !(type[0] == 'u' || strcmp(type, "size_t") == 0 || strcmp(type, "bool") == 0 || strcmp(type, "_Bool") == 0);
}

/* An integer of 1, 2, 4 or 8 bytes; false when a signed one is negative. */
static bool layout_load_count(const uint8_t *at, uint32_t size, bool sign, uint64_t *out)
{
    uint64_t u;
    int64_t v;
    if (size == 1) {
        uint8_t x;
        memcpy(&x, at, 1);
        u = x, v = (int8_t)x;
    } else if (size == 2) {
        uint16_t x;
        memcpy(&x, at, 2);
        u = x, v = (int16_t)x;
    } else if (size == 4) {
        uint32_t x;
        memcpy(&x, at, 4);
        u = x, v = (int32_t)x;
    } else {
        memcpy(&u, at, 8);
        v = (int64_t)u;
    }
    *out = u;
    return !sign || v >= 0;
}

bool layout_count_of(const game_layout *t, const game_layout_field *array, const void *object, uint64_t *out)
{
    const game_layout_field *c = &t->fields[layout_find_field(t, array->count)];
    return layout_load_count((const uint8_t *)object + c->offset, c->size, layout_is_signed(c->type), out);
}

/* The registered struct a field holds or points at; -1 for a plain value. */
int32_t layout_field_target(const layout_set *set, const game_layout_field *f)
{
    if (f->kind == GAME_FIELD_FN || f->kind == GAME_FIELD_STR) return -1;
    if (f->kind != GAME_FIELD_VALUE) return layout_find_type(set, f->elem);
    for (uint32_t i = 0; i < set->count; i++)
        if (game_type_equal(f->type, set->types[i]->name)) return (int32_t)i;
    return -1;
}

static bool layout_str_equal(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

/* ---- checking a library's table ----------------------------------------------------------- */

static bool layout_is_name(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9')) return false;
    for (size_t n = 0; s[n]; n++)
        if (!game_type_word_char(s[n]) || n + 1 >= LAYOUT_NAME_MAX) return false;
    return true;
}

/* Printable, and nothing that would need escaping in the event log. */
static bool layout_is_type(const char *s)
{
    if (!s || !*s) return false;
    for (size_t n = 0; s[n]; n++)
        if (s[n] < 0x20 || s[n] > 0x7e || s[n] == '"' || s[n] == '\\' || n + 1 >= LAYOUT_TYPE_MAX) return false;
    return true;
}

/* A field that can hold an element count: 1 to 8 bytes of some integer type. */
static bool layout_is_count(const layout_set *set, const game_layout_field *f)
{
    bool sized = f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8;
    bool integer = !strstr(f->type, "float") && !strstr(f->type, "double") && !strchr(f->type, '*');
    return f->kind == GAME_FIELD_VALUE && sized && integer && layout_field_target(set, f) < 0;
}

static bool layout_check_pointer(const layout_set *set, const game_layout *t, const game_layout_field *f,
                                 host_error *err)
{
    if (!layout_is_name(f->elem) || layout_find_type(set, f->elem) < 0)
        return host_fail(err, "layout table: field '%s.%s' holds '%s', which is not in the table; add GAME_LAYOUT(%s) "
                              "to game_api.layouts", t->name, f->name, layout_is_name(f->elem) ? f->elem : "?",
                         layout_is_name(f->elem) ? f->elem : "its element type");
    if (f->size != sizeof(void *))
        return host_fail(err, "layout table: field '%s.%s' is %u bytes, not a pointer; declare it with X_ARRAY, "
                              "X_PTR or X_POOL", t->name, f->name, f->size);
    if (f->kind != GAME_FIELD_ARRAY) return true;
    int32_t c = layout_is_name(f->count) ? layout_find_field(t, f->count) : -1;
    if (c < 0 || !layout_is_count(set, &t->fields[c]))
        return host_fail(err, "layout table: field '%s.%s' counts its elements with '%s', which is not an integer "
                              "field of '%s'; name one in X_ARRAY(elem, name, count)", t->name, f->name,
                         layout_is_name(f->count) ? f->count : "?", t->name);
    return true;
}

static bool layout_check_field(const layout_set *set, const game_layout *t, uint32_t i, host_error *err)
{
    const game_layout_field *f = &t->fields[i];
    if (!layout_is_name(f->name))
        return host_fail(err, "layout table: field %u of '%s' has no C name; declare fields with GAME_STRUCT "
                              "(game_layout.h)", i, t->name);
    if (!layout_is_type(f->type) || f->kind > GAME_FIELD_STR)
        return host_fail(err, "layout table: field '%s.%s' has no readable type or kind; declare fields with "
                              "GAME_STRUCT (game_layout.h)", t->name, f->name);
    if (f->size == 0 || f->offset > t->size || f->size > t->size - f->offset)
        return host_fail(err, "layout table: field '%s.%s' (offset %u, %u bytes) lies outside its %u-byte struct; "
                              "declare fields with GAME_STRUCT (game_layout.h)", t->name, f->name, f->offset,
                         f->size, t->size);
    for (uint32_t j = 0; j < i; j++)
        if (strcmp(t->fields[j].name, f->name) == 0)
            return host_fail(err, "layout table: '%s' has two fields named '%s'", t->name, f->name);
    if (f->kind != GAME_FIELD_VALUE && layout_is_value(f) && f->size != sizeof(void *))
        return host_fail(err, "layout table: field '%s.%s' is %u bytes, not a pointer; X_FN and X_STR declare "
                              "pointers", t->name, f->name, f->size);
    return layout_is_value(f) || layout_check_pointer(set, t, f, err);
}

static bool layout_check_type(const layout_set *set, uint32_t i, host_error *err)
{
    const game_layout *t = set->types[i];
    if (!t || !layout_is_name(t->name))
        return host_fail(err, "layout table: entry %u gives no layout with a C name; list GAME_LAYOUT(T) for types "
                              "declared with GAME_STRUCT", i);
    for (uint32_t j = 0; j < i; j++)
        if (strcmp(set->types[j]->name, t->name) == 0)
            return host_fail(err, "layout table: '%s' is listed twice; list each type once", t->name);
    if (t->size == 0 || !size_is_pow2(t->align) || t->field_count == 0 || t->field_count > LAYOUT_MAX_FIELDS ||
        !t->fields)
        return host_fail(err, "layout table: '%s' has size %u, alignment %u and %u fields; declare it with "
                              "GAME_STRUCT (game_layout.h)", t->name, t->size, t->align, t->field_count);
    for (uint32_t f = 0; f < t->field_count; f++)
        if (!layout_check_field(set, t, f, err)) return false;
    return true;
}

/* Every type must be reachable from the root, or the host could not find its objects. */
static bool layout_check_reachable(const layout_set *set, host_error *err)
{
    bool reached[LAYOUT_MAX_TYPES] = {true};
    uint32_t queue[LAYOUT_MAX_TYPES] = {0}, n = 1;
    for (uint32_t q = 0; q < n; q++) {
        const game_layout *t = set->types[queue[q]];
        for (uint32_t f = 0; f < t->field_count; f++) {
            int32_t e = layout_field_target(set, &t->fields[f]);
            if (e >= 0 && !reached[e]) {
                reached[e] = true;
                queue[n++] = (uint32_t)e;
            }
        }
    }
    for (uint32_t i = 0; i < set->count; i++)
        if (!reached[i])
            return host_fail(err, "layout table: '%s' cannot be reached from the root '%s' through declared fields; "
                                  "declare the field that holds it (X, X_ARRAY, X_PTR or X_POOL) or drop it from "
                                  "the table", set->types[i]->name, set->types[0]->name);
    return true;
}

bool layout_from_library(const game_api *api, layout_library *out, host_error *err)
{
    memset(&out->set, 0, sizeof(out->set));
    out->set.types = out->types;
    out->set.root_size = api->root_size;
    if (api->layout_count == 0) return true;
    if (!api->layouts || api->layout_count > LAYOUT_MAX_TYPES)
        return host_fail(err, "layout table: %u entries at %p; a table holds 1 to %d, set it with GAME_LAYOUTS",
                         api->layout_count, (const void *)api->layouts, LAYOUT_MAX_TYPES);
    for (uint32_t i = 0; i < api->layout_count; i++) {
        if (!api->layouts[i]) return host_fail(err, "layout table: entry %u is NULL; list GAME_LAYOUT(T)", i);
        out->types[i] = api->layouts[i]();
    }
    out->set.count = api->layout_count;
    for (uint32_t i = 0; i < out->set.count; i++)
        if (!layout_check_type(&out->set, i, err)) return false;
    const game_layout *root = out->types[0];
    if (api->root_size && api->root_size != root->size)
        return host_fail(err, "game_api.root_size is %llu bytes but the root layout '%s' is %u; the first entry of "
                              "game_api.layouts must be the root state's type", (unsigned long long)api->root_size,
                         root->name, root->size);
    out->set.root_size = root->size;
    return layout_check_reachable(&out->set, err);
}

/* ---- storing: a deep copy, every name copied into the block ------------------------------- */

static const char *layout_copy_str(arena *a, const char *s, bool *ok)
{
    if (!s || !*ok) return NULL;
    size_t n = strlen(s) + 1;
    char *p = arena_try_push_no_zero(a, n, 1);
    if (p) memcpy(p, s, n);
    *ok = p != NULL;
    return p;
}

static const game_layout *layout_copy_type(arena *a, const game_layout *t, bool *ok)
{
    game_layout *c = try_push_struct(a, game_layout);
    game_layout_field *fields = try_push_array(a, game_layout_field, t->field_count);
    if (!c || !fields) return *ok = false, NULL;
    *c = *t;
    c->name = layout_copy_str(a, t->name, ok);
    c->fields = fields;
    for (uint32_t i = 0; i < t->field_count && *ok; i++) {
        fields[i] = t->fields[i];
        fields[i].name = layout_copy_str(a, t->fields[i].name, ok);
        fields[i].type = layout_copy_str(a, t->fields[i].type, ok);
        fields[i].elem = layout_copy_str(a, t->fields[i].elem, ok);
        fields[i].count = layout_copy_str(a, t->fields[i].count, ok);
    }
    return c;
}

layout_record *layout_store(arena *a, const layout_set *set, uint64_t root_size)
{
    uint64_t mark = arena_pos(a);
    layout_record *r = try_push_struct(a, layout_record);
    const game_layout **types = try_push_array(a, const game_layout *, MAX(set->count, 1));
    bool ok = r && types;
    for (uint32_t i = 0; i < set->count && ok; i++) types[i] = layout_copy_type(a, set->types[i], &ok);
    if (!ok) {
        arena_pop_to(a, mark);
        return NULL;
    }
    r->set.types = types;
    r->set.count = set->count;
    r->set.root_size = set->root_size ? set->root_size : root_size;
    return r;
}

/* ---- comparing ---------------------------------------------------------------------------- */

typedef enum layout_copy {
    LAYOUT_COPY_ZERO,   /* a new field, or one whose type changed: left zero */
    LAYOUT_COPY_BYTES,  /* same type and size */
    LAYOUT_COPY_NESTED, /* a registered struct held by value: copied field by field */
    LAYOUT_COPY_ARRAY,
    LAYOUT_COPY_PTR,
    LAYOUT_COPY_POOL,
} layout_copy;

typedef struct layout_field_plan {
    const game_layout_field *new_field;
    const game_layout_field *old_field; /* NULL: a new field */
    const game_layout_field *old_count; /* COPY_ARRAY: how many elements the old object has */
    layout_copy copy;
    int32_t elem; /* NESTED, ARRAY, PTR, POOL: the new set's index of the struct */
} layout_field_plan;

typedef struct layout_type_plan {
    const game_layout *old_type; /* NULL: the old state had no such struct */
    const game_layout *new_type;
    layout_field_plan *fields;   /* one per new field */
    bool *converted;             /* one per old field: the migrate hook read it */
    bool reshaped;               /* old objects need new copies */
    bool dirty;                  /* objects need a visit: reshaped, or they reach something that is */
} layout_type_plan;

struct layout_diff {
    layout_verdict verdict;
    const layout_set *old_set;
    const layout_set *new_set;
    layout_type_plan *types; /* one per new type */
    uint32_t count;
    char summary[512];
};

static bool layout_same_field(const game_layout_field *a, const game_layout_field *b)
{
    return a->kind == b->kind && a->offset == b->offset && a->size == b->size && game_type_equal(a->type, b->type) &&
           layout_str_equal(a->elem, b->elem) && layout_str_equal(a->count, b->count);
}

static bool layout_same_shape(const game_layout *o, const game_layout *n)
{
    if (o->size != n->size || o->align != n->align || o->field_count != n->field_count) return false;
    for (uint32_t i = 0; i < n->field_count; i++) {
        int32_t j = layout_find_field(o, n->fields[i].name);
        if (j < 0 || !layout_same_field(&o->fields[j], &n->fields[i])) return false;
    }
    return true;
}

/* How a field of the new layout gets its value from the old object. */
static layout_field_plan layout_plan_field(const layout_diff *d, const game_layout *old_type,
                                           const game_layout_field *nf)
{
    layout_field_plan p = {nf, NULL, NULL, LAYOUT_COPY_ZERO, layout_field_target(d->new_set, nf)};
    int32_t j = old_type ? layout_find_field(old_type, nf->name) : -1;
    if (j < 0) return p;
    const game_layout_field *of = p.old_field = &old_type->fields[j];
    bool same_type = (of->kind == nf->kind || (layout_is_value(of) && layout_is_value(nf))) &&
                     game_type_equal(of->type, nf->type);
    if (layout_is_value(nf)) {
        if (same_type && p.elem >= 0 && layout_field_target(d->old_set, of) >= 0) p.copy = LAYOUT_COPY_NESTED;
        else if (same_type && of->size == nf->size) p.copy = LAYOUT_COPY_BYTES;
        return p;
    }
    if (of->kind != nf->kind || strcmp(of->elem, nf->elem) != 0) return p;
    static const layout_copy by_kind[] = {LAYOUT_COPY_BYTES, LAYOUT_COPY_ARRAY, LAYOUT_COPY_PTR, LAYOUT_COPY_POOL};
    p.copy = by_kind[nf->kind];
    if (nf->kind == GAME_FIELD_ARRAY) p.old_count = &old_type->fields[layout_find_field(old_type, of->count)];
    return p;
}

/* The root matches the old root whatever its name; other structs match by name. */
static const game_layout *layout_old_match(const layout_diff *d, uint32_t i)
{
    if (i == 0) return d->old_set->types[0];
    int32_t j = layout_find_type(d->old_set, d->new_set->types[i]->name);
    return j < 0 ? NULL : d->old_set->types[j];
}

static void layout_plan_types(layout_diff *d, arena *scratch)
{
    d->count = d->new_set->count;
    d->types = push_array(scratch, layout_type_plan, d->count);
    for (uint32_t i = 0; i < d->count; i++) {
        layout_type_plan *tp = &d->types[i];
        tp->new_type = d->new_set->types[i];
        tp->old_type = layout_old_match(d, i);
        tp->fields = push_array(scratch, layout_field_plan, tp->new_type->field_count);
        for (uint32_t f = 0; f < tp->new_type->field_count; f++)
            tp->fields[f] = layout_plan_field(d, tp->old_type, &tp->new_type->fields[f]);
        if (tp->old_type) tp->converted = push_array(scratch, bool, tp->old_type->field_count);
        tp->reshaped = tp->old_type && !layout_same_shape(tp->old_type, tp->new_type);
    }
}

/* A struct that holds a reshaped struct by value is reshaped; one that reaches a dirty struct
 * through a pointer (or a pool of a reshaped one) is dirty. Repeated until nothing changes. */
static bool layout_spread_once(layout_diff *d)
{
    bool changed = false;
    for (uint32_t i = 0; i < d->count; i++) {
        layout_type_plan *tp = &d->types[i];
        if (!tp->old_type) continue;
        for (uint32_t f = 0; f < tp->new_type->field_count; f++) {
            const layout_field_plan *fp = &tp->fields[f];
            if (fp->copy == LAYOUT_COPY_ZERO || fp->copy == LAYOUT_COPY_BYTES) continue;
            const layout_type_plan *e = &d->types[fp->elem];
            bool reshape = fp->copy == LAYOUT_COPY_NESTED && e->reshaped;
            bool dirty = fp->copy == LAYOUT_COPY_POOL ? e->reshaped : e->dirty;
            changed |= (reshape && !tp->reshaped) || (dirty && !tp->dirty);
            tp->reshaped |= reshape;
            tp->dirty |= dirty;
        }
        changed |= tp->reshaped && !tp->dirty;
        tp->dirty |= tp->reshaped;
    }
    return changed;
}

/* "state: +lives -speed ~hp; enemy: fields moved" */
static void layout_summarize(layout_diff *d)
{
    char *out = d->summary;
    size_t len = 0, cap = sizeof(d->summary);
    for (uint32_t i = 0; i < d->count && len < cap; i++) {
        const layout_type_plan *tp = &d->types[i];
        if (!tp->reshaped) continue;
        len += (size_t)snprintf(out + len, cap - len, "%s%s:", len ? "; " : "", tp->new_type->name);
        size_t named = len;
        for (uint32_t f = 0; f < tp->new_type->field_count && len < cap; f++) {
            const layout_field_plan *fp = &tp->fields[f];
            if (fp->copy == LAYOUT_COPY_ZERO)
                len += (size_t)snprintf(out + len, cap - len, " %c%s", fp->old_field ? '~' : '+', fp->new_field->name);
        }
        for (uint32_t f = 0; f < tp->old_type->field_count && len < cap; f++)
            if (layout_find_field(tp->new_type, tp->old_type->fields[f].name) < 0)
                len += (size_t)snprintf(out + len, cap - len, " -%s", tp->old_type->fields[f].name);
        if (len == named) len += (size_t)snprintf(out + len, cap - len, " fields moved");
    }
}

layout_diff *layout_compare(const layout_set *old_set, const layout_set *new_set, arena *scratch)
{
    layout_diff *d = push_struct(scratch, layout_diff);
    d->old_set = old_set;
    d->new_set = new_set;
    if (!old_set) return d;
    if (!old_set->count || !new_set->count) {
        if (old_set->root_size && new_set->root_size && old_set->root_size != new_set->root_size) {
            d->verdict = LAYOUT_RESIZED;
            snprintf(d->summary, sizeof(d->summary), "the root state was %llu bytes and is now %llu",
                     (unsigned long long)old_set->root_size, (unsigned long long)new_set->root_size);
        }
        return d;
    }
    layout_plan_types(d, scratch);
    while (layout_spread_once(d)) {
    }
    d->verdict = d->types[0].dirty ? LAYOUT_CHANGED : LAYOUT_SAME;
    layout_summarize(d);
    return d;
}

layout_verdict layout_diff_verdict(const layout_diff *d) { return d->verdict; }

const char *layout_diff_summary(const layout_diff *d) { return d->summary; }

/* ---- growable arrays and an address map on the scratch arena ------------------------------ */

typedef struct layout_vec {
    uint8_t *items;
    uint64_t count, cap, item_size;
} layout_vec;

#define LAYOUT_AT(v, T, i) ((T *)(v).items + (i))

/* A new zeroed item, or NULL when the scratch arena is full. */
static void *layout_vec_push(layout_vec *v, arena *a)
{
    if (v->count == v->cap) {
        uint64_t cap = v->cap ? v->cap * 2 : 64;
        uint8_t *items = arena_try_push_array(a, cap, v->item_size, 16, false);
        if (!items) return NULL;
        if (v->count) memcpy(items, v->items, (size_t)(v->count * v->item_size));
        v->items = items;
        v->cap = cap;
    }
    void *item = v->items + v->item_size * v->count++;
    memset(item, 0, (size_t)v->item_size);
    return item;
}

/* Old address -> index of its move; open addressing, key 0 is empty (no object lives at 0). */
typedef struct layout_map {
    uintptr_t *keys;
    uint32_t *values;
    uint64_t cap, count;
} layout_map;

static uint64_t layout_hash(uintptr_t key) { return (uint64_t)key * 0x9e3779b97f4a7c15ull; }

static int64_t layout_map_get(const layout_map *m, uintptr_t key)
{
    if (!m->cap) return -1;
    for (uint64_t i = layout_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) return m->values[i];
        if (!m->keys[i]) return -1;
    }
}

static void layout_map_insert(layout_map *m, uintptr_t key, uint32_t value)
{
    uint64_t i = layout_hash(key) & (m->cap - 1);
    while (m->keys[i]) i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->values[i] = value;
    m->count++;
}

static bool layout_map_put(layout_map *m, arena *a, uintptr_t key, uint32_t value)
{
    if ((m->count + 1) * 2 > m->cap) {
        layout_map bigger = {0};
        bigger.cap = m->cap ? m->cap * 2 : 256;
        bigger.keys = try_push_array(a, uintptr_t, bigger.cap);
        bigger.values = try_push_array(a, uint32_t, bigger.cap);
        if (!bigger.keys || !bigger.values) return false;
        for (uint64_t i = 0; i < m->cap; i++)
            if (m->keys[i]) layout_map_insert(&bigger, m->keys[i], m->values[i]);
        *m = bigger;
    }
    layout_map_insert(m, key, value);
    return true;
}

/* ---- migrating ---------------------------------------------------------------------------- */

typedef enum layout_where { LAYOUT_NOWHERE, LAYOUT_IN_PLACE, LAYOUT_IN_ARENA, LAYOUT_IN_HEAP } layout_where;

/* `count` objects of one struct that were at old_at and are now at new_at (the same for objects
 * whose layout did not change: only their pointers are updated). */
typedef struct layout_move {
    uint8_t *old_at;
    uint8_t *new_at;
    uint64_t count;
    int32_t type;
    layout_where where;
} layout_move;

/* An X_PTR field whose target is resolved after the arrays, so that a pointer into an array finds
 * the array's new copy instead of making a copy of its own. */
typedef struct layout_pending {
    uint8_t *slot;
    uint8_t *old_value;
    const layout_type_plan *owner;
    const layout_field_plan *field;
    bool in_place;
} layout_pending;

/* A pointer in an object that stayed, written at commit so that a failed migration leaves the
 * state untouched. */
typedef struct layout_fixup {
    uint8_t *slot;
    uint8_t *value;
} layout_fixup;

typedef struct layout_pool_fix {
    arena_pool *pool;
    int32_t elem;
} layout_pool_fix;

typedef struct layout_hook_item {
    int32_t type;
    const uint8_t *old_at;
    uint8_t *new_at;
    uint64_t index;
} layout_hook_item;

struct layout_migration {
    layout_diff *d;
    game_memory *mem;
    layout_heap heap;
    arena *scratch;
    host_error *err;
    bool want_hook;
    bool failed;
    uint64_t arena_mark; /* the persistent arena's position before the first new copy */
    uint8_t *new_root;
    layout_vec moves, arrays, pending, fixups, pools, hooks; /* arrays: indexes of moves of many */
    layout_map map;
    uint64_t objects, updated, unused_bytes, heap_freed;
};

static bool layout_fail(layout_migration *m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static bool layout_fail(layout_migration *m, const char *fmt, ...)
{
    if (!m->failed) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(m->err->msg, sizeof(m->err->msg), fmt, args);
        va_end(args);
    }
    m->failed = true;
    return false;
}

static bool layout_out_of_scratch(layout_migration *m)
{
    return layout_fail(m, "layout migration: the scratch arena '%s' is full (%llu bytes); pass a larger "
                          "--scratch-arena", m->scratch->name, (unsigned long long)m->scratch->capacity);
}

static uint8_t *layout_read_ptr(const uint8_t *slot)
{
    uint8_t *p;
    memcpy(&p, slot, sizeof(p));
    return p;
}

static void layout_write_ptr(layout_migration *m, uint8_t *slot, uint8_t *value, const uint8_t *old_value,
                             bool in_place)
{
    if (!in_place) {
        memcpy(slot, &value, sizeof(value));
        return;
    }
    if (value == old_value) return;
    layout_fixup *f = layout_vec_push(&m->fixups, m->scratch);
    if (!f) {
        layout_out_of_scratch(m);
        return;
    }
    f->slot = slot;
    f->value = value;
}

/* An X_ARRAY's element count, read from the old object with the old layout. */
static bool layout_read_count(layout_migration *m, const uint8_t *obj, const layout_type_plan *tp,
                              const layout_field_plan *fp, uint64_t *out)
{
    const game_layout_field *c = fp->old_count;
    if (layout_load_count(obj + c->offset, c->size, layout_is_signed(c->type), out)) return true;
    return layout_fail(m, "layout migration: '%s.%s' counts its elements in '%s', which is negative",
                       tp->old_type->name, fp->old_field->name, c->name);
}

/* Where an old object lives: the persistent arena (below the first new copy) or the heap. */
static layout_where layout_region_of(const layout_migration *m, const uint8_t *p, uint64_t bytes)
{
    const arena *a = m->mem->persistent;
    if (p >= a->base && bytes <= m->arena_mark && (uint64_t)(p - a->base) <= m->arena_mark - bytes)
        return LAYOUT_IN_ARENA;
    const layout_heap *h = &m->heap;
    if (h->start && p >= h->start && bytes <= h->size && (uint64_t)(p - h->start) <= h->size - bytes)
        return LAYOUT_IN_HEAP;
    return LAYOUT_NOWHERE;
}

/* A new, zeroed copy of `count` objects in the same place the old ones were. A single object gets
 * room for a pool's free-list link, so that a pool can take it back. */
static uint8_t *layout_alloc(layout_migration *m, layout_where where, const game_layout *t, uint64_t count)
{
    uint64_t size = t->size, align = t->align, bytes;
    if (count == 1) {
        size = MAX(size, sizeof(arena_pool_slot));
        align = MAX(align, BASE_ALIGNOF(arena_pool_slot));
    }
    if (!size_mul(size, count, &bytes)) return NULL;
    if (where == LAYOUT_IN_ARENA) return arena_try_push(m->mem->persistent, bytes, align);
    return m->heap.alloc ? m->heap.alloc(m->heap.ctx, bytes, align) : NULL;
}

/* Where a pointer was found, named only when a message needs it. */
typedef struct layout_site {
    const char *type; /* NULL: the root pointer */
    const char *field;
} layout_site;

typedef struct layout_site_text {
    char s[2 * LAYOUT_NAME_MAX + 8];
} layout_site_text;

static layout_site_text layout_site_name(layout_site site)
{
    layout_site_text t;
    if (site.type) snprintf(t.s, sizeof(t.s), "'%s.%s'", site.type, site.field);
    else snprintf(t.s, sizeof(t.s), "the root state");
    return t;
}

static int layout_conflict(layout_migration *m, layout_site site, const uint8_t *p, uint64_t count,
                           const game_layout *t)
{
    layout_fail(m, "layout migration: %s points at 0x%llx as %llu '%s', but that memory was reached before as "
                   "something else (a pointer into an undeclared array, or into the middle of a struct); declare "
                   "the array with X_ARRAY", layout_site_name(site).s, (unsigned long long)(uintptr_t)p,
                (unsigned long long)count, t->name);
    return -1;
}

/* An earlier move that covers [p, p + count objects): its new address in *out (1), none (0), or a
 * conflict (-1, m->failed): the memory was moved as something else. */
static int layout_lookup(layout_migration *m, int32_t type, uint8_t *p, uint64_t count, layout_site site,
                         uint8_t **out)
{
    const layout_type_plan *tp = &m->d->types[type];
    int64_t hit = layout_map_get(&m->map, (uintptr_t)p);
    if (hit >= 0) {
        const layout_move *mv = LAYOUT_AT(m->moves, layout_move, hit);
        if (mv->type != type || mv->count < count) return layout_conflict(m, site, p, count, tp->new_type);
        *out = mv->new_at;
        return 1;
    }
    uint64_t old_size = tp->old_type->size, start = (uint64_t)(uintptr_t)p, end = start + count * old_size;
    for (uint64_t i = 0; i < m->arrays.count; i++) {
        const layout_move *a = LAYOUT_AT(m->moves, layout_move, *LAYOUT_AT(m->arrays, uint32_t, i));
        uint64_t a_size = m->d->types[a->type].old_type->size;
        uint64_t a_start = (uint64_t)(uintptr_t)a->old_at, a_end = a_start + a->count * a_size;
        if (end <= a_start || start >= a_end) continue;
        if (a->type != type || start < a_start || (start - a_start) % a_size || end > a_end)
            return layout_conflict(m, site, p, count, tp->new_type);
        *out = a->new_at + (start - a_start) / a_size * tp->new_type->size;
        return 1;
    }
    for (uint64_t k = 1; k < count; k++)
        if (layout_map_get(&m->map, (uintptr_t)(p + k * old_size)) >= 0)
            return layout_conflict(m, site, p, count, tp->new_type);
    return 0;
}

static bool layout_add_move(layout_migration *m, const layout_move *mv)
{
    uint32_t index = (uint32_t)m->moves.count;
    layout_move *slot = layout_vec_push(&m->moves, m->scratch);
    if (!slot || !layout_map_put(&m->map, m->scratch, (uintptr_t)mv->old_at, index)) return layout_out_of_scratch(m);
    *slot = *mv;
    if (mv->count > 1) {
        uint32_t *a = layout_vec_push(&m->arrays, m->scratch);
        if (!a) return layout_out_of_scratch(m);
        *a = index;
    }
    return true;
}

/* The new address of `count` objects of struct `type` that were at p, found at `site`. */
static bool layout_resolve(layout_migration *m, int32_t type, uint8_t *p, uint64_t count, layout_site site,
                           uint8_t **out)
{
    const layout_type_plan *tp = &m->d->types[type];
    *out = p;
    if (!p || !count || !tp->dirty) return true;
    int found = layout_lookup(m, type, p, count, site, out);
    if (found) return found > 0;
    uint64_t bytes;
    const game_layout *ot = tp->old_type;
    layout_where where = size_mul(count, ot->size, &bytes) ? layout_region_of(m, p, bytes) : LAYOUT_NOWHERE;
    if (where == LAYOUT_NOWHERE)
        return layout_fail(m, "layout migration: %s points at 0x%llx (%llu '%s'), outside the persistent arena and "
                              "the heap; keep the state's objects there", layout_site_name(site).s,
                           (unsigned long long)(uintptr_t)p, (unsigned long long)count, ot->name);
    if ((uintptr_t)p % ot->align)
        return layout_fail(m, "layout migration: %s points at 0x%llx, which is not aligned for '%s'",
                           layout_site_name(site).s, (unsigned long long)(uintptr_t)p, ot->name);
    layout_move mv = {p, p, count, type, LAYOUT_IN_PLACE};
    if (tp->reshaped) {
        mv.where = where;
        mv.new_at = layout_alloc(m, where, tp->new_type, count);
        if (!mv.new_at)
            return layout_fail(m, "layout migration: no room for the new copy of %llu '%s' (%s) in the %s; give it "
                                  "more space", (unsigned long long)count, ot->name, layout_site_name(site).s,
                               where == LAYOUT_IN_HEAP ? "heap (--heap)" : "persistent arena (--reserve)");
    }
    *out = mv.new_at;
    return layout_add_move(m, &mv);
}

static void layout_note_pool(layout_migration *m, const uint8_t *slot, int32_t elem, layout_site site)
{
    arena_pool *p = (arena_pool *)layout_read_ptr(slot);
    if (!p) return;
    for (uint64_t i = 0; i < m->pools.count; i++)
        if (LAYOUT_AT(m->pools, layout_pool_fix, i)->pool == p) return;
    if (layout_region_of(m, (const uint8_t *)p, sizeof(*p)) != LAYOUT_IN_ARENA) {
        layout_fail(m, "layout migration: pool %s at 0x%llx is not in the persistent arena; create pools there",
                    layout_site_name(site).s, (unsigned long long)(uintptr_t)p);
        return;
    }
    layout_pool_fix *f = layout_vec_push(&m->pools, m->scratch);
    if (!f) {
        layout_out_of_scratch(m);
        return;
    }
    f->pool = p;
    f->elem = elem;
}

static void layout_visit(layout_migration *m, int32_t type, const uint8_t *old_at, uint8_t *new_at, uint64_t index,
                         bool in_place);

static void layout_visit_field(layout_migration *m, const layout_type_plan *tp, const layout_field_plan *fp,
                               const uint8_t *old_at, uint8_t *new_at, bool in_place)
{
    const uint8_t *src = fp->old_field ? old_at + fp->old_field->offset : NULL;
    uint8_t *dst = new_at + fp->new_field->offset;
    bool elem_dirty = fp->elem >= 0 && m->d->types[fp->elem].dirty;
    layout_site site = {tp->new_type->name, fp->new_field->name};
    switch (fp->copy) {
    case LAYOUT_COPY_ZERO: break;
    case LAYOUT_COPY_BYTES:
        if (!in_place) memcpy(dst, src, fp->new_field->size);
        break;
    case LAYOUT_COPY_NESTED:
        if (elem_dirty) layout_visit(m, fp->elem, src, dst, 0, in_place);
        else if (!in_place) memcpy(dst, src, fp->new_field->size);
        break;
    case LAYOUT_COPY_POOL:
        if (!in_place) memcpy(dst, src, sizeof(void *));
        if (m->d->types[fp->elem].reshaped) layout_note_pool(m, src, fp->elem, site);
        break;
    case LAYOUT_COPY_ARRAY: {
        uint8_t *p = layout_read_ptr(src), *q;
        uint64_t n;
        if (layout_read_count(m, old_at, tp, fp, &n) && layout_resolve(m, fp->elem, p, n, site, &q))
            layout_write_ptr(m, dst, q, p, in_place);
        break;
    }
    case LAYOUT_COPY_PTR: {
        uint8_t *p = layout_read_ptr(src);
        if (!elem_dirty || !p) {
            if (!in_place) memcpy(dst, &p, sizeof(p));
            break;
        }
        layout_pending *pp = layout_vec_push(&m->pending, m->scratch);
        if (!pp) {
            layout_out_of_scratch(m);
            return;
        }
        *pp = (layout_pending){dst, p, tp, fp, in_place};
        break;
    }
    }
}

static void layout_visit(layout_migration *m, int32_t type, const uint8_t *old_at, uint8_t *new_at, uint64_t index,
                         bool in_place)
{
    const layout_type_plan *tp = &m->d->types[type];
    if (!in_place && m->want_hook && tp->reshaped) {
        layout_hook_item *h = layout_vec_push(&m->hooks, m->scratch);
        if (!h) {
            layout_out_of_scratch(m);
            return;
        }
        *h = (layout_hook_item){type, old_at, new_at, index};
    }
    for (uint32_t f = 0; f < tp->new_type->field_count && !m->failed; f++)
        layout_visit_field(m, tp, &tp->fields[f], old_at, new_at, in_place);
}

/* Visits every moved object, arrays first; then resolves the X_PTR fields, which may move more. */
static bool layout_walk(layout_migration *m)
{
    uint64_t moved = 0, resolved = 0;
    while (!m->failed) {
        for (; moved < m->moves.count && !m->failed; moved++) {
            layout_move mv = *LAYOUT_AT(m->moves, layout_move, moved);
            const layout_type_plan *tp = &m->d->types[mv.type];
            bool in_place = mv.where == LAYOUT_IN_PLACE;
            for (uint64_t i = 0; i < mv.count && !m->failed; i++)
                layout_visit(m, mv.type, mv.old_at + i * tp->old_type->size, mv.new_at + i * tp->new_type->size, i,
                             in_place);
            *(in_place ? &m->updated : &m->objects) += mv.count;
        }
        if (m->failed || resolved == m->pending.count) break;
        layout_pending pp = *LAYOUT_AT(m->pending, layout_pending, resolved++);
        layout_site site = {pp.owner->new_type->name, pp.field->new_field->name};
        uint8_t *q;
        if (layout_resolve(m, pp.field->elem, pp.old_value, 1, site, &q))
            layout_write_ptr(m, pp.slot, q, pp.old_value, pp.in_place);
    }
    return !m->failed;
}

/* A pool of a reshaped struct must hold what its layout says, and every live slot must have been
 * reached (and so copied): a slot the host cannot see would keep the old layout. */
static bool layout_check_pools(layout_migration *m)
{
    for (uint64_t i = 0; i < m->pools.count; i++) {
        const layout_pool_fix *f = LAYOUT_AT(m->pools, layout_pool_fix, i);
        const game_layout *ot = m->d->types[f->elem].old_type;
        uint64_t slot = MAX(ot->size, sizeof(arena_pool_slot)), live = 0, reached = 0;
        if (f->pool->slot_size != slot)
            return layout_fail(m, "layout migration: pool '%s' has %llu-byte slots but '%s' was %u bytes; declare "
                                  "the pool with the struct it holds (X_POOL)", f->pool->name,
                               (unsigned long long)f->pool->slot_size, ot->name, ot->size);
        for (uint64_t j = 0; j < m->pools.count; j++) {
            const layout_pool_fix *g = LAYOUT_AT(m->pools, layout_pool_fix, j);
            if (g->elem == f->elem) live += g->pool->live;
        }
        for (uint64_t j = 0; j < m->moves.count; j++) {
            const layout_move *mv = LAYOUT_AT(m->moves, layout_move, j);
            reached += mv->type == f->elem && mv->count == 1 && arena_contains(f->pool->arena, mv->old_at);
        }
        if (reached < live)
            return layout_fail(m, "layout migration: pools of '%s' hold %llu live objects but only %llu are reachable "
                                  "through declared pointers; declare every pointer that holds them (X_PTR, "
                                  "X_ARRAY), or pass --on-layout-change=restart", ot->name,
                               (unsigned long long)live, (unsigned long long)reached);
    }
    return true;
}

void layout_migrate_cancel(layout_migration *m)
{
    for (uint64_t i = 0; i < m->moves.count; i++) {
        const layout_move *mv = LAYOUT_AT(m->moves, layout_move, i);
        if (mv->where == LAYOUT_IN_HEAP && m->heap.free) m->heap.free(m->heap.ctx, mv->new_at);
    }
    arena_pop_to(m->mem->persistent, m->arena_mark);
}

layout_migration *layout_migrate_begin(layout_diff *d, game_memory *mem, const layout_heap *heap, bool want_hook,
                                       arena *scratch, host_error *err)
{
    if (d->verdict != LAYOUT_CHANGED) {
        host_fail(err, "layout migration: the layouts %s", d->verdict == LAYOUT_SAME ? "did not change" :
                       "are not declared on both sides, so the state cannot be migrated field by field");
        return NULL;
    }
    layout_migration *m = try_push_struct(scratch, layout_migration);
    if (!m) return host_fail(err, "layout migration: the scratch arena '%s' is full", scratch->name), NULL;
    m->d = d;
    m->mem = mem;
    if (heap) m->heap = *heap;
    m->scratch = scratch;
    m->err = err;
    m->want_hook = want_hook;
    m->arena_mark = arena_pos(mem->persistent);
    m->moves.item_size = sizeof(layout_move);
    m->arrays.item_size = sizeof(uint32_t);
    m->pending.item_size = sizeof(layout_pending);
    m->fixups.item_size = sizeof(layout_fixup);
    m->pools.item_size = sizeof(layout_pool_fix);
    m->hooks.item_size = sizeof(layout_hook_item);
    m->new_root = mem->root;
    layout_site root = {NULL, NULL};
    if (layout_resolve(m, 0, mem->root, 1, root, &m->new_root) && layout_walk(m) && layout_check_pools(m))
        return m;
    layout_migrate_cancel(m);
    return NULL;
}

void layout_migrate_commit(layout_migration *m)
{
    for (uint64_t i = 0; i < m->fixups.count; i++) {
        const layout_fixup *f = LAYOUT_AT(m->fixups, layout_fixup, i);
        memcpy(f->slot, &f->value, sizeof(f->value));
    }
    /* free slots are sized for the old struct: dropped, and the pool hands out new-size slots */
    for (uint64_t i = 0; i < m->pools.count; i++) {
        const layout_pool_fix *f = LAYOUT_AT(m->pools, layout_pool_fix, i);
        arena_pool *p = f->pool;
        const game_layout *nt = m->d->types[f->elem].new_type;
        for (arena_pool_slot *s = p->free_list; s; s = s->next) m->unused_bytes += p->slot_size;
        p->free_list = NULL;
        p->slot_size = MAX(nt->size, sizeof(arena_pool_slot));
        p->slot_align = MAX(nt->align, BASE_ALIGNOF(arena_pool_slot));
    }
    m->mem->root = m->new_root;
    m->mem->root_size = m->d->new_set->types[0]->size;
}

/* ---- the game's migrate hook -------------------------------------------------------------- */

typedef struct layout_hook_ctx {
    const layout_migration *m;
    int32_t type;
} layout_hook_ctx;

static const void *layout_old_field(const game_migration *gm, const char *field, const char *type)
{
    const layout_hook_ctx *c = gm->host;
    const layout_type_plan *tp = &c->m->d->types[c->type];
    int32_t i = field ? layout_find_field(tp->old_type, field) : -1;
    if (i < 0 || (type && !game_type_equal(tp->old_type->fields[i].type, type))) return NULL;
    tp->converted[i] = true;
    return (const uint8_t *)gm->old_object + tp->old_type->fields[i].offset;
}

void layout_migrate_hook(layout_migration *m,
                         void (*hook)(game_memory *mem, const game_migration *gm, const host_api *host),
                         game_memory *mem, const host_api *host)
{
    if (!hook) return;
    for (uint64_t i = 0; i < m->hooks.count; i++) {
        const layout_hook_item *h = LAYOUT_AT(m->hooks, layout_hook_item, i);
        const layout_type_plan *tp = &m->d->types[h->type];
        layout_hook_ctx ctx = {m, h->type};
        game_migration gm = {tp->new_type->name, tp->old_type, tp->new_type, h->old_at, h->new_at, h->index,
                             layout_old_field, &ctx};
        hook(mem, &gm, host);
    }
}

/* ---- reports ------------------------------------------------------------------------------ */

static void layout_names_add(layout_names *n, arena *a, const char *type, const char *field, const char *note)
{
    n->items[n->count++] = arena_push_fmt(a, "%s%s%s%s", type, field ? "." : "", field ? field : "", note ? note : "");
}

static void layout_report_field(layout_report *r, arena *a, const layout_type_plan *tp, const layout_field_plan *fp)
{
    const char *t = tp->new_type->name, *f = fp->new_field->name;
    if (fp->copy != LAYOUT_COPY_ZERO) {
        layout_names_add(&r->kept, a, t, f, NULL);
        return;
    }
    if (fp->old_field && tp->converted[fp->old_field - tp->old_type->fields]) return;
    layout_names_add(&r->zeroed, a, t, f, NULL);
    if (!fp->old_field) return;
    char note[2 * LAYOUT_TYPE_MAX + 16];
    snprintf(note, sizeof(note), " (%s -> %s)", fp->old_field->type, fp->new_field->type);
    layout_names_add(&r->lost, a, t, f, note);
}

void layout_diff_report(const layout_diff *d, arena *scratch, layout_report *out)
{
    memset(out, 0, sizeof(*out));
    if (d->verdict != LAYOUT_CHANGED) return;
    uint32_t cap = d->count;
    for (uint32_t i = 0; i < d->count; i++)
        if (d->types[i].reshaped) cap += d->types[i].new_type->field_count + d->types[i].old_type->field_count;
    layout_names *lists[] = {&out->changed, &out->kept, &out->zeroed, &out->dropped, &out->converted, &out->lost};
    for (size_t i = 0; i < ARRAY_COUNT(lists); i++) lists[i]->items = push_array(scratch, const char *, cap);
    for (uint32_t i = 0; i < d->count; i++) {
        const layout_type_plan *tp = &d->types[i];
        if (!tp->reshaped) continue;
        layout_names_add(&out->changed, scratch, tp->new_type->name, NULL, NULL);
        for (uint32_t f = 0; f < tp->new_type->field_count; f++) layout_report_field(out, scratch, tp, &tp->fields[f]);
        for (uint32_t f = 0; f < tp->old_type->field_count; f++) {
            const char *name = tp->old_type->fields[f].name;
            if (tp->converted[f]) layout_names_add(&out->converted, scratch, tp->new_type->name, name, NULL);
            else if (layout_find_field(tp->new_type, name) < 0)
                layout_names_add(&out->dropped, scratch, tp->new_type->name, name, NULL);
        }
    }
}

void layout_migrate_end(layout_migration *m, layout_report *out)
{
    for (uint64_t i = 0; i < m->moves.count; i++) {
        const layout_move *mv = LAYOUT_AT(m->moves, layout_move, i);
        uint64_t bytes = mv->count * m->d->types[mv->type].old_type->size;
        if (mv->where == LAYOUT_IN_ARENA) m->unused_bytes += bytes;
        if (mv->where != LAYOUT_IN_HEAP) continue;
        if (m->heap.free) m->heap.free(m->heap.ctx, mv->old_at);
        m->heap_freed += bytes;
    }
    layout_diff_report(m->d, m->scratch, out);
    out->objects = m->objects;
    out->updated = m->updated;
    out->unused_bytes = m->unused_bytes;
    out->heap_freed = m->heap_freed;
}

const char *layout_names_format(const layout_names *n, bool json, char *out, size_t cap)
{
    const char *quote = json ? "\"" : "", *sep = json ? "," : ", ", *close = json ? "]" : "";
    size_t len = (size_t)snprintf(out, cap, "%s", json ? "[" : "");
    for (uint32_t i = 0; i < n->count; i++) {
        size_t need = (i ? strlen(sep) : 0) + 2 * strlen(quote) + strlen(n->items[i]) + strlen(close) + 1;
        if (len + need > cap) break; /* the rest is left out; JSON stays valid */
        len += (size_t)snprintf(out + len, cap - len, "%s%s%s%s", i ? sep : "", quote, n->items[i], quote);
    }
    snprintf(out + len, cap - len, "%s", close);
    return out;
}
