/* test_heap.c - the block heap (arena/heap.c) on real mimalloc 2.0.9, and the mimalloc facts its
 * rules rest on: every allocation (small, 1 MiB, huge, aligned) and every realloc stays inside the
 * region; a full region gives NULL or the one-line fatal error; worker-thread heaps; the stats walk.
 * The facts are checked as facts (a misaligned region gives NULL, plain mi_realloc leaves the region,
 * mi_heap_delete leaks the region to plain mi_malloc), so a mimalloc that changes them fails here. */
#include "arena/heap.h"

#include <mimalloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define REGION_BASE 0x310000000000ull
#define REGION_SIZE MB(256)

/* One region for the whole file: mimalloc 2.0.9 has no way to give an arena back. */
static heap_region region;

static void *reserve(uint64_t base, uint64_t size)
{
    void *p = mmap((void *)(uintptr_t)base, (size_t)size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    return p == (void *)(uintptr_t)base ? p : NULL;
}

static int group_setup(void **unused)
{
    void *start = reserve(REGION_BASE, REGION_SIZE);
    if (!start) return -1;
    return heap_region_init(&region, start, REGION_SIZE, true, "test heap") == HEAP_OK ? 0 : -1;
}

static void assert_inside(const void *p, uint64_t size)
{
    assert_non_null(p);
    assert_true(heap_contains(&region, p));
    assert_true(heap_contains(&region, (const uint8_t *)p + size - 1));
}

/* Runs fn in a child; returns its wait status and what it wrote to stderr. */
static int run_child(void (*fn)(void), char *err, size_t cap)
{
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        fn();
        _exit(0);
    }
    close(pipefd[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(pipefd[0], err + n, cap - 1 - n)) > 0) n += (size_t)r;
    err[n] = 0;
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    return status;
}

/* ---- the region's shape ------------------------------------------------------------------ */

static void test_init_rejects_misaligned_start_and_bad_sizes(void **unused)
{
    heap_region r;
    assert_int_equal(heap_region_init(&r, (void *)(uintptr_t)(REGION_BASE + MB(16)), MB(64), true, "x"), HEAP_MISALIGNED);
    assert_int_equal(heap_region_init(&r, (void *)(uintptr_t)REGION_BASE, MB(48), true, "x"), HEAP_BAD_SIZE);
    assert_int_equal(heap_region_init(&r, (void *)(uintptr_t)REGION_BASE, 0, true, "x"), HEAP_BAD_SIZE);
    assert_non_null(strstr(heap_status_text(HEAP_MISALIGNED), "32 MiB"));
}

/* The fact behind the alignment rule: mimalloc takes a misaligned region without complaint and then
 * cannot allocate from it. */
static void child_misaligned_region(void)
{
    heap_thread_unbind(); /* on a bound thread the heap's error handler would make the NULL fatal */
    uint8_t *mem = reserve(0x320000000000ull, MB(128));
    mi_arena_id_t id;
    if (!mem || !mi_manage_os_memory_ex(mem + MB(16), MB(64), true, false, true, -1, true, &id)) _exit(3);
    mi_heap_t *h = mi_heap_new_in_arena(id);
    void *p = h ? mi_heap_malloc(h, 64) : NULL;
    _exit(p == NULL ? 0 : 1);
}

