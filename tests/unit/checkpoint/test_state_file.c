/* test_state_file.c - state files (host/checkpoint/state_file.c, state_layouts.c) from a real block
 * and heap whose calls were logged from the start: the bytes decode for this host and apply to a
 * fresh heap region (on another thread, which owns it) with every live block's bytes at the same
 * offset; a file is refused with its reason when truncated, padded, foreign, corrupted, of another
 * ABI, base or region plan, or with a malformed section, and a replay that lands elsewhere touches
 * nothing; layouts go through the file unchanged; a write replaces the previous file whole. */
#include "checkpoint_util.h"

#include "host/checkpoint/checksum.h"
#include "host/checkpoint/epochs.h"
#include "host/checkpoint/state_file.h"

#include <pthread.h>

#define FRESH_BASE 0x32c000000000ull

static epochs ep;
static heap_log logged;

typedef struct state {
    uint64_t *cells;
    char *names[20];
} state;

static int setup(void **unused)
{
    if (ck_setup_at(0x32a000000000ull)) return -1;
    epochs_start(&ep, &ck_heap);
    epochs_log(&ep, &logged); /* from the fresh region on, as the host does with --save-state */
    state *s = push_struct(ck_block->memory.persistent, state);
    ck_block->memory.root = s;
    ck_block->memory.root_size = sizeof(*s);
    s->cells = heap_alloc(4000 * sizeof(uint64_t), 0, HEAP_FATAL);
    for (int i = 0; i < 4000; i++) s->cells[i] = (uint64_t)i * 3;
    for (int i = 0; i < 20; i++) {
        s->names[i] = heap_alloc(10 + (uint64_t)i * 30, 0, HEAP_FATAL | HEAP_ZERO);
        memcpy(s->names[i], "name ", 5);
        s->names[i][5] = (char)('a' + i);
    }
    for (int i = 0; i < 20; i += 3) {
        heap_free(s->names[i]);
        s->names[i] = NULL;
    }
    s->cells = heap_realloc(s->cells, 6000 * sizeof(uint64_t), HEAP_FATAL);
    return 0;
}

static int teardown(void **unused)
{
    epochs_stop(&ep);
    heap_log_free_all(&logged);
    ck_close();
    return 0;
}

static state_parts parts(void)
{
    state_parts p = {ck_block, &ck_heap, &logged, ep.deferred, ep.deferred_count, 42,
                     checksum_state(ck_block, &ck_heap, NULL, 0), "test"};
    return p;
}

static uint8_t *encode(uint64_t *size)
{
    uint8_t *data;
    host_error err = {{0}};
    state_parts p = parts();
    assert_true(state_encode(&p, &data, size, &err));
    return data;
}

static void test_a_state_decodes_for_this_host(void **unused)
{
    uint64_t size;
    uint8_t *data = encode(&size);
    state_image img;
    host_error err = {{0}};
    assert_true(state_decode(data, size, &ck_config, &img, &err));
    assert_int_equal(img.header->frame, 42);
    assert_int_equal(img.header->base, ck_config.base);
    assert_int_equal(img.header->game_abi, GAME_API_VERSION);
    assert_non_null(img.sections[STATE_SEC_HEAP_LOG]);
    assert_int_equal(img.section_sizes[STATE_SEC_HEAP_LOG], logged.size);
    for (int k = STATE_SEC_HEADER; k < STATE_SEC_KINDS; k++)
        if (img.sections[k]) assert_int_equal((uintptr_t)img.sections[k] % 8, 0);
    state_image_free(&img);
}

/* ---- applying on a fresh region ------------------------------------------------------------- */

typedef struct applied {
    state_image *img;
    bool ok;
    host_error err;
    heap_region r;
    uint64_t freed;
} applied;

static uint64_t freed_count;
static void count_free(void *p) { (void)p, freed_count++; }

