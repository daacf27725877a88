/* test_layout.c - proves the layout module on real arenas without a process: GAME_STRUCT describes
 * what the compiler laid out; a library's table is checked (every mistake named); stored layouts
 * hold only copies; the same layouts compare the same; and a migration keeps fields by name
 * (added zeroed, removed dropped, reordered kept, changed types zeroed or converted by the hook),
 * moves arrays (arena and heap) and pool objects, points every declared pointer at the new copies,
 * updates pools, and on failure gives everything back and leaves the state as it was.
 *
 * Two versions of a struct cannot share a C name in one file, so they are declared as `enemy_v1`
 * and `enemy_v2`, and the stored copies are renamed to `enemy` before they are compared. */
#include "../test_util.h"

#include "host/reload/layout.h"

/* ---- version 1 of the state ------------------------------------------------------------------ */

typedef char name16[16];

#define CELL_V1(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(int32_t, x) X(int32_t, y)
GAME_STRUCT(cell_v1, CELL_V1);

#define ENEMY_V1(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(int32_t, id) X(int32_t, health) X(float, speed)
GAME_STRUCT(enemy_v1, ENEMY_V1);

#define NODE_V1(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(int32_t, value) X_PTR(node_v1, next)
GAME_STRUCT(node_v1, NODE_V1);

#define STATE_V1(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(uint64_t, frames)                     \
    X(int32_t, hp)                          \
    X(double, speed)                        \
    X(name16, name)                         \
    X(cell_v1, at)                          \
    X(int32_t, enemy_count)                 \
    X_ARRAY(enemy_v1, enemies, enemy_count) \
    X(uint32_t, heap_count)                 \
    X_ARRAY(enemy_v1, heap_enemies, heap_count) \
    X_PTR(enemy_v1, target)                 \
    X_POOL(node_v1, nodes)                  \
    X_PTR(node_v1, list)
GAME_STRUCT(state_v1, STATE_V1);

static game_layout_fn *const v1_layouts[] = {GAME_LAYOUT(state_v1), GAME_LAYOUT(cell_v1), GAME_LAYOUT(enemy_v1),
                                             GAME_LAYOUT(node_v1)};

/* ---- fixture: a persistent arena, a scratch arena, a host arena, a heap ----------------------- */

#define HEAP_SIZE MB(4)

typedef struct fake_heap {
    uint8_t *base;
    uint64_t used;
    int allocs, frees;
    void *freed[64];
} fake_heap;

typedef struct fixture {
    void *memory[3];
    arena *persistent, *scratch, *host;
    fake_heap heap;
    layout_heap heap_api;
    game_memory mem;
    host_error err;
} fixture;

static void *fake_alloc(void *ctx, uint64_t size, uint64_t align)
{
    fake_heap *h = ctx;
    uint64_t at = (h->used + align - 1) & ~(align - 1);
    if (at + size > HEAP_SIZE) return NULL;
    h->used = at + size;
    h->allocs++;
    memset(h->base + at, 0, (size_t)size);
    return h->base + at;
}

static void fake_free(void *ctx, void *p)
{
    fake_heap *h = ctx;
    if (h->frees < 64) h->freed[h->frees] = p;
    h->frees++;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    arena **arenas[] = {&f->persistent, &f->scratch, &f->host};
    const char *names[] = {"persistent", "scratch", "host"};
    for (int i = 0; i < 3; i++) {
        f->memory[i] = map_memory(MB(16));
        *arenas[i] = arena_create(f->memory[i], MB(16), (arena_params){.name = names[i]});
    }
    f->heap.base = map_memory(HEAP_SIZE);
    f->heap_api = (layout_heap){f->heap.base, HEAP_SIZE, fake_alloc, fake_free, &f->heap};
    f->mem.persistent = f->persistent;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 3; i++) unmap_memory(f->memory[i], MB(16));
    unmap_memory(f->heap.base, HEAP_SIZE);
    free(f);
    return 0;
}

/* ---- building sets ---------------------------------------------------------------------------- */

static game_api api_of(game_layout_fn *const *table, uint32_t count)
{
    game_api api = {GAME_API_INIT};
    api.layouts = table;
    api.layout_count = count;
    return api;
}

/* Removes "_v1"/"_v2" from a stored name, in place. */
static void unversion(const char *name)
{
    if (!name) return;
    char *s = (char *)name;
    for (char *v; (v = strstr(s, "_v1")) || (v = strstr(s, "_v2"));) memmove(v, v + 3, strlen(v + 3) + 1);
}

