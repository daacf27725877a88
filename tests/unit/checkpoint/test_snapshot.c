/* test_snapshot.c - checkpoints of the whole block (host/checkpoint/snapshot.c) on a real block,
 * heap and dirty-page tracker: a restore brings back every byte the game can reach (arenas and
 * heap blocks) and takes back what was allocated since, to the newest checkpoint or through undo
 * records to older ones; a checkpoint copies what was written since the last one, not the state;
 * walking the heap after a checkpoint does not leave mimalloc's free lists out of step with the
 * restored pages; a deferred free carried out when the oldest checkpoint goes is not undone by a
 * later restore, nor are the pages such frees empty once the heap uses them again; a ring too small for a checkpoint's undo records drops the oldest checkpoints; the
 * picture in the media region comes back with a restore (and is no part of the checksum). */
#include "checkpoint_util.h"

#include "host/checkpoint/checksum.h"
#include "host/checkpoint/snapshot.h"
#include "host/platform/media.h"

static epochs ep;
static snapshot snap;

static int setup(void **unused)
{
    if (ck_setup_at(0x328000000000ull)) return -1;
    epochs_start(&ep, &ck_heap);
    host_error err = {{0}};
    if (!snapshot_start(&snap, ck_block, &ck_heap, &ep, ck_dirty, &err)) {
        print_error("%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **unused)
{
    snapshot_stop(&snap);
    epochs_stop(&ep);
    ck_close();
    return 0;
}

static uint64_t sum(void) { return checksum_state(ck_block, &ck_heap, ep.deferred, ep.deferred_count); }

static void take(uint64_t frame)
{
    host_error err = {{0}};
    assert_true(snapshot_take(&snap, frame, &err));
}

typedef struct world {
    uint8_t *bytes;   /* 64 pages of the persistent arena */
    uint64_t *cells;  /* a heap block of 64 KiB */
    void *small[32];  /* small heap blocks */
} world;

static world *make_world(void)
{
    world *w = push_struct(ck_block->memory.persistent, world);
    ck_block->memory.root = w;
    w->bytes = push_array(ck_block->memory.persistent, uint8_t, 64 * 4096);
    w->cells = heap_alloc(KB(64), 0, HEAP_FATAL | HEAP_ZERO);
    for (int i = 0; i < 32; i++) w->small[i] = heap_alloc(40, 0, HEAP_FATAL | HEAP_ZERO);
    return w;
}

static void scribble(world *w, uint64_t seed)
{
    for (uint64_t p = 0; p < 64; p += 4) w->bytes[p * 4096 + seed % 4096] = (uint8_t)(seed + p);
    for (uint64_t i = 0; i < KB(64) / 8; i += 97) w->cells[i] = seed * i;
    for (int i = 0; i < 32; i += 5) memset(w->small[i], (int)seed, 40);
}

static void test_a_restore_brings_back_the_checkpoint(void **unused)
{
    world *w = make_world();
    scribble(w, 1);
    take(10);
    uint64_t at_checkpoint = sum(), blocks = ck_blocks();
    scribble(w, 2);
    heap_free(w->small[3]);
    void *since = heap_alloc(5000, 0, HEAP_FATAL);
    w->small[3] = since;
    push_array(ck_block->memory.persistent, uint8_t, 3 * 4096);
    assert_int_not_equal(sum(), at_checkpoint);
    snapshot_restore(&snap, 0);
    assert_int_equal(sum(), at_checkpoint);
    assert_int_equal(ck_blocks(), blocks);
    assert_false(ck_live(since));
    assert_int_equal(w->bytes[4096 * 4 + 1], (uint8_t)(1 + 4));
    snapshot_drop_all(&snap);
}

/* Checkpoints every few frames, writes between them: each restore to an older one is exact. */
static void test_undo_records_reach_older_checkpoints(void **unused)
{
    world *w = ck_block->memory.root;
    uint64_t sums[4];
    for (int i = 0; i < 4; i++) {
        scribble(w, 10 + (uint64_t)i);
        w->small[i] = heap_realloc(w->small[i], 80 + (uint64_t)i * 200, HEAP_FATAL);
        take(100 + (uint64_t)i);
        sums[i] = sum();
    }
    scribble(w, 99);
    snapshot_restore(&snap, 2);
    assert_int_equal(snap.count, 3);
    assert_int_equal(sum(), sums[2]);
    scribble(w, 98);
    snapshot_restore(&snap, 0);
    assert_int_equal(snap.count, 1);
    assert_int_equal(sum(), sums[0]);
    snapshot_drop_all(&snap);
}

/* A checkpoint after a few written pages copies about those pages, not the state (the shadow
 * stays valid when checkpoints are dropped, so even the first of a new series does). */
static void test_a_checkpoint_copies_what_was_written(void **unused)
{
    world *w = ck_block->memory.root;
    w->bytes[4096 * 20] ^= 1;
    take(200);
    assert_true(snap.last_pages >= 1 && snap.last_pages <= 8);
    w->bytes[0] ^= 1;
    w->bytes[4096 * 40] ^= 1;
    take(201);
    assert_true(snap.last_pages >= 2 && snap.last_pages <= 8);
    assert_int_equal(snap.points[1].undo_pages, snap.last_pages);
    take(202);
    assert_true(snap.last_pages <= 6); /* the frame's own bookkeeping at most */
    snapshot_drop_all(&snap);
}

/* A walk of the heap's blocks (a checksum, the stats) gathers mimalloc's pending frees into the
 * pages; a checkpoint settles them first, so the restored pages and mimalloc agree: afterwards
 * every block allocated is a free one. */
static void test_walking_the_heap_after_a_checkpoint_keeps_it_whole(void **unused)
{
    void *churn[200];
    for (int i = 0; i < 200; i++) churn[i] = heap_alloc(56, 0, HEAP_FATAL);
    for (int i = 0; i < 200; i += 2) heap_free(churn[i]); /* pending frees in the pages' local lists */
    take(300);
    uint64_t blocks = ck_blocks(); /* a walk */
    for (int i = 1; i < 200; i += 4) heap_free(churn[i]);
    sum();
    snapshot_restore(&snap, 0);
    assert_int_equal(ck_blocks(), blocks);
    snapshot_drop_all(&snap);
    void *fresh[300];
    for (int i = 0; i < 300; i++) {
        fresh[i] = heap_alloc(56, 0, HEAP_FATAL);
        for (int k = 1; k < 200; k += 2) assert_ptr_not_equal(fresh[i], churn[k]); /* never a live block */
    }
    for (int i = 0; i < 300; i++) heap_free(fresh[i]);
    for (int i = 1; i < 200; i += 2) heap_free(churn[i]);
}

/* A free deferred for the first checkpoint is carried out when it is dropped; a restore to the
 * second one must not write the block's old bytes over mimalloc's link. */
static void test_a_free_carried_out_later_is_not_undone(void **unused)
{
    void *victims[16];
    for (int i = 0; i < 16; i++) victims[i] = heap_alloc(88, 0, HEAP_FATAL | HEAP_ZERO);
    take(400);
    for (int i = 0; i < 16; i++) heap_free(victims[i]);
    take(401);
    snapshot_drop_oldest(&snap); /* the frees happen now */
    assert_false(ck_live(victims[0]));
    assert_true(snap.hole_count >= 16);
    snapshot_restore(&snap, 0);
    assert_false(ck_live(victims[0]));
    snapshot_drop_all(&snap);
    void *again[16];
    for (int i = 0; i < 16; i++) again[i] = heap_alloc(88, 0, HEAP_FATAL);
    for (int i = 0; i < 16; i++) heap_free(again[i]);
}

/* Frees carried out by a drop after the newest checkpoint empty a page, which mimalloc then hands
 * to the newest heap: a restore to that checkpoint takes that heap back and leaves the heap whole.
 * (test_timeline's rewind after a lapse is the case where the old bytes crashed the walk.) */
static void test_a_page_a_drop_empties_and_the_heap_uses_again_is_left_alone(void **unused)
{
    enum { OLD = 6, OLD_SIZE = 1800, FRESH = 400, FRESH_SIZE = 700 };
    void *old[OLD * 5], *fresh[FRESH];
    for (int i = 0; i < OLD * 5; i++) memset(old[i] = heap_alloc(OLD_SIZE, 0, HEAP_FATAL), 0xab, OLD_SIZE);
    for (int i = OLD; i < OLD * 5; i++) heap_free(old[i]); /* not deferred: their bytes stay, links aside */
    take(600);
    for (int i = 0; i < OLD; i++) heap_free(old[i]); /* deferred: live at checkpoint 600 */
    take(601);
    uint64_t at_601 = sum(), blocks = ck_blocks();
    snapshot_drop_oldest(&snap); /* the frees happen now, after 601's copy */
    heap_epoch_settle(&ck_heap); /* the emptied page goes back to its segment */
    bool reused = false;
    for (int i = 0; i < FRESH; i++) {
        fresh[i] = heap_alloc(FRESH_SIZE, 0, HEAP_FATAL);
        reused |= ((uintptr_t)fresh[i] & ~(uintptr_t)(KB(64) - 1)) == ((uintptr_t)old[0] & ~(uintptr_t)(KB(64) - 1));
    }
    for (int i = 0; i < FRESH; i += 2) heap_free(fresh[i]); /* free-list links all over the page */
    assert_true(reused); /* else this test tests nothing */
    snapshot_restore(&snap, snap.count - 1);
    assert_int_equal(ck_blocks(), blocks - OLD); /* freed at 601 already, only later for real */
    assert_int_equal(sum(), at_601);
    snapshot_drop_all(&snap);
    for (int i = 0; i < FRESH; i++) memset(fresh[i] = heap_alloc(FRESH_SIZE, 0, HEAP_FATAL), 0xef, FRESH_SIZE);
    for (int i = 0; i < FRESH; i++) heap_free(fresh[i]);
}

/* A ring with room for a few records: a checkpoint that needs more drops the oldest ones. */
static void test_a_full_ring_drops_the_oldest_checkpoints(void **unused)
{
    world *w = ck_block->memory.root;
    take(500);
    uint64_t cap = snap.undo_cap;
    snap.undo_cap = 40;
    for (int i = 0; i < 6; i++) {
        scribble(w, 50 + (uint64_t)i); /* 16 arena pages and a few heap pages */
        take(501 + (uint64_t)i);
        assert_true(snap.undo_head - snap.undo_tail <= snap.undo_cap);
    }
    assert_true(snap.count < 7);
    uint64_t newest = sum();
    scribble(w, 77);
    snapshot_restore(&snap, snap.count - 1);
    assert_int_equal(sum(), newest);
    snapshot_drop_all(&snap);
    snap.undo_cap = cap;
}

static void fill_picture(const media *m, uint32_t pixel)
{
    for (int y = 0; y < m->screen.height; y++)
        for (int x = 0; x < m->screen.width; x++) game_pixel_row(&m->screen, y)[x] = pixel;
}

/* The picture a rewound game shows is the checkpoint's, even before it draws again. */
static void test_the_picture_comes_back(void **unused)
{
    media m;
    host_error err;
    assert_true(media_init(&m, block_region_start(ck_block, BLOCK_REGION_MEDIA), ck_block->regions[BLOCK_REGION_MEDIA].size,
                           &err));
    assert_true(media_resize(&m, 64, 32, &err));
    snapshot_cover_media(&snap, (uintptr_t)m.base, &m.committed);
    fill_picture(&m, 0xff112233u);
    take(600);
    uint64_t at_checkpoint = sum();
    fill_picture(&m, 0xff445566u);
    m.samples[7] = 0.5f;
    assert_int_equal(sum(), at_checkpoint); /* output, not state */
    assert_true(media_resize(&m, 200, 100, &err)); /* more committed since: left alone by the restore */
    snapshot_restore(&snap, 0);
    m.screen = (game_framebuffer){m.screen.pixels, 64, 32, 64 * 4};
    assert_int_equal(game_pixel_row(&m.screen, 31)[63], 0xff112233u);
    assert_true(m.samples[7] == 0.0f);
    snapshot_drop_all(&snap);
    snapshot_cover_media(&snap, 0, NULL);
}

static void test_buffers_are_touched_ahead(void **unused)
{
    push_array(ck_block->memory.persistent, uint8_t, 64 * 4096);
    snapshot_ahead(&snap);
    const arena *a = ck_block->memory.persistent;
    assert_true(snap.touched[1] >= (uint64_t)(a->base - (const uint8_t *)a) + a->committed);
    assert_true(snap.undo_touched >= 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_restore_brings_back_the_checkpoint),
        cmocka_unit_test(test_undo_records_reach_older_checkpoints),
        cmocka_unit_test(test_a_checkpoint_copies_what_was_written),
        cmocka_unit_test(test_walking_the_heap_after_a_checkpoint_keeps_it_whole),
        cmocka_unit_test(test_a_free_carried_out_later_is_not_undone),
        cmocka_unit_test(test_a_page_a_drop_empties_and_the_heap_uses_again_is_left_alone),
        cmocka_unit_test(test_a_full_ring_drops_the_oldest_checkpoints),
        cmocka_unit_test(test_the_picture_comes_back),
        cmocka_unit_test(test_buffers_are_touched_ahead),
    };
    return cmocka_run_group_tests_name("checkpoint/snapshot", tests, setup, teardown);
}