static void *apply_run(void *arg)
{
    applied *a = arg;
    host_error err = {{0}};
    if (!block_reserve(FRESH_BASE, ck_config.heap_size, &err) ||
        heap_region_init(&a->r, (void *)(uintptr_t)FRESH_BASE, ck_config.heap_size, block_reserve_is_committed, "fresh") != HEAP_OK)
        return NULL;
    a->ok = state_apply(a->img, ck_block, &a->r, count_free, &a->err);
    return NULL;
}

typedef struct compare {
    const heap_region *fresh;
    uint64_t blocks, differing;
} compare;

static bool compare_block(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)area;
    compare *c = arg;
    if (!block) return true;
    const uint8_t *twin = c->fresh->start + ((uint8_t *)block - ck_heap.start);
    c->blocks++;
    c->differing += memcmp(twin, block, size) != 0;
    return true;
}

static void test_a_state_applies_to_a_fresh_region(void **unused)
{
    uint64_t size;
    uint8_t *data = encode(&size);
    state_image img;
    host_error err = {{0}};
    assert_true(state_decode(data, size, &ck_config, &img, &err));
    static applied a;
    a.img = &img;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, apply_run, &a), 0);
    pthread_join(t, NULL);
    if (!a.ok) fail_msg("%s", a.err.msg);
    compare c = {&a.r, 0, 0};
    heap_visit(&ck_heap, true, compare_block, &c);
    assert_true(c.blocks >= 14);
    assert_int_equal(c.differing, 0);
    state_image_free(&img);
}

/* ---- refusals ------------------------------------------------------------------------------ */

/* The good file changed by `change`, with the body's hash made right again when `rehash`. */
static void assert_refused(void (*change)(uint8_t *data, uint64_t *size), bool rehash, const block_config *cfg,
                           const char *why)
{
    uint64_t size;
    uint8_t *data = encode(&size);
    data = realloc(data, (size_t)size + 64);
    change(data, &size);
    if (rehash && size > sizeof(state_file_header)) {
        state_file_header *h = (state_file_header *)data;
        h->body_size = size - sizeof(*h);
        h->body_hash = checksum_bytes(0, data + sizeof(*h), h->body_size);
    }
    state_image img;
    host_error err = {{0}};
    assert_false(state_decode(data, size, cfg, &img, &err));
    if (!strstr(err.msg, why)) fail_msg("'%s' not in: %s", why, err.msg);
    state_image_free(&img);
}

static void cut_half(uint8_t *d, uint64_t *n) { (void)d, *n /= 2; }
static void cut_header(uint8_t *d, uint64_t *n) { (void)d, *n = 20; }
static void pad(uint8_t *d, uint64_t *n) { d[(*n)++] = 1; }
static void foreign(uint8_t *d, uint64_t *n) { memcpy(d, "\x7f" "ELF\2\1\1\0", 8), (void)n; }
static void flip(uint8_t *d, uint64_t *n) { d[*n - 100] ^= 4; }
static void other_abi(uint8_t *d, uint64_t *n)
{
    ((state_file_header *)d)->game_abi = 999;
    (void)n;
}
static void other_mimalloc(uint8_t *d, uint64_t *n)
{
    ((state_file_header *)d)->mimalloc_version += 1;
    (void)n;
}
/* The first section's kind made unknown (the hash made right: only the section is wrong). */
static void bad_section(uint8_t *d, uint64_t *n)
{
    uint32_t kind = 77;
    memcpy(d + sizeof(state_file_header), &kind, 4);
    (void)n;
}
/* The first section's size past the end. */
static void long_section(uint8_t *d, uint64_t *n)
{
    uint64_t size = 1ull << 40;
    memcpy(d + sizeof(state_file_header) + 8, &size, 8);
    (void)n;
}
static void nothing(uint8_t *d, uint64_t *n) { (void)d, (void)n; }

