/* test_layout.c - the real host running a real game whose source is edited and rebuilt while it
 * runs, so that its state changes shape: a field added, removed, reordered, retyped (with and
 * without a migrate hook), the struct of an array of entities and of a pooled list changed. Each
 * time: the values that must survive do, new and changed fields are zero, the `layout` event says
 * what happened, and no pointer in the state points at an old copy. Then the policies (refuse,
 * restart), a library without layouts (and one that starts declaring them), an unchanged layout,
 * and the template's README example. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define WAIT_MS 15000
#define LINE_MAX_ 16384

typedef struct fixture {
    harness_game game;
    harness_host host;
    char before[LINE_MAX_]; /* the last report of version 1 */
} fixture;

static void fixture_start(fixture *f, const char *game_rel, const char *const *args)
{
    memset(f, 0, sizeof(*f));
    assert_true(harness_game_copy(game_rel, &f->game));
    assert_int_equal(harness_game_build(&f->game), 0);
    assert_true(harness_host_start(&f->host, f->game.lib, args));
}

static void fixture_stop(fixture *f)
{
    assert_int_equal(harness_host_stop(&f->host), 0);
    harness_game_remove(&f->game);
}

static uint64_t field(const char *line, const char *key)
{
    uint64_t v = harness_field_u64(line, key);
    if (v == UINT64_MAX) fail_msg("no %s in: %s", key, line);
    return v;
}

static double number(const char *line, const char *key)
{
    char v[64];
    if (!harness_field(line, key, v, sizeof(v))) fail_msg("no %s in: %s", key, line);
    return strtod(v, NULL);
}

static void assert_has(const char *line, const char *part)
{
    if (!line || !strstr(line, part)) fail_msg("'%s' not in: %s", part, line ? line : "(no line)");
}

/* Events named `name` whose text holds `needle`, so far. */
static int count_matching(const harness_host *h, const char *name, const char *needle)
{
    int n = 0;
    while (harness_event(h, name, needle, n)) n++;
    return n;
}

static void edit(fixture *f, const char *file, const char *from, const char *to)
{
    if (!harness_edit(&f->game, file, from, to)) fail_msg("'%s' not in %s", from, file);
}

/* Waits for a tick of the running build and keeps it as the "before" report. */
static void remember_before(fixture *f)
{
    const char *tick = harness_wait_event(&f->host, "log", "layout tick mark=1", 0, WAIT_MS);
    assert_non_null(tick);
    snprintf(f->before, sizeof(f->before), "%s", tick);
}

/* Bumps the mark and rebuilds; returns the `layout` event (NULL: none) and, in `after`, the new
 * build's first report. */
static const char *rebuild(fixture *f, char *after, size_t cap)
{
    edit(f, "layout.c", "#define LAYOUT_MARK 1 ", "#define LAYOUT_MARK 2 ");
    assert_int_equal(harness_game_build(&f->game), 0);
    const char *line = harness_wait_event(&f->host, "log", "layout reloaded mark=2", 0, WAIT_MS);
    assert_non_null(line);
    snprintf(after, cap, "%s", line);
    return harness_event(&f->host, "layout", NULL, 0);
}

/* ---- no pointer into an old copy ------------------------------------------------------------ */

typedef struct range {
    uint64_t start, size;
} range;

/* The objects of a report: the root, the two arrays, the three list nodes. */
static int report_objects(const char *line, range out[6])
{
    uint64_t esize = field(line, "esize"), nsize = field(line, "nsize");
    out[0] = (range){field(line, "root"), field(line, "size")};
    out[1] = (range){field(line, "enemies"), 4 * esize};
    out[2] = (range){field(line, "heap_enemies"), 2 * esize};
    const char *nodes[] = {"n0", "n1", "n2"};
    for (int i = 0; i < 3; i++) out[3 + i] = (range){field(line, nodes[i]), nsize};
    return 6;
}

