/* test_dirty.c - proves the dirty-page tracker on a block reserved the way the host reserves it
 * (block_reserve): with each method this OS and kernel offer (a method they lack is skipped, and
 * says why), a collection reports exactly the pages written since the last one, in runs; two
 * consumers with different epochs each get every page written since they last took; an untouched
 * page is never reported; a page decommitted and written again is; a gather leaves the OS's record
 * for the next collection; runs cross word boundaries of the sets; a take clipped to part of a page;
 * DIRTY_EVERYTHING reports whole ranges; on Linux, a mapping laid over part of the block makes the
 * next collection report its range whole, and the one after is exact again. */
#include "../test_util.h"

#include "arena/arena_os.h"
#include "host/os/block_os.h"
#include "host/os/dirty.h"

#define BASE 0x300000000000ull
#define SIZE MB(64)
#define PAGES 200          /* the first range: pages [0, PAGES), all touched */
#define SPARSE_AT MB(8)    /* a second range: 64 pages from here, mostly never touched */
#define SPARSE_PAGES 64

typedef struct fixture {
    dirty_tracker *t;
    dirty_method method;
    uint64_t page;
    dirty_consumer a, b;
    char runs[4096];      /* what the last take handed out: "3-5 9-10 " in page numbers */
} fixture;

static uint8_t *at_page(uint64_t page, uint64_t n) { return (uint8_t *)(uintptr_t)(BASE + n * page); }

static void fixture_open(fixture *f, dirty_method method)
{
    memset(f, 0, sizeof(*f));
    host_error err = {{0}};
    if (!block_reserve(BASE, SIZE, &err)) print_error("%s\n", err.msg);
    assert_true(arena_os_commit((void *)(uintptr_t)BASE, SIZE));
    f->t = dirty_start(BASE, SIZE, method, &err);
    assert_non_null(f->t);
    f->method = dirty_method_of(f->t);
    f->page = dirty_page_size(f->t);
    assert_int_equal(f->page, 4096); /* the page numbers below are for 4 KiB pages (x86-64) */
    assert_true(dirty_consumer_add(f->t, &f->a, &err));
    assert_true(dirty_consumer_add(f->t, &f->b, &err));
}

static void fixture_close(fixture *f)
{
    dirty_stop(f->t);
    block_release(BASE, SIZE);
}

/* Starts `method` or skips the test, naming why this machine lacks it. */
static void fixture_open_exactly(fixture *f, dirty_method method)
{
    fixture_open(f, method);
    if (f->method == method) return;
    const char *why = dirty_fallback_reason(f->t);
    print_message("%s not available here: %s\n", dirty_method_name(method), *why ? why : "not a method of this OS");
    fixture_close(f);
    skip();
}

static void collect(fixture *f)
{
    dirty_range ranges[] = {{BASE, PAGES * f->page}, {BASE + SPARSE_AT, SPARSE_PAGES * f->page}};
    dirty_collect(f->t, ranges, 2);
}

static void on_run(void *ctx, uintptr_t start, uint64_t size)
{
    fixture *f = ctx;
    size_t len = strlen(f->runs);
    uint64_t first = (start - BASE) / f->page, last = (start + size - BASE + f->page - 1) / f->page;
    snprintf(f->runs + len, sizeof(f->runs) - len, "%llu-%llu ", (unsigned long long)first, (unsigned long long)last);
}

/* The consumer's runs over both ranges, as text. */
static const char *take(fixture *f, dirty_consumer c)
{
    f->runs[0] = 0;
    dirty_take(f->t, c, BASE, PAGES * f->page, on_run, f);
    dirty_take(f->t, c, BASE + SPARSE_AT, SPARSE_PAGES * f->page, on_run, f);
    return f->runs;
}

static void write_pages(fixture *f, const uint64_t *pages, size_t n)
{
    for (size_t i = 0; i < n; i++) at_page(f->page, pages[i])[17] ^= 1;
}

