/* crash_posix.c - the crash guard on Linux and macOS: handlers for the crash signals on an alternate
 * stack (a stack overflow leaves no stack to run a handler on), sigsetjmp/siglongjmp back to
 * crash_guard_run, and PROT_NONE fences over the ranges of unloaded libraries.
 *
 * The handlers run with SA_NODEFER: a second fault while the first is being described (the unwinder
 * reading a smashed stack) enters the handler again instead of killing the process, and that second
 * entry jumps back at once with what the first had gathered. */
#include "crash.h"

#include "../../arena/base.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define CRASH_ALT_STACK_SIZE (256u * 1024u) /* the unwinder and ASan's handlers need more than SIGSTKSZ */
#define CRASH_STACK_NEAR (64u * 1024u)     /* a fault this close to the stack pointer: the stack ran out */
#define CRASH_EXIT_STACK_SIZE (64u * 1024u) /* where a crashed game thread runs its exit */

typedef struct crash_frame {
    sigjmp_buf env;
    crash_info *info;
    struct crash_frame *outer;
} crash_frame;

typedef struct crash_signal {
    int number;
    const char *name;
    const char *what;
} crash_signal;

static const crash_signal crash_signals[] = {
    {SIGSEGV, "SIGSEGV", "invalid memory access"},
    {SIGBUS, "SIGBUS", "bus error (misaligned access, or a mapped file that shrank)"},
    {SIGFPE, "SIGFPE", "arithmetic error (integer division by zero?)"},
    {SIGILL, "SIGILL", "illegal instruction (__builtin_trap, or corrupted code)"},
    {SIGABRT, "SIGABRT", "abort() called"},
    {SIGTRAP, "SIGTRAP", "breakpoint trap"},
};

static _Thread_local crash_frame *crash_top;
static _Thread_local volatile sig_atomic_t crash_in_handler;
static struct sigaction crash_previous[ARRAY_COUNT(crash_signals)];

/* ---- the interrupted context -------------------------------------------------------------- */

typedef struct crash_regs {
    uintptr_t pc, sp;
} crash_regs;

static crash_regs crash_regs_of(const void *context)
{
    const ucontext_t *uc = context;
    crash_regs r = {0, 0};
#if defined(__x86_64__) && defined(__linux__)
    r.pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    r.sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__) && defined(__linux__)
    r.pc = (uintptr_t)uc->uc_mcontext.pc;
    r.sp = (uintptr_t)uc->uc_mcontext.sp;
#else
    (void)uc;
#endif
    return r;
}

/* Reads the interrupted stack, which ASan may have poisoned (a redzone of the crashed frame). */
#if defined(BASE_ASAN)
#define CRASH_UNPOISONED __attribute__((no_sanitize_address))
#else
#define CRASH_UNPOISONED
#endif

/* The caller's return address when the crash is at the first instruction of a function (a call
 * through a stale pointer): the unwinder cannot start from an unmapped pc. */
static CRASH_UNPOISONED uintptr_t crash_return_address(const void *context, crash_regs r)
{
    const ucontext_t *uc = context;
#if defined(__x86_64__) && defined(__linux__)
    (void)uc;
    return r.sp ? *(const uintptr_t *)r.sp : 0; /* the call just pushed it */
#elif defined(__aarch64__) && defined(__linux__)
    (void)r;
    return (uintptr_t)uc->uc_mcontext.regs[30];
#else
    (void)uc;
    (void)r;
    return 0;
#endif
}

/* ---- the handler ---------------------------------------------------------------------------- */

static int crash_signal_index(int sig)
{
    for (size_t i = 0; i < ARRAY_COUNT(crash_signals); i++)
        if (crash_signals[i].number == sig) return (int)i;
    return -1;
}

/* The kernel's own faults, and signals this process sent itself (abort, raise). A SIGSEGV sent by
 * another process is a request to die, not a crash of the game. */
static bool crash_is_own(const siginfo_t *si) { return si->si_code > 0 || si->si_pid == getpid(); }

/* Passes the signal to whatever was installed before the guard (signals_posix.c, a sanitizer, the
 * default action). */
static void crash_chain(int index, int sig, siginfo_t *si, void *context)
{
    const struct sigaction *prev = &crash_previous[index];
    if (prev->sa_flags & SA_SIGINFO) {
        prev->sa_sigaction(sig, si, context);
    } else if (prev->sa_handler == SIG_IGN) {
        return;
    } else if (prev->sa_handler == SIG_DFL) {
        signal(sig, SIG_DFL);
        raise(sig); /* not blocked (SA_NODEFER): the default action happens here */
    } else {
        prev->sa_handler(sig);
    }
}

