/* test_block.c - proves the fixed block: the region plan (defaults and every error), reserving at
 * exactly the requested address (and failing with a message naming base, size and --base when
 * that range is taken), block_init's header and arenas, frame alternation and state reset.
 * Every test that reserves uses its own base (0x310000000000 + n GiB) and releases it. */
#include "../test_util.h"

#include "host/base/block.h"
#include "host/os/block_os.h"

#define TEST_BASE0 0x310000000000ull
#define TEST_RESERVE MB(256)

static uint64_t next_base(void)
{
    static uint64_t n;
    return TEST_BASE0 + GB(1) * n++;
}

/* --small regions: frame/scratch 1 MiB, heap 32 MiB, in a 256 MiB reserve */
static block_config small_config(uint64_t base)
{
    block_config c = {
        .base = base, .reserve = TEST_RESERVE, .frame_size = MB(1), .scratch_size = MB(1), .heap_size = MB(32),
        .host_size = MB(1), .media_size = MB(1)};
    return c;
}

typedef struct fixture {
    block_config cfg;
    block_region regions[BLOCK_REGION_COUNT];
    bool reserved;
    block_header *h;
} fixture;

/* Plans and reserves the small block at a fresh base; block_init is left to the test or init_setup. */
static int reserve_setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    *state = f;
    host_error err = {{0}};
    f->cfg = small_config(next_base());
    if (!block_plan(&f->cfg, f->regions, &err)) return -1;
    if (!block_reserve(f->cfg.base, f->cfg.reserve, &err)) {
        print_error("%s\n", err.msg);
        return -1;
    }
    f->reserved = true;
    return 0;
}

static int init_setup(void **state)
{
    if (reserve_setup(state) != 0) return -1;
    fixture *f = *state;
    host_error err = {{0}};
    f->h = block_init(&f->cfg, f->regions, &err);
    return f->h ? 0 : -1;
}

static int release_teardown(void **state)
{
    fixture *f = *state;
    if (f && f->reserved) {
        BASE_UNPOISON((void *)(uintptr_t)f->cfg.base, f->cfg.reserve);
        block_release(f->cfg.base, f->cfg.reserve);
    }
    free(f);
    return 0;
}

#define F ((fixture *)*state)

/* ---- plan ------------------------------------------------------------------------------------- */

static void default_config_matches_the_documented_defaults(void **state)
{
    block_config c = block_config_default();
    assert_int_equal(c.base, 0x200000000000ull);
    assert_int_equal(c.reserve, GB(64));
    assert_int_equal(c.frame_size, MB(256));
    assert_int_equal(c.scratch_size, MB(256));
    assert_int_equal(c.heap_size, GB(1));
}

static void plan_with_defaults_lays_out_every_region(void **state)
{
    block_config c = block_config_default();
    block_region r[BLOCK_REGION_COUNT];
    host_error err = {{0}};
    assert_true(block_plan(&c, r, &err));
    assert_string_equal(r[BLOCK_REGION_HEADER].name, "header");
    assert_int_equal(r[BLOCK_REGION_HEADER].offset, 0);
    assert_int_equal(r[BLOCK_REGION_HEADER].size, KB(64));
    assert_string_equal(r[BLOCK_REGION_HOST].name, "host");
    assert_int_equal(r[BLOCK_REGION_HOST].offset, KB(64));
    assert_int_equal(r[BLOCK_REGION_HOST].size, MB(64));
    assert_int_equal(r[BLOCK_REGION_FRAME0].offset, KB(64) + MB(64));
    assert_int_equal(r[BLOCK_REGION_FRAME0].size, MB(256));
    assert_int_equal(r[BLOCK_REGION_FRAME1].offset, KB(64) + MB(64 + 256));
    assert_int_equal(r[BLOCK_REGION_SCRATCH0].offset, KB(64) + MB(64 + 512));
    assert_int_equal(r[BLOCK_REGION_SCRATCH1].offset, KB(64) + MB(64 + 768));
    assert_int_equal(r[BLOCK_REGION_SCRATCH1].size, MB(256));
    assert_string_equal(r[BLOCK_REGION_MEDIA].name, "media");
    assert_int_equal(r[BLOCK_REGION_MEDIA].offset, KB(64) + MB(64 + 1024));
    assert_int_equal(r[BLOCK_REGION_MEDIA].size, MB(256));
    assert_string_equal(r[BLOCK_REGION_HEAP].name, "heap");
    assert_int_equal(r[BLOCK_REGION_HEAP].offset, GB(1) + MB(352));
    assert_int_equal(r[BLOCK_REGION_HEAP].offset % MB(32), 0);
    assert_int_equal(r[BLOCK_REGION_HEAP].size, GB(1));
    assert_string_equal(r[BLOCK_REGION_PERSISTENT].name, "persistent");
    assert_int_equal(r[BLOCK_REGION_PERSISTENT].offset, GB(2) + MB(352));
    assert_int_equal(r[BLOCK_REGION_PERSISTENT].size, GB(64) - GB(2) - MB(352));
}

