/* test_pool.c - proves the fixed-size pool: zeroed slots, LIFO reuse of freed slots, the counters,
 * slot size/alignment rules, try_alloc on an exhausted arena, that alloc/free cycles never grow
 * the arena, and that freeing a pointer the pool did not hand out aborts with one line (forked). */
#include "../test_util.h"

#include "arena/pool.h"

#define REGION_SIZE KB(64)

typedef struct fixture {
    void *memory;
    arena *a;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->memory = map_memory(REGION_SIZE);
    f->a = arena_create(f->memory, REGION_SIZE, (arena_params){.name = "pools", .commit_step = KB(4)});
    if (!f->a) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unmap_memory(f->memory, REGION_SIZE);
    free(f);
    return 0;
}

#define A (((fixture *)*state)->a)

typedef struct enemy {
    float x, y;
    int hp;
    char name[20];
} enemy;

static void create_pushes_header_onto_the_arena_and_copies_the_name(void **state)
{
    char name[] = "enemies";
    arena_pool *p = pool_create(A, enemy, name);
    assert_true(arena_contains(A, p));
    name[0] = 'X';
    assert_string_equal(p->name, "enemies");
    assert_ptr_equal(p->arena, A);
    assert_int_equal(p->slot_size, sizeof(enemy));
    assert_int_equal(p->slot_align, BASE_ALIGNOF(enemy) > 8 ? BASE_ALIGNOF(enemy) : 8);
    assert_null(p->free_list);
    assert_int_equal(p->live, 0);
    assert_int_equal(p->slots, 0);
}

static void create_truncates_a_long_name(void **state)
{
    arena_pool *p = arena_pool_create(A, 8, 8, "a-very-long-pool-name-that-does-not-fit-in-32");
    assert_int_equal(strlen(p->name), ARENA_NAME_MAX - 1);
    assert_memory_equal(p->name, "a-very-long-pool-name-that-does-", ARENA_NAME_MAX - 1);
    arena_pool *q = arena_pool_create(A, 8, 8, NULL);
    assert_string_equal(q->name, "");
}

static void alloc_returns_zeroed_slot(void **state)
{
    arena_pool *p = pool_create(A, enemy, "enemies");
    enemy *e = arena_pool_alloc(p);
    assert_non_null(e);
    assert_true(arena_contains(A, e));
    const uint8_t *bytes = (const uint8_t *)e;
    for (size_t i = 0; i < sizeof(*e); i++) assert_int_equal(bytes[i], 0);
}

static void freed_slot_is_reused_and_zeroed_again(void **state)
{
    arena_pool *p = pool_create(A, enemy, "enemies");
    enemy *e = arena_pool_alloc(p);
    memset(e, 0xCD, sizeof(*e));
    arena_pool_free(p, e);
    enemy *again = arena_pool_alloc(p);
    assert_ptr_equal(again, e);
    const uint8_t *bytes = (const uint8_t *)again;
    for (size_t i = 0; i < sizeof(*again); i++) assert_int_equal(bytes[i], 0);
}

static void free_list_is_last_in_first_out(void **state)
{
    arena_pool *p = pool_create(A, enemy, "enemies");
    void *a = arena_pool_alloc(p), *b = arena_pool_alloc(p), *c = arena_pool_alloc(p);
    arena_pool_free(p, a);
    arena_pool_free(p, c);
    assert_ptr_equal(arena_pool_alloc(p), c);
    assert_ptr_equal(arena_pool_alloc(p), a);
    void *d = arena_pool_alloc(p); /* free list empty: a new slot */
    assert_ptr_not_equal(d, a);
    assert_ptr_not_equal(d, b);
    assert_ptr_not_equal(d, c);
    assert_int_equal(p->slots, 4);
}