/* First the frames that need no unwinder: the pc and, when the crash is a jump to a bad address (a
 * call through a stale pointer), the return address the call left. Then backtrace(), which from a
 * handler lists the handler and the signal trampoline first: the frames from the interrupted pc on
 * replace the first guess. The unwinder reads the code at a pc it has no unwind table for, so for a
 * pc in unmapped memory it faults, and the second entry of the handler keeps the first guess. */
static void crash_collect_frames(crash_info *c, const void *context, crash_regs r)
{
    c->frames[0] = r.pc;
    c->frame_count = 1;
    bool bad_jump = c->signal == SIGSEGV && c->address == r.pc && !c->stack_overflow;
    uintptr_t ret = bad_jump ? crash_return_address(context, r) : 0;
    if (ret) c->frames[c->frame_count++] = ret;
    void *raw[CRASH_MAX_FRAMES + 8];
    int n = backtrace(raw, (int)ARRAY_COUNT(raw)), start = -1;
    for (int i = 0; i < n && start < 0; i++)
        if ((uintptr_t)raw[i] == r.pc) start = i;
    if (start < 0 || n - start < c->frame_count) return;
    c->frame_count = 0;
    for (int i = start; i < n && c->frame_count < CRASH_MAX_FRAMES; i++) c->frames[c->frame_count++] = (uintptr_t)raw[i];
}

static bool crash_on_main_thread(void) { return (pid_t)syscall(SYS_gettid) == getpid(); }

/* What the signal says, and the frames from the interrupted context. */
static void crash_describe(crash_info *c, int index, const siginfo_t *si, const void *context)
{
    crash_regs r = crash_regs_of(context);
    memset(c, 0, sizeof(*c));
    c->signal = crash_signals[index].number;
    c->name = crash_signals[index].name;
    c->what = crash_signals[index].what;
    c->address = si->si_code > 0 ? (uintptr_t)si->si_addr : 0; /* sent signals carry a pid there */
    c->pc = r.pc;
    bool fault = c->signal == SIGSEGV || c->signal == SIGBUS;
    uintptr_t distance = c->address > r.sp ? c->address - r.sp : r.sp - c->address;
    c->stack_overflow = fault && r.sp && distance < CRASH_STACK_NEAR;
    crash_collect_frames(c, context, r);
}

/* Where a crashed game thread ends: pthread_exit on a stack of its own. glibc's forced unwind then
 * meets only frames outside the thread's stack, runs to their end and jumps straight to the
 * thread's start, so the crashed frames are never unwound (no game code runs in them again) while
 * the thread's exit runs as usual: its thread-specific data destructors (the heap's, a sanitizer's)
 * and a pthread_join of it, which returns PTHREAD_CANCELED. */
static void crash_thread_exit(void) { pthread_exit(PTHREAD_CANCELED); }

static _Noreturn void crash_end_thread(void)
{
    static _Thread_local ucontext_t exit_context;
    /* left mapped: the thread is on it until its exit jumps away */
    void *stack = mmap(NULL, CRASH_EXIT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack != MAP_FAILED && getcontext(&exit_context) == 0) {
        exit_context.uc_stack.ss_sp = stack;
        exit_context.uc_stack.ss_size = CRASH_EXIT_STACK_SIZE;
        exit_context.uc_link = NULL;
        makecontext(&exit_context, crash_thread_exit, 0);
        setcontext(&exit_context);
    }
    syscall(SYS_exit, 0); /* no memory for that stack: end this thread alone, as the kernel does */
    for (;;) pause();
}

/* A crash on a thread no guard runs on: a game thread's is reported and the thread ends here
 * (crash_end_thread); anything else returns, to be passed on. Never the main thread: the process
 * would go on without it. */
static void crash_on_thread(int index, const siginfo_t *si, const void *context)
{
    static _Thread_local crash_info c;
    if (crash_on_main_thread()) return;
    if (!crash_in_handler) { /* a second fault while describing the first keeps what the first gathered */
        crash_in_handler = 1;
        crash_describe(&c, index, si, context);
    }
    if (!crash_thread_is_game(&c)) return;
    crash_thread_publish(&c, (uint64_t)syscall(SYS_gettid));
    crash_end_thread();
}

static void crash_on_signal(int sig, siginfo_t *si, void *context)
{
    int index = crash_signal_index(sig); /* installed for crash_signals only */
    crash_frame *f = crash_top;
    if (crash_is_own(si) && !f) crash_on_thread(index, si, context);
    if (!f || !crash_is_own(si)) {
        crash_chain(index, sig, si, context);
        return;
    }
    if (crash_in_handler) siglongjmp(f->env, 1); /* faulted while describing the first crash */
    crash_in_handler = 1;
    crash_describe(f->info, index, si, context);
    siglongjmp(f->env, 1);
}