/* The table checked, stored on the host arena, and renamed to unversioned names. */
static const layout_set *stored_set(fixture *f, game_layout_fn *const *table, uint32_t count)
{
    game_api api = api_of(table, count);
    layout_library lib;
    if (!layout_from_library(&api, &lib, &f->err)) fail_msg("%s", f->err.msg);
    layout_record *r = layout_store(f->host, &lib.set, 0);
    assert_non_null(r);
    for (uint32_t i = 0; i < r->set.count; i++) {
        const game_layout *t = r->set.types[i];
        unversion(t->name);
        for (uint32_t j = 0; j < t->field_count; j++) {
            unversion(t->fields[j].type);
            unversion(t->fields[j].elem);
        }
    }
    return &r->set;
}

static layout_migration *migrate(fixture *f, const layout_set *old_set, const layout_set *new_set, bool hook)
{
    layout_diff *d = layout_compare(old_set, new_set, f->scratch);
    assert_int_equal(layout_diff_verdict(d), LAYOUT_CHANGED);
    layout_migration *m = layout_migrate_begin(d, &f->mem, &f->heap_api, hook, f->scratch, &f->err);
    if (!m) fail_msg("%s", f->err.msg);
    return m;
}

/* A state of version 1 with 3 arena enemies, 2 heap enemies, a target at enemies[1] and a list of
 * 3 pool nodes (one more node freed to the pool). */
static state_v1 *make_v1(fixture *f)
{
    state_v1 *s = push_struct(f->persistent, state_v1);
    s->frames = 1234;
    s->hp = 77;
    s->speed = 2.5;
    strcpy(s->name, "hero");
    s->at = (cell_v1){5, 6};
    s->enemy_count = 3;
    s->enemies = push_array(f->persistent, enemy_v1, 3);
    for (int i = 0; i < 3; i++) s->enemies[i] = (enemy_v1){i + 1, 10 * (i + 1), 0.5f * (float)i};
    s->heap_count = 2;
    s->heap_enemies = fake_alloc(&f->heap, 2 * sizeof(enemy_v1), 8);
    for (int i = 0; i < 2; i++) s->heap_enemies[i] = (enemy_v1){100 + i, 1000 + i, 9.0f};
    s->target = &s->enemies[1];
    s->nodes = pool_create(f->persistent, node_v1, "nodes");
    for (int i = 3; i >= 1; i--) {
        node_v1 *n = arena_pool_alloc(s->nodes);
        n->value = i;
        n->next = s->list;
        s->list = n;
    }
    arena_pool_free(s->nodes, arena_pool_alloc(s->nodes));
    f->mem.root = s;
    f->mem.root_size = sizeof(*s);
    return s;
}

static bool names_have(const layout_names *n, const char *name)
{
    for (uint32_t i = 0; i < n->count; i++)
        if (strcmp(n->items[i], name) == 0) return true;
    return false;
}

static void assert_names(const layout_names *n, const char *const *want, uint32_t count)
{
    char text[1024];
    if (n->count != count) fail_msg("got [%s], want %u names", layout_names_format(n, false, text, sizeof(text)), count);
    for (uint32_t i = 0; i < count; i++)
        if (!names_have(n, want[i])) fail_msg("'%s' missing from [%s]", want[i], layout_names_format(n, false, text, sizeof(text)));
}

static bool inside(const void *p, const void *start, uint64_t size)
{
    return (const uint8_t *)p >= (const uint8_t *)start && (const uint8_t *)p < (const uint8_t *)start + size;
}

/* ---- describing ------------------------------------------------------------------------------- */

static void game_struct_describes_what_the_compiler_laid_out(void **unused)
{
    const game_layout *l = GAME_LAYOUT(state_v1)();
    assert_string_equal(l->name, "state_v1");
    assert_int_equal(l->size, sizeof(state_v1));
    assert_int_equal(l->align, BASE_ALIGNOF(state_v1));
    assert_int_equal(l->field_count, 12);
    const game_layout_field *f = &l->fields[6];
    assert_string_equal(f->name, "enemies");
    assert_string_equal(f->type, "enemy_v1 *");
    assert_string_equal(f->elem, "enemy_v1");
    assert_string_equal(f->count, "enemy_count");
    assert_int_equal(f->kind, GAME_FIELD_ARRAY);
    assert_int_equal(f->offset, offsetof(state_v1, enemies));
    assert_int_equal(f->size, sizeof(void *));
    assert_string_equal(l->fields[3].type, "name16");
    assert_int_equal(l->fields[3].size, 16);
    assert_int_equal(l->fields[4].offset, offsetof(state_v1, at));
    assert_int_equal(l->fields[10].kind, GAME_FIELD_POOL);
    assert_string_equal(l->fields[10].type, "arena_pool *");
    assert_int_equal(l->fields[11].kind, GAME_FIELD_PTR);
    assert_null(l->fields[1].elem);
}

static void type_spellings_compare_up_to_spaces(void **unused)
{
    assert_true(game_type_equal("enemy *", "enemy*"));
    assert_true(game_type_equal(" unsigned  int ", "unsigned int"));
    assert_true(game_type_equal("const char * const *", "const char*const*"));
    assert_false(game_type_equal("unsigned int", "unsignedint"));
    assert_false(game_type_equal("int32_t", "int64_t"));
    assert_false(game_type_equal("int", "int *"));
}