static void counters_track_live_slots_high_water_allocs_and_frees(void **state)
{
    arena_pool *p = pool_create(A, enemy, "enemies");
    void *s[5];
    for (int i = 0; i < 5; i++) s[i] = arena_pool_alloc(p);
    assert_int_equal(p->live, 5);
    assert_int_equal(p->slots, 5);
    assert_int_equal(p->high_water, 5);
    assert_int_equal(p->allocs, 5);
    assert_int_equal(p->frees, 0);
    for (int i = 0; i < 3; i++) arena_pool_free(p, s[i]);
    assert_int_equal(p->live, 2);
    assert_int_equal(p->frees, 3);
    assert_int_equal(p->high_water, 5);
    arena_pool_alloc(p);
    arena_pool_alloc(p);
    assert_int_equal(p->live, 4);
    assert_int_equal(p->slots, 5); /* both came from the free list */
    assert_int_equal(p->allocs, 7);
    assert_int_equal(p->high_water, 5);
    arena_pool_alloc(p);
    arena_pool_alloc(p);
    assert_int_equal(p->live, 6);
    assert_int_equal(p->slots, 6);
    assert_int_equal(p->high_water, 6);
}

static void free_of_null_is_ignored(void **state)
{
    arena_pool *p = pool_create(A, enemy, "enemies");
    arena_pool_alloc(p);
    arena_pool_free(p, NULL);
    assert_int_equal(p->live, 1);
    assert_int_equal(p->frees, 0);
    assert_null(p->free_list);
}

static void slot_size_rounds_up_to_hold_a_pointer(void **state)
{
    arena_pool *p = arena_pool_create(A, 1, 1, "bytes");
    assert_int_equal(p->slot_size, sizeof(void *));
    assert_int_equal(p->slot_align, BASE_ALIGNOF(arena_pool_slot));
    uint8_t *a = arena_pool_alloc(p);
    uint8_t *b = arena_pool_alloc(p);
    assert_int_equal((uintptr_t)a % sizeof(void *), 0);
    assert_int_equal(b - a, (ptrdiff_t)sizeof(void *));
    arena_pool_free(p, a);
    arena_pool_free(p, b);
    assert_ptr_equal(p->free_list, (arena_pool_slot *)b);
    assert_ptr_equal(p->free_list->next, (arena_pool_slot *)a);
}

static void slot_alignment_is_honoured(void **state)
{
    arena_pool *p = arena_pool_create(A, 24, 64, "aligned");
    assert_int_equal(p->slot_size, 24);
    assert_int_equal(p->slot_align, 64);
    void *prev = NULL;
    for (int i = 0; i < 20; i++) {
        void *s = arena_pool_alloc(p);
        assert_int_equal((uintptr_t)s % 64, 0);
        if (prev) assert_int_equal((uint8_t *)s - (uint8_t *)prev, 64);
        prev = s;
    }
}

static void try_alloc_returns_null_when_the_arena_is_exhausted(void **state)
{
    arena_pool *p = arena_pool_create(A, 1000, 8, "big");
    uint64_t room = A->capacity - A->pos;
    uint64_t expected = room / 1000; /* 1000 is a multiple of 8: no padding between slots */
    void *last = NULL;
    for (uint64_t i = 0; i < expected; i++) {
        last = arena_pool_try_alloc(p);
        assert_non_null(last);
    }
    assert_null(arena_pool_try_alloc(p));
    assert_int_equal(p->slots, expected);
    assert_int_equal(p->live, expected);
    assert_int_equal(p->allocs, expected);
    assert_int_equal(A->failure.count, 1);
    assert_int_equal(A->failure.request, 1000);
    /* a freed slot can still be handed out when the arena is full */
    arena_pool_free(p, last);
    assert_ptr_equal(arena_pool_try_alloc(p), last);
}