static void planned_regions_do_not_overlap_and_lie_within_the_reserve(void **state)
{
    block_config configs[] = {block_config_default(), small_config(TEST_BASE0)};
    for (size_t k = 0; k < ARRAY_COUNT(configs); k++) {
        block_region r[BLOCK_REGION_COUNT];
        host_error err = {{0}};
        assert_true(block_plan(&configs[k], r, &err));
        for (int i = 0; i < BLOCK_REGION_COUNT; i++) {
            assert_true(r[i].size > 0);
            assert_true(r[i].offset + r[i].size <= configs[k].reserve);
            for (int j = i + 1; j < BLOCK_REGION_COUNT; j++)
                assert_true(r[i].offset + r[i].size <= r[j].offset || r[j].offset + r[j].size <= r[i].offset);
        }
        /* the persistent arena ends exactly at the end of the reserve */
        assert_int_equal(r[BLOCK_REGION_PERSISTENT].offset + r[BLOCK_REGION_PERSISTENT].size, configs[k].reserve);
    }
}

static void plan_of_small_config_puts_heap_at_32_mib(void **state)
{
    block_config c = small_config(TEST_BASE0);
    block_region r[BLOCK_REGION_COUNT];
    host_error err = {{0}};
    assert_true(block_plan(&c, r, &err));
    assert_int_equal(r[BLOCK_REGION_SCRATCH1].offset + r[BLOCK_REGION_SCRATCH1].size, KB(64) + MB(5));
    assert_int_equal(r[BLOCK_REGION_MEDIA].offset + r[BLOCK_REGION_MEDIA].size, KB(64) + MB(6));
    assert_int_equal(r[BLOCK_REGION_HEAP].offset, MB(32));
    assert_int_equal(r[BLOCK_REGION_PERSISTENT].offset, MB(64));
    assert_int_equal(r[BLOCK_REGION_PERSISTENT].size, MB(192));
}

static void plan_rejects_a_base_not_32_mib_aligned(void **state)
{
    block_config c = small_config(TEST_BASE0 + MB(16));
    block_region r[BLOCK_REGION_COUNT];
    host_error err = {{0}};
    assert_false(block_plan(&c, r, &err));
    assert_contains(err.msg, "block base 0x310001000000 is not a multiple of 32 MiB");
    assert_contains(err.msg, "--base");
    c.base = 0;
    assert_false(block_plan(&c, r, &err));
    assert_contains(err.msg, "block base 0x0");
}

static void plan_rejects_a_heap_not_a_multiple_of_32_mib(void **state)
{
    block_config c = small_config(TEST_BASE0);
    c.heap_size = MB(48);
    block_region r[BLOCK_REGION_COUNT];
    host_error err = {{0}};
    assert_false(block_plan(&c, r, &err));
    assert_contains(err.msg, "heap size 48 MiB is not a multiple of 32 MiB");
    assert_contains(err.msg, "e.g. --heap 1G");
}

static void plan_rejects_a_reserve_too_small_and_says_what_to_do(void **state)
{
    block_config c = small_config(TEST_BASE0);
    c.reserve = MB(64); /* the heap ends at 64 MiB: no room for persistent */
    block_region r[BLOCK_REGION_COUNT];
    host_error err = {{0}};
    assert_false(block_plan(&c, r, &err));
    assert_contains(err.msg, "reserve 64 MiB is too small");
    assert_contains(err.msg, "at least 65 MiB");
    assert_contains(err.msg, "raise --reserve (e.g. --reserve 64G) or lower --heap");
    c.reserve = MB(65); /* the minimum fits */
    assert_true(block_plan(&c, r, &err));
    assert_int_equal(r[BLOCK_REGION_PERSISTENT].size, MB(1));
}

static void plan_rejects_frame_arena_not_a_multiple_of_64_kib(void **state)
{
    block_config c = small_config(TEST_BASE0);
    c.frame_size = KB(100);
    block_region r[BLOCK_REGION_COUNT];
    host_error err = {{0}};
    assert_false(block_plan(&c, r, &err));
    assert_contains(err.msg, "--frame-arena 100 KiB: arenas are multiples of 64 KiB, at least 64 KiB; e.g. --frame-arena 256M");
    c.frame_size = MB(1);
    c.scratch_size = KB(32);
    assert_false(block_plan(&c, r, &err));
    assert_contains(err.msg, "--scratch-arena 32 KiB");
    assert_contains(err.msg, "at least 64 KiB; e.g. --scratch-arena 256M");
}

