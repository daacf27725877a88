/* test_arena_stats.c - proves the stats table (arena/arena_stats.c) with exact numbers: counts per call
 * site and per arena, names copied into the table, the same id for the same site after a "reload"
 * (a fresh site cache), tags with nesting, frames with their history, per-frame figures and peaks,
 * high-water across resets, pools listed while alive, full tables, arenas without a table, two
 * tables, sites added from two threads at once; callers (one helper called from several functions
 * is several sites, with their call stacks, through modules that describe this executable), names
 * interned once, and series of bytes per frame. */
#include "../test_util.h"

#include "arena/arena_stats.h"

#include <pthread.h>

#define HOME_SIZE MB(4)
#define ARENA_SIZE MB(1)

typedef struct fixture {
    uint8_t *memory;
    arena *home, *a, *b;
    arena_stats_table *t;
} fixture;

static uint32_t next_stamp = 100; /* every table of this process gets its own */

static int setup_with(void **state, arena_stats_params params)
{
    fixture *f = calloc(1, sizeof(*f));
    f->memory = map_memory(HOME_SIZE + 2 * ARENA_SIZE);
    f->home = arena_create(f->memory, HOME_SIZE, (arena_params){.name = "home"});
    f->a = arena_create(f->memory + HOME_SIZE, ARENA_SIZE, (arena_params){.name = "a"});
    f->b = arena_create(f->memory + HOME_SIZE + ARENA_SIZE, ARENA_SIZE, (arena_params){.name = "b"});
    params.stamp = next_stamp++;
    f->t = arena_stats_table_create(f->home, params);
    *state = f;
    return f->t && arena_stats_track(f->t, f->a) && arena_stats_track(f->t, f->b) ? 0 : -1;
}

static int setup(void **state) { return setup_with(state, (arena_stats_params){0}); }

static int setup_small(void **state)
{
    return setup_with(state, (arena_stats_params){.max_sites = 3, .max_tags = 2, .max_pools = 1, .history = 4});
}

static int teardown(void **state)
{
    fixture *f = *state;
    unmap_memory(f->memory, HOME_SIZE + 2 * ARENA_SIZE);
    free(f);
    return 0;
}

#define F ((fixture *)*state)

/* The id of the site at `line` of this file, or -1. */
static int site_at(arena_stats_table *t, int line)
{
    for (uint32_t i = 1; i < arena_stats_site_count(t); i++)
        if (t->sites[i].line == (uint32_t)line && strcmp(arena_stats_name(t, t->sites[i].file), __FILE__) == 0)
            return (int)i;
    return -1;
}

static arena_site_counter site_counts(arena_stats_table *t, int line)
{
    int id = site_at(t, line);
    assert_true(id > 0);
    return arena_stats_site_total(t, (uint32_t)id);
}

/* ---- creation ---------------------------------------------------------------------------------- */

static void create_needs_a_stamp_and_room_and_takes_nothing_when_it_fails(void **state)
{
    uint8_t *memory = map_memory(KB(256));
    arena *home = arena_create(memory, KB(256), (arena_params){.name = "small"});
    assert_null(arena_stats_table_create(home, (arena_stats_params){0}));
    assert_null(arena_stats_table_create(home, (arena_stats_params){.stamp = 9})); /* the defaults need ~1.6 MiB */
    assert_int_equal(arena_pos(home), 0);
    arena_stats_table *t = arena_stats_table_create(home, (arena_stats_params){.stamp = 9, .max_sites = 64,
                                                                               .history = 8, .names_size = 4096});
    assert_non_null(t);
    assert_true(arena_contains(home, t));
    assert_int_equal(arena_stats_site_count(t), 1);
    assert_int_equal(arena_stats_tag_count(t), 1);
    assert_string_equal(arena_stats_name(t, t->sites[0].file), "(no site)");
    assert_string_equal(arena_stats_name(t, t->tags[0].name), "(untagged)");
    unmap_memory(memory, KB(256));
}

/* ---- sites ------------------------------------------------------------------------------------- */

typedef struct thing {
    double x, y;
    uint32_t id;
} thing;

