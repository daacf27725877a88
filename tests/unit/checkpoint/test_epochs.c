/* test_epochs.c - the heap's side of checkpoints (host/checkpoint/epochs.c) on real mimalloc:
 * a restore takes back every block allocated since its checkpoint and brings back every block
 * freed since, at the same address; frees of older blocks wait until no checkpoint needs them;
 * blocks allocated in a loop's passes start with their slack zeroed; restores to older
 * checkpoints and drops of the oldest keep the lists straight; worker threads' frees wait for the
 * main thread; and a heap that mimalloc gave an exited worker's pages is never destroyed with that
 * worker's blocks. */
#include "checkpoint_util.h"

#include "host/checkpoint/epochs.h"

#include <pthread.h>

static epochs ep;

static int setup(void **unused)
{
    if (ck_setup_at(0x324000000000ull)) return -1;
    epochs_start(&ep, &ck_heap);
    return 0;
}

static int teardown(void **unused)
{
    epochs_stop(&ep);
    ck_close();
    return 0;
}

static epochs_mark checkpoint(void)
{
    epochs_mark m;
    host_error err = {{0}};
    assert_true(epochs_checkpoint(&ep, &m, &err));
    return m;
}

/* Drops every live checkpoint (the oldest first), as the snapshot does. */
static void release_all(epochs_mark *marks, int count)
{
    for (int i = 0; i < count; i++) epochs_release(&ep, i + 1 < count ? &marks[i + 1] : NULL, NULL, NULL);
}

static void test_a_restore_takes_back_allocations_and_brings_back_frees(void **unused)
{
    char *old = heap_alloc(64, 0, HEAP_FATAL);
    memset(old, 'o', 64);
    uint64_t before = ck_blocks();
    epochs_mark m = checkpoint();
    char *young[20];
    for (int i = 0; i < 20; i++) young[i] = heap_alloc(48 + (uint64_t)i * 40, 0, HEAP_FATAL);
    heap_free(old);
    assert_true(ck_live(old)); /* deferred: a restore needs it */
    assert_true(ck_live(young[3]));
    assert_int_equal(ck_blocks(), before + 20);
    epochs_restore(&ep, m);
    assert_int_equal(ck_blocks(), before);
    assert_true(ck_live(old));
    assert_memory_equal(old, "oooooooo", 8); /* epochs only keep it allocated: its bytes were never touched */
    for (int i = 0; i < 20; i++) assert_false(ck_live(young[i]));
    release_all(&m, 1);
    assert_true(ck_live(old)); /* its free was forgotten by the restore: the block is back for good */
    heap_free(old);
    assert_false(ck_live(old));
}

static void test_a_young_block_is_freed_at_once_an_older_one_when_released(void **unused)
{
    void *old = heap_alloc(200, 0, HEAP_FATAL);
    epochs_mark m = checkpoint();
    void *young = heap_alloc(200, 0, HEAP_FATAL);
    heap_free(young);
    assert_false(ck_live(young));
    heap_free(old);
    assert_true(ck_live(old));
    assert_int_equal(ep.deferred_count, 1);
    release_all(&m, 1);
    assert_false(ck_live(old)); /* no checkpoint needs it any more */
    assert_int_equal(ep.deferred_count, 0);
}

/* An older block's realloc moves it (its epoch's pages stay as they were) and keeps the old one. */
static void test_realloc_of_an_older_block_moves_it(void **unused)
{
    char *old = heap_alloc(100, 0, HEAP_FATAL);
    memset(old, 7, 100);
    epochs_mark m = checkpoint();
    char *grown = heap_realloc(old, 1000, HEAP_FATAL);
    assert_ptr_not_equal(grown, old);
    assert_true(ck_live(old));
    for (int i = 0; i < 100; i++) assert_int_equal(grown[i], 7);
    for (uint64_t i = mi_usable_size(old); i < mi_usable_size(grown); i++) assert_int_equal(grown[i], 0);
    char *same = heap_realloc(grown, 990, HEAP_FATAL); /* a young block stays in place when it fits */
    assert_ptr_equal(same, grown);
    epochs_restore(&ep, m);
    assert_false(ck_live(grown));
    assert_true(ck_live(old));
    release_all(&m, 1);
    heap_free(old);
}

/* mimalloc rounds 90 bytes up to 96: the 6 past what was asked for start zeroed (a loop's passes). */
static void test_blocks_allocated_under_a_checkpoint_have_their_slack_zeroed(void **unused)
{
    epochs_mark m = checkpoint();
    epochs_zero_slack(&ep, true);
    for (int round = 0; round < 50; round++) {
        uint8_t *p = heap_alloc(90, 0, HEAP_FATAL);
        assert_int_equal(mi_usable_size(p), 96);
        for (uint64_t i = 90; i < 96; i++) assert_int_equal(p[i], 0);
        memset(p, 0xee, 96);
        heap_free(p); /* young: freed at once, its slot handed out again next round */
    }
    epochs_zero_slack(&ep, false);
    epochs_restore(&ep, m);
    release_all(&m, 1);
}

/* Three checkpoints: back to the middle one, then to the first; the frees of each epoch come back
 * with the checkpoint before them. */
