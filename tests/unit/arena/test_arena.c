/* test_arena.c - proves the bump arena: creation rules, alignment and padding accounting, zeroing,
 * the array/overflow paths, exhaustion (recorded by try_, fatal with a one-line message otherwise,
 * checked in a forked child), positions/pops/temp scopes, scratch selection, stats, commit
 * bookkeeping, strings, and (ASan build) the poisoning of bytes not handed out. */
#include "../test_util.h"

#include "arena/arena.h"

#define REGION_SIZE KB(256)
#define STEP KB(4)

typedef struct fixture {
    void *memory;
    arena *a;
    uint64_t header; /* bytes from the region start to a->base */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->memory = map_memory(REGION_SIZE);
    f->a = arena_create(f->memory, REGION_SIZE, (arena_params){.name = "test", .commit_step = STEP});
    if (!f->a) return -1;
    f->header = (uint64_t)(f->a->base - (uint8_t *)f->memory);
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

#define FIX ((fixture *)*state)
#define A (FIX->a)

/* ---- creation ---------------------------------------------------------------------------------- */

static void create_places_header_at_memory_and_base_after_it(void **state)
{
    fixture *f = FIX;
    assert_ptr_equal(f->a, f->memory);
    assert_true(f->header >= sizeof(arena));
    assert_int_equal(f->header % 64, 0);
    assert_int_equal(f->a->capacity, REGION_SIZE - f->header);
    assert_int_equal(f->a->pos, 0);
    assert_int_equal(f->a->commit_step, STEP);
    assert_string_equal(f->a->name, "test");
    assert_int_equal(f->a->failure.count, 0);
}

static void create_rejects_memory_not_64_byte_aligned(void **state)
{
    uint8_t *m = FIX->memory;
    assert_null(arena_create(m + 8, KB(64), (arena_params){0}));
    assert_null(arena_create(m + 32, KB(64), (arena_params){0}));
    assert_null(arena_create(NULL, KB(64), (arena_params){0}));
    assert_non_null(arena_create(m + 64, KB(64), (arena_params){0}));
}

static void create_rejects_size_that_cannot_hold_the_header(void **state)
{
    uint64_t header = FIX->header;
    assert_null(arena_create(FIX->memory, 0, (arena_params){0}));
    assert_null(arena_create(FIX->memory, 64, (arena_params){0}));
    assert_null(arena_create(FIX->memory, header, (arena_params){0}));
    arena *a = arena_create(FIX->memory, header + 1, (arena_params){0});
    assert_non_null(a);
    assert_int_equal(a->capacity, 1);
}

static void create_rejects_commit_step_not_power_of_two(void **state)
{
    assert_null(arena_create(FIX->memory, KB(64), (arena_params){.commit_step = 3000}));
    assert_null(arena_create(FIX->memory, KB(64), (arena_params){.commit_step = KB(64) + 1}));
    arena *a = arena_create(FIX->memory, KB(64), (arena_params){.commit_step = 0});
    assert_non_null(a);
    assert_int_equal(a->commit_step, ARENA_DEFAULT_COMMIT_STEP);
}

static void create_copies_and_truncates_the_name(void **state)
{
    char name[64];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = 0;
    arena *a = arena_create(FIX->memory, KB(64), (arena_params){.name = name});
    assert_non_null(a);
    assert_int_equal(strlen(a->name), ARENA_NAME_MAX - 1);
    assert_ptr_not_equal(a->name, name);
    a = arena_create(FIX->memory, KB(64), (arena_params){0});
    assert_string_equal(a->name, "arena");
}

/* ---- pushing ----------------------------------------------------------------------------------- */

static void push_honours_every_power_of_two_alignment_and_counts_padding(void **state)
{
    arena *a = A;
    uint64_t expected_padding = 0;
    for (uint64_t align = 1; align <= 4096; align <<= 1) {
        arena_push(a, 1, 1); /* leave pos odd so every alignment needs padding */
        uintptr_t before = (uintptr_t)(a->base + a->pos);
        uint8_t *p = arena_push(a, 3, align);
        assert_int_equal((uintptr_t)p % align, 0);
        assert_true((uintptr_t)p >= before);
        assert_true((uintptr_t)p - before < align);
        expected_padding += (uint64_t)((uintptr_t)p - before);
        assert_int_equal(arena_stats_padding(a), expected_padding);
        assert_int_equal(a->pos, (uint64_t)(p + 3 - a->base));
    }
    assert_true(expected_padding > 0);
}

static void push_without_padding_when_already_aligned(void **state)
{
    arena *a = A;
    uint8_t *p = arena_push(a, 64, 64);
    uint8_t *q = arena_push(a, 16, 16);
    assert_ptr_equal(p, a->base);
    assert_ptr_equal(q, p + 64);
    assert_int_equal(arena_stats_padding(a), 0);
    assert_int_equal(a->pos, 80);
}

static void push_zeroes_memory_that_was_used_before(void **state)
{
    arena *a = A;
    uint8_t *p = arena_push_no_zero(a, 256, 16);
    memset(p, 0xAB, 256);
    arena_pop(a, 256);
    uint8_t *q = arena_push(a, 256, 16);
    assert_ptr_equal(p, q);
    for (int i = 0; i < 256; i++) assert_int_equal(q[i], 0);
}

static void push_no_zero_keeps_previous_contents(void **state)
{
    arena *a = A;
    uint8_t *p = arena_push(a, 128, 16);
    memset(p, 0x5C, 128);
    arena_pop(a, 128);
    uint8_t *q = arena_push_no_zero(a, 128, 16);
    assert_ptr_equal(p, q);
    for (int i = 0; i < 128; i++) assert_int_equal(q[i], 0x5C);
}

typedef struct wide {
    double d;
    uint32_t u;
    _Alignas(32) char tag[5];
} wide;

static void push_struct_and_array_macros_use_type_size_and_alignment(void **state)
{
    arena *a = A;
    arena_push(a, 1, 1);
    wide *w = push_struct(a, wide);
    assert_int_equal((uintptr_t)w % BASE_ALIGNOF(wide), 0);
    assert_true(w->d == 0.0);
    assert_int_equal(w->u, 0);
    uint64_t before = a->pos;
    uint32_t *v = push_array(a, uint32_t, 100);
    assert_int_equal((uintptr_t)v % 4, 0);
    assert_int_equal(a->pos, before + 400);
    for (int i = 0; i < 100; i++) assert_int_equal(v[i], 0);
    wide *t = try_push_struct(a, wide);
    assert_non_null(t);
    assert_int_equal((uintptr_t)t % 32, 0);
    uint16_t *s = try_push_array(a, uint16_t, 7);
    assert_non_null(s);
    assert_int_equal(arena_stats_pushes(a), 5);
    assert_int_equal(arena_stats_bytes(a), 1 + sizeof(wide) + 400 + sizeof(wide) + 14);
}

static void push_array_no_zero_macro_leaves_bytes(void **state)
{
    arena *a = A;
    uint8_t *p = arena_push(a, 32, 16);
    memset(p, 0x77, 32);
    arena_clear(a);
    uint8_t *q = push_array_no_zero(a, uint8_t, 32);
    assert_ptr_equal(p, q);
    assert_int_equal(q[0], 0x77);
    assert_int_equal(q[31], 0x77);
}

static void try_push_array_with_overflowing_count_returns_null_and_records_failure(void **state)
{
    arena *a = A;
    arena_push(a, 10, 1);
    void *p = arena_try_push_array(a, UINT64_MAX / 2, 4, 8, true);
    assert_null(p);
    assert_int_equal(a->pos, 10);
    assert_int_equal(a->failure.count, 1);
    assert_int_equal(a->failure.request, UINT64_MAX);
    assert_int_equal(a->failure.align, 8);
    assert_int_equal(a->failure.used, 10);
    assert_int_equal(a->failure.capacity, a->capacity);
    assert_null(try_push_array(a, uint64_t, (UINT64_MAX >> 3) + 1));
    assert_int_equal(a->failure.count, 2);
}

static void try_push_on_exhaustion_returns_null_and_records_failure(void **state)
{
    arena *a = A;
    uint64_t cap = a->capacity;
    assert_non_null(arena_push(a, cap - 10, 1));
    assert_null(arena_try_push(a, 20, 4));
    assert_int_equal(a->pos, cap - 10);
    assert_int_equal(a->failure.count, 1);
    assert_int_equal(a->failure.request, 20);
    assert_int_equal(a->failure.align, 4);
    assert_int_equal(a->failure.used, cap - 10);
    assert_int_equal(a->failure.capacity, cap);
    assert_null(arena_try_push_no_zero(a, 11, 1));
    assert_int_equal(a->failure.count, 2);
    assert_int_equal(a->failure.request, 11);
    /* exactly what is left still fits */
    assert_non_null(arena_try_push(a, 10, 1));
    assert_int_equal(a->pos, cap);
    assert_int_equal(a->failure.count, 2);
}

static void try_push_fails_when_alignment_padding_does_not_fit(void **state)
{
    arena *a = A;
    uint64_t cap = a->capacity;
    arena_push(a, cap - 20, 1); /* 20 bytes left, pos odd-aligned */
    assert_int_equal(a->pos % 16 != 0, 1);
    assert_null(arena_try_push(a, 16, 4096));
    assert_int_equal(a->failure.count, 1);
    assert_int_equal(a->failure.align, 4096);
    assert_int_equal(a->pos, cap - 20);
}

static void try_push_of_huge_size_does_not_wrap(void **state)
{
    arena *a = A;
    /* through a volatile: a constant huge size makes gcc warn about the inlined memset */
    volatile uint64_t huge = UINT64_MAX;
    arena_push(a, 1, 1);
    assert_null(arena_try_push(a, huge, 1));
    assert_null(arena_try_push(a, huge - 1, 16));
    assert_int_equal(a->failure.count, 2);
    assert_int_equal(a->pos, 1);
}

/* ---- fatal paths (forked child) ------------------------------------------------------------------- */

typedef struct fatal_call {
    arena *a;
    uint64_t size;
    uint64_t align;
    uint64_t count;
    int which;
} fatal_call;

static void do_fatal_call(void *ctx)
{
    fatal_call *c = ctx;
    switch (c->which) {
    case 0: arena_push(c->a, c->size, c->align); break;
    case 1: arena_try_push(c->a, c->size, c->align); break;
    case 2: arena_push_array(c->a, c->count, c->size, c->align, true); break;
    case 3: arena_push_no_zero(c->a, c->size, c->align); break;
    }
}

static void push_past_capacity_aborts_naming_arena_request_used_and_capacity(void **state)
{
    arena *a = A;
    arena_push(a, 1000, 1);
    fatal_call c = {a, a->capacity, 8, 0, 0};
    fatal_result r = run_fatal(do_fatal_call, &c);
    assert_aborted_with_one_line(&r);
    char want[160];
    snprintf(want, sizeof(want), "push of %llu bytes (align 8) with 1000 of %llu bytes used",
             (unsigned long long)a->capacity, (unsigned long long)a->capacity);
    assert_contains(r.text, "arena 'test' exhausted");
    assert_contains(r.text, want);
    /* the parent's arena is untouched by the child's attempt */
    assert_int_equal(a->pos, 1000);
    assert_int_equal(a->failure.count, 0);
}

static void push_no_zero_past_capacity_aborts_too(void **state)
{
    fatal_call c = {A, A->capacity + 1, 1, 0, 3};
    fatal_result r = run_fatal(do_fatal_call, &c);
    assert_aborted_with_one_line(&r);
    assert_contains(r.text, "arena 'test' exhausted");
}

static void push_array_overflow_aborts(void **state)
{
    fatal_call c = {A, 16, 16, UINT64_MAX / 8, 2};
    fatal_result r = run_fatal(do_fatal_call, &c);
    assert_aborted_with_one_line(&r);
    assert_contains(r.text, "arena 'test' exhausted: push of 18446744073709551615 bytes (align 16)");
}

static void push_with_alignment_3_aborts_naming_the_alignment(void **state)
{
    fatal_call c = {A, 8, 3, 0, 0};
    fatal_result r = run_fatal(do_fatal_call, &c);
    assert_aborted_with_one_line(&r);
    assert_contains(r.text, "arena 'test': alignment 3 is not a power of two");
}

static void try_push_with_alignment_0_is_still_fatal(void **state)
{
    fatal_call c = {A, 8, 0, 0, 1};
    fatal_result r = run_fatal(do_fatal_call, &c);
    assert_aborted_with_one_line(&r);
    assert_contains(r.text, "alignment 0 is not a power of two");
}

/* ---- positions, pops, temp scopes ---------------------------------------------------------------- */

static void pos_pop_to_and_pop_move_the_position(void **state)
{
    arena *a = A;
    arena_push(a, 100, 1);
    assert_int_equal(arena_pos(a), 100);
    arena_push(a, 50, 1);
    assert_int_equal(arena_pos(a), 150);
    arena_pop_to(a, 120);
    assert_int_equal(arena_pos(a), 120);
    arena_pop_to(a, 500); /* past the end: no change */
    assert_int_equal(arena_pos(a), 120);
    arena_pop(a, 20);
    assert_int_equal(arena_pos(a), 100);
    arena_pop(a, 1000); /* more than pushed: clamps to 0 */
    assert_int_equal(arena_pos(a), 0);
}

static void push_after_pop_reuses_the_same_address(void **state)
{
    arena *a = A;
    arena_push(a, 40, 8);
    uint64_t mark = arena_pos(a);
    void *p = arena_push(a, 64, 16);
    arena_pop_to(a, mark);
    void *q = arena_push(a, 64, 16);
    assert_ptr_equal(p, q);
}

static void clear_returns_to_zero_and_keeps_commit(void **state)
{
    arena *a = A;
    arena_push(a, 3 * STEP, 16);
    uint64_t committed = a->committed;
    arena_clear(a);
    assert_int_equal(arena_pos(a), 0);
    assert_int_equal(a->committed, committed);
    assert_ptr_equal(arena_push(a, 8, 8), a->base);
}

static void nested_temp_scopes_restore_their_own_positions(void **state)
{
    arena *a = A;
    arena_push(a, 10, 1);
    arena_temp outer = arena_temp_begin(a);
    assert_ptr_equal(outer.arena, a);
    assert_int_equal(outer.pos, 10);
    arena_push(a, 100, 1);
    arena_temp inner = arena_temp_begin(a);
    assert_int_equal(inner.pos, 110);
    arena_push(a, 1000, 1);
    assert_int_equal(arena_pos(a), 1110);
    arena_temp_end(inner);
    assert_int_equal(arena_pos(a), 110);
    arena_push(a, 5, 1);
    arena_temp_end(outer);
    assert_int_equal(arena_pos(a), 10);
}

static void contains_covers_exactly_the_handed_out_bytes(void **state)
{
    arena *a = A;
    uint8_t *p = arena_push(a, 32, 16);
    assert_true(arena_contains(a, p));
    assert_true(arena_contains(a, p + 31));
    assert_false(arena_contains(a, p + 32));
    assert_false(arena_contains(a, p - 1)); /* the header */
    int local = 0;
    assert_false(arena_contains(a, &local));
    arena_pop(a, 32);
    assert_false(arena_contains(a, p));
}

/* ---- scratch ------------------------------------------------------------------------------------- */

typedef struct scratch_set {
    void *memory[3];
    arena *arenas[3];
} scratch_set;

static scratch_set scratch_make(void)
{
    scratch_set s;
    for (int i = 0; i < 3; i++) {
        s.memory[i] = map_memory(KB(64));
        s.arenas[i] = arena_create(s.memory[i], KB(64), (arena_params){.name = "scratch"});
        assert_non_null(s.arenas[i]);
    }
    return s;
}

static void scratch_free(scratch_set *s)
{
    for (int i = 0; i < 3; i++) unmap_memory(s->memory[i], KB(64));
}

static void scratch_picks_the_first_arena_without_conflicts(void **state)
{
    scratch_set s = scratch_make();
    arena_push(s.arenas[0], 24, 8);
    arena_temp t = arena_scratch_begin(s.arenas, 2, NULL, 0);
    assert_ptr_equal(t.arena, s.arenas[0]);
    assert_int_equal(t.pos, 24);
    arena *other = s.arenas[2]; /* not in the set: no conflict */
    t = arena_scratch_begin(s.arenas, 2, &other, 1);
    assert_ptr_equal(t.arena, s.arenas[0]);
    scratch_free(&s);
}

static void scratch_skips_arenas_in_the_conflict_list(void **state)
{
    scratch_set s = scratch_make();
    arena *c0[] = {s.arenas[0]};
    arena_temp t = arena_scratch_begin(s.arenas, 3, c0, 1);
    assert_ptr_equal(t.arena, s.arenas[1]);
    arena *c01[] = {s.arenas[1], s.arenas[0]};
    t = arena_scratch_begin(s.arenas, 3, c01, 2);
    assert_ptr_equal(t.arena, s.arenas[2]);
    arena *c1[] = {s.arenas[1]};
    t = arena_scratch_begin(s.arenas, 3, c1, 1);
    assert_ptr_equal(t.arena, s.arenas[0]);
    scratch_free(&s);
}

static void scratch_end_pops_back_to_the_begin_position(void **state)
{
    scratch_set s = scratch_make();
    arena_push(s.arenas[1], 48, 16);
    arena *c0[] = {s.arenas[0]};
    arena_temp t = arena_scratch_begin(s.arenas, 2, c0, 1);
    arena_push(t.arena, 1000, 16);
    assert_int_equal(arena_pos(s.arenas[1]), 1048);
    arena_scratch_end(t);
    assert_int_equal(arena_pos(s.arenas[1]), 48);
    assert_int_equal(arena_pos(s.arenas[0]), 0);
    scratch_free(&s);
}

typedef struct scratch_call {
    arena **set;
} scratch_call;

static void do_scratch_all_conflict(void *ctx)
{
    scratch_call *c = ctx;
    arena *conflicts[] = {c->set[1], c->set[0]};
    arena_scratch_begin(c->set, 2, conflicts, 2);
}

static void scratch_aborts_when_every_arena_conflicts(void **state)
{
    scratch_set s = scratch_make();
    scratch_call c = {s.arenas};
    fatal_result r = run_fatal(do_scratch_all_conflict, &c);
    scratch_free(&s);
    assert_aborted_with_one_line(&r);
    assert_contains(r.text, "arena_scratch_begin: all 2 scratch arenas are in the conflict list");
}

/* ---- stats --------------------------------------------------------------------------------------- */

static void stats_count_pushes_bytes_and_high_water(void **state)
{
    arena *a = A;
    arena_push(a, 100, 1);
    arena_push(a, 28, 4);
    arena_push(a, 7, 1);
    assert_int_equal(arena_stats_pushes(a), 3);
    assert_int_equal(arena_stats_bytes(a), 135);
    assert_int_equal(arena_stats_high_water(a), 135);
    arena_clear(a);
    arena_push(a, 50, 1);
    assert_int_equal(arena_stats_high_water(a), 135); /* survives the clear */
    arena_push(a, 200, 1);
    assert_int_equal(arena_stats_high_water(a), 250);
    assert_int_equal(arena_stats_pushes(a), 5);
    assert_int_equal(arena_stats_bytes(a), 385);
}

static void stats_padding_survives_pops_and_clears(void **state)
{
    arena *a = A;
    arena_push(a, 1, 1);
    arena_push(a, 8, 8); /* 7 bytes of padding before it */
    assert_int_equal(arena_pos(a), 16);
    assert_int_equal(arena_stats_padding(a), 7);
    arena_pop(a, 8);
    assert_int_equal(arena_stats_padding(a), 7);
    arena_clear(a);
    assert_int_equal(arena_stats_padding(a), 7);
    arena_push(a, 4, 4);
    assert_int_equal(arena_stats_padding(a), 7);
}

static void stats_count_resets_for_clears_and_pops_to_zero(void **state)
{
    arena *a = A;
    arena_clear(a); /* an empty arena still counts a clear */
    assert_int_equal(a->stats.resets, 1);
    arena_push(a, 64, 1);
    arena_pop(a, 10); /* not to the start */
    assert_int_equal(a->stats.resets, 1);
    arena_pop_to(a, 0);
    assert_int_equal(a->stats.resets, 2);
    arena_push(a, 64, 1);
    arena_clear(a);
    assert_int_equal(a->stats.resets, 3);
    arena_pop_to(a, 0); /* already at zero: nothing popped */
    assert_int_equal(a->stats.resets, 3);
}

static void stats_frame_begin_resets_only_the_frame_counters(void **state)
{
    arena *a = A;
    arena_push(a, 10, 1);
    arena_push(a, 20, 1);
    assert_int_equal(arena_stats_frame_pushes(a), 2);
    assert_int_equal(arena_stats_frame_bytes(a), 30);
    arena_stats_frame_begin(a);
    assert_int_equal(arena_stats_frame_pushes(a), 0);
    assert_int_equal(arena_stats_frame_bytes(a), 0);
    assert_int_equal(arena_stats_pushes(a), 2);
    assert_int_equal(arena_stats_bytes(a), 30);
    arena_push(a, 5, 1);
    assert_int_equal(arena_stats_frame_pushes(a), 1);
    assert_int_equal(arena_stats_frame_bytes(a), 5);
}

static void stats_do_not_count_failed_pushes(void **state)
{
    arena *a = A;
    assert_null(arena_try_push(a, a->capacity + 1, 1));
    assert_int_equal(arena_stats_pushes(a), 0);
    assert_int_equal(arena_stats_bytes(a), 0);
    assert_int_equal(arena_stats_frame_pushes(a), 0);
    assert_int_equal(arena_stats_high_water(a), 0);
}

/* ---- commit bookkeeping -------------------------------------------------------------------------- */

static void commit_grows_in_commit_step_units(void **state)
{
    arena *a = A;
    assert_int_equal(a->committed, 0);
    arena_push(a, 1, 1);
    assert_int_equal(a->committed, STEP);
    arena_push(a, STEP - 1, 1);
    assert_int_equal(a->committed, STEP); /* exactly full: no new step */
    arena_push(a, 1, 1);
    assert_int_equal(a->committed, 2 * STEP);
    arena_push(a, 3 * STEP, 1);
    assert_int_equal(a->committed, 5 * STEP);
    assert_int_equal(a->committed % STEP, 0);
}

static void commit_never_exceeds_capacity(void **state)
{
    arena *a = A;
    assert_true(a->capacity % STEP != 0); /* the header makes the last step partial */
    arena_push(a, a->capacity - 1, 1);
    assert_int_equal(a->committed, a->capacity);
    arena_push(a, 1, 1);
    assert_int_equal(a->committed, a->capacity);
    assert_int_equal(a->pos, a->capacity);
}

static void decommit_unused_keeps_the_step_holding_pos(void **state)
{
    arena *a = A;
    arena_push(a, 5 * STEP, 16);
    assert_int_equal(a->committed, 5 * STEP);
    arena_pop_to(a, STEP + 100);
    arena_decommit_unused(a);
    assert_int_equal(a->committed, 2 * STEP);
    arena_decommit_unused(a); /* nothing more to give back */
    assert_int_equal(a->committed, 2 * STEP);
    arena_clear(a);
    arena_decommit_unused(a);
    assert_int_equal(a->committed, 0);
    /* and the arena grows again from there */
    arena_push(a, 10, 1);
    assert_int_equal(a->committed, STEP);
}

static void decommitted_pages_come_back_zeroed(void **state)
{
    arena *a = A;
    uint8_t *p = arena_push_no_zero(a, 3 * STEP, 16);
    memset(p, 0xEE, 3 * STEP);
    arena_clear(a);
    arena_decommit_unused(a);
    uint8_t *q = arena_push_no_zero(a, 3 * STEP, 16);
    assert_ptr_equal(p, q);
    /* every whole page inside the released range must read back as zero */
    uintptr_t first = ((uintptr_t)q + 4095) & ~(uintptr_t)4095;
    uintptr_t last = ((uintptr_t)q + 3 * STEP) & ~(uintptr_t)4095;
    assert_true(last - first >= 2 * 4096);
    for (uintptr_t at = first; at < last; at += 64) assert_int_equal(*(uint8_t *)at, 0);
}

/* ---- strings ------------------------------------------------------------------------------------- */

static void push_str_copies_with_terminator(void **state)
{
    arena *a = A;
    const char *src = "persistent name";
    char *s = arena_push_str(a, src);
    assert_ptr_not_equal(s, src);
    assert_string_equal(s, src);
    assert_true(arena_contains(a, s));
    assert_int_equal(arena_pos(a), strlen(src) + 1);
    char *e = arena_push_str(a, "");
    assert_string_equal(e, "");
    assert_int_equal(arena_pos(a), strlen(src) + 2);
}

static void push_fmt_formats_into_the_arena(void **state)
{
    arena *a = A;
    char *s = arena_push_fmt(a, "frame %d of %s: %05.1f", 42, "game", 3.14159);
    assert_string_equal(s, "frame 42 of game: 003.1");
    assert_int_equal(arena_pos(a), strlen(s) + 1);
    char big[3000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    char *t = arena_push_fmt(a, "<%s>", big);
    assert_int_equal(strlen(t), sizeof(big) + 1);
    assert_int_equal(t[0], '<');
    assert_int_equal(t[sizeof(big)], '>');
}

/* ---- ASan poisoning ------------------------------------------------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
static void asan_poisons_the_byte_past_an_allocation(void **state)
{
    arena *a = A;
    uint8_t *p = arena_push(a, 20, 16);
    assert_int_equal(__asan_address_is_poisoned(p), 0);
    assert_int_equal(__asan_address_is_poisoned(p + 19), 0);
    assert_int_equal(__asan_address_is_poisoned(p + 20), 1);
    assert_int_equal(__asan_address_is_poisoned(p + 64), 1);
}

static void asan_poisons_popped_bytes_and_unpoisons_handed_out_ones(void **state)
{
    arena *a = A;
    uint8_t *keep = arena_push(a, 32, 16);
    uint8_t *gone = arena_push(a, 32, 16);
    arena_pop(a, 32);
    assert_int_equal(__asan_address_is_poisoned(keep + 31), 0);
    assert_int_equal(__asan_address_is_poisoned(gone), 1);
    assert_int_equal(__asan_address_is_poisoned(gone + 31), 1);
    uint8_t *again = arena_push_no_zero(a, 32, 16);
    assert_ptr_equal(again, gone);
    assert_int_equal(__asan_address_is_poisoned(again), 0);
    assert_int_equal(__asan_address_is_poisoned(again + 31), 0);
}

static void asan_poisons_cleared_bytes(void **state)
{
    arena *a = A;
    uint8_t *p = arena_push(a, 2 * STEP, 16);
    arena_clear(a);
    assert_int_equal(__asan_address_is_poisoned(p), 1);
    assert_int_equal(__asan_address_is_poisoned(p + STEP), 1);
    assert_int_equal(__asan_address_is_poisoned(p + 2 * STEP - 1), 1);
    arena_temp t = arena_temp_begin(a);
    uint8_t *q = arena_push(a, 64, 16);
    arena_temp_end(t);
    assert_int_equal(__asan_address_is_poisoned(q), 1);
}
#endif

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(create_places_header_at_memory_and_base_after_it),
        T(create_rejects_memory_not_64_byte_aligned),
        T(create_rejects_size_that_cannot_hold_the_header),
        T(create_rejects_commit_step_not_power_of_two),
        T(create_copies_and_truncates_the_name),
        T(push_honours_every_power_of_two_alignment_and_counts_padding),
        T(push_without_padding_when_already_aligned),
        T(push_zeroes_memory_that_was_used_before),
        T(push_no_zero_keeps_previous_contents),
        T(push_struct_and_array_macros_use_type_size_and_alignment),
        T(push_array_no_zero_macro_leaves_bytes),
        T(try_push_array_with_overflowing_count_returns_null_and_records_failure),
        T(try_push_on_exhaustion_returns_null_and_records_failure),
        T(try_push_fails_when_alignment_padding_does_not_fit),
        T(try_push_of_huge_size_does_not_wrap),
        T(push_past_capacity_aborts_naming_arena_request_used_and_capacity),
        T(push_no_zero_past_capacity_aborts_too),
        T(push_array_overflow_aborts),
        T(push_with_alignment_3_aborts_naming_the_alignment),
        T(try_push_with_alignment_0_is_still_fatal),
        T(pos_pop_to_and_pop_move_the_position),
        T(push_after_pop_reuses_the_same_address),
        T(clear_returns_to_zero_and_keeps_commit),
        T(nested_temp_scopes_restore_their_own_positions),
        T(contains_covers_exactly_the_handed_out_bytes),
        T(scratch_picks_the_first_arena_without_conflicts),
        T(scratch_skips_arenas_in_the_conflict_list),
        T(scratch_end_pops_back_to_the_begin_position),
        T(scratch_aborts_when_every_arena_conflicts),
        T(stats_count_pushes_bytes_and_high_water),
        T(stats_padding_survives_pops_and_clears),
        T(stats_count_resets_for_clears_and_pops_to_zero),
        T(stats_frame_begin_resets_only_the_frame_counters),
        T(stats_do_not_count_failed_pushes),
        T(commit_grows_in_commit_step_units),
        T(commit_never_exceeds_capacity),
        T(decommit_unused_keeps_the_step_holding_pos),
        T(decommitted_pages_come_back_zeroed),
        T(push_str_copies_with_terminator),
        T(push_fmt_formats_into_the_arena),
#if defined(__SANITIZE_ADDRESS__)
        T(asan_poisons_the_byte_past_an_allocation),
        T(asan_poisons_popped_bytes_and_unpoisons_handed_out_ones),
        T(asan_poisons_cleared_bytes),
#endif
    };
    return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
