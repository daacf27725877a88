/* test_units.c - proves size and address parsing (suffixes, case, the exact overflow boundaries,
 * and rejection of everything else without touching the output) and byte formatting. */
#include "../test_util.h"

#include "host/base/units.h"

typedef struct size_case {
    const char *text;
    uint64_t value;
} size_case;

static void parse_size_accepts_plain_numbers_and_binary_suffixes(void **state)
{
    static const size_case cases[] = {
        {"0", 0},
        {"123", 123},
        {"64K", KB(64)},
        {"256M", MB(256)},
        {"2G", GB(2)},
        {"1T", GB(1024)},
        {"18446744073709551615", UINT64_MAX},
    };
    for (size_t i = 0; i < ARRAY_COUNT(cases); i++) {
        uint64_t v = 7;
        if (!units_parse_size(cases[i].text, &v)) print_error("rejected '%s'\n", cases[i].text);
        assert_true(units_parse_size(cases[i].text, &v));
        assert_int_equal(v, cases[i].value);
    }
}

static void parse_size_accepts_lowercase_and_ib_and_b_forms(void **state)
{
    static const size_case cases[] = {
        {"64k", KB(64)},   {"256m", MB(256)}, {"2g", GB(2)},     {"1t", GB(1024)},
        {"64MiB", MB(64)}, {"64MB", MB(64)},  {"64mib", MB(64)}, {"64mb", MB(64)},
        {"3KiB", KB(3)},   {"5GB", GB(5)},    {"1TiB", GB(1024)},
    };
    for (size_t i = 0; i < ARRAY_COUNT(cases); i++) {
        uint64_t v = 7;
        if (!units_parse_size(cases[i].text, &v)) print_error("rejected '%s'\n", cases[i].text);
        assert_true(units_parse_size(cases[i].text, &v));
        assert_int_equal(v, cases[i].value);
    }
}

static void parse_size_rejects_garbage_and_leaves_output_alone(void **state)
{
    static const char *const bad[] = {
        "",    "12Q", "-1",  "0x10", "+5",   " 12", "12 ", "K",   "1.5G", "64Ki",
        "64B", "64MiBs", "64MBB", "12KK", "1e3", "G64",
    };
    for (size_t i = 0; i < ARRAY_COUNT(bad); i++) {
        uint64_t v = 0xdead;
        if (units_parse_size(bad[i], &v)) print_error("accepted '%s'\n", bad[i]);
        assert_false(units_parse_size(bad[i], &v));
        assert_int_equal(v, 0xdead);
    }
}

static void parse_size_rejects_overflow_at_the_exact_boundary(void **state)
{
    uint64_t v = 0;
    assert_false(units_parse_size("99999999999T", &v));
    assert_false(units_parse_size("18446744073709551616", &v)); /* 2^64 */
    assert_true(units_parse_size("16777215T", &v));              /* 2^24 - 1 TiB fits */
    assert_int_equal(v, (((uint64_t)1 << 24) - 1) << 40);
    assert_false(units_parse_size("16777216T", &v)); /* 2^64 */
    assert_true(units_parse_size("17179869183G", &v));
    assert_int_equal(v, (((uint64_t)1 << 34) - 1) << 30);
    assert_false(units_parse_size("17179869184G", &v));
    assert_false(units_parse_size("18014398509481984K", &v)); /* 2^54 K */
}

static void parse_u64_accepts_decimal_and_hex(void **state)
{
    uint64_t v = 0;
    assert_true(units_parse_u64("0", &v));
    assert_int_equal(v, 0);
    assert_true(units_parse_u64("60", &v));
    assert_int_equal(v, 60);
    assert_true(units_parse_u64("0x200000000000", &v));
    assert_int_equal(v, 0x200000000000ull);
    assert_true(units_parse_u64("0XABCdef", &v));
    assert_int_equal(v, 0xabcdef);
    assert_true(units_parse_u64("18446744073709551615", &v));
    assert_int_equal(v, UINT64_MAX);
    assert_true(units_parse_u64("0xffffffffffffffff", &v));
    assert_int_equal(v, UINT64_MAX);
    assert_true(units_parse_u64("007", &v));
    assert_int_equal(v, 7);
}

static void parse_u64_rejects_overflow(void **state)
{
    uint64_t v = 5;
    assert_false(units_parse_u64("18446744073709551616", &v));
    assert_false(units_parse_u64("0x10000000000000000", &v));
    assert_false(units_parse_u64("99999999999999999999999", &v));
}

static void parse_u64_rejects_garbage_signs_and_suffixes(void **state)
{
    static const char *const bad[] = {"", "0x", "x10", "-1", "+1", " 1", "1 ", "12K", "0x1g", "abc", "1.0", "0b101"};
    for (size_t i = 0; i < ARRAY_COUNT(bad); i++) {
        uint64_t v = 0;
        if (units_parse_u64(bad[i], &v)) print_error("accepted '%s'\n", bad[i]);
        assert_false(units_parse_u64(bad[i], &v));
    }
}

static void bytes_formats_whole_units_without_decimals(void **state)
{
    assert_string_equal(units_bytes(0).s, "0 B");
    assert_string_equal(units_bytes(100).s, "100 B");
    assert_string_equal(units_bytes(1023).s, "1023 B");
    assert_string_equal(units_bytes(KB(1)).s, "1 KiB");
    assert_string_equal(units_bytes(KB(64)).s, "64 KiB");
    assert_string_equal(units_bytes(MB(256)).s, "256 MiB");
    assert_string_equal(units_bytes(GB(64)).s, "64 GiB");
    assert_string_equal(units_bytes(GB(1024)).s, "1 TiB");
    assert_string_equal(units_bytes(GB(1024) * 1024).s, "1 PiB");
}

static void bytes_formats_fractions_with_one_decimal(void **state)
{
    assert_string_equal(units_bytes(MB(1) + KB(512)).s, "1.5 MiB");
    assert_string_equal(units_bytes(KB(1) + 256).s, "1.2 KiB"); /* 1.25 rounds to even */
    assert_string_equal(units_bytes(GB(2) + MB(512) + MB(256)).s, "2.8 GiB");
}

static void bytes_formats_the_largest_value(void **state)
{
    /* PiB is the largest unit: 2^64 - 1 bytes is 16384 PiB */
    assert_string_equal(units_bytes(UINT64_MAX).s, "16384 PiB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_size_accepts_plain_numbers_and_binary_suffixes),
        cmocka_unit_test(parse_size_accepts_lowercase_and_ib_and_b_forms),
        cmocka_unit_test(parse_size_rejects_garbage_and_leaves_output_alone),
        cmocka_unit_test(parse_size_rejects_overflow_at_the_exact_boundary),
        cmocka_unit_test(parse_u64_accepts_decimal_and_hex),
        cmocka_unit_test(parse_u64_rejects_overflow),
        cmocka_unit_test(parse_u64_rejects_garbage_signs_and_suffixes),
        cmocka_unit_test(bytes_formats_whole_units_without_decimals),
        cmocka_unit_test(bytes_formats_fractions_with_one_decimal),
        cmocka_unit_test(bytes_formats_the_largest_value),
    };
    return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