/* ---- checking a library's table --------------------------------------------------------------- */

#define LONELY(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(int, a)
GAME_STRUCT(lonely, LONELY);
#define HOLDS_UNLISTED(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(int32_t, n) X_ARRAY(lonely, items, n)
GAME_STRUCT(holds_unlisted, HOLDS_UNLISTED);
#define BAD_COUNT(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(double, n) X_ARRAY(lonely, items, n)
GAME_STRUCT(bad_count, BAD_COUNT);

static const game_layout_field outside_fields[] = {{"a", "int", NULL, NULL, 4, 8, GAME_FIELD_VALUE}};
static const game_layout outside_layout = {"outside", 8, 4, 1, outside_fields};
static const game_layout *outside(void) { return &outside_layout; }

static const game_layout_field twice_fields[] = {{"a", "int", NULL, NULL, 0, 4, GAME_FIELD_VALUE},
                                                 {"a", "int", NULL, NULL, 4, 4, GAME_FIELD_VALUE}};
static const game_layout twice_layout = {"twice", 8, 4, 2, twice_fields};
static const game_layout *twice(void) { return &twice_layout; }

static void expect_refused(game_layout_fn *const *table, uint32_t count, uint64_t root_size, const char *part)
{
    game_api api = api_of(table, count);
    api.root_size = root_size;
    layout_library lib;
    host_error err = {{0}};
    assert_false(layout_from_library(&api, &lib, &err));
    assert_contains(err.msg, part);
    assert_null(strchr(err.msg, '\n'));
}

static void library_tables_are_checked(void **unused)
{
    game_layout_fn *const unlisted[] = {GAME_LAYOUT(holds_unlisted)};
    expect_refused(unlisted, 1, 0, "'holds_unlisted.items' holds 'lonely', which is not in the table");
    game_layout_fn *const counted[] = {GAME_LAYOUT(bad_count), GAME_LAYOUT(lonely)};
    expect_refused(counted, 2, 0, "counts its elements with 'n', which is not an integer field");
    game_layout_fn *const unreachable[] = {GAME_LAYOUT(enemy_v1), GAME_LAYOUT(lonely)};
    expect_refused(unreachable, 2, 0, "'lonely' cannot be reached from the root 'enemy_v1'");
    game_layout_fn *const listed_twice[] = {GAME_LAYOUT(lonely), GAME_LAYOUT(lonely)};
    expect_refused(listed_twice, 2, 0, "'lonely' is listed twice");
    game_layout_fn *const with_null[] = {GAME_LAYOUT(lonely), NULL};
    expect_refused(with_null, 2, 0, "entry 1 is NULL");
    game_layout_fn *const bad_offset[] = {outside};
    expect_refused(bad_offset, 1, 0, "'outside.a' (offset 4, 8 bytes) lies outside its 8-byte struct");
    game_layout_fn *const two_a[] = {twice};
    expect_refused(two_a, 1, 0, "'twice' has two fields named 'a'");
    game_layout_fn *const root_second[] = {GAME_LAYOUT(lonely)};
    expect_refused(root_second, 1, 999, "game_api.root_size is 999 bytes but the root layout 'lonely' is 4");

    game_api none = api_of(NULL, 0);
    none.root_size = 48;
    layout_library lib;
    host_error err;
    assert_true(layout_from_library(&none, &lib, &err));
    assert_int_equal(lib.set.count, 0);
    assert_int_equal(lib.set.root_size, 48);
}

/* ---- storing ---------------------------------------------------------------------------------- */

static void stored_layouts_hold_only_copies(void **state)
{
    fixture *f = *state;
    game_api api = api_of(v1_layouts, 4);
    layout_library lib;
    assert_true(layout_from_library(&api, &lib, &f->err));
    layout_record *r = layout_store(f->host, &lib.set, 0);
    assert_non_null(r);
    uint64_t used = arena_pos(f->host);
    assert_int_equal(r->set.count, 4);
    assert_int_equal(r->set.root_size, sizeof(state_v1));
    const void *in_block[] = {r, r->set.types};
    for (size_t i = 0; i < ARRAY_COUNT(in_block); i++) assert_true(inside(in_block[i], f->host->base, used));
    for (uint32_t i = 0; i < r->set.count; i++) {
        const game_layout *t = r->set.types[i], *src = lib.set.types[i];
        assert_true(inside(t, f->host->base, used) && inside(t->name, f->host->base, used));
        assert_true(inside(t->fields, f->host->base, used));
        assert_string_equal(t->name, src->name);
        for (uint32_t j = 0; j < t->field_count; j++) {
            const game_layout_field *c = &t->fields[j], *o = &src->fields[j];
            const char *strs[] = {c->name, c->type, c->elem, c->count};
            for (size_t k = 0; k < 4; k++) assert_true(!strs[k] || inside(strs[k], f->host->base, used));
            assert_string_equal(c->name, o->name);
            assert_string_equal(c->type, o->type);
            assert_int_equal(c->offset, o->offset);
            assert_int_equal(c->size, o->size);
            assert_int_equal(!c->elem, !o->elem);
        }
    }
    /* a full arena: NULL, and nothing left behind */
    void *small = map_memory(KB(64));
    arena *tiny = arena_create(small, 512, (arena_params){.name = "tiny"});
    uint64_t before = arena_pos(tiny);
    assert_null(layout_store(tiny, &lib.set, 0));
    assert_int_equal(arena_pos(tiny), before);
    unmap_memory(small, KB(64));
}

