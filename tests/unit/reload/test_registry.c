/* test_registry.c - proves the function registry: handles start at 1 and stay the same for a name;
 * a handle gives the function registered; after a resolve every name points at the function the
 * lookup found, and a missing one at the trap, which knows the handle it stands for; unknown handles
 * (0, never given out) get the trap too; bad names get 0; the table grows without moving handles;
 * and a call through a vanished name ends a guarded call with an error naming the function. */
#include "../test_util.h"

#include "host/os/crash.h"
#include "host/reload/registry.h"

static int calls_a, calls_b, calls_trap;

static void fn_a(void) { calls_a++; }
static void fn_b(void) { calls_b++; }
static void fn_a2(void) { calls_a += 100; }
static void fn_trap(void) { calls_trap++; }

static void test_handles_are_stable_per_name(void **unused)
{
    registry r = {.trap = fn_trap};
    uint32_t a = registry_register(&r, "enemy_chase", fn_a);
    uint32_t b = registry_register(&r, "enemy_flee", fn_b);
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);
    assert_int_equal(registry_register(&r, "enemy_chase", fn_a2), a); /* again: same handle, new function */
    registry_get(&r, a)();
    registry_get(&r, b)();
    assert_int_equal(calls_a, 100);
    assert_int_equal(calls_b, 1);
    assert_string_equal(registry_name(&r, a), "enemy_chase");
    assert_null(registry_name(&r, 0));
    assert_null(registry_name(&r, 3));
    registry_free(&r);
}

static void test_unknown_handles_and_bad_names(void **unused)
{
    registry r = {.trap = fn_trap};
    char long_name[REGISTRY_NAME_MAX + 1];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = 0;
    assert_int_equal(registry_register(&r, long_name, fn_a), 0);
    assert_int_equal(registry_register(&r, "", fn_a), 0);
    assert_int_equal(registry_register(&r, NULL, fn_a), 0);
    long_name[REGISTRY_NAME_MAX - 1] = 0; /* the longest that fits */
    assert_int_equal(registry_register(&r, long_name, fn_a), 1);
    assert_ptr_equal(registry_get(&r, 0), fn_trap);
    assert_int_equal(r.trapped, 0);
    assert_ptr_equal(registry_get(&r, 7), fn_trap);
    assert_int_equal(r.trapped, 7);
    registry_free(&r);
}

typedef struct build {
    const char *names[4];
    registry_fn fns[4];
} build;

static registry_fn lookup(void *ctx, const char *name)
{
    build *b = ctx;
    for (int i = 0; i < 4 && b->names[i]; i++)
        if (strcmp(b->names[i], name) == 0) return b->fns[i];
    return NULL;
}

static void test_resolve_follows_names_and_traps_the_missing(void **unused)
{
    registry r = {.trap = fn_trap};
    uint32_t a = registry_register(&r, "step", fn_a);
    uint32_t b = registry_register(&r, "draw", fn_b);
    build next = {{"draw", "step"}, {fn_b, fn_a2}};
    assert_int_equal(registry_resolve(&r, lookup, &next), 0);
    assert_ptr_equal(registry_get(&r, a), fn_a2);
    assert_ptr_equal(registry_get(&r, b), fn_b);
    build renamed = {{"draw", "step_renamed"}, {fn_b, fn_a}};
    assert_int_equal(registry_resolve(&r, lookup, &renamed), 1);
    assert_ptr_equal(registry_get(&r, a), fn_trap);
    assert_int_equal(r.trapped, a);
    assert_ptr_equal(registry_get(&r, b), fn_b);
    /* back in a later build: found again under the same handle */
    assert_int_equal(registry_resolve(&r, lookup, &next), 0);
    assert_ptr_equal(registry_get(&r, a), fn_a2);
    registry_free(&r);
}

static void test_growing_keeps_handles_and_names(void **unused)
{
    registry r = {.trap = fn_trap};
    char name[32];
    for (uint32_t i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "fn_%u", i);
        assert_int_equal(registry_register(&r, name, i % 2 ? fn_a : fn_b), i + 1);
    }
    for (uint32_t i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "fn_%u", i);
        assert_string_equal(registry_name(&r, i + 1), name);
        assert_int_equal(registry_register(&r, name, fn_a), i + 1);
    }
    assert_int_equal(r.count, 300);
    registry_free(&r);
}

/* ---- the trap as the host sets it up: a call through a vanished name ends the guarded call ---- */

static registry trap_registry;

static void trap_raise(void)
{
    char reason[256];
    snprintf(reason, sizeof(reason), "called function '%s', which is gone",
             registry_name(&trap_registry, trap_registry.trapped));
    crash_raise(reason);
}

static void call_step(void *ctx)
{
    uint32_t handle = *(uint32_t *)ctx;
    registry_get(&trap_registry, handle)();
    calls_b = -1; /* never reached */
}

static void test_call_through_a_vanished_name_stops_with_its_name(void **unused)
{
    crash_install();
    trap_registry = (registry){.trap = trap_raise};
    uint32_t step = registry_register(&trap_registry, "step", fn_a);
    build none = {{NULL}, {NULL}};
    registry_resolve(&trap_registry, lookup, &none);
    int before = calls_b;
    crash_info info;
    assert_false(crash_guard_run(call_step, &step, &info));
    assert_string_equal(info.reason, "called function 'step', which is gone");
    assert_int_equal(calls_b, before);
    registry_free(&trap_registry);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handles_are_stable_per_name),
        cmocka_unit_test(test_unknown_handles_and_bad_names),
        cmocka_unit_test(test_resolve_follows_names_and_traps_the_missing),
        cmocka_unit_test(test_growing_keeps_handles_and_names),
        cmocka_unit_test(test_call_through_a_vanished_name_stops_with_its_name),
    };
    return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