static void test_restores_to_older_checkpoints(void **unused)
{
    void *a = heap_alloc(32, 0, HEAP_FATAL), *b = heap_alloc(32, 0, HEAP_FATAL);
    uint64_t before = ck_blocks();
    epochs_mark m[3];
    m[0] = checkpoint();
    void *x = heap_alloc(32, 0, HEAP_FATAL);
    heap_free(a);
    m[1] = checkpoint();
    void *y = heap_alloc(32, 0, HEAP_FATAL);
    heap_free(b);
    heap_free(x); /* x is older than this epoch: deferred */
    assert_true(ck_live(x));
    m[2] = checkpoint();
    void *z = heap_alloc(32, 0, HEAP_FATAL);
    epochs_release_newest(&ep); /* a restore to m[1] drops m[2] */
    epochs_restore(&ep, m[1]);
    assert_false(ck_live(y));
    assert_false(ck_live(z));
    assert_true(ck_live(x) && ck_live(b)); /* freed after m[1]: back */
    assert_true(ck_live(a));               /* freed before m[1]: still deferred for m[0] */
    assert_int_equal(ep.deferred_count, 1);
    epochs_release_newest(&ep);
    epochs_restore(&ep, m[0]);
    assert_false(ck_live(x));
    assert_int_equal(ck_blocks(), before);
    assert_int_equal(ep.deferred_count, 0);
    release_all(m, 1);
    heap_free(a);
    heap_free(b);
}

/* Dropping the oldest of two checkpoints carries out the frees made before the second only. */
static void test_dropping_the_oldest_carries_out_its_frees(void **unused)
{
    void *a = heap_alloc(24, 0, HEAP_FATAL), *b = heap_alloc(24, 0, HEAP_FATAL);
    epochs_mark m[2];
    m[0] = checkpoint();
    heap_free(a);
    m[1] = checkpoint();
    heap_free(b);
    uint32_t heaps = ck_heap.heap_count;
    uint32_t dropped = epochs_release(&ep, &m[1], NULL, NULL);
    m[1].heap -= dropped;
    assert_int_equal(ck_heap.heap_count, heaps - dropped);
    assert_false(ck_live(a));
    assert_true(ck_live(b));
    epochs_restore(&ep, m[1]);
    assert_true(ck_live(b));
    release_all(&m[1], 1);
    heap_free(b);
}

static void *worker_free(void *p)
{
    heap_free(p);
    return NULL;
}

/* A worker's free of a main-thread block waits for the main thread, which defers it. */
static void test_a_worker_free_waits_for_the_main_thread(void **unused)
{
    void *old = heap_alloc(64, 0, HEAP_FATAL);
    epochs_mark m = checkpoint();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker_free, old), 0);
    pthread_join(t, NULL);
    assert_true(ck_live(old));
    assert_int_equal(ep.queued_count, 1);
    epochs_drain(&ep);
    assert_int_equal(ep.queued_count, 0);
    assert_int_equal(ep.deferred_count, 1);
    release_all(&m, 1);
    assert_false(ck_live(old));
}

/* ---- an exited worker's pages --------------------------------------------------------------- */

#define WORKER_BLOCKS 100

static void *worker_allocate(void *out)
{
    void **blocks = out;
    if (!heap_thread_bind(&ck_heap)) return NULL;
    for (int i = 0; i < WORKER_BLOCKS; i++) {
        blocks[i] = heap_alloc(72, 0, HEAP_FATAL);
        memset(blocks[i], 'w', 72);
    }
    return NULL; /* exits bound: mimalloc abandons its segment, live blocks and all */
}

/* The worker's blocks end up in the main thread's newest heap once mimalloc needs a segment and
 * reclaims the abandoned one: a restore must keep them (and say so), freeing only what the main
 * thread allocated since. */
static void test_a_heap_holding_an_exited_workers_blocks_is_not_destroyed(void **unused)
{
    void *blocks[WORKER_BLOCKS];
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker_allocate, blocks), 0);
    pthread_join(t, NULL);
    epochs_mark m = checkpoint();
    uint32_t young = ck_heap.heap_count - 1;
    void *big[64];
    int n = 0;
    for (; n < 64 && heap_epoch_of(&ck_heap, blocks[0]) < 0; n++) big[n] = heap_alloc(MB(1), 0, 0);
#if defined(_WIN32)
    if (heap_epoch_of(&ck_heap, blocks[0]) < 0) { /* the DLL's thread detach came too late to abandon it here */
        for (int i = 0; i < n; i++) heap_free(big[i]);
        epochs_restore(&ep, m);
        release_all(&m, 1);
        print_message("mimalloc did not reclaim the exited worker's segment: no heap to keep\n");
        skip();
    }
#endif
    assert_int_equal(heap_epoch_of(&ck_heap, blocks[0]), (int)young); /* mimalloc reclaimed the segment */
    uint64_t adopted = ep.adopted;
    epochs_restore(&ep, m);
    assert_int_equal(ep.adopted - adopted, WORKER_BLOCKS);
    for (int i = 0; i < WORKER_BLOCKS; i++) {
        assert_true(ck_live(blocks[i]));
        assert_memory_equal(blocks[i], "wwwwwwww", 8);
    }
    for (int i = 0; i < n; i++) assert_false(big[i] && ck_live(big[i]));
    release_all(&m, 1);
    for (int i = 0; i < WORKER_BLOCKS; i++) heap_free(blocks[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_restore_takes_back_allocations_and_brings_back_frees),
        cmocka_unit_test(test_a_young_block_is_freed_at_once_an_older_one_when_released),
        cmocka_unit_test(test_realloc_of_an_older_block_moves_it),
        cmocka_unit_test(test_blocks_allocated_under_a_checkpoint_have_their_slack_zeroed),
        cmocka_unit_test(test_restores_to_older_checkpoints),
        cmocka_unit_test(test_dropping_the_oldest_carries_out_its_frees),
        cmocka_unit_test(test_a_worker_free_waits_for_the_main_thread),
        cmocka_unit_test(test_a_heap_holding_an_exited_workers_blocks_is_not_destroyed),
    };
    return cmocka_run_group_tests_name("checkpoint/epochs", tests, setup, teardown);
}
