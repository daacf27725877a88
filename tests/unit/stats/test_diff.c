/* test_diff.c - proves --stats-diff's parts: the JSON reader (json_read.c) on valid and broken
 * documents, the diff rows and their terminal table (report_diff.c), and stats_diff_files on two
 * snapshots written by report_json itself: a site that grew, one that appeared, one that vanished,
 * a tag compared by its bytes per frame, and files that are not snapshots. */
#include "../test_util.h"

#include "host/stats/json_read.h"
#include "host/stats/report.h"
#include "host/stats/stats.h"

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

#define assert_contains(text, needle)                                                              \
    do {                                                                                           \
        if (!strstr((text), (needle))) fail_msg("no \"%s\" in:\n%s", (needle), (text));           \
    } while (0)

/* ---- the reader ------------------------------------------------------------------------------ */

static json_value *parse(const char *text)
{
    host_error err;
    json_value *v = json_parse(text, strlen(text), &err);
    if (!v) fail_msg("%s: %s", text, err.msg);
    return v;
}

static void reads_every_kind_of_value(void **state)
{
    json_value *v = parse(" {\"a\": [1, 2.5, -3e2, 0], \"s\": \"x\\\\\\\"\\u00e9\\ud83d\\ude00\\n\", \"t\": true,"
                          " \"f\": false, \"n\": null, \"o\": {}, \"big\": 18446744073709551615}\n");
    assert_int_equal(v->kind, JSON_OBJECT);
    const json_value *a = json_get(v, "a");
    assert_int_equal(a->count, 4);
    assert_int_equal(a->items[0].integer, 1);
    assert_true(a->items[1].number == 2.5);
    assert_true(a->items[2].number == -300.0);
    assert_string_equal(json_str(v, "s"), "x\\\"\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_true(json_get(v, "t")->boolean);
    assert_false(json_get(v, "f")->boolean);
    assert_int_equal(json_get(v, "n")->kind, JSON_NULL);
    assert_int_equal(json_get(v, "o")->count, 0);
    assert_int_equal(json_u64(v, "big"), UINT64_MAX);
    assert_null(json_get(v, "missing"));
    assert_string_equal(json_str(v, "missing"), "");
    json_free(v);
}

static void broken_documents_name_their_line(void **state)
{
    static const char *const bad[][2] = {
        {"{\"a\":1,}", "line 1: expected a key"},
        {"[1,\n2\n", "line 3: expected ',' or ']'"},
        {"{\"a\" 1}", "line 1: expected ':'"},
        {"\"abc", "line 1: a string does not end"},
        {"\"a\\qb\"", "line 1: bad escape in a string"},
        {"\"\\ud800x\"", "line 1: a lone surrogate in a \\u escape"},
        {"01", "line 1: text after the document"},
        {"1.", "line 1: a number ends in '.'"},
        {"[] []", "line 1: text after the document"},
        {"", "line 1: expected a value"},
        {"\"tab\there\"", "line 1: a control character in a string"},
    };
    for (size_t i = 0; i < ARRAY_COUNT(bad); i++) {
        host_error err;
        json_value *v = json_parse(bad[i][0], strlen(bad[i][0]), &err);
        if (v) fail_msg("%s parsed", bad[i][0]);
        assert_string_equal(err.msg, bad[i][1]);
    }
    char deep[200];
    memset(deep, '[', sizeof(deep));
    host_error err;
    assert_null(json_parse(deep, sizeof(deep), &err));
    assert_string_equal(err.msg, "line 1: nested too deep");
}

/* ---- rows and the table ------------------------------------------------------------------------- */

static void rows_say_what_changed_and_sort_by_how_much(void **state)
{
    report_diff d = {0};
    report_diff_add(&d, "site", "a.c:1 f", "B/frame", true, 100, true, 100.3); /* the same: under half a byte */
    report_diff_add(&d, "site", "a.c:2 g", "B/frame", true, 100, true, 60);
    report_diff_add(&d, "tag", "t", "B/frame", false, 0, true, 500);
    report_diff_add(&d, "arena", "frame0 high-water", "B", true, 4096, false, 0);
    report_diff_add(&d, "site", "a.c:3 h", "B/frame", true, 10, true, 20);
    report_diff_sort(&d);
    assert_int_equal(d.changes[REPORT_SAME], 1);
    assert_int_equal(d.changes[REPORT_GREW], 1);
    assert_int_equal(d.changes[REPORT_SHRANK], 1);
    assert_int_equal(d.changes[REPORT_APPEARED], 1);
    assert_int_equal(d.changes[REPORT_VANISHED], 1);
    const char *order[] = {"frame0 high-water", "t", "a.c:2 g", "a.c:3 h", "a.c:1 f"};
    for (int i = 0; i < 5; i++) assert_string_equal(d.rows[i].name, order[i]);
    report_buf b = {0};
    report_diff_text(&b, &d, 3);
    assert_contains(b.data, "frame0 high-water");
    assert_contains(b.data, "4 KiB            -        -4 KiB  vanished\n");
    assert_contains(b.data, "-      500 B/f      +500 B/f  appeared\n");
    assert_null(strstr(b.data, "a.c:3 h")); /* past the 3 rows asked for */
    assert_contains(b.data, "... and 1 more changes\n1 grew, 1 shrank, 1 appeared, 1 vanished, 1 the same");
    report_buf_free(&b);
    report_diff_free(&d);
}

/* ---- two snapshots ----------------------------------------------------------------------------- */

typedef struct snapshots {
    char dir[512], a[600], b[600];
} snapshots;

static void write_snapshot(const char *path, report_site *sites, uint32_t count, uint64_t tag_bytes)
{
    report_snapshot s;
    memset(&s, 0, sizeof(s));
    s.reason = "exit";
    s.frames = 10;
    s.arenas[0] = (report_arena){.name = "frame0", .kind = "frame", .high_water = 4096, .tracked = -1};
    s.arena_count = 1;
    s.sites = sites;
    s.site_count = count;
    report_tag tag = {.name = "enemies", .bytes = tag_bytes};
    s.tags = &tag;
    s.tag_count = 1;
    report_buf b = {0};
    report_json(&b, &s);
    write_text(path, b.data);
    report_buf_free(&b);
}

static void diff_of_two_snapshots_is_one_table(void **state)
{
    snapshots x;
    temp_dir_create(x.dir, sizeof(x.dir), "diff");
    snprintf(x.a, sizeof(x.a), "%s/a.json", x.dir);
    snprintf(x.b, sizeof(x.b), "%s/b.json", x.dir);
    report_site before[] = {
        {.file = "/g/spawn.c", .func = "spawn", .line = 10, .bytes = 1000, .arena = "persistent", .depth = 1,
         .frames = {{"level_load", "level.c:4"}}},
        {.file = "/g/old.c", .func = "old", .line = 5, .bytes = 300, .arena = "persistent"},
    };
    report_site after[] = {
        {.file = "/g/spawn.c", .func = "spawn", .line = 10, .bytes = 5000, .arena = "persistent", .depth = 1,
         .frames = {{"level_load", "level.c:4"}}},
        {.file = "/g/spawn.c", .func = "spawn", .line = 10, .bytes = 64, .arena = "persistent", .depth = 1,
         .frames = {{"wave_start", "wave.c:9"}}}, /* the same push from another caller: another site */
        {.file = "/h/layout.c", .func = "layout_copy", .line = 7, .bytes = 8, .arena = "persistent", .host = true},
    };
    write_snapshot(x.a, before, 2, 700);
    write_snapshot(x.b, after, 3, 700);
    char path[700];
    snprintf(path, sizeof(path), "%s/out.txt", x.dir);
    FILE *out = fopen(path, "wb+"); /* no \r\n on Windows */
    assert_int_equal(stats_diff_files(x.a, x.b, out, stderr), 0);
    fclose(out);
    static char text[16384];
    assert_true(read_text(path, text, sizeof(text)) > 0);
    assert_contains(text, "site      spawn.c:10 spawn < level_load");
    assert_contains(text, "+3.9 KiB  grew\n");
    assert_contains(text, "site      spawn.c:10 spawn < wave_start");
    assert_contains(text, "host site layout.c:7 layout_copy");
    assert_contains(text, "site      old.c:5 old");
    assert_contains(text, "1 grew, 0 shrank, 2 appeared, 1 vanished, 2 the same"); /* the arena and the tag */

    /* what is not a snapshot: one line each, exit 1 */
    snprintf(path, sizeof(path), "%s/errors.txt", x.dir);
    FILE *errs = fopen(path, "wb+");
    write_text(x.b, "{\"schema\":\"something-else\"}");
    assert_int_equal(stats_diff_files(x.a, x.b, stdout, errs), 1);
    write_text(x.b, "{\"schema\":");
    assert_int_equal(stats_diff_files(x.a, x.b, stdout, errs), 1);
    snprintf(x.b, sizeof(x.b), "%s/missing.json", x.dir);
    assert_int_equal(stats_diff_files(x.a, x.b, stdout, errs), 1);
    fclose(errs);
    assert_true(read_text(path, text, sizeof(text)) > 0);
    assert_contains(text, "b.json is not a stats snapshot (no \"schema\":\"hotblock-stats/1\"); pass files written by --stats\n");
    assert_contains(text, "b.json is not JSON (line 1: expected a value); pass two files written by --stats\n");
    assert_contains(text, "missing.json");
    assert_int_equal(count(text, "\n"), 3);
    temp_dir_remove(x.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_every_kind_of_value),
        cmocka_unit_test(broken_documents_name_their_line),
        cmocka_unit_test(rows_say_what_changed_and_sort_by_how_much),
        cmocka_unit_test(diff_of_two_snapshots_is_one_table),
    };
    return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