/* Every pointer the new build reports points outside every object that moved (an old copy). */
static void assert_no_pointer_to_old_copies(const char *before, const char *after)
{
    range old_objects[6], new_objects[6];
    int n = report_objects(before, old_objects);
    report_objects(after, new_objects);
    const char *keys[] = {"root", "enemies", "heap_enemies", "target", "list", "n0", "n1", "n2"};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        uint64_t p = field(after, keys[k]);
        for (int i = 0; i < n; i++) {
            bool moved = new_objects[i].start != old_objects[i].start;
            if (moved && p >= old_objects[i].start && p < old_objects[i].start + old_objects[i].size)
                fail_msg("%s=0x%llx points into an old copy at 0x%llx", keys[k], (unsigned long long)p,
                         (unsigned long long)old_objects[i].start);
        }
    }
}

/* The values version 1 set that every migration keeps (unless the test changed them). */
static void assert_entities_kept(const char *after)
{
    for (int i = 0; i < 4; i++) {
        char key[32];
        snprintf(key, sizeof(key), "enemies[%d].id", i);
        assert_int_equal(field(after, key), i + 1);
        snprintf(key, sizeof(key), "enemies[%d].health", i);
        assert_int_equal(field(after, key), 10 * (i + 1));
        snprintf(key, sizeof(key), "enemies[%d].x", i);
        assert_true(number(after, key) == 0.5 * i);
    }
    assert_int_equal(field(after, "heap_enemies[1].health"), 1001);
    assert_int_equal(field(after, "list_len"), 3);
    assert_int_equal(field(after, "list_sum"), 6);
    uint64_t esize = field(after, "esize");
    assert_int_equal(field(after, "target"), field(after, "enemies") + 2 * esize);
}

static void assert_root_kept(const char *before, const char *after)
{
    assert_true(field(after, "frames") >= field(before, "frames"));
    assert_has(after, " name=layout-state ");
}

/* ---- changes to the root state ---------------------------------------------------------------- */

static void test_added_field_is_zero_and_every_value_kept(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/layout", NULL);
    remember_before(&f);
    edit(&f, "layout.c", "X(double, speed)", "X(double, speed) X(int32_t, added)");
    char after[LINE_MAX_];
    const char *ev = rebuild(&f, after, sizeof(after));
    assert_has(ev, "\"action\":\"migrate\"");
    assert_has(ev, "\"changed\":[\"state\"]");
    assert_has(ev, "\"zeroed\":[\"state.added\"]");
    assert_has(ev, "\"dropped\":[]");
    assert_has(ev, "\"state.hp\"");
    assert_int_equal(field(ev, "unused_bytes"), field(f.before, "size"));
    assert_int_equal(field(ev, "objects"), 1);

    assert_root_kept(f.before, after);
    assert_int_equal(field(after, "added"), 0);
    assert_int_equal(field(after, "hp"), 77);
    assert_true(number(after, "speed") == 2.5);
    assert_entities_kept(after);
    assert_int_not_equal(field(after, "root"), field(f.before, "root"));
    assert_int_equal(field(after, "enemies"), field(f.before, "enemies")); /* unchanged: not copied */
    assert_no_pointer_to_old_copies(f.before, after);
    assert_null(harness_event(&f.host, "warning", "layout", 0));
    fixture_stop(&f);
}

static void test_removed_field_is_dropped(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/layout", NULL);
    remember_before(&f);
    edit(&f, "layout.c", "X(double, speed)", "");
    edit(&f, "layout.c", "s->speed = 2.5;", "");
    char after[LINE_MAX_];
    const char *ev = rebuild(&f, after, sizeof(after));
    assert_has(ev, "\"dropped\":[\"state.speed\"]");
    assert_has(ev, "\"zeroed\":[]");
    assert_null(strstr(after, " speed="));
    assert_root_kept(f.before, after);
    assert_int_equal(field(after, "hp"), 77);
    assert_entities_kept(after);
    assert_no_pointer_to_old_copies(f.before, after);
    fixture_stop(&f);
}