static void test_bad_files_are_refused_with_a_reason(void **unused)
{
    assert_refused(cut_half, false, &ck_config, "truncated");
    assert_refused(cut_header, false, &ck_config, "truncated");
    assert_refused(pad, false, &ck_config, "padded");
    assert_refused(foreign, false, &ck_config, "not a hotblock state file");
    assert_refused(flip, false, &ck_config, "corrupted");
    assert_refused(other_abi, false, &ck_config, "game ABI 999");
    assert_refused(other_mimalloc, false, &ck_config, "mimalloc");
    assert_refused(bad_section, true, &ck_config, "malformed");
    assert_refused(long_section, true, &ck_config, "malformed");
    block_config moved = ck_config;
    moved.base += GB(1);
    assert_refused(nothing, false, &moved, "--base 0x32a000000000");
    block_config bigger = ck_config;
    bigger.heap_size += MB(32);
    assert_refused(nothing, false, &bigger, "--heap");
}

/* ---- layouts and files ----------------------------------------------------------------------- */

static void test_layouts_go_through_unchanged(void **unused)
{
    static const game_layout_field fields[] = {
        {"hp", "int32_t", NULL, NULL, 0, 4, GAME_FIELD_VALUE},
        {"items", "item *", "item", "count", 8, 8, GAME_FIELD_ARRAY},
        {"count", "int32_t", NULL, NULL, 16, 4, GAME_FIELD_VALUE},
    };
    static const game_layout root = {"state", 24, 8, 3, fields};
    static const game_layout item = {"item", 8, 8, 0, NULL};
    const game_layout *types[] = {&root, &item};
    layout_set in = {types, 2, 24}, out;
    uint8_t *data;
    uint64_t size;
    void *memory;
    assert_true(state_layouts_encode(&in, &data, &size));
    assert_true(state_layouts_decode(data, size, &out, &memory));
    assert_int_equal(out.count, 2);
    assert_int_equal(out.root_size, 24);
    assert_string_equal(out.types[0]->name, "state");
    assert_int_equal(out.types[0]->field_count, 3);
    assert_string_equal(out.types[0]->fields[1].elem, "item");
    assert_string_equal(out.types[0]->fields[1].count, "count");
    assert_null(out.types[0]->fields[0].elem);
    assert_int_equal(out.types[0]->fields[2].offset, 16);
    assert_string_equal(out.types[1]->name, "item");
    free(memory);
    for (uint64_t cut = 0; cut < size; cut += 7) assert_false(state_layouts_decode(data, cut, &out, &memory));
    free(data);
}

static void test_a_write_replaces_the_file_whole_or_not_at_all(void **unused)
{
    char dir[256], path[512], missing[512];
    temp_dir_create(dir, sizeof(dir), "state");
    snprintf(path, sizeof(path), "%s/game.state", dir);
    snprintf(missing, sizeof(missing), "%s/gone/game.state", dir);
    write_text(path, "the previous state");
    state_parts p = parts();
    uint64_t bytes;
    host_error err = {{0}};
    assert_false(state_write(missing, &p, &bytes, &err));
    assert_true(state_write(path, &p, &bytes, &err));
    state_image img;
    assert_true(state_read(path, &ck_config, &img, &err));
    assert_int_equal(img.size, bytes);
    state_image_free(&img);
    block_config moved = ck_config;
    moved.base += GB(1);
    assert_false(state_read(path, &moved, &img, &err));
    assert_non_null(strstr(err.msg, "refused, nothing loaded"));
    assert_non_null(strstr(err.msg, path));
    temp_dir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_state_decodes_for_this_host),
        cmocka_unit_test(test_bad_files_are_refused_with_a_reason),
        cmocka_unit_test(test_layouts_go_through_unchanged),
        cmocka_unit_test(test_a_write_replaces_the_file_whole_or_not_at_all),
        cmocka_unit_test(test_a_state_applies_to_a_fresh_region),
    };
    return cmocka_run_group_tests_name("checkpoint/state_file", tests, setup, teardown);
}