static void plan_rejects_sizes_that_overflow(void **state)
{
    block_config c = small_config(TEST_BASE0);
    c.frame_size = UINT64_MAX - KB(64) + 1; /* a multiple of 64 KiB that cannot be added up */
    block_region r[BLOCK_REGION_COUNT];
    host_error err = {{0}};
    assert_false(block_plan(&c, r, &err));
    assert_contains(err.msg, "add up past 64-bit sizes; lower --heap, --frame-arena or --scratch-arena");
}

/* ---- reserve ---------------------------------------------------------------------------------- */

static void reserve_returns_exactly_the_base_and_memory_is_writable(void **state)
{
    fixture *f = F;
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)f->cfg.base;
    p[0] = 0x11;
    p[TEST_RESERVE / 2] = 0x22;
    p[TEST_RESERVE - 1] = 0x33;
    assert_int_equal(p[0], 0x11);
    assert_int_equal(p[TEST_RESERVE / 2], 0x22);
    assert_int_equal(p[TEST_RESERVE - 1], 0x33);
    assert_int_equal(p[4096], 0); /* untouched pages read as zero */
}

static void reserving_the_same_range_twice_fails_naming_base_size_and_flag(void **state)
{
    fixture *f = F;
    host_error err = {{0}};
    assert_false(block_reserve(f->cfg.base, f->cfg.reserve, &err));
    char base_hex[32];
    snprintf(base_hex, sizeof(base_hex), "0x%llx", (unsigned long long)f->cfg.base);
    assert_contains(err.msg, base_hex);
    assert_contains(err.msg, "256 MiB");
    assert_contains(err.msg, "--base");
    assert_contains(err.msg, "taken");
    /* the first reservation is still intact */
    *(volatile uint8_t *)(uintptr_t)f->cfg.base = 7;
}

static void reserving_a_range_overlapping_the_block_fails(void **state)
{
    fixture *f = F;
    host_error err = {{0}};
    assert_false(block_reserve(f->cfg.base + MB(128), MB(256), &err));
    assert_contains(err.msg, "--base");
    assert_false(block_reserve(f->cfg.base - MB(32), MB(64), &err));
    assert_contains(err.msg, "taken");
}

/* vm.mmap_min_addr: unprivileged processes cannot map below it. */
static uint64_t mmap_min_addr(void)
{
    char text[64];
    if (read_text("/proc/sys/vm/mmap_min_addr", text, sizeof(text)) <= 0) return 65536;
    return strtoull(text, NULL, 10);
}

/* 0x1000 where the kernel forbids it (the common 64 KiB minimum), else 0. */
static uint64_t low_address(void) { return mmap_min_addr() > 0x1000 ? 0x1000 : 0; }

/* Runs in a child that is not root (root may map below vm.mmap_min_addr): exits 0 when the
 * reservation failed, after printing its message. */
static void do_reserve_low_unprivileged(void *ctx)
{
    if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0) _exit(3);
    host_error err = {{0}};
    if (block_reserve(low_address(), MB(1), &err)) _exit(1);
    fprintf(stderr, "%s\n", err.msg);
    _exit(0);
}

static void reserving_below_mmap_min_addr_fails_with_a_message(void **state)
{
    if (mmap_min_addr() == 0) skip(); /* the kernel lets anyone map page 0: nothing is forbidden */
    fatal_result r = run_fatal(do_reserve_low_unprivileged, NULL);
    assert_false(r.signaled);
    assert_int_equal(r.exit_code, 0);
    char want[96];
    snprintf(want, sizeof(want), "cannot reserve the block of 1 MiB at 0x%llx", (unsigned long long)low_address());
    assert_contains(r.text, want);
    assert_contains(r.text, "--base");
}

static void reserving_over_the_program_code_fails_and_leaves_it_mapped(void **state)
{
    uint64_t code = (uint64_t)(uintptr_t)&reserving_over_the_program_code_fails_and_leaves_it_mapped & ~4095ull;
    host_error err = {{0}};
    assert_false(block_reserve(code, 4096, &err));
    assert_contains(err.msg, "taken");
    char hex[32];
    snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)code);
    assert_contains(err.msg, hex);
    /* still executable: calling into the same page works */
    assert_int_equal(block_config_default().reserve, GB(64));
}