static void pushes_count_per_site_and_per_arena_exactly(void **state)
{
    fixture *f = F;
    int line_struct = __LINE__ + 2;
    for (int i = 0; i < 3; i++) {
        thing *t = push_struct(f->a, thing);
        assert_non_null(t);
    }
    int line_array = __LINE__ + 2;
    for (int i = 0; i < 2; i++) {
        uint32_t *v = push_array(i == 0 ? f->a : f->b, uint32_t, 10);
        assert_non_null(v);
    }
    int line_str = __LINE__ + 1;
    char *s = arena_push_str(f->b, "hello");
    assert_string_equal(s, "hello");

    assert_int_equal(arena_stats_site_count(f->t), 4); /* (no site) and three */
    arena_site_counter c = site_counts(f->t, line_struct);
    assert_int_equal(c.pushes, 3);
    assert_int_equal(c.bytes, 3 * sizeof(thing));
    c = site_counts(f->t, line_array);
    assert_int_equal(c.pushes, 2);
    assert_int_equal(c.bytes, 80);
    c = site_counts(f->t, line_str);
    assert_int_equal(c.pushes, 1);
    assert_int_equal(c.bytes, 6);
    /* per arena: the array site pushed 40 bytes into each */
    int id = site_at(f->t, line_array);
    assert_int_equal(f->t->tracked[0].counters[id].bytes, 40);
    assert_int_equal(f->t->tracked[1].counters[id].bytes, 40);
    /* the arenas' totals are the sums of their sites */
    assert_int_equal(arena_stats_pushes(f->a), 4);
    assert_int_equal(arena_stats_bytes(f->a), 3 * sizeof(thing) + 40);
    assert_int_equal(arena_stats_pushes(f->b), 2);
    assert_int_equal(arena_stats_bytes(f->b), 46);
    assert_string_equal(arena_stats_name(f->t, f->t->sites[id].func), __func__);
}

static void site_names_are_copies_inside_the_tables_arena(void **state)
{
    fixture *f = F;
    char file[] = "game/enemies.c", func[] = "enemy_spawn";
    arena_site site = {file, func, 77, {0}};
    arena_push_at(f->a, 24, 8, ARENA_PUSH_ZERO, &site, 0);
    memset(file, 'x', sizeof(file) - 1); /* the library is gone: its strings with it */
    memset(func, 'x', sizeof(func) - 1);
    uint32_t id = (uint32_t)(site.key[0] >> 32) / sizeof(arena_site_counter);
    const char *copied = arena_stats_name(f->t, f->t->sites[id].file);
    assert_string_equal(copied, "game/enemies.c");
    assert_string_equal(arena_stats_name(f->t, f->t->sites[id].func), "enemy_spawn");
    assert_true(arena_contains(f->home, copied));
    assert_int_equal(f->t->sites[id].line, 77);
}

/* A reload gives the same code fresh statics: the site is found again by name, under the same id. */
static void a_fresh_site_cache_finds_the_same_site_and_counts_on(void **state)
{
    fixture *f = F;
    arena_site before = {"game/world.c", "world_step", 12, {0}};
    for (int i = 0; i < 5; i++) arena_push_at(f->a, 100, 4, 0, &before, 0);
    uint32_t sites = arena_stats_site_count(f->t);
    char file[] = "game/world.c", func[] = "world_step"; /* the new library's own copies of the names */
    arena_site after = {file, func, 12, {0}};
    for (int i = 0; i < 2; i++) arena_push_at(f->b, 50, 4, 0, &after, 0);
    assert_int_equal(after.key[0], before.key[0]);
    assert_int_equal(arena_stats_site_count(f->t), sites);
    uint32_t id = (uint32_t)(after.key[0] >> 32) / sizeof(arena_site_counter);
    arena_site_counter c = arena_stats_site_total(f->t, id);
    assert_int_equal(c.pushes, 7);
    assert_int_equal(c.bytes, 600);
    /* another line is another site */
    arena_site moved = {file, func, 13, {0}};
    arena_push_at(f->a, 1, 1, 0, &moved, 0);
    assert_int_equal(arena_stats_site_count(f->t), sites + 1);
}

static void pushes_with_no_site_count_under_no_site(void **state)
{
    fixture *f = F;
    arena_push_at(f->a, 10, 1, 0, NULL, 0);
    arena_push_at(f->a, 20, 1, 0, NULL, 0);
    arena_site_counter c = arena_stats_site_total(f->t, ARENA_STATS_NO_SITE);
    assert_int_equal(c.pushes, 2);
    assert_int_equal(c.bytes, 30);
}

static void a_full_table_counts_new_sites_under_no_site(void **state)
{
    fixture *f = F; /* room for "(no site)" and two more */
    arena_site s1 = {"x.c", "f", 1, {0}}, s2 = {"x.c", "f", 2, {0}}, s3 = {"x.c", "f", 3, {0}};
    arena_push_at(f->a, 8, 8, 0, &s1, 0);
    arena_push_at(f->a, 8, 8, 0, &s2, 0);
    arena_push_at(f->a, 16, 8, 0, &s3, 0);
    arena_push_at(f->a, 16, 8, 0, &s3, 0);
    assert_int_equal(arena_stats_site_count(f->t), 3);
    assert_int_equal(f->t->refused, 1);
    arena_site_counter none = arena_stats_site_total(f->t, ARENA_STATS_NO_SITE);
    assert_int_equal(none.pushes, 2);
    assert_int_equal(none.bytes, 32);
    assert_int_equal(arena_stats_pushes(f->a), 4);
}

