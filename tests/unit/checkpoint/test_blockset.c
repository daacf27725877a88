/* test_blockset.c - the set of block addresses (host/checkpoint/blockset.c): what is added is
 * there until removed, through growth and through slots freed and reused; clearing empties it. */
#include "../test_util.h"

#include "host/checkpoint/blockset.h"

static const void *addr(uint64_t i) { return (const void *)(uintptr_t)(0x200000000000ull + i * 48); }

static void test_added_blocks_are_found_until_removed(void **unused)
{
    blockset s = {0};
    assert_false(blockset_has(&s, addr(1)));
    assert_false(blockset_remove(&s, addr(1)));
    assert_true(blockset_add(&s, addr(1)));
    assert_true(blockset_add(&s, addr(1))); /* twice: still one */
    assert_int_equal(s.count, 1);
    assert_true(blockset_has(&s, addr(1)));
    assert_false(blockset_has(&s, addr(2)));
    assert_false(blockset_has(&s, NULL));
    assert_true(blockset_remove(&s, addr(1)));
    assert_false(blockset_has(&s, addr(1)));
    assert_false(blockset_remove(&s, addr(1)));
    assert_int_equal(s.count, 0);
    blockset_free(&s);
}

static void test_the_set_grows_and_keeps_everything(void **unused)
{
    blockset s = {0};
    for (uint64_t i = 1; i <= 100000; i++) assert_true(blockset_add(&s, addr(i)));
    assert_int_equal(s.count, 100000);
    assert_true(s.mask + 1 >= 2 * 100000);
    for (uint64_t i = 1; i <= 100000; i++) assert_true(blockset_has(&s, addr(i)));
    assert_false(blockset_has(&s, addr(100001)));
    blockset_free(&s);
    assert_null(s.slots);
}

/* Adding and removing forever in a set that never holds many: removed slots are reused or dropped
 * when it is rebuilt, so the table stays small and every lookup ends. */
static void test_churn_does_not_fill_the_table(void **unused)
{
    blockset s = {0};
    for (uint64_t i = 1; i <= 200000; i++) {
        assert_true(blockset_add(&s, addr(i)));
        if (i > 10) assert_true(blockset_remove(&s, addr(i - 10)));
    }
    assert_int_equal(s.count, 10);
    assert_true(s.mask + 1 <= 4096);
    for (uint64_t i = 200000 - 9; i <= 200000; i++) assert_true(blockset_has(&s, addr(i)));
    assert_false(blockset_has(&s, addr(200000 - 10)));
    blockset_free(&s);
}

static void test_clear_empties_it(void **unused)
{
    blockset s = {0};
    for (uint64_t i = 1; i <= 50; i++) assert_true(blockset_add(&s, addr(i)));
    blockset_clear(&s);
    assert_int_equal(s.count, 0);
    for (uint64_t i = 1; i <= 50; i++) assert_false(blockset_has(&s, addr(i)));
    assert_true(blockset_add(&s, addr(7)));
    assert_true(blockset_has(&s, addr(7)));
    blockset_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_added_blocks_are_found_until_removed),
        cmocka_unit_test(test_the_set_grows_and_keeps_everything),
        cmocka_unit_test(test_churn_does_not_fill_the_table),
        cmocka_unit_test(test_clear_empties_it),
    };
    return cmocka_run_group_tests_name("checkpoint/blockset", tests, NULL, NULL);
}
