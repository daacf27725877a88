/* test_crash.c - proves the crash guard: each crash signal a game can cause (a bad write, abort(),
 * a stack overflow, a division by zero, a trap instruction, a raised SIGTRAP, a bus error) returns
 * to the guard with the signal, the address and the frames; a thousand crashes in a row all return
 * (the signal mask and the alternate stack are restored each time); guards nest; crash_raise ends
 * the call with its reason; a crash outside any guard still ends the process, through the handler
 * installed before the guard; a SIGSEGV sent by another process is not taken for a crash; a fenced
 * range faults; the backtrace JSON folds repeats and stops at the last game frame. */
#include "../test_util.h"

#include "host/os/crash.h"

/* Crashes on purpose: the sanitizers must not stop them first. */
#define CRASH_TEST_FN static BASE_NOINLINE __attribute__((no_sanitize("undefined")))

CRASH_TEST_FN void crash_test_segv(void *ctx)
{
    (void)ctx;
    int *volatile unmapped = (int *)(uintptr_t)16;
    *unmapped = 1;
}

CRASH_TEST_FN void crash_test_abort(void *ctx)
{
    (void)ctx;
    abort();
}

CRASH_TEST_FN uint64_t crash_test_recurse(uint64_t depth)
{
    volatile char pad[256];
    if (depth == UINT64_MAX) return 0;
    pad[depth % sizeof(pad)] = (char)depth;
    return crash_test_recurse(depth + 1) + (uint64_t)pad[depth % sizeof(pad)];
}

CRASH_TEST_FN void crash_test_overflow(void *ctx) { *(volatile uint64_t *)ctx = crash_test_recurse(0); }

CRASH_TEST_FN void crash_test_fpe(void *ctx)
{
    volatile int dividend = 1000, zero = 0;
    *(volatile int *)ctx = dividend / zero;
}

CRASH_TEST_FN void crash_test_ill(void *ctx)
{
    (void)ctx;
    __builtin_trap();
}

CRASH_TEST_FN void crash_test_trap(void *ctx)
{
    (void)ctx;
    raise(SIGTRAP);
}

/* Reads a mapped page of a file that was cut to nothing. */
CRASH_TEST_FN void crash_test_bus(void *ctx)
{
    volatile uint8_t *page = ctx;
    *(volatile uint8_t *)ctx = page[0];
}

static void crash_test_return(void *ctx) { *(int *)ctx = 42; }

static void crash_test_raise(void *ctx) { crash_raise(ctx); }

/* cmocka installs its own crash handlers around every test: each test puts the guard's back. */
static void guard_on(void) { crash_install(); }

/* ---- what an unguarded crash does (first: the child must install its handler before the guard) -- */

static void segv_marker(int sig)
{
    (void)sig;
    _exit(42);
}

static void child_previous_handler_then_crash(void *ctx)
{
    (void)ctx;
    signal(SIGSEGV, segv_marker);
    crash_install();
    crash_test_segv(NULL);
    fprintf(stderr, "survived\n");
}

static void test_unguarded_crash_goes_to_the_handler_installed_before(void **unused)
{
    fatal_result r = run_fatal(child_previous_handler_then_crash, NULL);
    assert_false(r.signaled);
    assert_int_equal(r.exit_code, 42);
}