/* ---- comparing -------------------------------------------------------------------------------- */

static void the_same_layouts_compare_the_same(void **state)
{
    fixture *f = *state;
    const layout_set *a = stored_set(f, v1_layouts, 4), *b = stored_set(f, v1_layouts, 4);
    layout_diff *d = layout_compare(a, b, f->scratch);
    assert_int_equal(layout_diff_verdict(d), LAYOUT_SAME);
    assert_string_equal(layout_diff_summary(d), "");
    assert_int_equal(layout_diff_verdict(layout_compare(NULL, b, f->scratch)), LAYOUT_SAME);
}

static void without_layouts_only_the_root_size_is_compared(void **state)
{
    fixture *f = *state;
    layout_set old_set = {NULL, 0, 48}, bigger = {NULL, 0, 56}, unknown = {NULL, 0, 0};
    layout_diff *d = layout_compare(&old_set, &bigger, f->scratch);
    assert_int_equal(layout_diff_verdict(d), LAYOUT_RESIZED);
    assert_contains(layout_diff_summary(d), "48 bytes and is now 56");
    assert_int_equal(layout_diff_verdict(layout_compare(&old_set, &old_set, f->scratch)), LAYOUT_SAME);
    assert_int_equal(layout_diff_verdict(layout_compare(&old_set, &unknown, f->scratch)), LAYOUT_SAME);
    /* declared on one side only: the sizes still decide */
    const layout_set *declared = stored_set(f, v1_layouts, 4);
    layout_set same_size = {NULL, 0, sizeof(state_v1)};
    assert_int_equal(layout_diff_verdict(layout_compare(declared, &bigger, f->scratch)), LAYOUT_RESIZED);
    assert_int_equal(layout_diff_verdict(layout_compare(&same_size, declared, f->scratch)), LAYOUT_SAME);
    layout_migration *m = layout_migrate_begin(layout_compare(declared, &bigger, f->scratch), &f->mem, &f->heap_api,
                                               false, f->scratch, &f->err);
    assert_null(m);
    assert_contains(f->err.msg, "not declared on both sides");
}

/* ---- migrating the root: add, remove, reorder, retype ---------------------------------------- */

#define STATE_ADDED(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(uint64_t, frames)                        \
    X(int32_t, added)                          \
    X(int32_t, hp)                             \
    X(double, speed)                           \
    X(name16, name)                            \
    X(cell_v1, at)                             \
    X(int32_t, enemy_count)                    \
    X_ARRAY(enemy_v1, enemies, enemy_count)    \
    X(uint32_t, heap_count)                    \
    X_ARRAY(enemy_v1, heap_enemies, heap_count) \
    X_PTR(enemy_v1, target)                    \
    X_POOL(node_v1, nodes)                     \
    X_PTR(node_v1, list)
GAME_STRUCT(state_added, STATE_ADDED);