static void an_arena_without_a_table_counts_all_in_one_pair(void **state)
{
    fixture *f = F;
    uint8_t *memory = map_memory(KB(256));
    arena *plain = arena_create(memory, KB(256), (arena_params){.name = "plain"});
    arena_site site = {"y.c", "g", 5, {0}};
    arena_push_at(f->a, 8, 8, 0, &site, 0); /* resolved in the table */
    uint64_t key = site.key[0];
    arena_push_at(plain, 100, 8, 0, &site, 0); /* then used where there is none */
    push_struct(plain, thing);
    assert_int_equal(site.key[0], key);
    assert_int_equal(arena_stats_pushes(plain), 2);
    assert_int_equal(arena_stats_bytes(plain), 100 + sizeof(thing));
    assert_null(plain->stats.table);
    arena_tag_scope scope = arena_tag_begin(plain, 1); /* tags are no-ops there */
    arena_tag_end(scope);
    unmap_memory(memory, KB(256));
}

static void two_tables_each_count_their_own(void **state)
{
    fixture *f = F;
    fixture *g;
    assert_int_equal(setup(state), 0);
    g = F;
    *state = f;
    arena_site site = {"z.c", "h", 9, {0}};
    arena_push_at(g->a, 1, 1, 0, &site, 0); /* "(no site)", then this: id 1 in g */
    arena_push_at(f->a, 2, 1, 0, NULL, 0);
    arena_site other = {"z.c", "h", 10, {0}};
    arena_push_at(f->a, 4, 1, 0, &other, 0); /* id 1 in f */
    arena_push_at(f->a, 8, 1, 0, &site, 0);  /* id 2 in f */
    arena_push_at(g->a, 16, 1, 0, &site, 0);
    assert_int_equal(arena_stats_site_total(g->t, 1).bytes, 17);
    assert_int_equal(arena_stats_site_total(f->t, 1).bytes, 4);
    assert_int_equal(arena_stats_site_total(f->t, 2).bytes, 8);
    void *g_state = g;
    teardown(&g_state);
}

static void tracking_keeps_what_was_pushed_before(void **state)
{
    fixture *f = F;
    uint8_t *memory = map_memory(KB(256));
    arena *late = arena_create(memory, KB(256), (arena_params){.name = "late"});
    push_struct(late, thing);
    push_struct(late, thing);
    assert_true(arena_stats_track(f->t, late));
    assert_true(arena_stats_track(f->t, late)); /* twice is harmless */
    push_struct(late, thing);
    assert_int_equal(arena_stats_pushes(late), 3);
    assert_int_equal(f->t->tracked[2].counters[ARENA_STATS_NO_SITE].pushes, 2);
    assert_int_equal(arena_stats_tracked_index(f->t, late), 2);
    unmap_memory(memory, KB(256));
}

/* ---- callers ----------------------------------------------------------------------------------- */

#if defined(__ELF__)
extern char __executable_start[], _end[]; /* this executable's image, from the linker */

/* Work after each call, so an optimised build cannot turn the call into a jump (which leaves no
 * frame: the helper would seem called from the test itself). */
#define KEEP_FRAME(p) __asm__ volatile("" : : "r"(p) : "memory")
BASE_NOINLINE static void *helper_push(arena *a, uint64_t size)
{
    void *p = arena_push(a, size, 8);
    KEEP_FRAME(p);
    return p;
}
#define CALLER(name, size)                                                                         \
    BASE_NOINLINE static void *name(arena *a)                                                      \
    {                                                                                              \
        void *p = helper_push(a, size);                                                            \
        KEEP_FRAME(p);                                                                             \
        return p;                                                                                  \
    }
CALLER(caller_one, 16)
CALLER(caller_two, 32)
CALLER(caller_three, 64)
CALLER(caller_four, 128)
CALLER(caller_five, 256)
typedef void *caller_fn(arena *a);
static caller_fn *const callers[] = {caller_one, caller_two, caller_three, caller_four, caller_five};
static const char *const caller_names[] = {"caller_one", "caller_two", "caller_three", "caller_four", "caller_five"};

