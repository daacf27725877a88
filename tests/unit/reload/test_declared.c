/* test_declared.c - proves the walk to the state's X_FN and X_STR fields (declared.h) on plain
 * memory: every such field of every reachable object is reported once, through X_PTR, X_ARRAY and
 * nested structs, around a cycle of pointers; pointers that `holds` rejects are not followed; types
 * that lead to no such field are not walked; GAME_STRUCT describes X_FN and X_STR fields (kind, type
 * spelling, size) and the layout check takes them. */
#include "../test_util.h"

#include "host/reload/declared.h"

typedef void think_fn(void *self);

#define TAG_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(int32_t, id) X_STR(label)
GAME_STRUCT(tag, TAG_FIELDS);

#define MOB_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X_FN(think_fn, think) X(tag, tag) X_PTR(mob, next)
GAME_STRUCT(mob, MOB_FIELDS);

#define PLAIN_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(int32_t, a) X(int32_t, b)
GAME_STRUCT(plain, PLAIN_FIELDS);

#define WORLD_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(int32_t, mob_count)                                    \
    X_ARRAY(mob, mobs, mob_count)                            \
    X_PTR(mob, boss)                                         \
    X(int32_t, plain_count)                                  \
    X_ARRAY(plain, plains, plain_count)                      \
    X_STR(title)
GAME_STRUCT(world, WORLD_FIELDS);

static game_layout_fn *const layouts[] = {GAME_LAYOUT(world), GAME_LAYOUT(mob), GAME_LAYOUT(tag), GAME_LAYOUT(plain)};

typedef struct seen {
    void *fields[64];
    game_field_kind kinds[64];
    int count;
    const void *forbidden; /* `holds` rejects this object */
    int plain_asked;       /* times `holds` was asked about the plain array */
    const void *plains;
} seen;

static bool holds(void *ctx, const void *p, uint64_t size)
{
    seen *s = ctx;
    (void)size;
    if (p == s->plains) s->plain_asked++;
    return p != s->forbidden;
}

static void on_field(void *ctx, void *field, game_field_kind kind)
{
    seen *s = ctx;
    assert_true(s->count < 64);
    s->fields[s->count] = field;
    s->kinds[s->count++] = kind;
}

static int times_seen(const seen *s, const void *field, game_field_kind kind)
{
    int n = 0;
    for (int i = 0; i < s->count; i++) n += s->fields[i] == field && s->kinds[i] == kind;
    return n;
}

static layout_set set_of(layout_library *lib)
{
    game_api api = {GAME_API_INIT, GAME_LAYOUTS(layouts)};
    host_error err = {{0}};
    if (!layout_from_library(&api, lib, &err)) print_error("%s\n", err.msg);
    assert_int_equal(lib->set.count, 4);
    return lib->set;
}

static void test_game_struct_describes_function_and_string_fields(void **state)
{
    (void)state;
    layout_library lib;
    layout_set set = set_of(&lib); /* the check accepts them */
    const game_layout *m = mob_game_layout();
    assert_int_equal(m->fields[0].kind, GAME_FIELD_FN);
    assert_string_equal(m->fields[0].type, "think_fn *");
    assert_int_equal(m->fields[0].size, sizeof(void *));
    const game_layout *t = tag_game_layout();
    assert_int_equal(t->fields[1].kind, GAME_FIELD_STR);
    assert_string_equal(t->fields[1].type, "const char *");
    assert_int_equal(t->fields[1].offset, offsetof(tag, label));
    assert_true(layout_field_target(&set, &m->fields[0]) < 0);
}

static void test_every_declared_field_is_found_once(void **state)
{
    (void)state;
    layout_library lib;
    layout_set set = set_of(&lib);
    static mob mobs[3], boss;
    static plain plains[4];
    static world w;
    w.mob_count = 3;
    w.mobs = mobs;
    w.boss = &boss;
    w.plain_count = 4;
    w.plains = plains;
    mobs[0].next = &mobs[1]; /* into the array: a pointer to an object already visited */
    mobs[2].next = &boss;
    boss.next = &boss;       /* a cycle */
    seen s = {.plains = plains};
    declared_visitor v = {holds, on_field, &s};
    assert_true(declared_walk(&set, &w, &v));
    assert_int_equal(times_seen(&s, &w.title, GAME_FIELD_STR), 1);
    for (int i = 0; i < 3; i++) {
        assert_true(times_seen(&s, &mobs[i].think, GAME_FIELD_FN) >= 1);
        assert_true(times_seen(&s, &mobs[i].tag.label, GAME_FIELD_STR) >= 1); /* a nested struct */
    }
    assert_int_equal(times_seen(&s, &boss.think, GAME_FIELD_FN), 1);
    assert_int_equal(times_seen(&s, &boss.tag.label, GAME_FIELD_STR), 1);
    assert_int_equal(s.plain_asked, 0); /* plain leads to no such field: never walked */
}

static void test_a_pointer_holds_rejects_is_not_followed(void **state)
{
    (void)state;
    layout_library lib;
    layout_set set = set_of(&lib);
    static mob boss, minion;
    static world w;
    w.boss = &boss;
    boss.next = &minion;
    seen s = {.forbidden = &minion};
    declared_visitor v = {holds, on_field, &s};
    assert_true(declared_walk(&set, &w, &v));
    assert_int_equal(times_seen(&s, &boss.think, GAME_FIELD_FN), 1);
    assert_int_equal(times_seen(&s, &minion.think, GAME_FIELD_FN), 0);
    assert_int_equal(s.count, 3); /* title, boss.think, boss.tag.label */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_game_struct_describes_function_and_string_fields),
        cmocka_unit_test(test_every_declared_field_is_found_once),
        cmocka_unit_test(test_a_pointer_holds_rejects_is_not_followed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
