/* test_scan.c - proves the stale-pointer scan: it reports every aligned word inside [lo, hi) with its
 * exact offset and value (lo included, hi not); it never reports a word outside the range or an
 * unaligned one; an unaligned start and a tail shorter than a batch are handled; a callback that
 * stops the reports still leaves the count complete; and on random memory it agrees word for word
 * with a plain loop. */
#include "../test_util.h"

#include "host/reload/scan.h"

#define WORDS 4096

typedef struct found {
    uint64_t offsets[WORDS];
    uint64_t values[WORDS];
    uint64_t count;
    uint64_t stop_after; /* 0: never stop */
} found;

static bool collect(void *ctx, uint64_t offset, uint64_t value)
{
    found *f = ctx;
    f->offsets[f->count] = offset;
    f->values[f->count] = value;
    f->count++;
    return !f->stop_after || f->count < f->stop_after;
}

static uint64_t *words_alloc(void)
{
    uint64_t *w = aligned_alloc(64, WORDS * sizeof(uint64_t));
    assert_non_null(w);
    for (int i = 0; i < WORDS; i++) w[i] = 0x1111111111111111ull * (uint64_t)(i % 7);
    return w;
}

static const uint64_t lo = 0x7f0000001000ull, hi = 0x7f0000009000ull;

static void test_reports_each_word_in_range_with_offset_and_value(void **unused)
{
    uint64_t *w = words_alloc();
    w[5] = lo;                 /* the first byte of the range counts */
    w[100] = hi - 1;           /* the last one too */
    w[101] = hi;               /* one past is outside */
    w[102] = lo - 1;           /* one before is outside */
    w[WORDS - 1] = lo + 0x40;  /* the very last word */
    static found f;
    memset(&f, 0, sizeof(f));
    scan_result r = scan_words(w, WORDS * 8, lo, hi, collect, &f);
    assert_int_equal(r.hits, 3);
    assert_int_equal(r.scanned, WORDS * 8);
    assert_int_equal(f.count, 3);
    assert_int_equal(f.offsets[0], 5 * 8);
    assert_int_equal(f.values[0], lo);
    assert_int_equal(f.offsets[1], 100 * 8);
    assert_int_equal(f.values[1], hi - 1);
    assert_int_equal(f.offsets[2], (WORDS - 1) * 8);
    free(w);
}

static void test_unaligned_words_and_an_unaligned_start(void **unused)
{
    uint64_t *w = words_alloc();
    uint8_t *bytes = (uint8_t *)w;
    uint64_t v = lo + 8;
    memcpy(bytes + 12, &v, 8); /* straddles two words: not a pointer the compiler would store */
    w[9] = v;
    static found f;
    memset(&f, 0, sizeof(f));
    scan_result r = scan_words(bytes + 3, WORDS * 8 - 3, lo, hi, collect, &f);
    assert_int_equal(r.hits, 1);
    assert_int_equal(f.offsets[0], 9 * 8 - 3); /* from the start given, not from the aligned one */
    assert_int_equal(r.scanned, (WORDS - 1) * 8);
    free(w);
}

static void test_tails_shorter_than_a_batch(void **unused)
{
    uint64_t *w = words_alloc();
    for (uint64_t n = 1; n <= 20; n++) {
        for (uint64_t i = 0; i < n; i++) w[i] = lo + i;
        scan_result r = scan_words(w, n * 8 + 5, lo, hi, NULL, NULL); /* 5 stray bytes at the end */
        assert_int_equal(r.hits, n);
        assert_int_equal(r.scanned, n * 8);
    }
    assert_int_equal(scan_words(w, 7, lo, hi, NULL, NULL).hits, 0);
    assert_int_equal(scan_words(w, WORDS * 8, hi, lo, NULL, NULL).hits, 0); /* empty range */
    free(w);
}

static void test_stopped_reports_still_count(void **unused)
{
    uint64_t *w = words_alloc();
    for (int i = 0; i < 50; i++) w[i * 17] = lo + (uint64_t)i;
    static found f;
    memset(&f, 0, sizeof(f));
    f.stop_after = 4;
    scan_result r = scan_words(w, WORDS * 8, lo, hi, collect, &f);
    assert_int_equal(f.count, 4);
    assert_int_equal(r.hits, 50);
    free(w);
}

static void test_agrees_with_a_plain_loop_on_random_memory(void **unused)
{
    uint64_t *w = words_alloc();
    uint64_t state = 7;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < WORDS; i++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            /* a few values near the range, most far away */
            w[i] = (state >> 60) == 0 ? lo - 0x800 + (state >> 20) % 0x9000 : state;
        }
        uint64_t want = 0;
        for (int i = 0; i < WORDS; i++) want += w[i] >= lo && w[i] < hi;
        static found f;
        memset(&f, 0, sizeof(f));
        scan_result r = scan_words(w, WORDS * 8, lo, hi, collect, &f);
        assert_int_equal(r.hits, want);
        for (uint64_t k = 0; k < f.count; k++) {
            assert_int_equal(w[f.offsets[k] / 8], f.values[k]);
            assert_true(f.values[k] >= lo && f.values[k] < hi);
        }
    }
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reports_each_word_in_range_with_offset_and_value),
        cmocka_unit_test(test_unaligned_words_and_an_unaligned_start),
        cmocka_unit_test(test_tails_shorter_than_a_batch),
        cmocka_unit_test(test_stopped_reports_still_count),
        cmocka_unit_test(test_agrees_with_a_plain_loop_on_random_memory),
    };
    return cmocka_run_group_tests_name("scan", tests, NULL, NULL);
}