static void an_added_field_is_zeroed_and_the_rest_kept(void **state)
{
    fixture *f = *state;
    state_v1 *old = make_v1(f);
    state_v1 before = *old;
    const layout_set *v1 = stored_set(f, v1_layouts, 4);
    game_layout_fn *const table[] = {GAME_LAYOUT(state_added), GAME_LAYOUT(cell_v1), GAME_LAYOUT(enemy_v1),
                                     GAME_LAYOUT(node_v1)};
    const layout_set *v2 = stored_set(f, table, 4);
    layout_diff *d = layout_compare(v1, v2, f->scratch);
    assert_string_equal(layout_diff_summary(d), "state_added: +added");
    layout_migration *m = migrate(f, v1, v2, false);
    /* nothing the game sees has changed before the commit */
    assert_ptr_equal(f->mem.root, old);
    layout_migrate_commit(m);
    state_added *s = f->mem.root;
    assert_ptr_not_equal(s, old);
    assert_int_equal(f->mem.root_size, sizeof(state_added));
    assert_true(inside(s, f->persistent->base, arena_pos(f->persistent)));
    assert_int_equal(s->frames, 1234);
    assert_int_equal(s->added, 0);
    assert_int_equal(s->hp, 77);
    assert_true(s->speed == 2.5);
    assert_string_equal(s->name, "hero");
    assert_int_equal(s->at.y, 6);
    /* the arrays and lists did not change: the same pointers */
    assert_ptr_equal(s->enemies, before.enemies);
    assert_ptr_equal(s->target, before.target);
    assert_ptr_equal(s->list, before.list);
    assert_ptr_equal(s->nodes, before.nodes);
    assert_memory_equal(old, &before, sizeof(before)); /* the old copy is untouched */
    layout_report r;
    layout_migrate_end(m, &r);
    const char *zeroed[] = {"state_added.added"};
    assert_names(&r.zeroed, zeroed, 1);
    assert_int_equal(r.kept.count, 12);
    assert_int_equal(r.dropped.count + r.lost.count + r.converted.count, 0);
    assert_int_equal(r.objects, 1);
    assert_int_equal(r.unused_bytes, sizeof(state_v1));
    assert_int_equal(f->heap.frees, 0);
}

#define STATE_REORDERED(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X_PTR(node_v1, list)                           \
    X(name16, name)                                \
    X(int32_t, enemy_count)                        \
    X(cell_v1, at)                                 \
    X_ARRAY(enemy_v1, heap_enemies, heap_count)    \
    X(int32_t, hp)                                 \
    X_POOL(node_v1, nodes)                         \
    X_ARRAY(enemy_v1, enemies, enemy_count)        \
    X(uint32_t, heap_count)                        \
    X_PTR(enemy_v1, target)                        \
    X(uint64_t, frames)
GAME_STRUCT(state_reordered, STATE_REORDERED);

static void removed_fields_are_dropped_and_reordered_ones_kept(void **state)
{
    fixture *f = *state;
    state_v1 *old = make_v1(f);
    const layout_set *v1 = stored_set(f, v1_layouts, 4);
    game_layout_fn *const table[] = {GAME_LAYOUT(state_reordered), GAME_LAYOUT(cell_v1), GAME_LAYOUT(enemy_v1),
                                     GAME_LAYOUT(node_v1)};
    layout_migration *m = migrate(f, v1, stored_set(f, table, 4), false);
    layout_migrate_commit(m);
    state_reordered *s = f->mem.root;
    assert_int_equal(s->frames, 1234);
    assert_int_equal(s->hp, 77);
    assert_string_equal(s->name, "hero");
    assert_int_equal(s->at.x, 5);
    assert_int_equal(s->enemy_count, 3);
    assert_int_equal(s->heap_count, 2);
    assert_ptr_equal(s->enemies, old->enemies);
    assert_ptr_equal(s->heap_enemies, old->heap_enemies);
    assert_int_equal(s->list->next->value, 2);
    layout_report r;
    layout_migrate_end(m, &r);
    const char *dropped[] = {"state_reordered.speed"};
    assert_names(&r.dropped, dropped, 1);
    assert_int_equal(r.zeroed.count, 0);
    assert_int_equal(r.kept.count, 11);
}

#define STATE_RETYPED(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(uint64_t, frames)                          \
    X(float, hp)                                 \
    X(int32_t, health)                           \
    X(name16, name)                              \
    X(cell_v1, at)                               \
    X(int32_t, enemy_count)                      \
    X_ARRAY(enemy_v1, enemies, enemy_count)      \
    X(uint32_t, heap_count)                      \
    X_ARRAY(enemy_v1, heap_enemies, heap_count)  \
    X_PTR(enemy_v1, target)                      \
    X_POOL(node_v1, nodes)                       \
    X_PTR(node_v1, list)
GAME_STRUCT(state_retyped, STATE_RETYPED);

static game_layout_fn *const retyped_layouts[] = {GAME_LAYOUT(state_retyped), GAME_LAYOUT(cell_v1),
                                                  GAME_LAYOUT(enemy_v1), GAME_LAYOUT(node_v1)};

static void a_changed_type_is_zeroed_and_reported(void **state)
{
    fixture *f = *state;
    make_v1(f);
    layout_migration *m = migrate(f, stored_set(f, v1_layouts, 4), stored_set(f, retyped_layouts, 4), false);
    layout_migrate_commit(m);
    state_retyped *s = f->mem.root;
    assert_true(s->hp == 0.0f); /* never the int's bits read as a float */
    assert_int_equal(s->health, 0);
    assert_int_equal(s->frames, 1234);
    layout_report r;
    layout_migrate_end(m, &r);
    const char *lost[] = {"state_retyped.hp (int32_t -> float)"};
    assert_names(&r.lost, lost, 1);
    const char *zeroed[] = {"state_retyped.hp", "state_retyped.health"};
    assert_names(&r.zeroed, zeroed, 2);
    const char *dropped[] = {"state_retyped.speed"};
    assert_names(&r.dropped, dropped, 1);
}