static void reserving_beyond_the_user_address_space_fails(void **state)
{
    host_error err = {{0}};
    assert_false(block_reserve(0x800000000000ull, MB(64), &err));
    assert_contains(err.msg, "at 0x800000000000");
    assert_contains(err.msg, "64 MiB");
    assert_contains(err.msg, "--base");
}

static void release_makes_the_range_reservable_again(void **state)
{
    uint64_t base = next_base();
    host_error err = {{0}};
    assert_true(block_reserve(base, MB(64), &err));
    block_release(base, MB(64));
    assert_true(block_reserve(base, MB(64), &err));
    *(volatile uint8_t *)(uintptr_t)base = 1;
    block_release(base, MB(64));
}

/* ---- init, frames, reset ---------------------------------------------------------------------- */

static void init_writes_the_header_at_the_base(void **state)
{
    fixture *f = F;
    block_header *h = f->h;
    assert_ptr_equal(h, (void *)(uintptr_t)f->cfg.base);
    assert_int_equal(h->magic, BLOCK_MAGIC);
    assert_int_equal(h->format_version, BLOCK_FORMAT_VERSION);
    assert_int_equal(h->header_size, sizeof(block_header));
    assert_true(sizeof(block_header) <= BLOCK_HEADER_SIZE);
    assert_int_equal(h->base, f->cfg.base);
    assert_int_equal(h->reserve, f->cfg.reserve);
    assert_memory_equal(h->regions, f->regions, sizeof(h->regions));
    for (int i = 0; i < BLOCK_REGION_COUNT; i++)
        assert_ptr_equal(block_region_start(h, (block_region_id)i),
                         (void *)(uintptr_t)(f->cfg.base + f->regions[i].offset));
}

static void assert_arena_in_region(const block_header *h, const arena *a, block_region_id id, const char *name)
{
    uintptr_t start = (uintptr_t)block_region_start(h, id);
    uintptr_t end = start + h->regions[id].size;
    assert_non_null(a);
    assert_int_equal((uintptr_t)a, start);
    assert_true((uintptr_t)a->base > start);
    assert_int_equal((uintptr_t)a->base + a->capacity, end);
    assert_string_equal(a->name, name);
    assert_int_equal(a->pos, 0);
}

static void init_creates_every_arena_inside_its_region(void **state)
{
    block_header *h = F->h;
    game_memory *m = &h->memory;
    assert_arena_in_region(h, m->persistent, BLOCK_REGION_PERSISTENT, "persistent");
    assert_arena_in_region(h, h->frames[0], BLOCK_REGION_FRAME0, "frame0");
    assert_arena_in_region(h, h->frames[1], BLOCK_REGION_FRAME1, "frame1");
    assert_arena_in_region(h, m->scratch[0], BLOCK_REGION_SCRATCH0, "scratch0");
    assert_arena_in_region(h, m->scratch[1], BLOCK_REGION_SCRATCH1, "scratch1");
}

static void init_sets_game_memory(void **state)
{
    block_header *h = F->h;
    game_memory *m = &h->memory;
    assert_ptr_equal(m->frame, h->frames[0]);
    assert_ptr_equal(m->frame_prev, h->frames[1]);
    assert_null(m->root);
    assert_int_equal(m->root_size, 0);
    assert_int_equal(m->frame_index, 0);
    assert_int_equal(m->reloads, 0);
    /* the arenas work: a push lands inside the persistent region */
    uint64_t *x = push_struct(m->persistent, uint64_t);
    uintptr_t pstart = (uintptr_t)block_region_start(h, BLOCK_REGION_PERSISTENT);
    assert_true((uintptr_t)x > pstart);
    assert_true((uintptr_t)x < pstart + h->regions[BLOCK_REGION_PERSISTENT].size);
}

static void frame_begin_alternates_frames_and_keeps_the_previous_readable(void **state)
{
    block_header *h = F->h;
    game_memory *m = &h->memory;
    char *first = arena_push_str(m->frame, "frame zero text");
    arena *a0 = m->frame;

    block_frame_begin(h);
    assert_int_equal(m->frame_index, 1);
    assert_ptr_equal(m->frame_prev, a0);
    assert_ptr_equal(m->frame, h->frames[1]);
    assert_string_equal(first, "frame zero text");
    assert_true(arena_contains(m->frame_prev, first));
    assert_int_equal(arena_pos(m->frame), 0);
    char *second = arena_push_str(m->frame, "frame one");

    block_frame_begin(h);
    assert_int_equal(m->frame_index, 2);
    assert_ptr_equal(m->frame, h->frames[0]);
    assert_ptr_equal(m->frame_prev, h->frames[1]);
    assert_string_equal(second, "frame one");
    assert_int_equal(arena_pos(m->frame), 0); /* frame 0's text is gone */
    assert_false(arena_contains(m->frame, first));
}