static void test_fact_misaligned_region_gives_null(void **unused)
{
    char err[1024];
    int status = run_child(child_misaligned_region, err, sizeof(err));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- allocations stay inside --------------------------------------------------------------- */

static void test_small_medium_huge_and_aligned_allocations_are_inside(void **unused)
{
    uint64_t sizes[] = {1, 8, 100, 1024, KB(64), MB(1), MB(20)};
    for (size_t i = 0; i < ARRAY_COUNT(sizes); i++) {
        void *p = heap_alloc(sizes[i], 0, HEAP_FATAL);
        assert_inside(p, sizes[i]);
        memset(p, 0xab, (size_t)sizes[i]);
        heap_free(p);
    }
    uint64_t aligns[] = {16, 64, 4096, KB(64), MB(1)};
    for (size_t i = 0; i < ARRAY_COUNT(aligns); i++) {
        void *p = heap_alloc(300, aligns[i], HEAP_FATAL);
        assert_inside(p, 300);
        assert_int_equal((uintptr_t)p % aligns[i], 0);
        heap_free(p);
    }
}

static void test_zeroed_and_calloc_memory_is_zero(void **unused)
{
    uint8_t *p = heap_alloc(4096, 0, HEAP_FATAL);
    memset(p, 0xff, 4096);
    heap_free(p);
    uint8_t *z = heap_alloc(4096, 0, HEAP_FATAL | HEAP_ZERO);
    uint8_t *c = heap_calloc(512, 8, HEAP_FATAL);
    for (int i = 0; i < 4096; i++) assert_int_equal(z[i] | c[i], 0);
    heap_free(z);
    heap_free(c);
}

static void test_calloc_overflow_is_refused_not_wrapped(void **unused)
{
    uint64_t before = region.failure.count;
    assert_null(heap_calloc(UINT64_MAX / 2, 4, 0));
    assert_int_equal(region.failure.count, before + 1);
}

static void test_realloc_growth_stays_inside_and_keeps_contents(void **unused)
{
    uint32_t *p = NULL;
    uint64_t n = 0;
    for (uint64_t want = 4; want <= MB(8) / sizeof(uint32_t); want *= 2) {
        p = heap_realloc(p, want * sizeof(uint32_t), HEAP_FATAL);
        assert_inside(p, want * sizeof(uint32_t));
        for (uint64_t i = 0; i < n; i++) assert_int_equal(p[i], (uint32_t)(i * 2654435761u));
        for (uint64_t i = n; i < want; i++) p[i] = (uint32_t)(i * 2654435761u);
        n = want;
    }
    assert_null(heap_realloc(p, 0, HEAP_FATAL)); /* size 0 frees */
}

/* The fact behind "allocate only on bound threads": on a thread whose default heap is not a region
 * heap, plain mi_realloc moves a region block out of the region. On a bound thread it stays. */
static void *unbound_realloc(void *arg)
{
    void *p = mi_heap_malloc(arg, 100);
    void *q = mi_realloc(p, MB(2));
    return heap_contains(&region, p) && !heap_contains(&region, q) ? q : NULL;
}

static void test_fact_plain_mi_realloc_leaves_the_region_on_unbound_threads(void **unused)
{
    pthread_t t;
    mi_heap_t *h = mi_heap_new_in_arena(region.arena_id); /* made here, used there: only to place p */
    void *moved = NULL;
    assert_int_equal(pthread_create(&t, NULL, unbound_realloc, h), 0);
    assert_int_equal(pthread_join(t, &moved), 0);
    assert_non_null(moved);
    mi_free(moved);

    void *p = heap_alloc(100, 0, HEAP_FATAL); /* bound main thread */
    void *q = mi_realloc(p, MB(2));
    assert_inside(q, MB(2));
    mi_free(q);
}

/* ---- a full region ------------------------------------------------------------------------- */

static void test_full_region_try_gives_null_and_records_the_request(void **unused)
{
    uint64_t before = region.failure.count;
    assert_null(heap_alloc(REGION_SIZE + MB(1), 0, 0));
    assert_int_equal(region.failure.count, before + 1);
    assert_int_equal(region.failure.request, REGION_SIZE + MB(1));
    assert_int_equal(region.failure.capacity, REGION_SIZE);
}

static void test_filling_the_region_never_takes_os_memory(void **unused)
{
    /* 8 MiB blocks until the region says no: each one is inside, and then NULL, never outside */
    void *blocks[64];
    int n = 0;
    for (; n < 64; n++) {
        blocks[n] = heap_alloc(MB(8), 0, 0);
        if (!blocks[n]) break;
        assert_inside(blocks[n], MB(8));
    }
    assert_true(n > 0 && n < 64);
    for (int i = 0; i < n; i++) heap_free(blocks[i]);
    void *again = heap_alloc(MB(8), 0, 0);
    assert_inside(again, MB(8)); /* freed space is usable again */
    heap_free(again);
}

static void child_fatal_full(void) { heap_alloc(GB(1), 0, HEAP_FATAL); }

/* Runs fn in a child that must die of SIGABRT after one line of stderr saying `says`. */
static void assert_child_fatal(void (*fn)(void), const char *says)
{
    char err[1024];
    int status = run_child(fn, err, sizeof(err));
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    if (!strstr(err, says)) fail_msg("expected \"%s\" in: %s", says, err);
    assert_int_equal(strchr(err, '\n') - err + 1, (long)strlen(err)); /* one line */
}

static void test_full_region_fatal_names_heap_request_and_size(void **unused)
{
    assert_child_fatal(child_fatal_full, "heap 'test heap' full: allocation of 1073741824 bytes (align 0) does not fit "
                                         "in the 268435456-byte heap region; give it more with --heap SIZE");
}

/* The fatal line comes from mimalloc's error handler; a try_ call before it must not leave the
 * thread quiet, and an aligned request names its alignment. */
static void child_fatal_after_try(void)
{
    if (heap_alloc(GB(1), 0, 0) != NULL) _exit(3);
    heap_alloc(GB(1), 4096, HEAP_FATAL);
}

static void child_fatal_impossible_size(void)
{
    volatile uint64_t impossible = UINT64_MAX; /* from a variable: the compiler warns about the constant */
    heap_alloc(impossible, 0, HEAP_FATAL);
}

static void child_fatal_unbound(void)
{
    heap_thread_unbind();
    heap_alloc(64, 0, HEAP_FATAL);
}

static void test_fatal_after_try_and_aligned_fatal_name_the_request(void **unused)
{
    assert_child_fatal(child_fatal_after_try, "allocation of 1073741824 bytes (align 4096)");
}

static void test_impossible_size_is_fatal_not_null(void **unused)
{
    assert_child_fatal(child_fatal_impossible_size, "allocation of 18446744073709551615 bytes (align 0)");
}

static void test_allocation_on_an_unbound_thread_is_fatal(void **unused)
{
    assert_child_fatal(child_fatal_unbound, "not bound to a heap region");
}

static void test_try_aligned_full_region_records_the_alignment(void **unused)
{
    uint64_t before = region.failure.count;
    assert_null(heap_alloc(GB(1), 64, 0));
    assert_null(heap_alloc(64, 24, 0)); /* not a power of two */
    assert_int_equal(region.failure.count, before + 2);
    assert_int_equal(region.failure.request, 64);
    assert_int_equal(region.failure.align, 24);
    assert_non_null(heap_alloc(64, 0, HEAP_FATAL)); /* the thread is not left quiet or misaligned */
}

/* ---- heaps and threads --------------------------------------------------------------------- */

/* The fact behind "never mi_heap_delete a region heap": its pages go to the thread's default heap,
 * and plain mi_malloc then returns memory inside the region. */
static void child_heap_delete_leaks(void)
{
    mi_heap_t *h = mi_heap_new_in_arena(region.arena_id);
    void *keep[64];
    for (int i = 0; i < 64; i++) keep[i] = mi_heap_malloc(h, 48);
    for (int i = 0; i < 64; i += 2) mi_free(keep[i]); /* free space in the region's pages */
    mi_heap_delete(h);
    for (int i = 0; i < 256; i++)
        if (heap_contains(&region, mi_malloc(48))) _exit(0);
    _exit(1);
}

static void test_fact_heap_delete_hands_region_memory_to_plain_malloc(void **unused)
{
    char err[1024];
    int status = run_child(child_heap_delete_leaks, err, sizeof(err));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

typedef struct worker_job {
    void *blocks[200];
    int inside;
} worker_job;

static void *worker_allocates(void *arg)
{
    worker_job *job = arg;
    if (!heap_thread_bind(&region)) return NULL;
    for (int i = 0; i < 200; i++) {
        job->blocks[i] = heap_alloc(16 + (uint64_t)i * 8, 0, HEAP_FATAL);
        job->inside += heap_contains(&region, job->blocks[i]);
    }
    return NULL;
}

static void test_worker_heap_allocates_inside_and_main_frees(void **unused)
{
    worker_job job = {0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker_allocates, &job), 0);
    assert_int_equal(pthread_join(t, NULL), 0); /* the worker has exited; its heap retired by mimalloc */
    assert_int_equal(job.inside, 200);
    for (int i = 0; i < 200; i++) heap_free(job.blocks[i]);
    /* the main heap goes on allocating inside after the worker's pages were abandoned */
    for (int i = 0; i < 100; i++) {
        void *p = heap_alloc(16 + (uint64_t)i * 8, 0, HEAP_FATAL);
        assert_inside(p, 16);
        heap_free(p);
    }
}

static void *unbound_malloc(void *arg)
{
    (void)arg;
    void *p = mi_malloc(64);
    return heap_contains(&region, p) ? NULL : p;
}

static void test_unbound_threads_and_unbinding_stay_out_of_the_region(void **unused)
{
    pthread_t t;
    void *p = NULL;
    assert_int_equal(pthread_create(&t, NULL, unbound_malloc, NULL), 0);
    assert_int_equal(pthread_join(t, &p), 0);
    assert_non_null(p); /* a thread never bound gets ordinary mimalloc memory */
    mi_free(p);
    heap_thread_unbind();
    void *q = mi_malloc(64);
    assert_false(heap_contains(&region, q));
    mi_free(q);
    assert_null(heap_thread_region());
    assert_non_null(heap_thread_bind(&region)); /* bind main again for the other tests */
    assert_inside(heap_alloc(64, 0, HEAP_FATAL), 64);
}

/* ---- stats --------------------------------------------------------------------------------- */

static void test_stats_count_live_blocks_and_fragmentation(void **unused)
{
    heap_stats before = heap_collect_stats(&region);
    void *p[100];
    for (int i = 0; i < 100; i++) p[i] = heap_alloc(64, 0, HEAP_FATAL);
    heap_stats during = heap_collect_stats(&region);
    assert_int_equal(during.blocks, before.blocks + 100);
    assert_int_equal(during.used, before.used + 100 * 64);
    assert_true(during.committed >= during.used);
    assert_int_equal(during.reserved, REGION_SIZE);
    assert_true(during.fragmentation >= 0.0 && during.fragmentation < 1.0);
    for (int i = 0; i < 100; i++) heap_free(p[i]);
    heap_stats after = heap_collect_stats(&region);
    assert_int_equal(after.blocks, before.blocks);
    assert_int_equal(heap_usable_size(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_misaligned_start_and_bad_sizes),
        cmocka_unit_test(test_fact_misaligned_region_gives_null),
        cmocka_unit_test(test_small_medium_huge_and_aligned_allocations_are_inside),
        cmocka_unit_test(test_zeroed_and_calloc_memory_is_zero),
        cmocka_unit_test(test_calloc_overflow_is_refused_not_wrapped),
        cmocka_unit_test(test_realloc_growth_stays_inside_and_keeps_contents),
        cmocka_unit_test(test_fact_plain_mi_realloc_leaves_the_region_on_unbound_threads),
        cmocka_unit_test(test_full_region_try_gives_null_and_records_the_request),
        cmocka_unit_test(test_filling_the_region_never_takes_os_memory),
        cmocka_unit_test(test_full_region_fatal_names_heap_request_and_size),
        cmocka_unit_test(test_fatal_after_try_and_aligned_fatal_name_the_request),
        cmocka_unit_test(test_impossible_size_is_fatal_not_null),
        cmocka_unit_test(test_allocation_on_an_unbound_thread_is_fatal),
        cmocka_unit_test(test_try_aligned_full_region_records_the_alignment),
        cmocka_unit_test(test_fact_heap_delete_hands_region_memory_to_plain_malloc),
        cmocka_unit_test(test_worker_heap_allocates_inside_and_main_frees),
        cmocka_unit_test(test_unbound_threads_and_unbinding_stay_out_of_the_region),
        cmocka_unit_test(test_stats_count_live_blocks_and_fragmentation),
    };
    return cmocka_run_group_tests_name("heap", tests, group_setup, NULL);
}
