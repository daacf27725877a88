/* test_heap_log.c - the heap's call log and its replay (host/checkpoint/heap_log.c): the calls the
 * main thread makes through the watch calls (epochs.c) on a fresh region, checkpoints and restores
 * among them, made again by another thread on another fresh region, put every block at the same
 * offset; a log that names no live block, an unknown call, a cut-off number or a block that lands
 * elsewhere is refused with the call's number, and the region is left with one empty heap. Each
 * region belongs to the thread that made it (heap.h), so each scenario runs on its own thread. */
#include "../test_util.h"

#include "arena/heap.h"
#include "host/checkpoint/epochs.h"
#include "host/os/block_os.h"

#include <pthread.h>

#define REGIONS_BASE 0x326000000000ull
#define REGION_SIZE MB(64)
#define MAX_BLOCKS 4096

static unsigned next_region;

/* A fresh region, bound to the calling thread. */
static bool region_open(heap_region *r)
{
    uint64_t base = REGIONS_BASE + (uint64_t)next_region++ * REGION_SIZE;
    host_error err = {{0}};
    return block_reserve(base, REGION_SIZE, &err) &&
           heap_region_init(r, (void *)(uintptr_t)base, REGION_SIZE, block_reserve_is_committed, "log") == HEAP_OK;
}

typedef struct offsets {
    uint64_t at[MAX_BLOCKS];
    uint64_t count;
    const heap_region *r;
} offsets;

static bool offsets_add(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)area;
    (void)size;
    offsets *o = arg;
    if (block && o->count < MAX_BLOCKS) o->at[o->count++] = (uint64_t)((uint8_t *)block - o->r->start);
    return true;
}

static int offset_order(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The live blocks of r's main heaps, as sorted offsets. */
static void offsets_of(const heap_region *r, offsets *o)
{
    o->count = 0;
    o->r = r;
    heap_visit(r, true, offsets_add, o);
    qsort(o->at, (size_t)o->count, sizeof(uint64_t), offset_order);
}

static void run_on_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
    pthread_join(t, NULL);
}

/* ---- a logged session ------------------------------------------------------------------------- */

typedef struct session {
    heap_log log;
    offsets live;
    bool ok;
} session;

/* Allocations, reallocs (in place and moving), frees, and two checkpoints with a restore and a
 * drop, all through the heap's watch calls with the log on. */
static void *session_run(void *arg)
{
    session *s = arg;
    static heap_region r;
    static epochs e;
    if (!region_open(&r)) return NULL;
    epochs_start(&e, &r);
    epochs_log(&e, &s->log);
    void *keep[64];
    for (int i = 0; i < 64; i++) keep[i] = heap_alloc(16 + (uint64_t)i * 24, 0, HEAP_FATAL);
    for (int i = 0; i < 64; i += 3) heap_free(keep[i]);
    keep[1] = heap_realloc(keep[1], 5000, HEAP_FATAL);
    void *aligned = heap_alloc(300, 256, HEAP_FATAL);
    epochs_mark m[2];
    host_error err;
    bool ok = epochs_checkpoint(&e, &m[0], &err);
    for (int i = 2; i < 64; i += 3) heap_free(keep[i]);
    keep[4] = heap_realloc(keep[4], 9000, HEAP_FATAL);
    ok = ok && epochs_checkpoint(&e, &m[1], &err);
    for (int i = 0; i < 40; i++) heap_alloc(100, 0, HEAP_FATAL);
    epochs_release_newest(&e);
    epochs_restore(&e, m[0]);
    for (int i = 0; i < 10; i++) heap_alloc(700, 0, HEAP_FATAL);
    epochs_release(&e, NULL, NULL, NULL);
    heap_free(aligned);
    offsets_of(&r, &s->live);
    s->ok = ok && !s->log.broken;
    epochs_stop(&e);
    return NULL;
}

typedef struct replay {
    const uint8_t *data;
    uint64_t size;
    offsets live;
    bool ok;
    host_error err;
    uint32_t heaps_after;
} replay;

static void *replay_run(void *arg)
{
    replay *p = arg;
    static heap_region regions[8];
    static int used;
    heap_region *r = &regions[used++];
    if (!region_open(r)) return NULL;
    p->ok = heap_log_replay(p->data, p->size, r, &p->err);
    offsets_of(r, &p->live);
    p->heaps_after = r->heap_count;
    return NULL;
}

static session logged;

static int setup(void **unused)
{
    run_on_thread(session_run, &logged);
    return logged.ok ? 0 : -1;
}

static int teardown(void **unused)
{
    heap_log_free_all(&logged.log);
    return 0;
}

static void test_a_replay_puts_every_block_where_it_was(void **unused)
{
    assert_true(logged.log.calls > 100);
    assert_true(logged.live.count > 40);
    replay p = {.data = logged.log.data, .size = logged.log.size};
    run_on_thread(replay_run, &p);
    if (!p.ok) fail_msg("%s", p.err.msg);
    assert_int_equal(p.live.count, logged.live.count);
    assert_memory_equal(p.live.at, logged.live.at, logged.live.count * sizeof(uint64_t));
}

/* A changed log: refused, naming the call, and nothing left in the region. */
static void assert_replay_refused(const uint8_t *data, uint64_t size, const char *why)
{
    replay p = {.data = data, .size = size};
    run_on_thread(replay_run, &p);
    assert_false(p.ok);
    if (!strstr(p.err.msg, why)) fail_msg("'%s' not in: %s", why, p.err.msg);
    assert_int_equal(p.live.count, 0);
    assert_int_equal(p.heaps_after, 1);
}

static void test_bad_logs_are_refused(void **unused)
{
    heap_log l = {0};
    /* an allocation whose result the log puts elsewhere */
    uint8_t elsewhere[] = {HEAP_LOG_ALLOC, 64, 0, 0x81, 0x80, 0x40};
    assert_replay_refused(elsewhere, sizeof(elsewhere), "placed a block at offset");
    uint8_t unknown[] = {42};
    assert_replay_refused(unknown, sizeof(unknown), "unknown kind 42");
    uint8_t cut[] = {HEAP_LOG_ALLOC, 0x80};
    assert_replay_refused(cut, sizeof(cut), "malformed");
    uint8_t free_of_nothing[] = {HEAP_LOG_FREE, 0x81, 0x10};
    assert_replay_refused(free_of_nothing, sizeof(free_of_nothing), "names no live block");
    uint8_t bad_heap[] = {HEAP_LOG_EPOCH_DESTROY, 3};
    assert_replay_refused(bad_heap, sizeof(bad_heap), "names no heap");
    /* the good log with one more byte of garbage */
    assert_true(heap_log_adopt(&l, logged.log.data, logged.log.size));
    l.data[l.size++] = 0;
    assert_replay_refused(l.data, l.size, "unknown kind 0");
    heap_log_free_all(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_replay_puts_every_block_where_it_was),
        cmocka_unit_test(test_bad_logs_are_refused),
    };
    return cmocka_run_group_tests_name("checkpoint/heap_log", tests, setup, teardown);
}