static void test_reordered_fields_keep_every_value(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/layout", NULL);
    remember_before(&f);
    edit(&f, "layout.c", "X(uint64_t, frames)", "");
    edit(&f, "layout.c", "X(name16, name)", "X(name16, name) X(uint64_t, frames)");
    edit(&f, "layout.c", "X_POOL(node, nodes)", "");
    edit(&f, "layout.c", "X(int32_t, hp)", "X_POOL(node, nodes) X(int32_t, hp)");
    char after[LINE_MAX_];
    const char *ev = rebuild(&f, after, sizeof(after));
    assert_has(ev, "\"summary\":\"state: fields moved\"");
    assert_has(ev, "\"zeroed\":[]");
    assert_has(ev, "\"dropped\":[]");
    assert_root_kept(f.before, after);
    assert_int_equal(field(after, "hp"), 77);
    assert_true(number(after, "speed") == 2.5);
    assert_int_equal(field(after, "nodes"), field(f.before, "nodes"));
    assert_entities_kept(after);
    assert_int_not_equal(field(after, "root"), field(f.before, "root"));
    assert_no_pointer_to_old_copies(f.before, after);
    /* the pool still hands out and takes back slots: ticks go on */
    assert_non_null(harness_wait_event(&f.host, "log", "layout tick mark=2", 1, WAIT_MS));
    fixture_stop(&f);
}

static void test_changed_type_without_a_rule_is_zeroed_and_named(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/layout", NULL);
    remember_before(&f);
    edit(&f, "layout.c", "X(int32_t, hp)", "X(float, hp)");
    char after[LINE_MAX_];
    const char *ev = rebuild(&f, after, sizeof(after));
    assert_has(ev, "\"zeroed\":[\"state.hp\"]");
    assert_has(ev, "\"converted\":[]");
    assert_true(number(after, "hp") == 0.0); /* never the int's bits read as a float */
    const char *warning = harness_wait_event(&f.host, "warning", "state.hp (int32_t -> float)", 0, WAIT_MS);
    assert_has(warning, "game_api.migrate");
    assert_root_kept(f.before, after);
    assert_entities_kept(after);
    assert_no_pointer_to_old_copies(f.before, after);
    fixture_stop(&f);
}

static void test_changed_type_with_a_migrate_hook_is_converted(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/layout", NULL);
    remember_before(&f);
    edit(&f, "layout.c", "X(int32_t, hp)", "X(float, hp)");
    edit(&f, "layout.c", "#define LAYOUT_HOOK 0 ", "#define LAYOUT_HOOK 1 ");
    char after[LINE_MAX_];
    const char *ev = rebuild(&f, after, sizeof(after));
    assert_has(ev, "\"converted\":[\"state.hp\"]");
    assert_has(ev, "\"zeroed\":[]");
    assert_true(number(after, "hp") == 77.0);
    assert_non_null(harness_event(&f.host, "log", "layout migrate type=state converted=1", 0));
    assert_null(harness_event(&f.host, "warning", "state.hp", 0));
    assert_root_kept(f.before, after);
    assert_entities_kept(after);
    assert_no_pointer_to_old_copies(f.before, after);
    fixture_stop(&f);
}

/* ---- changes to the entities ------------------------------------------------------------------ */