static int function_order(const void *pa, const void *pb)
{
    const arena_stats_function *a = pa, *b = pb;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

/* Describes this executable as module `id`: the helper, the callers and `test` (whose frame calls
 * them), so every frame up to the test names its function. */
static void describe_this_executable(arena_stats_table *t, uint32_t id, void (*test)(void **), const char *test_name)
{
    uintptr_t start = (uintptr_t)__executable_start, end = (uintptr_t)_end;
    arena_stats_function fns[ARRAY_COUNT(callers) + 2];
    for (size_t i = 0; i < ARRAY_COUNT(callers); i++)
        fns[i] = (arena_stats_function){(uintptr_t)callers[i] - start, caller_names[i]};
    fns[ARRAY_COUNT(callers)] = (arena_stats_function){(uintptr_t)helper_push - start, "helper_push"};
    fns[ARRAY_COUNT(callers) + 1] = (arena_stats_function){(uintptr_t)test - start, test_name};
    qsort(fns, ARRAY_COUNT(fns), sizeof(fns[0]), function_order);
    assert_true(arena_stats_module_set(t, id, start, end - start, fns, ARRAY_COUNT(fns)));
}

/* The site of helper_push called from `caller`, or -1. */
static int helper_site(arena_stats_table *t, const char *caller)
{
    for (uint32_t i = 1; i < arena_stats_site_count(t); i++)
        if (strcmp(arena_stats_name(t, t->sites[i].func), "helper_push") == 0 &&
            strcmp(arena_stats_name(t, t->sites[i].caller), caller) == 0)
            return (int)i;
    return -1;
}

static void one_helper_called_from_two_functions_is_two_sites_with_their_stacks(void **state)
{
    fixture *f = F;
    describe_this_executable(f->t, 1, one_helper_called_from_two_functions_is_two_sites_with_their_stacks, __func__);
    for (int i = 0; i < 3; i++) {
        caller_one(f->a);
        caller_two(f->a);
    }
    int one = helper_site(f->t, "caller_one"), two = helper_site(f->t, "caller_two");
    assert_true(one > 0 && two > 0 && one != two);
    assert_int_equal(arena_stats_site_total(f->t, (uint32_t)one).bytes, 3 * 16);
    assert_int_equal(arena_stats_site_total(f->t, (uint32_t)two).bytes, 3 * 32);
    const arena_site_info *s = &f->t->sites[one];
    assert_int_equal(s->line, f->t->sites[two].line); /* the same push */
    assert_int_equal(s->origin, ARENA_STATS_GAME);
    /* its stack: caller_one, then this test, which called it; then cmocka, outside the module */
    assert_int_equal(s->depth, 2);
    assert_string_equal(arena_stats_name(f->t, s->frames[0].func), "caller_one");
    assert_string_equal(arena_stats_name(f->t, s->frames[1].func), __func__);
    assert_int_equal(s->frames[0].module, 1);
    uintptr_t start = (uintptr_t)__executable_start;
    assert_true(s->frames[0].offset > (uintptr_t)caller_one - start); /* a return address inside caller_one */
    assert_true(s->frames[1].offset > (uintptr_t)one_helper_called_from_two_functions_is_two_sites_with_their_stacks - start);
}

/* Five callers in turn: more than a site's keys hold, so some pushes look their site up in the
 * table; every push still counts where it belongs. */
static void callers_in_turn_beyond_the_sites_keys_count_exactly(void **state)
{
    fixture *f = F;
    describe_this_executable(f->t, 1, callers_in_turn_beyond_the_sites_keys_count_exactly, __func__);
    for (int round = 0; round < 10; round++)
        for (size_t i = 0; i < ARRAY_COUNT(callers); i++) callers[i](f->a);
    for (size_t i = 0; i < ARRAY_COUNT(callers); i++) {
        int id = helper_site(f->t, caller_names[i]);
        assert_true(id > 0);
        assert_int_equal(arena_stats_site_total(f->t, (uint32_t)id).pushes, 10);
        assert_int_equal(arena_stats_site_total(f->t, (uint32_t)id).bytes, 10 * (16u << i));
    }
    assert_int_equal(arena_stats_site_count(f->t), 1 + ARRAY_COUNT(callers));
}

static void a_site_in_the_hosts_module_is_the_hosts(void **state)
{
    fixture *f = F;
    describe_this_executable(f->t, ARENA_STATS_HOST_MODULE, a_site_in_the_hosts_module_is_the_hosts, __func__);
    caller_one(f->a);
    int id = helper_site(f->t, "caller_one");
    assert_true(id > 0);
    assert_int_equal(f->t->sites[id].origin, ARENA_STATS_HOST);
}

/* After a reload the code sits in a new module (a new id) and the library's statics start over:
 * the same push called from the same function finds its site again, since the key holds the
 * calling function's name, not its address. */
static void a_new_module_with_the_same_functions_keeps_the_sites(void **state)
{
    fixture *f = F;
    describe_this_executable(f->t, 1, a_new_module_with_the_same_functions_keeps_the_sites, __func__);
    uintptr_t in_one = (uintptr_t)caller_one + 4, in_two = (uintptr_t)caller_two + 4; /* "return addresses" */
    arena_site before = {"game/spawn.c", "spawn", 40, {0}};
    arena_push_at(f->a, 8, 8, 0, &before, in_one);
    arena_push_at(f->a, 8, 8, 0, &before, in_two);
    uint32_t sites = arena_stats_site_count(f->t);
    arena_stats_module_drop(f->t, 1);
    describe_this_executable(f->t, 2, a_new_module_with_the_same_functions_keeps_the_sites, __func__);
    arena_site after = {"game/spawn.c", "spawn", 40, {0}};
    arena_push_at(f->a, 8, 8, 0, &after, in_one);
    arena_push_at(f->a, 8, 8, 0, &after, in_one);
    assert_int_equal(arena_stats_site_count(f->t), sites);
    uint32_t id = arena_stats_key_site(after.key[0]);
    assert_int_equal(arena_stats_site_total(f->t, id).pushes, 3);
    assert_string_equal(arena_stats_name(f->t, f->t->sites[id].caller), "caller_one");
    assert_int_equal(f->t->sites[id].frames[0].module, 1); /* the stack as first seen */
}
#endif

static void frames_name_addresses_in_modules_and_nothing_outside(void **state)
{
    fixture *f = F;
    arena_stats_function fns[] = {{0x100, "first"}, {0x400, "second"}, {0x900, "third"}};
    assert_false(arena_stats_module_set(f->t, 3, 0x7f0000001234, 0x2000, fns, 3)); /* not page aligned */
    assert_true(arena_stats_module_set(f->t, 3, 0x7f0000000000, 0x1000, fns, 3));
    arena_stats_frame fr = arena_stats_frame_at(f->t, 0x7f0000000401); /* returns just past a call in second */
    assert_int_equal(fr.module, 3);
    assert_int_equal(fr.offset, 0x401);
    assert_string_equal(arena_stats_name(f->t, fr.func), "second");
    fr = arena_stats_frame_at(f->t, 0x7f0000000400); /* a call that ends first returns to second's start */
    assert_string_equal(arena_stats_name(f->t, fr.func), "first");
    fr = arena_stats_frame_at(f->t, 0x7f0000000050); /* before every function */
    assert_int_equal(fr.module, 3);
    assert_int_equal(fr.func, 0);
    assert_int_equal(arena_stats_frame_at(f->t, 0x7f0000001000).module, ARENA_STATS_NO_MODULE);
    /* the table holds page numbers and offsets: no pointer-sized value into the module */
    const arena_stats_module *m = &f->t->modules[0];
    assert_int_equal(m->first_page, 0x7f0000000000ull >> ARENA_STATS_PAGE_SHIFT);
    arena_stats_module_drop(f->t, 3);
    assert_int_equal(arena_stats_frame_at(f->t, 0x7f0000000401).module, ARENA_STATS_NO_MODULE);
    /* every slot: the fifth module finds none */
    for (uint32_t id = 10; id < 10 + ARENA_STATS_MODULES; id++)
        assert_true(arena_stats_module_set(f->t, id, 0x1000 * id, 0x1000, fns, 3));
    assert_false(arena_stats_module_set(f->t, 99, 0x99000, 0x1000, fns, 3));
}

static void names_are_interned_once(void **state)
{
    fixture *f = F;
    uint32_t used = f->t->names_used;
    char name[] = "enemy_think";
    uint32_t a = arena_stats_intern(f->t, name), b = arena_stats_intern(f->t, "enemy_think");
    assert_int_equal(a, b);
    assert_int_equal(f->t->names_used, used + sizeof(name));
    assert_int_equal(arena_stats_intern(f->t, ""), 0);
    assert_string_equal(arena_stats_name(f->t, 0), "");
    assert_int_not_equal(arena_stats_intern(f->t, "enemy_think2"), a);
}

static void sites_and_tags_keep_their_bytes_per_frame(void **state)
{
    fixture *f = F; /* history of 4 frames */
    arena_site site = {"s.c", "f", 1, {0}};
    uint32_t tag = arena_stats_tag(f->t, "t");
    arena_stats_frame_end(f->t, 0); /* nothing pushed: no series yet */
    int id = -1;
    for (uint64_t frame = 1; frame <= 6; frame++) {
        arena_tag_scope scope = arena_tag_begin(f->a, tag);
        if (frame != 3) arena_push_at(f->a, 10 * frame, 1, 0, &site, 0);
        arena_tag_end(scope);
        arena_stats_frame_end(f->t, frame);
        id = (int)arena_stats_key_site(site.key[0]);
    }
    const arena_stats_series *s = &f->t->sites[id].series;
    assert_int_equal(arena_stats_series_count(f->t, s), 4); /* frames 3-6, the history's length */
    uint64_t want[] = {60, 50, 40, 0};
    for (uint64_t back = 0; back < 4; back++) assert_int_equal(arena_stats_series_at(f->t, s, back), want[back]);
    assert_int_equal(arena_stats_series_at(f->t, &f->t->tags[tag].series, 1), 50);
    assert_null(f->t->sites[ARENA_STATS_NO_SITE].series.bytes); /* never pushed in a frame */
}

/* ---- tags -------------------------------------------------------------------------------------- */

static void tags_count_the_pushes_inside_their_scopes_and_nest(void **state)
{
    fixture *f = F;
    uint32_t enemies = arena_stats_tag(f->t, "enemies"), bullets = arena_stats_tag(f->t, "bullets");
    assert_int_equal(enemies, 1);
    assert_int_equal(bullets, 2);
    assert_int_equal(arena_stats_tag(f->t, "enemies"), enemies);
    arena_push(f->a, 10, 1);                            /* untagged */
    arena_tag_scope outer = arena_tag_begin(f->a, enemies);
    arena_push(f->a, 100, 1);
    arena_push(f->a, 100, 1);
    arena_tag_scope inner = arena_tag_begin(f->a, bullets);
    arena_push(f->a, 7, 1);
    arena_push(f->b, 1000, 1); /* another arena: not in the scope */
    arena_tag_end(inner);
    arena_push(f->a, 50, 1);
    arena_tag_end(outer);
    arena_push(f->a, 20, 1); /* untagged again */
    arena_stats_frame_end(f->t, 0); /* flushes what is open */
    assert_int_equal(f->t->tags[enemies].total.pushes, 3);
    assert_int_equal(f->t->tags[enemies].total.bytes, 250);
    assert_int_equal(f->t->tags[bullets].total.pushes, 1);
    assert_int_equal(f->t->tags[bullets].total.bytes, 7);
    assert_int_equal(f->t->tags[0].total.pushes, 3);
    assert_int_equal(f->t->tags[0].total.bytes, 1030);
    assert_int_equal(f->t->tags[enemies].window.frame_bytes, 250);
    assert_int_equal(f->a->stats.tag, ARENA_STATS_UNTAGGED);
}

static void a_tag_open_across_frames_counts_in_each(void **state)
{
    fixture *f = F;
    uint32_t tag = arena_stats_tag(f->t, "particles");
    arena_tag_scope scope = arena_tag_begin(f->a, tag);
    arena_push(f->a, 64, 1);
    arena_stats_frame_end(f->t, 0);
    arena_push(f->a, 32, 1);
    arena_push(f->a, 32, 1);
    arena_stats_frame_end(f->t, 1);
    arena_tag_end(scope);
    assert_int_equal(f->t->tags[tag].total.bytes, 128);
    assert_int_equal(f->t->tags[tag].window.frame_bytes, 64);
    assert_int_equal(f->t->tags[tag].window.frame_pushes, 2);
    assert_int_equal(f->t->tags[tag].window.peak_bytes, 64);
    assert_int_equal(f->t->tags[tag].window.peak_frame, 0);
}

static void untag_all_ends_the_scopes_a_crash_left_open(void **state)
{
    fixture *f = F;
    uint32_t tag = arena_stats_tag(f->t, "ai");
    arena_tag_begin(f->a, tag); /* the game crashes before arena_tag_end */
    arena_push(f->a, 40, 1);
    arena_stats_untag_all(f->t);
    arena_push(f->a, 2, 1);
    arena_stats_frame_end(f->t, 0);
    assert_int_equal(f->t->tags[tag].total.bytes, 40);
    assert_int_equal(f->t->tags[ARENA_STATS_UNTAGGED].total.bytes, 2);
    assert_int_equal(f->a->stats.tag, ARENA_STATS_UNTAGGED);
}

static void names_are_copied_and_a_full_tag_table_gives_untagged(void **state)
{
    fixture *f = F; /* room for "(untagged)" and one */
    char name[] = "fx";
    uint32_t fx = arena_stats_tag(f->t, name);
    name[0] = 'g';
    assert_int_equal(fx, 1);
    assert_string_equal(arena_stats_name(f->t, f->t->tags[fx].name), "fx");
    assert_int_equal(arena_stats_tag(f->t, "ui"), ARENA_STATS_UNTAGGED);
    assert_int_equal(f->t->refused, 1);
    arena_tag_scope scope = arena_tag_begin(f->a, 99); /* an id the table never gave: untagged */
    assert_int_equal(f->a->stats.tag, ARENA_STATS_UNTAGGED);
    arena_tag_end(scope);
}

/* ---- frames ------------------------------------------------------------------------------------ */

/* Five frames shaped like the host's: the frame arena is cleared as each frame begins. Frame f
 * pushes f + 1 blocks of 64 bytes; frame 2 also uses 1000 bytes of scratch it pops again. */
static void run_frames(fixture *f, int *line)
{
    arena_stats_frame_skip(f->t); /* what came before counts for no frame */
    for (uint64_t frame = 0; frame < 5; frame++) {
        arena_clear(f->a);
        arena_stats_frame_begin(f->a);
        *line = __LINE__ + 1;
        for (uint64_t i = 0; i <= frame; i++) arena_push_no_zero(f->a, 64, 64);
        if (frame == 2) {
            arena_temp tmp = arena_temp_begin(f->b);
            arena_push_no_zero(f->b, 1000, 8);
            arena_temp_end(tmp);
        }
        arena_stats_frame_end(f->t, frame);
    }
}

static void frames_keep_history_figures_and_peaks(void **state)
{
    fixture *f = F;
    push_struct(f->b, thing); /* before the first frame: in the totals, in no frame */
    int line;
    run_frames(f, &line);
    assert_int_equal(f->t->frames, 5);
    assert_int_equal(f->t->last_frame, 4);
    assert_int_equal(arena_stats_history_count(f->t, 0), 5);
    for (uint64_t back = 0; back < 5; back++) {
        const arena_history_entry *e = arena_stats_history(f->t, 0, back);
        uint64_t frame = 4 - back;
        assert_int_equal(e->frame, frame);
        assert_int_equal(e->pushes, frame + 1);
        assert_int_equal(e->bytes, 64 * (frame + 1));
        assert_int_equal(e->used, 64 * (frame + 1));
        assert_int_equal(e->high_water, 64 * (frame + 1));
    }
    assert_null(arena_stats_history(f->t, 0, 5));
    /* the scratch arena: back where it was, but 1000 bytes higher during frame 2 */
    const arena_history_entry *scratch = arena_stats_history(f->t, 1, 2);
    assert_int_equal(scratch->frame, 2);
    assert_int_equal(scratch->used, sizeof(thing));
    assert_int_equal(scratch->high_water, 1000 + 24);
    assert_int_equal(scratch->pushes, 1);
    assert_int_equal(arena_stats_history(f->t, 1, 0)->high_water, sizeof(thing));
    assert_int_equal(arena_stats_history(f->t, 1, 0)->pushes, 0);
    /* the high-water survives the clears */
    assert_int_equal(arena_stats_high_water(f->a), 320);
    assert_int_equal(f->a->stats.resets, 5);
    /* the site: its last frame and its peak */
    int id = site_at(f->t, line);
    const arena_stat_window *w = &f->t->sites[id].window;
    assert_int_equal(w->frame_pushes, 5);
    assert_int_equal(w->frame_bytes, 320);
    assert_int_equal(w->peak_bytes, 320);
    assert_int_equal(w->peak_frame, 4);
    assert_int_equal(arena_stats_site_total(f->t, (uint32_t)id).pushes, 15);
}

static void history_is_a_ring_of_the_last_frames(void **state)
{
    fixture *f = F; /* history of 4 */
    for (uint64_t frame = 0; frame < 10; frame++) {
        arena_push(f->a, frame + 1, 1);
        arena_stats_frame_end(f->t, frame);
    }
    assert_int_equal(arena_stats_history_count(f->t, 0), 4);
    for (uint64_t back = 0; back < 4; back++) {
        assert_int_equal(arena_stats_history(f->t, 0, back)->frame, 9 - back);
        assert_int_equal(arena_stats_history(f->t, 0, back)->bytes, 10 - back);
    }
    assert_null(arena_stats_history(f->t, 0, 4));
}

/* ---- pools ------------------------------------------------------------------------------------- */

static void pools_are_listed_while_alive_and_their_slots_are_one_site(void **state)
{
    fixture *f = F;
    arena_pool *p = pool_create(f->a, thing, "things");
    thing *x = arena_pool_alloc(p), *y = arena_pool_alloc(p);
    arena_pool_alloc(p);
    arena_pool_free(p, y);
    arena_pool_alloc(p); /* reuses y: no push */
    (void)x;
    assert_ptr_equal(arena_stats_pool(f->t, 0), p);
    uint32_t id = (uint32_t)(p->site.key[0] >> 32) / sizeof(arena_site_counter);
    assert_string_equal(arena_stats_name(f->t, f->t->sites[id].file), "(pool)");
    assert_string_equal(arena_stats_name(f->t, f->t->sites[id].func), "things");
    assert_int_equal(arena_stats_site_total(f->t, id).pushes, 3);
    assert_int_equal(arena_stats_site_total(f->t, id).bytes, 3 * sizeof(thing));
    assert_null(p->site.file); /* nothing in the block points at code */
    /* the arena is cleared (a restart): the pool is gone; a new one in its place is listed again */
    arena_clear(f->a);
    assert_null(arena_stats_pool(f->t, 0));
    arena_pool *again = pool_create(f->a, thing, "things");
    assert_ptr_equal(again, p);
    assert_int_equal(f->t->pool_count, 1);
    assert_ptr_equal(arena_stats_pool(f->t, 0), again);
}

static void a_full_pool_list_drops_dead_pools_first(void **state)
{
    fixture *f = F; /* room for one pool */
    arena_temp tmp = arena_temp_begin(f->a);
    pool_create(f->a, thing, "short-lived");
    arena_temp_end(tmp);
    push_struct(f->a, uint64_t); /* the memory now holds something else */
    arena_pool *p = pool_create(f->a, thing, "kept");
    assert_int_equal(f->t->pool_count, 1);
    assert_ptr_equal(arena_stats_pool(f->t, 0), p);
    uint64_t refused = f->t->refused;
    pool_create(f->a, thing, "no room");
    assert_int_equal(f->t->pool_count, 1);
    assert_ptr_equal(arena_stats_pool(f->t, 0), p);
    assert_true(f->t->refused > refused);
}

/* ---- threads ----------------------------------------------------------------------------------- */

typedef struct worker {
    arena *a;
    uint32_t first_line;
} worker;

/* 200 sites of its own, each pushed three times, into its own arena. */
static void *worker_main(void *arg)
{
    worker *w = arg;
    static const char file[] = "threads.c";
    for (uint32_t i = 0; i < 200; i++) {
        arena_site site = {file, "worker", w->first_line + i, {0}};
        for (int k = 0; k < 3; k++) arena_push_at(w->a, 8, 8, 0, &site, 0);
    }
    return NULL;
}

static void two_threads_adding_sites_at_once_keep_the_table_whole(void **state)
{
    fixture *f = F;
    worker ws[2] = {{f->a, 1000}, {f->b, 2000}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &ws[i]), 0);
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    assert_int_equal(arena_stats_site_count(f->t), 401);
    assert_int_equal(arena_stats_pushes(f->a), 600);
    assert_int_equal(arena_stats_pushes(f->b), 600);
    for (uint32_t id = 1; id < 401; id++) {
        assert_int_equal(arena_stats_site_total(f->t, id).pushes, 3);
        uint32_t line = f->t->sites[id].line;
        assert_true((line >= 1000 && line < 1200) || (line >= 2000 && line < 2200));
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define S(name) cmocka_unit_test_setup_teardown(name, setup_small, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_needs_a_stamp_and_room_and_takes_nothing_when_it_fails),
        T(pushes_count_per_site_and_per_arena_exactly),
        T(site_names_are_copies_inside_the_tables_arena),
        T(a_fresh_site_cache_finds_the_same_site_and_counts_on),
        T(pushes_with_no_site_count_under_no_site),
        S(a_full_table_counts_new_sites_under_no_site),
        T(an_arena_without_a_table_counts_all_in_one_pair),
        T(two_tables_each_count_their_own),
        T(tracking_keeps_what_was_pushed_before),
        T(tags_count_the_pushes_inside_their_scopes_and_nest),
        T(a_tag_open_across_frames_counts_in_each),
        T(untag_all_ends_the_scopes_a_crash_left_open),
        S(names_are_copied_and_a_full_tag_table_gives_untagged),
        T(frames_keep_history_figures_and_peaks),
        S(history_is_a_ring_of_the_last_frames),
        T(pools_are_listed_while_alive_and_their_slots_are_one_site),
        S(a_full_pool_list_drops_dead_pools_first),
        T(two_threads_adding_sites_at_once_keep_the_table_whole),
#if defined(__ELF__)
        T(one_helper_called_from_two_functions_is_two_sites_with_their_stacks),
        T(callers_in_turn_beyond_the_sites_keys_count_exactly),
        T(a_site_in_the_hosts_module_is_the_hosts),
        T(a_new_module_with_the_same_functions_keeps_the_sites),
#endif
        T(frames_name_addresses_in_modules_and_nothing_outside),
        T(names_are_interned_once),
        S(sites_and_tags_keep_their_bytes_per_frame),
    };
    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