static void alloc_free_cycles_do_not_grow_the_arena(void **state)
{
    arena_pool *p = pool_create(A, enemy, "enemies");
    void *s[8];
    for (int i = 0; i < 8; i++) s[i] = arena_pool_alloc(p);
    for (int i = 0; i < 8; i++) arena_pool_free(p, s[i]);
    uint64_t pos = arena_pos(A);
    for (int round = 0; round < 1000; round++) {
        for (int i = 0; i < 8; i++) s[i] = arena_pool_alloc(p);
        for (int i = 7; i >= 0; i--) arena_pool_free(p, s[i]);
    }
    assert_int_equal(arena_pos(A), pos);
    assert_int_equal(p->slots, 8);
    assert_int_equal(p->live, 0);
    assert_int_equal(p->allocs, 8008);
    assert_int_equal(p->frees, 8008);
}

/* ---- fatal paths (forked child) --------------------------------------------------------------- */

typedef struct free_call {
    arena_pool *pool;
    void *ptr;
} free_call;

static void do_free(void *ctx)
{
    free_call *c = ctx;
    arena_pool_free(c->pool, c->ptr);
}

static void free_of_a_foreign_pointer_aborts_naming_the_pool(void **state)
{
    arena_pool *p = pool_create(A, enemy, "enemies");
    arena_pool_alloc(p);
    int not_from_pool = 0;
    free_call c = {p, &not_from_pool};
    fatal_result r = run_fatal(do_free, &c);
    assert_aborted_with_one_line(&r);
    assert_contains(r.text, "pool 'enemies': free of ");
    assert_contains(r.text, "which this pool did not hand out");
    assert_int_equal(p->live, 1);
}

static void free_of_a_misaligned_pointer_inside_the_arena_aborts(void **state)
{
    arena_pool *p = pool_create(A, enemy, "enemies");
    uint8_t *s = arena_pool_alloc(p);
    free_call c = {p, s + 1};
    fatal_result r = run_fatal(do_free, &c);
    assert_aborted_with_one_line(&r);
    assert_contains(r.text, "pool 'enemies': free of ");
}

static void free_with_nothing_live_aborts_as_a_double_free(void **state)
{
    arena_pool *p = pool_create(A, enemy, "enemies");
    void *s = arena_pool_alloc(p);
    arena_pool_free(p, s);
    free_call c = {p, s};
    fatal_result r = run_fatal(do_free, &c);
    assert_aborted_with_one_line(&r);
    assert_contains(r.text, "(or freed twice)");
}

#if defined(__SANITIZE_ADDRESS__)
static void asan_poisons_a_freed_slot_past_its_link(void **state)
{
    arena_pool *p = arena_pool_create(A, 64, 16, "poisoned");
    uint8_t *s = arena_pool_alloc(p);
    assert_int_equal(__asan_address_is_poisoned(s + 63), 0);
    arena_pool_free(p, s);
    assert_int_equal(__asan_address_is_poisoned(s), 0); /* the link stays readable */
    assert_int_equal(__asan_address_is_poisoned(s + 8), 1);
    assert_int_equal(__asan_address_is_poisoned(s + 63), 1);
    uint8_t *again = arena_pool_alloc(p);
    assert_ptr_equal(again, s);
    assert_int_equal(__asan_address_is_poisoned(again + 63), 0);
}
#endif

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(create_pushes_header_onto_the_arena_and_copies_the_name),
        T(create_truncates_a_long_name),
        T(alloc_returns_zeroed_slot),
        T(freed_slot_is_reused_and_zeroed_again),
        T(free_list_is_last_in_first_out),
        T(counters_track_live_slots_high_water_allocs_and_frees),
        T(free_of_null_is_ignored),
        T(slot_size_rounds_up_to_hold_a_pointer),
        T(slot_alignment_is_honoured),
        T(try_alloc_returns_null_when_the_arena_is_exhausted),
        T(alloc_free_cycles_do_not_grow_the_arena),
        T(free_of_a_foreign_pointer_aborts_naming_the_pool),
        T(free_of_a_misaligned_pointer_inside_the_arena_aborts),
        T(free_with_nothing_live_aborts_as_a_double_free),
#if defined(__SANITIZE_ADDRESS__)
        T(asan_poisons_a_freed_slot_past_its_link),
#endif
    };
    return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