void crash_name(crash_info *c)
{
    int index = crash_signal_index(c->signal);
    c->name = index >= 0 ? crash_signals[index].name : "signal";
    c->what = index >= 0 ? crash_signals[index].what : "killed by a signal";
    if (c->signal == SIGKILL) c->name = "SIGKILL";
}

/* ---- installing --------------------------------------------------------------------------- */

static _Thread_local void *crash_alt_stack; /* this thread's, while installed */

static void crash_install_alt_stack(void)
{
    if (crash_alt_stack) return;
    void *mem = mmap(NULL, CRASH_ALT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return; /* no overflow report on this thread, everything else still works */
    stack_t ss = {.ss_sp = mem, .ss_size = CRASH_ALT_STACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) == 0) crash_alt_stack = mem;
    else munmap(mem, CRASH_ALT_STACK_SIZE);
}

void crash_thread_begin(const char *name)
{
    if (crash_on_main_thread()) return; /* the host's: its crashes are the guard's */
    crash_install_alt_stack();
    crash_thread_announce(name);
}

void crash_thread_end(void)
{
    if (crash_on_main_thread()) return;
    crash_thread_announce(NULL);
    if (!crash_alt_stack) return;
    stack_t off = {.ss_flags = SS_DISABLE};
    if (sigaltstack(&off, NULL) != 0) return; /* still in use: keep it */
    munmap(crash_alt_stack, CRASH_ALT_STACK_SIZE);
    crash_alt_stack = NULL;
}

void crash_install(void)
{
    static bool warmed;
    crash_install_alt_stack();
    if (!warmed) {
        void *warm[2];
        backtrace(warm, 2); /* the first call loads the unwinder (and allocates): do it outside a handler */
        warmed = true;
    }
    struct sigaction sa, current;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = crash_on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    for (size_t i = 0; i < ARRAY_COUNT(crash_signals); i++) {
        /* a handler installed since (a test framework's) becomes the one to pass unguarded crashes to */
        sigaction(crash_signals[i].number, NULL, &current);
        if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == crash_on_signal) continue;
        crash_previous[i] = current;
        sigaction(crash_signals[i].number, &sa, NULL);
    }
}

/* ---- guarded calls ------------------------------------------------------------------------ */

bool crash_guard_run(crash_fn *fn, void *ctx, crash_info *info)
{
    crash_frame f;
    f.info = info;
    f.outer = crash_top;
    /* savemask: the jump out of a handler must not leave the signal blocked */
    if (sigsetjmp(f.env, 1) != 0) {
        crash_top = f.outer;
        crash_in_handler = 0;
        return false;
    }
    crash_top = &f;
    fn(ctx);
    crash_top = f.outer;
    return true;
}

bool crash_guarded(void) { return crash_top != NULL; }

_Noreturn void crash_raise(const char *reason)
{
    crash_frame *f = crash_top;
    crash_info *c = crash_raise_report(f ? f->info : NULL, reason);
    void *raw[CRASH_MAX_FRAMES + 1];
    int n = backtrace(raw, (int)ARRAY_COUNT(raw));
    for (int i = 1; i < n; i++) c->frames[c->frame_count++] = (uintptr_t)raw[i]; /* from the caller on */
    c->pc = c->frame_count ? c->frames[0] : 0;
    siglongjmp(f->env, 1);
}

/* ---- fences ------------------------------------------------------------------------------- */

static void crash_page_range(uintptr_t *start, uintptr_t *end)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    *start &= ~(page - 1);
    *end = (*end + page - 1) & ~(page - 1);
}

bool crash_fence(uintptr_t start, uintptr_t end)
{
    crash_page_range(&start, &end);
    if (end <= start) return false;
    void *p = mmap((void *)start, end - start, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
                   -1, 0);
    if (p == MAP_FAILED) return false;
    if ((uintptr_t)p != start) { /* a kernel without MAP_FIXED_NOREPLACE took it as a hint */
        munmap(p, end - start);
        return false;
    }
    return true;
}

void crash_unfence(uintptr_t start, uintptr_t end)
{
    crash_page_range(&start, &end);
    if (end > start) munmap((void *)start, end - start);
}

/* ---- names outside the game ---------------------------------------------------------------- */

void crash_describe_foreign(uintptr_t addr, char *out, size_t cap)
{
    Dl_info info;
    if (!dladdr((void *)addr, &info) || !info.dli_fname) {
        snprintf(out, cap, "0x%llx", (unsigned long long)addr);
        return;
    }
    const char *file = strrchr(info.dli_fname, '/');
    file = file ? file + 1 : info.dli_fname;
    if (info.dli_sname && info.dli_saddr)
        snprintf(out, cap, "%s!%s+0x%llx", file, info.dli_sname, (unsigned long long)(addr - (uintptr_t)info.dli_saddr));
    else
        snprintf(out, cap, "%s+0x%llx", file, (unsigned long long)(addr - (uintptr_t)info.dli_fbase));
}