static void test_changed_entity_struct_moves_both_arrays(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/layout", NULL);
    remember_before(&f);
    edit(&f, "layout.c", "X(float, x)", "");
    edit(&f, "layout.c", "X(int32_t, id)", "X(float, x) X(int32_t, armor) X(int32_t, id)");
    char after[LINE_MAX_];
    const char *ev = rebuild(&f, after, sizeof(after));
    assert_has(ev, "\"changed\":[\"enemy\"]");
    assert_has(ev, "\"zeroed\":[\"enemy.armor\"]");
    assert_int_equal(field(ev, "objects"), 6);
    assert_int_equal(field(ev, "updated"), 1);
    assert_int_equal(field(ev, "heap_freed"), 2 * field(f.before, "esize"));

    /* the root did not change shape: it stays, only its pointers follow the arrays */
    assert_int_equal(field(after, "root"), field(f.before, "root"));
    assert_int_not_equal(field(after, "enemies"), field(f.before, "enemies"));
    assert_int_not_equal(field(after, "heap_enemies"), field(f.before, "heap_enemies"));
    assert_true(field(after, "esize") > field(f.before, "esize"));
    const char *start = harness_event(&f.host, "start", NULL, 0);
    uint64_t heap = field(start, "base") + field(start, "heap_offset"), heap_end = heap + field(start, "heap");
    uint64_t moved = field(after, "heap_enemies");
    assert_true(moved >= heap && moved < heap_end); /* a heap array stays on the heap */
    for (int i = 0; i < 4; i++) {
        char key[32];
        snprintf(key, sizeof(key), "enemies[%d].armor", i);
        assert_int_equal(field(after, key), 0);
        snprintf(key, sizeof(key), "enemies[%d].alive", i);
        assert_int_equal(field(after, key), 1);
    }
    assert_entities_kept(after);
    assert_no_pointer_to_old_copies(f.before, after);
    fixture_stop(&f);
}

static void test_changed_pooled_struct_moves_the_list(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/layout", NULL);
    remember_before(&f);
    edit(&f, "layout.c", "X(int32_t, value)", "X(uint64_t, stamp) X(int32_t, value)");
    char after[LINE_MAX_];
    const char *ev = rebuild(&f, after, sizeof(after));
    assert_has(ev, "\"changed\":[\"node\"]");
    assert_has(ev, "\"zeroed\":[\"node.stamp\"]");
    const char *nodes[] = {"n0", "n1", "n2"};
    for (int i = 0; i < 3; i++) assert_int_not_equal(field(after, nodes[i]), field(f.before, nodes[i]));
    assert_int_equal(field(after, "nodes"), field(f.before, "nodes"));
    assert_entities_kept(after);
    assert_no_pointer_to_old_copies(f.before, after);
    /* the pool hands out slots of the new size every frame from now on */
    assert_non_null(harness_wait_event(&f.host, "log", "layout tick mark=2", 1, WAIT_MS));
    assert_true(harness_host_alive(&f.host));
    fixture_stop(&f);
}

/* ---- policies, and what needs no migration --------------------------------------------------- */