/* Converts hp (int32_t -> float) and renames it into health; counts its calls. */
static int hook_calls;

static void convert_hp(game_memory *mem, const game_migration *m, const host_api *host)
{
    hook_calls++;
    if (strcmp(m->type, "state_retyped") != 0) return;
    const int32_t *hp = m->old_field(m, "hp", "int32_t");
    float *new_hp = game_migration_field(m, "hp", "float");
    int32_t *health = game_migration_field(m, "health", "int32_t");
    assert_null(m->old_field(m, "hp", "float"));
    assert_null(m->old_field(m, "nope", NULL));
    assert_null(game_migration_field(m, "hp", "int32_t"));
    if (hp && new_hp && health) {
        *new_hp = (float)*hp;
        *health = *hp * 2;
    }
    assert_string_equal(m->old_layout->name, "state");
    assert_ptr_equal(m->object, mem->root);
}

static void the_migrate_hook_converts_a_changed_type(void **state)
{
    fixture *f = *state;
    make_v1(f);
    layout_migration *m = migrate(f, stored_set(f, v1_layouts, 4), stored_set(f, retyped_layouts, 4), true);
    layout_migrate_commit(m);
    hook_calls = 0;
    layout_migrate_hook(m, convert_hp, &f->mem, NULL);
    assert_int_equal(hook_calls, 1); /* only the root changed */
    state_retyped *s = f->mem.root;
    assert_true(s->hp == 77.0f);
    assert_int_equal(s->health, 154);
    layout_report r;
    layout_migrate_end(m, &r);
    const char *converted[] = {"state_retyped.hp"};
    assert_names(&r.converted, converted, 1);
    assert_int_equal(r.lost.count, 0);
    const char *zeroed[] = {"state_retyped.health"};
    assert_names(&r.zeroed, zeroed, 1);
}

/* ---- migrating arrays, pointers into them, pools, nested structs ------------------------------ */

#define CELL_V2(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(int32_t, y) X(int32_t, x)
GAME_STRUCT(cell_v2, CELL_V2);

#define ENEMY_V2(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(float, speed) X(int32_t, armor) X(int32_t, id) X(int32_t, health)
GAME_STRUCT(enemy_v2, ENEMY_V2);

#define NODE_V2(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(uint64_t, extra) X_PTR(node_v2, next) X(int32_t, value)
GAME_STRUCT(node_v2, NODE_V2);

#define STATE_V2(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(uint64_t, frames)                     \
    X(int32_t, hp)                          \
    X(double, speed)                        \
    X(name16, name)                         \
    X(cell_v2, at)                          \
    X(int32_t, enemy_count)                 \
    X_ARRAY(enemy_v2, enemies, enemy_count) \
    X(uint32_t, heap_count)                 \
    X_ARRAY(enemy_v2, heap_enemies, heap_count) \
    X_PTR(enemy_v2, target)                 \
    X_POOL(node_v2, nodes)                  \
    X_PTR(node_v2, list)
GAME_STRUCT(state_v2, STATE_V2);

static game_layout_fn *const v2_layouts[] = {GAME_LAYOUT(state_v2), GAME_LAYOUT(cell_v2), GAME_LAYOUT(enemy_v2),
                                             GAME_LAYOUT(node_v2)};

