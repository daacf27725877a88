/* test_checksum.c - the state's checksum (host/checkpoint/checksum.c) on a real block and heap: it
 * follows every byte the game can reach (arena bytes up to each position, heap blocks), ignores
 * what may differ between runs (bytes past a position, pools' stats keys, freed blocks a
 * checkpoint keeps), and does not depend on where mimalloc put a block: the same state with a
 * block elsewhere (every pointer to it moved along) has the same checksum. */
#include "checkpoint_util.h"

#include "arena/arena_stats.h"
#include "arena/pool.h"
#include "host/checkpoint/checksum.h"

typedef struct node {
    struct node *next;
    int64_t value;
    char *name; /* into the middle of a heap block */
} node;

typedef struct state {
    node *list;
    void *loose; /* a heap block the list does not reach */
} state;

static int setup(void **unused) { return ck_setup_at(0x322000000000ull); }

static int teardown(void **unused)
{
    ck_close();
    return 0;
}

static uint64_t sum(void) { return checksum_state(ck_block, &ck_heap, NULL, 0); }

/* A root in the persistent arena and a list of three heap nodes, each naming a heap string. */
static state *make_state(void)
{
    game_memory *m = &ck_block->memory;
    state *s = push_struct(m->persistent, state);
    m->root = s;
    m->root_size = sizeof(*s);
    for (int i = 0; i < 3; i++) {
        node *n = heap_alloc(sizeof(node), 0, HEAP_FATAL | HEAP_ZERO);
        n->value = i * 10;
        n->name = heap_alloc(16, 0, HEAP_FATAL | HEAP_ZERO);
        memcpy(n->name, "node 0", 7);
        n->name[5] = (char)('0' + i);
        n->name += 2; /* a pointer into its middle */
        n->next = s->list;
        s->list = n;
    }
    s->loose = heap_alloc(40, 0, HEAP_FATAL | HEAP_ZERO);
    memcpy(s->loose, "nothing points here but the root", 33);
    return s;
}

static void drop_state(state *s)
{
    for (node *n = s->list, *next; n; n = next) {
        next = n->next;
        heap_free(n->name - 2);
        heap_free(n);
    }
    heap_free(s->loose);
    ck_block->memory.root = NULL;
}

static void test_equal_states_equal_sums_and_every_change_counts(void **unused)
{
    state *s = make_state();
    uint64_t a = sum();
    assert_int_equal(sum(), a);
    s->list->next->value++;
    assert_int_not_equal(sum(), a);
    s->list->next->value--;
    assert_int_equal(sum(), a);
    s->list->name[0] ^= 1; /* a byte of a block reached through an interior pointer */
    assert_int_not_equal(sum(), a);
    s->list->name[0] ^= 1;
    ((char *)s->loose)[3] ^= 1;
    assert_int_not_equal(sum(), a);
    ((char *)s->loose)[3] ^= 1;
    uint8_t *bytes = push_array(ck_block->memory.persistent, uint8_t, 16);
    assert_int_not_equal(sum(), a); /* a push moves the position */
    uint64_t b = sum();
    bytes[5] = 9;
    assert_int_not_equal(sum(), b);
    drop_state(s);
}

static void test_bytes_past_a_position_do_not_count(void **unused)
{
    arena *frame = ck_block->memory.frame;
    uint64_t pos = frame->pos;
    uint8_t *p = push_array(frame, uint8_t, 64);
    memset(p, 0x5a, 64);
    arena_pop_to(frame, pos);
    uint64_t a = sum();
    BASE_UNPOISON(p, 64);
    memset(p, 0xa5, 64);
    BASE_POISON(p, 64);
    assert_int_equal(sum(), a);
}

/* The same list, one node moved to another block (a realloc that moved it): the same sum. */
static void test_where_a_block_lies_does_not_count(void **unused)
{
    state *s = make_state();
    uint64_t a = sum();
    node *middle = s->list->next;
    void *spacer = heap_alloc(sizeof(node), 0, HEAP_FATAL); /* so the copy cannot take the same address */
    node *copy = heap_alloc(sizeof(node), 0, HEAP_FATAL | HEAP_ZERO);
    heap_free(spacer);
    *copy = *middle;
    s->list->next = copy;
    heap_free(middle);
    assert_ptr_not_equal(copy, middle);
    assert_int_equal(sum(), a);
    copy->next = NULL; /* but where it points does */
    assert_int_not_equal(sum(), a);
    drop_state(s);
}

/* A block the game freed that a checkpoint keeps allocated is not part of the state. */
static void test_deferred_blocks_are_left_out(void **unused)
{
    state *s = make_state();
    uint64_t a = sum();
    void *gone = heap_alloc(100, 0, HEAP_FATAL | HEAP_ZERO);
    assert_int_not_equal(sum(), a);
    void *deferred[1] = {gone};
    assert_int_equal(checksum_state(ck_block, &ck_heap, deferred, 1), a);
    heap_free(gone);
    drop_state(s);
}

/* Pools' keys into the stats table are new in every process: the same pool with other keys sums
 * alike (the table, in the host arena, renamed along, as a new process's would be). */
static void test_pool_keys_do_not_count(void **unused)
{
    arena *persistent = ck_block->memory.persistent;
    arena_stats_table *t = arena_stats_table_create(ck_block->host, (arena_stats_params){.stamp = 1});
    assert_non_null(t);
    assert_true(arena_stats_track(t, persistent));
    arena_pool *p = pool_create(persistent, node, "nodes");
    node *n = arena_pool_alloc(p);
    n->value = 5;
    assert_ptr_equal(arena_stats_pool(t, t->pool_count - 1), p);
    uint64_t a = sum();
    p->stats_key ^= 0x77;
    t->pools[t->pool_count - 1].key ^= 0x77;
    for (int k = 0; k < ARENA_SITE_WAYS; k++) p->site.key[k] ^= 0x55;
    assert_ptr_equal(arena_stats_pool(t, t->pool_count - 1), p);
    assert_int_equal(sum(), a);
    n->value = 6;
    assert_int_not_equal(sum(), a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_states_equal_sums_and_every_change_counts),
        cmocka_unit_test(test_bytes_past_a_position_do_not_count),
        cmocka_unit_test(test_where_a_block_lies_does_not_count),
        cmocka_unit_test(test_deferred_blocks_are_left_out),
        cmocka_unit_test(test_pool_keys_do_not_count),
    };
    return cmocka_run_group_tests_name("checkpoint/checksum", tests, setup, teardown);
}