static void test_refuse_policy_keeps_the_old_code_running(void **unused)
{
    fixture f;
    const char *args[] = {"--on-layout-change=refuse", NULL};
    fixture_start(&f, "tests/games/layout", args);
    remember_before(&f);
    edit(&f, "layout.c", "X(double, speed)", "X(double, speed) X(int32_t, added)");
    edit(&f, "layout.c", "#define LAYOUT_MARK 1 ", "#define LAYOUT_MARK 2 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    const char *failed = harness_wait_event(&f.host, "reload_failed", NULL, 0, WAIT_MS);
    assert_has(failed, "state: +added");
    assert_has(failed, "--on-layout-change=refuse keeps version 1 running");
    assert_has(harness_event(&f.host, "layout", NULL, 0), "\"action\":\"refuse\"");
    /* version 1 goes on with the same state */
    int ticks = count_matching(&f.host, "log", "layout tick mark=1");
    const char *tick = harness_wait_event(&f.host, "log", "layout tick mark=1", ticks, WAIT_MS);
    assert_non_null(tick);
    assert_int_equal(field(tick, "root"), field(f.before, "root"));
    assert_true(field(tick, "frames") > field(f.before, "frames"));
    assert_int_equal(harness_count(&f.host, "reload"), 0);
    fixture_stop(&f);
}

static void test_restart_policy_starts_a_fresh_state(void **unused)
{
    fixture f;
    const char *args[] = {"--on-layout-change=restart", NULL};
    fixture_start(&f, "tests/games/layout", args);
    remember_before(&f);
    edit(&f, "layout.c", "X(double, speed)", "X(double, speed) X(int32_t, added)");
    edit(&f, "layout.c", "#define LAYOUT_MARK 1 ", "#define LAYOUT_MARK 2 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    assert_has(harness_wait_event(&f.host, "restart", NULL, 0, WAIT_MS), "\"cause\":\"layout\"");
    assert_has(harness_event(&f.host, "layout", NULL, 0), "\"action\":\"restart\"");
    const char *init = harness_wait_event(&f.host, "log", "layout init mark=2", 0, WAIT_MS);
    assert_int_equal(field(init, "frames"), 0);
    assert_int_equal(field(init, "added"), 0);
    assert_int_equal(field(init, "hp"), 77);
    assert_non_null(harness_wait_event(&f.host, "reload", NULL, 0, WAIT_MS));
    /* the fresh state has the new layouts: a rebuild of the same layout changes nothing */
    edit(&f, "layout.c", "#define LAYOUT_MARK 2 ", "#define LAYOUT_MARK 3 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    assert_non_null(harness_wait_event(&f.host, "log", "layout reloaded mark=3", 0, WAIT_MS));
    assert_int_equal(harness_count(&f.host, "restart"), 1);
    fixture_stop(&f);
}

static void test_unchanged_layout_changes_nothing(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/layout", NULL);
    remember_before(&f);
    char after[LINE_MAX_];
    assert_null(rebuild(&f, after, sizeof(after)));
    const char *keys[] = {"root", "enemies", "heap_enemies", "target", "list", "n2"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_int_equal(field(after, keys[i]), field(f.before, keys[i]));
    assert_int_equal(harness_count(&f.host, "layout"), 0);
    fixture_stop(&f);
}

static void test_library_without_layouts_is_compared_by_size(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/layout_plain", NULL);
    assert_non_null(harness_wait_event(&f.host, "log", "plain tick mark=1", 0, WAIT_MS));
    edit(&f, "plain.c", "int32_t lives;", "int32_t lives;\n    int64_t gold;");
    edit(&f, "plain.c", "#define PLAIN_MARK 1 ", "#define PLAIN_MARK 2 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    const char *failed = harness_wait_event(&f.host, "reload_failed", NULL, 0, WAIT_MS);
    assert_has(failed, "the root state was 16 bytes and is now 24");
    assert_has(failed, "declares no layouts");
    assert_has(failed, "GAME_STRUCT");
    int ticks = count_matching(&f.host, "log", "plain tick mark=1");
    assert_non_null(harness_wait_event(&f.host, "log", "plain tick mark=1", ticks, WAIT_MS));
    /* the same size again: it loads */
    edit(&f, "plain.c", "\n    int64_t gold;", "");
    edit(&f, "plain.c", "#define PLAIN_MARK 2 ", "#define PLAIN_MARK 3 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    assert_non_null(harness_wait_event(&f.host, "log", "plain tick mark=3", 0, WAIT_MS));
    assert_int_equal(harness_count(&f.host, "reload"), 1);
    fixture_stop(&f);
}

static void test_a_library_that_starts_declaring_layouts_is_adopted(void **unused)
{
    fixture f;
    fixture_start(&f, "tests/games/layout_plain", NULL);
    const char *tick = harness_wait_event(&f.host, "log", "plain tick mark=1", 0, WAIT_MS);
    assert_non_null(tick);
    uint64_t counter = field(tick, "counter");
    char plain[HARNESS_PATH + 16], declared[HARNESS_PATH + 16];
    snprintf(plain, sizeof(plain), "%s/plain.c", f.game.dir);
    snprintf(declared, sizeof(declared), "%s/declared.inc", f.game.dir);
    assert_true(harness_copy_file(declared, plain));
    assert_int_equal(harness_game_build(&f.game), 0);
    assert_non_null(harness_wait_event(&f.host, "log", "plain tick mark=2", 0, WAIT_MS));
    assert_int_equal(harness_count(&f.host, "layout"), 0); /* the same state: nothing to migrate */
    /* from now on the host knows the fields */
    edit(&f, "plain.c", "X(int32_t, lives)", "X(int32_t, lives) X(int64_t, gold)");
    edit(&f, "plain.c", "#define PLAIN_MARK 2 ", "#define PLAIN_MARK 3 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    assert_has(harness_wait_event(&f.host, "layout", NULL, 0, WAIT_MS), "\"zeroed\":[\"plain_state.gold\"]");
    tick = harness_wait_event(&f.host, "log", "plain tick mark=3", 0, WAIT_MS);
    assert_true(field(tick, "counter") > counter);
    assert_int_equal(field(tick, "lives"), 3);
    fixture_stop(&f);
}

/* ---- the template: its README's example ------------------------------------------------------- */

static void test_template_takes_a_new_field_while_it_runs(void **unused)
{
    fixture f;
    fixture_start(&f, "game_template", NULL);
    harness_sleep_ms(500);
    edit(&f, "snake.h", "X(int, score)", "X(int, score) X(int, lives)");
    assert_int_equal(harness_game_build(&f.game), 0);
    const char *ev = harness_wait_event(&f.host, "layout", NULL, 0, WAIT_MS);
    assert_has(ev, "\"action\":\"migrate\"");
    assert_has(ev, "\"zeroed\":[\"snake_state.lives\"]");
    uint64_t first_unused = field(ev, "unused_bytes");
    assert_has(harness_wait_event(&f.host, "log", "reloaded: state kept", 0, WAIT_MS), "reload 1");
    /* a pooled struct changes too: the sparks keep coming and going */
    edit(&f, "snake.h", "X(float, life)", "X(float, life) X(float, spin)");
    assert_int_equal(harness_game_build(&f.game), 0);
    ev = harness_wait_event(&f.host, "layout", NULL, 1, WAIT_MS);
    assert_has(ev, "\"zeroed\":[\"snake_spark.spin\"]");
    assert_int_equal(field(ev, "migrations"), 2);
    assert_int_equal(field(ev, "unused_total"), first_unused + field(ev, "unused_bytes"));
    harness_sleep_ms(1000);
    assert_true(harness_host_alive(&f.host));
    assert_int_equal(harness_count(&f.host, "restart"), 0);
    assert_int_equal(harness_count(&f.host, "crash"), 0);
    assert_int_equal(harness_count(&f.host, "reload"), 2);
    fixture_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_added_field_is_zero_and_every_value_kept),
        cmocka_unit_test(test_removed_field_is_dropped),
        cmocka_unit_test(test_reordered_fields_keep_every_value),
        cmocka_unit_test(test_changed_type_without_a_rule_is_zeroed_and_named),
        cmocka_unit_test(test_changed_type_with_a_migrate_hook_is_converted),
        cmocka_unit_test(test_changed_entity_struct_moves_both_arrays),
        cmocka_unit_test(test_changed_pooled_struct_moves_the_list),
        cmocka_unit_test(test_refuse_policy_keeps_the_old_code_running),
        cmocka_unit_test(test_restart_policy_starts_a_fresh_state),
        cmocka_unit_test(test_unchanged_layout_changes_nothing),
        cmocka_unit_test(test_library_without_layouts_is_compared_by_size),
        cmocka_unit_test(test_a_library_that_starts_declaring_layouts_is_adopted),
        cmocka_unit_test(test_template_takes_a_new_field_while_it_runs),
    };
    return harness_finish(cmocka_run_group_tests_name("integration: layout", tests, NULL, NULL));
}