static void changed_elements_move_and_every_pointer_follows(void **state)
{
    fixture *f = *state;
    state_v1 *old = make_v1(f);
    state_v1 before = *old;
    node_v1 *old_nodes[3] = {old->list, old->list->next, old->list->next->next};
    const layout_set *v1 = stored_set(f, v1_layouts, 4);
    const layout_set *v2 = stored_set(f, v2_layouts, 4);
    layout_migration *m = migrate(f, v1, v2, false);
    uint64_t after_copies = arena_pos(f->persistent);
    layout_migrate_commit(m);

    /* the root changed shape (its cell did): a new copy */
    state_v2 *s = f->mem.root;
    assert_ptr_not_equal(s, old);
    assert_int_equal(s->at.x, 5);
    assert_int_equal(s->at.y, 6);
    /* the arena array: a new copy in the arena, every element kept by name */
    assert_ptr_not_equal(s->enemies, before.enemies);
    assert_true(inside(s->enemies, f->persistent->base, after_copies));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s->enemies[i].id, i + 1);
        assert_int_equal(s->enemies[i].health, 10 * (i + 1));
        assert_true(s->enemies[i].speed == 0.5f * (float)i);
        assert_int_equal(s->enemies[i].armor, 0);
    }
    /* the pointer into it follows to the same element */
    assert_ptr_equal(s->target, &s->enemies[1]);
    /* the heap array: a new heap allocation, the old one freed */
    assert_true(inside(s->heap_enemies, f->heap.base, HEAP_SIZE));
    assert_ptr_not_equal(s->heap_enemies, before.heap_enemies);
    assert_int_equal(s->heap_enemies[1].health, 1001);
    /* the pooled list: every node copied, linked in the same order */
    int values[3] = {0};
    int n = 0;
    for (node_v2 *p = s->list; p; p = p->next) {
        assert_true(n < 3);
        for (int k = 0; k < 3; k++) assert_ptr_not_equal(p, old_nodes[k]);
        assert_int_equal(p->extra, 0);
        values[n++] = p->value;
    }
    assert_int_equal(n, 3);
    assert_int_equal(values[0] * 100 + values[1] * 10 + values[2], 123);
    /* the pool now hands out slots of the new size, and takes the new copies back */
    assert_ptr_equal(s->nodes, before.nodes);
    assert_int_equal(s->nodes->slot_size, sizeof(node_v2));
    assert_null(s->nodes->free_list);
    node_v2 *fresh = arena_pool_alloc(s->nodes);
    fresh->extra = ~0ull;
    assert_int_equal(s->nodes->live, 4);
    node_v2 *last = s->list->next->next;
    s->list->next->next = NULL;
    arena_pool_free(s->nodes, last);
    arena_pool_free(s->nodes, fresh);
    assert_int_equal(s->nodes->live, 2);

    /* no pointer in the state points at an old copy */
    const void *pointers[] = {s, s->enemies, s->heap_enemies, s->target, s->list, s->list->next, last};
    for (size_t i = 0; i < ARRAY_COUNT(pointers); i++) {
        assert_false(inside(pointers[i], old, sizeof(*old)));
        assert_false(inside(pointers[i], before.enemies, 3 * sizeof(enemy_v1)));
        assert_false(inside(pointers[i], before.heap_enemies, 2 * sizeof(enemy_v1)));
    }

    layout_report r;
    layout_migrate_end(m, &r);
    assert_int_equal(f->heap.frees, 1);
    assert_ptr_equal(f->heap.freed[0], before.heap_enemies);
    assert_int_equal(r.heap_freed, 2 * sizeof(enemy_v1));
    assert_int_equal(r.objects, 1 + 3 + 2 + 3);
    /* the old root, the old array, three old nodes and the dropped free slot */
    assert_int_equal(r.unused_bytes, sizeof(state_v1) + 3 * sizeof(enemy_v1) + 4 * sizeof(node_v1));
    const char *changed[] = {"state", "cell", "enemy", "node"};
    assert_names(&r.changed, changed, 4);
    const char *zeroed[] = {"enemy.armor", "node.extra"};
    assert_names(&r.zeroed, zeroed, 2);
    assert_true(names_have(&r.kept, "state.at"));
}

#define STATE_V3(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(uint64_t, frames)                     \
    X(int32_t, hp)                          \
    X(double, speed)                        \
    X(name16, name)                         \
    X(cell_v1, at)                          \
    X(int32_t, enemy_count)                 \
    X_ARRAY(enemy_v2, enemies, enemy_count) \
    X(uint32_t, heap_count)                 \
    X_ARRAY(enemy_v2, heap_enemies, heap_count) \
    X_PTR(enemy_v2, target)                 \
    X_POOL(node_v1, nodes)                  \
    X_PTR(node_v1, list)
GAME_STRUCT(state_v3, STATE_V3);

/* Only the element struct changed: the root keeps its address, only its pointers change. */
static void a_struct_that_only_points_at_changes_stays_in_place(void **state)
{
    fixture *f = *state;
    state_v1 *old = make_v1(f);
    node_v1 *list = old->list;
    enemy_v1 *enemies = old->enemies;
    game_layout_fn *const table[] = {GAME_LAYOUT(state_v3), GAME_LAYOUT(cell_v1), GAME_LAYOUT(enemy_v2),
                                     GAME_LAYOUT(node_v1)};
    const layout_set *v3 = stored_set(f, table, 4);
    /* state_v3 is renamed to "state"; with the same fields it is the same shape as state_v1 */
    layout_migration *m = migrate(f, stored_set(f, v1_layouts, 4), v3, false);
    assert_ptr_equal(old->enemies, enemies); /* the pointer is written at commit, not before */
    layout_migrate_commit(m);
    assert_ptr_equal(f->mem.root, old);
    state_v3 *s = f->mem.root;
    assert_ptr_not_equal(s->enemies, enemies);
    assert_int_equal(s->enemies[2].id, 3);
    assert_ptr_equal(s->target, &s->enemies[1]);
    assert_ptr_equal(s->list, list);
    layout_report r;
    layout_migrate_end(m, &r);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.objects, 5);
    const char *changed[] = {"enemy"};
    assert_names(&r.changed, changed, 1);
}