static void expect_runs(fixture *f, dirty_consumer c, const char *want)
{
    const char *got = take(f, c);
    if (strcmp(got, want) != 0) print_error("%s: got '%s', want '%s'\n", dirty_method_name(f->method), got, want);
    assert_string_equal(got, want);
}

/* Everything touched so far is reported once; then only what was written since. */
static void prove_exact(fixture *f)
{
    for (uint64_t i = 0; i < PAGES; i++) at_page(f->page, i)[0] = 1;
    at_page(f->page, SPARSE_AT / f->page + 5)[0] = 1;
    collect(f);
    expect_runs(f, f->a, "0-200 2053-2054 "); /* SPARSE_AT is page 2048 with 4 KiB pages */
    expect_runs(f, f->b, "0-200 2053-2054 ");
    collect(f);
    expect_runs(f, f->a, "");

    uint64_t first[] = {3, 4, 9, 60, 61, 62, 63, 64, 65, 127, 128};
    write_pages(f, first, ARRAY_COUNT(first));
    collect(f);
    expect_runs(f, f->a, "3-5 9-10 60-66 127-129 ");

    uint64_t second[] = {12, SPARSE_AT / 4096 + 9}; /* page 2057 */
    write_pages(f, second, ARRAY_COUNT(second));
    collect(f);
    expect_runs(f, f->a, "12-13 2057-2058 ");
    expect_runs(f, f->b, "3-5 9-10 12-13 60-66 127-129 2057-2058 "); /* b's epoch began earlier */
    collect(f);
    expect_runs(f, f->a, "");
    expect_runs(f, f->b, "");
}

static void test_pagemap_scan_reports_exactly_the_written_pages(void **state)
{
    (void)state;
    fixture f;
    fixture_open_exactly(&f, DIRTY_PAGEMAP_SCAN);
    prove_exact(&f);
    fixture_close(&f);
}

static void test_soft_dirty_reports_exactly_the_written_pages(void **state)
{
    (void)state;
    fixture f;
    fixture_open_exactly(&f, DIRTY_SOFT_DIRTY);
    prove_exact(&f);
    fixture_close(&f);
}

static void test_write_watch_reports_exactly_the_written_pages(void **state)
{
    (void)state;
    fixture f;
    fixture_open_exactly(&f, DIRTY_WRITE_WATCH);
    prove_exact(&f);
    fixture_close(&f);
}

/* The best method of this OS; the first collection sees what was touched before the tracker. */
static void test_a_page_decommitted_and_written_again_is_reported(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, DIRTY_PAGEMAP_SCAN);
    print_message("method in use: %s%s%s\n", dirty_method_name(f.method), *dirty_fallback_reason(f.t) ? "; " : "",
                  dirty_fallback_reason(f.t));
    for (uint64_t i = 0; i < PAGES; i++) at_page(f.page, i)[0] = 1;
    collect(&f);
    take(&f, f.a);
    arena_os_decommit(at_page(f.page, 7), f.page); /* what an arena does past its position */
    assert_true(arena_os_commit(at_page(f.page, 7), f.page));
    at_page(f.page, 7)[5] = 9;
    collect(&f);
    const char *runs = take(&f, f.a);
    if (f.method == DIRTY_EVERYTHING) assert_string_equal(runs, "0-200 2048-2112 ");
    else assert_string_equal(runs, "7-8 ");
    fixture_close(&f);
}

/* A gather reports what a collection would and leaves the OS's record: pages written after it
 * (the ones it reported among them) are all in the next collection, for every consumer. */