/* In a child: cmocka's handler would jump back into cmocka and run the rest of the suite there. */
static void child_default_handlers(void)
{
    signal(SIGSEGV, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
}

static void child_crash_without_guard(void *ctx)
{
    (void)ctx;
    child_default_handlers();
    crash_install();
    crash_test_segv(NULL);
    fprintf(stderr, "survived\n");
}

static void test_unguarded_crash_is_not_swallowed(void **unused)
{
    fatal_result r = run_fatal(child_crash_without_guard, NULL);
    assert_true(r.signaled || r.exit_code != 0);
    assert_null(strstr(r.text, "survived"));
}

static void wait_for_the_kill(void *ctx)
{
    (void)ctx;
    pid_t me = getpid();
    if (fork() == 0) {
        kill(me, SIGSEGV);
        _exit(0);
    }
    for (int i = 0; i < 500; i++) sleep_ms(10);
}

static void child_killed_inside_guard(void *ctx)
{
    crash_info info;
    child_default_handlers();
    crash_install();
    if (!crash_guard_run(wait_for_the_kill, ctx, &info)) fprintf(stderr, "caught %s\n", info.name);
    fprintf(stderr, "survived\n");
}

static void test_segv_sent_by_another_process_is_not_a_crash(void **unused)
{
    fatal_result r = run_fatal(child_killed_inside_guard, NULL);
    assert_true(r.signaled || r.exit_code != 0);
    assert_null(strstr(r.text, "survived"));
}

/* ---- guarded crashes ------------------------------------------------------------------------ */

static void expect_crash(crash_fn *fn, void *ctx, int sig, crash_info *info)
{
    memset(info, 0xab, sizeof(*info));
    assert_false(crash_guard_run(fn, ctx, info));
    if (info->signal != sig) fail_msg("signal %d (%s), want %d", info->signal, info->name, sig);
    assert_false(crash_guarded());
    assert_true(info->frame_count > 0);
    assert_int_equal(info->frames[0], info->pc);
    assert_int_equal(info->reason[0], 0);
}

static void test_a_call_that_returns_is_left_alone(void **unused)
{
    guard_on();
    crash_info info;
    int value = 0;
    assert_true(crash_guard_run(crash_test_return, &value, &info));
    assert_int_equal(value, 42);
    assert_false(crash_guarded());
}

static void test_bad_write_gives_signal_address_and_pc(void **unused)
{
    guard_on();
    crash_info info;
    expect_crash(crash_test_segv, NULL, SIGSEGV, &info);
    assert_string_equal(info.name, "SIGSEGV");
    assert_int_equal(info.address, 16);
    assert_false(info.stack_overflow);
    /* the pc is inside the function that crashed */
    uintptr_t fn = (uintptr_t)crash_test_segv;
    assert_true(info.pc >= fn && info.pc < fn + 256);
}

static void test_abort_is_caught(void **unused)
{
    guard_on();
    crash_info info;
    expect_crash(crash_test_abort, NULL, SIGABRT, &info);
    assert_string_equal(info.what, "abort() called");
    assert_int_equal(info.address, 0);
}

static void test_stack_overflow_is_caught_on_the_alternate_stack(void **unused)
{
    guard_on();
    crash_info info;
    uint64_t sink = 0;
    expect_crash(crash_test_overflow, &sink, SIGSEGV, &info);
    assert_true(info.stack_overflow);
    assert_true(info.frame_count > 10); /* the recursion, frame after frame */
    char summary[256];
    crash_summary(&info, summary, sizeof(summary));
    assert_non_null(strstr(summary, "stack overflow"));
}

static void test_fpe_ill_trap_and_bus_are_caught(void **unused)
{
    guard_on();
    crash_info info;
    int sink = 0;
    expect_crash(crash_test_fpe, &sink, SIGFPE, &info);
    expect_crash(crash_test_ill, NULL, SIGILL, &info);
    expect_crash(crash_test_trap, NULL, SIGTRAP, &info);

    char dir[256], path[300];
    temp_dir_create(dir, sizeof(dir), "crash");
    snprintf(path, sizeof(path), "%s/shrinks", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_int_equal(ftruncate(fd, 8192), 0);
    uint8_t *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(page != MAP_FAILED);
    assert_int_equal(ftruncate(fd, 0), 0);
    expect_crash(crash_test_bus, page, SIGBUS, &info);
    assert_int_equal(info.address, (uintptr_t)page);
    munmap(page, 8192);
    close(fd);
    temp_dir_remove(dir);
}

static void test_a_thousand_crashes_in_a_row_all_return(void **unused)
{
    guard_on();
    crash_info info;
    for (int i = 0; i < 1000; i++) {
        assert_false(crash_guard_run(i % 2 ? crash_test_segv : crash_test_abort, NULL, &info));
        assert_int_equal(info.signal, i % 2 ? SIGSEGV : SIGABRT);
    }
    /* the signals are not left blocked */
    sigset_t blocked;
    sigprocmask(SIG_BLOCK, NULL, &blocked);
    assert_false(sigismember(&blocked, SIGSEGV));
    assert_false(sigismember(&blocked, SIGABRT));
}

typedef struct nest {
    crash_info inner;
    bool inner_returned;
    int after;
} nest;

static void nest_outer(void *ctx)
{
    nest *n = ctx;
    n->inner_returned = crash_guard_run(crash_test_segv, NULL, &n->inner);
    n->after = 1; /* the outer call goes on after the inner crash */
    crash_test_abort(NULL);
}

static void test_guards_nest(void **unused)
{
    guard_on();
    nest n = {.after = 0};
    crash_info outer;
    assert_false(crash_guard_run(nest_outer, &n, &outer));
    assert_false(n.inner_returned);
    assert_int_equal(n.inner.signal, SIGSEGV);
    assert_int_equal(n.after, 1);
    assert_int_equal(outer.signal, SIGABRT);
}

static void test_crash_raise_ends_the_call_with_its_reason(void **unused)
{
    guard_on();
    crash_info info;
    assert_false(crash_guard_run(crash_test_raise, "called function 'gone'", &info));
    assert_int_equal(info.signal, 0);
    assert_string_equal(info.name, "error");
    assert_string_equal(info.reason, "called function 'gone'");
    assert_true(info.frame_count > 0);
    char summary[256];
    crash_summary(&info, summary, sizeof(summary));
    assert_string_equal(summary, "called function 'gone'");
}

/* ---- fences ---------------------------------------------------------------------------------- */

static void read_fenced(void *ctx) { *(volatile uint8_t *)ctx = ((volatile uint8_t *)ctx)[100]; }

/* A call through a pointer into the fence, the way old code's function pointer is called. */
static BASE_NOINLINE void call_fenced(void *ctx)
{
    void (*stale)(void) = (void (*)(void))(uintptr_t)ctx;
    stale();
    *(volatile int *)ctx = 0; /* not a tail call: the return address stays on the stack */
}

static void test_a_fenced_range_faults_and_is_given_back(void **unused)
{
    guard_on();
    size_t size = 3 * 4096;
    uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    assert_false(crash_fence((uintptr_t)p, (uintptr_t)p + size)); /* still mapped: refused */
    munmap(p, size);
    assert_true(crash_fence((uintptr_t)p + 5, (uintptr_t)p + size - 7)); /* rounded out to pages */
    crash_info info;
    assert_false(crash_guard_run(read_fenced, p + 4096, &info));
    assert_int_equal(info.signal, SIGSEGV);
    assert_int_equal(info.address, (uintptr_t)p + 4096 + 100);
    /* a jump into the fence: the pc is the stale address, and the caller is still named */
    assert_false(crash_guard_run(call_fenced, p + 4096, &info));
    assert_int_equal(info.pc, (uintptr_t)p + 4096);
    assert_true(info.frame_count >= 2);
    assert_true(info.frames[1] > (uintptr_t)call_fenced && info.frames[1] < (uintptr_t)call_fenced + 256);
    crash_unfence((uintptr_t)p, (uintptr_t)p + size);
    void *again = mmap(p, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    assert_ptr_equal(again, p);
    munmap(again, size);
}

/* ---- words ----------------------------------------------------------------------------------- */

static bool fake_symbolize(void *ctx, uintptr_t addr, char *out, size_t cap)
{
    (void)ctx;
    switch (addr) {
    case 0x100: snprintf(out, cap, "crashy_segv+0x0"); return true;
    case 0x1ff: snprintf(out, cap, "crashy_recurse+0x1f"); return true;
    case 0x2ff: snprintf(out, cap, "with \"quotes\""); return true;
    default: snprintf(out, cap, "host+0x%llx", (unsigned long long)addr); return false;
    }
}

static void test_backtrace_json_folds_repeats_and_stops_after_the_game(void **unused)
{
    crash_info c;
    memset(&c, 0, sizeof(c));
    uintptr_t frames[] = {0x100, 0x200, 0x200, 0x200, 0x900, 0x300, 0x400, 0x500};
    memcpy(c.frames, frames, sizeof(frames));
    c.frame_count = (int)ARRAY_COUNT(frames);
    char json[1024];
    size_t n = crash_backtrace_json(&c, fake_symbolize, NULL, json, sizeof(json));
    assert_string_equal(json, "[\"crashy_segv+0x0\",\"crashy_recurse+0x1f (x3)\",\"host+0x8ff\",\"with \\\"quotes\\\"\"]");
    assert_int_equal(n, strlen(json));
    /* no game frame at all: the first few, whatever they are */
    uintptr_t host_only[] = {0x700, 0x800};
    memcpy(c.frames, host_only, sizeof(host_only));
    c.frame_count = 2;
    crash_backtrace_json(&c, fake_symbolize, NULL, json, sizeof(json));
    assert_string_equal(json, "[\"host+0x700\",\"host+0x7ff\"]");
    /* a small buffer still holds valid JSON */
    c.frame_count = (int)ARRAY_COUNT(frames);
    memcpy(c.frames, frames, sizeof(frames));
    crash_backtrace_json(&c, fake_symbolize, NULL, json, 24);
    assert_string_equal(json, "[\"crashy_segv+0x0\"]");
}

static void test_foreign_addresses_name_their_module(void **unused)
{
    char text[256];
    crash_describe_foreign((uintptr_t)abort, text, sizeof(text));
    assert_non_null(strstr(text, "libc"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unguarded_crash_goes_to_the_handler_installed_before),
        cmocka_unit_test(test_unguarded_crash_is_not_swallowed),
        cmocka_unit_test(test_segv_sent_by_another_process_is_not_a_crash),
        cmocka_unit_test(test_a_call_that_returns_is_left_alone),
        cmocka_unit_test(test_bad_write_gives_signal_address_and_pc),
        cmocka_unit_test(test_abort_is_caught),
        cmocka_unit_test(test_stack_overflow_is_caught_on_the_alternate_stack),
        cmocka_unit_test(test_fpe_ill_trap_and_bus_are_caught),
        cmocka_unit_test(test_a_thousand_crashes_in_a_row_all_return),
        cmocka_unit_test(test_guards_nest),
        cmocka_unit_test(test_crash_raise_ends_the_call_with_its_reason),
        cmocka_unit_test(test_a_fenced_range_faults_and_is_given_back),
        cmocka_unit_test(test_backtrace_json_folds_repeats_and_stops_after_the_game),
        cmocka_unit_test(test_foreign_addresses_name_their_module),
    };
    return cmocka_run_group_tests_name("crash", tests, NULL, NULL);
}