/* ---- failures leave everything as it was ------------------------------------------------------ */

static void expect_failure(fixture *f, const layout_set *old_set, const layout_set *new_set, const char *part)
{
    uint64_t pos = arena_pos(f->persistent);
    int allocs = f->heap.allocs, frees = f->heap.frees;
    void *root = f->mem.root;
    state_v1 before = *(state_v1 *)root;
    layout_diff *d = layout_compare(old_set, new_set, f->scratch);
    memset(&f->err, 0, sizeof(f->err));
    assert_null(layout_migrate_begin(d, &f->mem, &f->heap_api, false, f->scratch, &f->err));
    assert_contains(f->err.msg, part);
    assert_null(strchr(f->err.msg, '\n'));
    assert_int_equal(arena_pos(f->persistent), pos);
    assert_int_equal(f->heap.frees - frees, f->heap.allocs - allocs); /* every heap copy given back */
    assert_ptr_equal(f->mem.root, root);
    assert_memory_equal(root, &before, sizeof(before));
}

static void a_migration_that_cannot_finish_changes_nothing(void **state)
{
    fixture *f = *state;
    state_v1 *s = make_v1(f);
    const layout_set *v1 = stored_set(f, v1_layouts, 4), *v2 = stored_set(f, v2_layouts, 4);

    static enemy_v1 outside_block[2];
    enemy_v1 *target = s->target;
    s->target = &outside_block[0];
    expect_failure(f, v1, v2, "'state.target' points at 0x");
    assert_contains(f->err.msg, "outside the persistent arena and the heap");
    s->target = (enemy_v1 *)((uint8_t *)target + 4);
    expect_failure(f, v1, v2, "reached before as something else");
    s->target = target;

    s->enemy_count = -1;
    expect_failure(f, v1, v2, "'enemy_count', which is negative");
    s->enemy_count = 3;

    node_v1 *hidden = arena_pool_alloc(s->nodes); /* live, but no declared pointer reaches it */
    expect_failure(f, v1, v2, "pools of 'node' hold 4 live objects but only 3 are reachable");
    arena_pool_free(s->nodes, hidden);

    /* still migrates once everything is in order */
    layout_migration *m = migrate(f, v1, v2, false);
    layout_migrate_commit(m);
    assert_int_equal(((state_v2 *)f->mem.root)->enemies[0].id, 1);
}

static void a_full_arena_fails_cleanly(void **state)
{
    fixture *f = *state;
    make_v1(f);
    const layout_set *v1 = stored_set(f, v1_layouts, 4), *v2 = stored_set(f, v2_layouts, 4);
    uint64_t room = f->persistent->capacity - arena_pos(f->persistent);
    arena_push_no_zero(f->persistent, room - sizeof(state_v2) - 8, 1); /* room for the new root only */
    expect_failure(f, v1, v2, "no room for the new copy of 3 'enemy'");
}

/* ---- reports ---------------------------------------------------------------------------------- */

static void names_format_as_json_and_text(void **unused)
{
    const char *items[] = {"state.a", "state.b", "enemy.c"};
    layout_names n = {3, items};
    char out[64];
    assert_string_equal(layout_names_format(&n, true, out, sizeof(out)), "[\"state.a\",\"state.b\",\"enemy.c\"]");
    assert_string_equal(layout_names_format(&n, false, out, sizeof(out)), "state.a, state.b, enemy.c");
    assert_string_equal(layout_names_format(&n, true, out, 24), "[\"state.a\",\"state.b\"]");
    assert_string_equal(layout_names_format(&n, true, out, 3), "[]");
    layout_names none = {0, NULL};
    assert_string_equal(layout_names_format(&none, true, out, sizeof(out)), "[]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(game_struct_describes_what_the_compiler_laid_out),
        cmocka_unit_test(type_spellings_compare_up_to_spaces),
        cmocka_unit_test(library_tables_are_checked),
        cmocka_unit_test_setup_teardown(stored_layouts_hold_only_copies, setup, teardown),
        cmocka_unit_test_setup_teardown(the_same_layouts_compare_the_same, setup, teardown),
        cmocka_unit_test_setup_teardown(without_layouts_only_the_root_size_is_compared, setup, teardown),
        cmocka_unit_test_setup_teardown(an_added_field_is_zeroed_and_the_rest_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(removed_fields_are_dropped_and_reordered_ones_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(a_changed_type_is_zeroed_and_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(the_migrate_hook_converts_a_changed_type, setup, teardown),
        cmocka_unit_test_setup_teardown(changed_elements_move_and_every_pointer_follows, setup, teardown),
        cmocka_unit_test_setup_teardown(a_struct_that_only_points_at_changes_stays_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(a_migration_that_cannot_finish_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(a_full_arena_fails_cleanly, setup, teardown),
        cmocka_unit_test(names_format_as_json_and_text),
    };
    return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