static void test_a_gather_leaves_the_record_for_the_next_collection(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, DIRTY_PAGEMAP_SCAN);
    for (uint64_t i = 0; i < PAGES; i++) at_page(f.page, i)[0] = 1;
    collect(&f);
    take(&f, f.a);
    take(&f, f.b);
    uint64_t written[] = {4, 5, 90};
    write_pages(&f, written, ARRAY_COUNT(written));
    dirty_range ranges[] = {{BASE, PAGES * f.page}, {BASE + SPARSE_AT, SPARSE_PAGES * f.page}};
    dirty_gather(f.t, ranges, 2);
    const char *want = f.method == DIRTY_EVERYTHING ? "0-200 2048-2112 " : "4-6 90-91 ";
    expect_runs(&f, f.a, want);
    uint64_t again[] = {5, 33}; /* a restore writes pages back */
    write_pages(&f, again, ARRAY_COUNT(again));
    collect(&f);
    expect_runs(&f, f.a, f.method == DIRTY_EVERYTHING ? want : "4-6 33-34 90-91 ");
    expect_runs(&f, f.b, f.method == DIRTY_EVERYTHING ? want : "4-6 33-34 90-91 ");
    collect(&f);
    expect_runs(&f, f.a, f.method == DIRTY_EVERYTHING ? want : "");
    fixture_close(&f);
}

static void test_everything_reports_whole_ranges(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, DIRTY_EVERYTHING);
    assert_int_equal(f.method, DIRTY_EVERYTHING);
    assert_string_equal(dirty_method_name(f.method), "everything");
    collect(&f);
    expect_runs(&f, f.a, "0-200 2048-2112 ");
    collect(&f);
    expect_runs(&f, f.a, "0-200 2048-2112 ");
    fixture_close(&f);
}

/* A take that starts and ends inside pages hands them out clipped, and clears them whole. */
static void test_a_take_is_clipped_to_its_range(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, DIRTY_PAGEMAP_SCAN);
    for (uint64_t i = 0; i < PAGES; i++) at_page(f.page, i)[0] = 1;
    collect(&f);
    take(&f, f.a);
    uint64_t pages[] = {2, 3};
    write_pages(&f, pages, 2);
    collect(&f);
    uintptr_t start = BASE + 2 * f.page + 100, end = BASE + 3 * f.page + 50;
    assert_int_equal(dirty_take(f.t, f.a, start, end - start, NULL, NULL), end - start);
    assert_int_equal(dirty_take(f.t, f.a, BASE + 2 * f.page, 2 * f.page, NULL, NULL), 0);
    fixture_close(&f);
}

static void test_consumers_are_limited(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, DIRTY_EVERYTHING);
    host_error err = {{0}};
    dirty_consumer c;
    for (int i = 2; i < DIRTY_CONSUMERS_MAX; i++) assert_true(dirty_consumer_add(f.t, &c, &err));
    assert_false(dirty_consumer_add(f.t, &c, &err));
    assert_contains(err.msg, "room for");
    fixture_close(&f);
}

#if !defined(_WIN32)
/* Something maps over a page of the block: the write-protect registration is gone there, so the
 * next collection reports its range whole; it registers the block again and the next is exact. */
static void test_a_mapping_laid_over_the_block_is_noticed(void **state)
{
    (void)state;
    fixture f;
    fixture_open_exactly(&f, DIRTY_PAGEMAP_SCAN);
    for (uint64_t i = 0; i < PAGES; i++) at_page(f.page, i)[0] = 1;
    collect(&f);
    take(&f, f.a);
    void *p = mmap(at_page(f.page, 20), f.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    assert_true(p == at_page(f.page, 20));
    at_page(f.page, 20)[0] = 1;
    collect(&f);
    expect_runs(&f, f.a, "0-200 ");
    uint64_t pages[] = {30};
    write_pages(&f, pages, 1);
    collect(&f);
    expect_runs(&f, f.a, "30-31 ");
    fixture_close(&f);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pagemap_scan_reports_exactly_the_written_pages),
        cmocka_unit_test(test_soft_dirty_reports_exactly_the_written_pages),
        cmocka_unit_test(test_write_watch_reports_exactly_the_written_pages),
        cmocka_unit_test(test_a_page_decommitted_and_written_again_is_reported),
        cmocka_unit_test(test_a_gather_leaves_the_record_for_the_next_collection),
        cmocka_unit_test(test_everything_reports_whole_ranges),
        cmocka_unit_test(test_a_take_is_clipped_to_its_range),
        cmocka_unit_test(test_consumers_are_limited),
#if !defined(_WIN32)
        cmocka_unit_test(test_a_mapping_laid_over_the_block_is_noticed),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