static void frame_begin_clears_a_dirty_frame_arena(void **state)
{
    block_header *h = F->h;
    game_memory *m = &h->memory;
    arena_push(h->frames[1], 500, 16); /* garbage left in the arena about to become current */
    block_frame_begin(h);
    assert_ptr_equal(m->frame, h->frames[1]);
    assert_int_equal(arena_pos(m->frame), 0);
}

static void frame_begin_restarts_per_frame_stats(void **state)
{
    block_header *h = F->h;
    game_memory *m = &h->memory;
    arena_push(m->persistent, 64, 8);
    arena_push(m->scratch[0], 32, 8);
    arena_push(m->scratch[1], 16, 8);
    block_frame_begin(h);
    assert_int_equal(arena_stats_frame_pushes(m->persistent), 0);
    assert_int_equal(arena_stats_frame_bytes(m->persistent), 0);
    assert_int_equal(arena_stats_pushes(m->persistent), 1);
    assert_int_equal(arena_stats_frame_pushes(m->scratch[0]), 0);
    assert_int_equal(arena_stats_frame_bytes(m->scratch[1]), 0);
    assert_int_equal(arena_stats_frame_pushes(m->frame), 0);
    assert_int_equal(arena_pos(m->persistent), 64); /* persistent is not cleared */
}

static void reset_state_clears_persistent_frames_scratch_and_root(void **state)
{
    block_header *h = F->h;
    game_memory *m = &h->memory;
    uint64_t *root = push_struct(m->persistent, uint64_t);
    *root = 99;
    m->root = root;
    m->root_size = sizeof(*root);
    m->reloads = 3;
    arena_push(h->frames[0], 10, 1);
    arena_push(h->frames[1], 10, 1);
    arena_push(m->scratch[0], 10, 1);
    arena_push(m->scratch[1], 10, 1);
    block_reset_state(h);
    assert_null(m->root);
    assert_int_equal(m->root_size, 0);
    assert_int_equal(m->reloads, 0);
    assert_int_equal(arena_pos(m->persistent), 0);
    assert_int_equal(arena_pos(h->frames[0]), 0);
    assert_int_equal(arena_pos(h->frames[1]), 0);
    assert_int_equal(arena_pos(m->scratch[0]), 0);
    assert_int_equal(arena_pos(m->scratch[1]), 0);
    /* the arenas themselves are unchanged: same addresses, still usable */
    assert_ptr_equal(push_struct(m->persistent, uint64_t), root);
}

#define R(name) cmocka_unit_test_setup_teardown(name, reserve_setup, release_teardown)
#define I(name) cmocka_unit_test_setup_teardown(name, init_setup, release_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_config_matches_the_documented_defaults),
        cmocka_unit_test(plan_with_defaults_lays_out_every_region),
        cmocka_unit_test(planned_regions_do_not_overlap_and_lie_within_the_reserve),
        cmocka_unit_test(plan_of_small_config_puts_heap_at_32_mib),
        cmocka_unit_test(plan_rejects_a_base_not_32_mib_aligned),
        cmocka_unit_test(plan_rejects_a_heap_not_a_multiple_of_32_mib),
        cmocka_unit_test(plan_rejects_a_reserve_too_small_and_says_what_to_do),
        cmocka_unit_test(plan_rejects_frame_arena_not_a_multiple_of_64_kib),
        cmocka_unit_test(plan_rejects_sizes_that_overflow),
        R(reserve_returns_exactly_the_base_and_memory_is_writable),
        R(reserving_the_same_range_twice_fails_naming_base_size_and_flag),
        R(reserving_a_range_overlapping_the_block_fails),
        cmocka_unit_test(reserving_below_mmap_min_addr_fails_with_a_message),
        cmocka_unit_test(reserving_over_the_program_code_fails_and_leaves_it_mapped),
        cmocka_unit_test(reserving_beyond_the_user_address_space_fails),
        cmocka_unit_test(release_makes_the_range_reservable_again),
        I(init_writes_the_header_at_the_base),
        I(init_creates_every_arena_inside_its_region),
        I(init_sets_game_memory),
        I(frame_begin_alternates_frames_and_keeps_the_previous_readable),
        I(frame_begin_clears_a_dirty_frame_arena),
        I(frame_begin_restarts_per_frame_stats),
        I(reset_state_clears_persistent_frames_scratch_and_root),
    };
    return cmocka_run_group_tests_name("block", tests, NULL, NULL);
}
