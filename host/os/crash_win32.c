/* crash_win32.c - the crash guard on Windows (x64). A crash in a guarded call is described from the
 * exception record and its context, then the call ends as crash_posix.c's does:
 *   - MinGW: a vectored exception handler (it runs before any frame handler, and MinGW's C has no
 *     __try). It does not jump out of the exception dispatcher: it points the faulting context at
 *     crash_resume on the guard's own part of the stack and lets Windows continue there, and
 *     crash_resume longjmps (without unwinding: the frames in between are dead) back to the guard;
 *   - MSVC: __try/__except around the call, with the same description made in the filter.
 * crash_raise raises an exception of its own, so it ends the call on either path. abort() is not an
 * exception on Windows: the C runtime raises SIGABRT, which is caught here too.
 * A stack overflow leaves almost no stack to describe it on (under Wine, not even the guarantee
 * SetThreadStackGuarantee asks for): its context is copied aside and its frames are walked once
 * the call is back at its guard; the overflow used up the stack's guard page, which _resetstkoflw
 * puts back. */
#include "crash.h"
#include "util_win32.h"

#include "../../arena/base.h"

#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(_M_X64) && !defined(__x86_64__)
#error "crash_win32.c reads x64 contexts; add this architecture's registers"
#endif

#define CRASH_RAISE_CODE 0xE0C0FFEEu           /* crash_raise's exception (customer bit set) */
#define CRASH_STACK_GUARANTEE (64u * 1024u)    /* stack Windows keeps for the handler of a stack overflow */

typedef struct crash_code {
    DWORD code;
    const char *name;
    const char *what;
} crash_code;

static const crash_code crash_codes[] = {
    {EXCEPTION_ACCESS_VIOLATION, "EXCEPTION_ACCESS_VIOLATION", "invalid memory access"},
    {EXCEPTION_STACK_OVERFLOW, "EXCEPTION_STACK_OVERFLOW", "stack overflow"},
    {EXCEPTION_IN_PAGE_ERROR, "EXCEPTION_IN_PAGE_ERROR", "a mapped file could not be read (it shrank?)"},
    {EXCEPTION_ILLEGAL_INSTRUCTION, "EXCEPTION_ILLEGAL_INSTRUCTION", "illegal instruction (__builtin_trap, or corrupted code)"},
    {EXCEPTION_PRIV_INSTRUCTION, "EXCEPTION_PRIV_INSTRUCTION", "privileged instruction (corrupted code?)"},
    {EXCEPTION_INT_DIVIDE_BY_ZERO, "EXCEPTION_INT_DIVIDE_BY_ZERO", "integer division by zero"},
    {EXCEPTION_INT_OVERFLOW, "EXCEPTION_INT_OVERFLOW", "integer overflow (INT_MIN / -1?)"},
    {EXCEPTION_DATATYPE_MISALIGNMENT, "EXCEPTION_DATATYPE_MISALIGNMENT", "misaligned access"},
    {EXCEPTION_ARRAY_BOUNDS_EXCEEDED, "EXCEPTION_ARRAY_BOUNDS_EXCEEDED", "array bounds exceeded"},
    {EXCEPTION_BREAKPOINT, "EXCEPTION_BREAKPOINT", "breakpoint trap"},
    {EXCEPTION_FLT_DIVIDE_BY_ZERO, "EXCEPTION_FLT_DIVIDE_BY_ZERO", "floating-point division by zero (unmasked)"},
    {EXCEPTION_FLT_INVALID_OPERATION, "EXCEPTION_FLT_INVALID_OPERATION", "invalid floating-point operation (unmasked)"},
    {CRASH_RAISE_CODE, "error", "stopped by the host"},
};

typedef struct crash_frame {
#if !defined(_MSC_VER)
    jmp_buf env;
    uintptr_t resume_sp; /* stack below the guard's own frame, free once the guarded call is dead */
#endif
    crash_info *info;
    struct crash_frame *outer;
    CONTEXT overflow; /* a stack overflow's context, walked after the jump back */
} crash_frame;

static _Thread_local crash_frame *crash_top;
static _Thread_local volatile LONG crash_in_handler;
static void (*crash_previous_abort)(int);
static DWORD crash_main_thread; /* the thread that installed the guard: never ended by it */

/* ---- describing a crash ------------------------------------------------------------------------ */

static const crash_code *crash_code_of(DWORD code)
{
    for (size_t i = 0; i < ARRAY_COUNT(crash_codes); i++)
        if (crash_codes[i].code == code) return &crash_codes[i];
    return NULL;
}

/* Fills the guard's info from the exception. crash_raise's own exception keeps the reason and
 * frames crash_raise wrote. */
static void crash_describe(const EXCEPTION_POINTERS *ep, const crash_code *code, crash_frame *f)
{
    const EXCEPTION_RECORD *r = ep->ExceptionRecord;
    crash_info *c = f->info;
    if (r->ExceptionCode == CRASH_RAISE_CODE) return;
    memset(c, 0, sizeof(*c));
    c->signal = (int)r->ExceptionCode;
    c->name = code->name;
    c->what = code->what;
    c->pc = (uintptr_t)r->ExceptionAddress;
    bool access = r->ExceptionCode == EXCEPTION_ACCESS_VIOLATION || r->ExceptionCode == EXCEPTION_IN_PAGE_ERROR;
    c->address = access && r->NumberParameters >= 2 ? (uintptr_t)r->ExceptionInformation[1] : c->pc;
    c->stack_overflow = r->ExceptionCode == EXCEPTION_STACK_OVERFLOW;
    if (c->stack_overflow) f->overflow = *ep->ContextRecord; /* no stack left to walk it here */
    else c->frame_count = win32_walk_stack(ep->ContextRecord, c->frames, CRASH_MAX_FRAMES);
}

/* Back at the guard, on a healthy stack. The overflow's innermost frames are still there: only the
 * outermost part of the dead call's stack was used to come back. */
static void crash_after(crash_frame *f)
{
    crash_in_handler = 0;
    if (!f->info->stack_overflow) return;
    f->info->frame_count = win32_walk_stack(&f->overflow, f->info->frames, CRASH_MAX_FRAMES);
    _resetstkoflw(); /* the next overflow needs the guard page this one used up */
}

/* A crash on a thread no guard runs on (crash.h): a game thread's is reported and the thread ends
 * here, its frames not unwound: ExitThread (the DLLs' thread-detach notifications run, so the heap
 * lets go of the thread's heap), or TerminateThread when a stack overflow left no stack for them.
 * Anything else returns, to be passed on. Never the main thread. */
static void crash_on_thread(const crash_info *c)
{
    if (GetCurrentThreadId() == crash_main_thread || !crash_thread_is_game(c)) return;
    crash_thread_publish(c, GetCurrentThreadId());
    if (c->stack_overflow) TerminateThread(GetCurrentThread(), STATUS_STACK_OVERFLOW);
    ExitThread(1);
}

static void crash_describe_abort(crash_info *c, int sig)
{
    memset(c, 0, sizeof(*c));
    c->signal = sig;
    c->name = "SIGABRT";
    c->what = "abort() called";
    c->frame_count = (int)RtlCaptureStackBackTrace(2, CRASH_MAX_FRAMES, (void **)c->frames, NULL);
    c->pc = c->frame_count ? c->frames[0] : 0;
}

/* abort() in a guarded call (an exhausted arena, a failed assert) ends the call like a crash; the
 * C runtime resets the handler to SIG_DFL before calling it, so it is set again each time. */
static void crash_on_abort(int sig)
{
    signal(SIGABRT, crash_on_abort);
    crash_frame *f = crash_top;
    if (!f) {
        crash_info c;
        crash_describe_abort(&c, sig);
        crash_on_thread(&c);
        if (crash_previous_abort && crash_previous_abort != SIG_DFL && crash_previous_abort != SIG_IGN)
            crash_previous_abort(sig);
        return; /* abort() goes on and ends the process */
    }
    crash_describe_abort(f->info, sig);
    RaiseException(CRASH_RAISE_CODE, 0, 0, NULL);
}

void crash_name(crash_info *c)
{
    const crash_code *code = crash_code_of((DWORD)c->signal);
    c->name = code ? code->name : "exception";
    c->what = code ? code->what : "an exception the host does not know";
    if (c->signal == SIGABRT) c->name = "SIGABRT", c->what = "abort() called";
}

/* A crash outside any guard: a game thread's ends its thread; anything else is not ours. */
static void crash_on_unguarded(const EXCEPTION_POINTERS *ep, const crash_code *code)
{
    crash_info c;
    crash_frame scratch = {.info = &c};
    crash_describe(ep, code, &scratch);
    if (c.stack_overflow) c.frame_count = 0; /* no stack left to walk it on */
    crash_on_thread(&c);
}

_Noreturn void crash_raise(const char *reason)
{
    crash_frame *f = crash_top;
    crash_info *c = crash_raise_report(f ? f->info : NULL, reason);
    c->frame_count = (int)RtlCaptureStackBackTrace(1, CRASH_MAX_FRAMES, (void **)c->frames, NULL);
    c->pc = c->frame_count ? c->frames[0] : 0;
    RaiseException(CRASH_RAISE_CODE, 0, 0, NULL);
    abort(); /* not reached: the guard takes the exception */
}

bool crash_guarded(void) { return crash_top != NULL; }

/* ---- the guard: MSVC ------------------------------------------------------------------------- */
#if defined(_MSC_VER)

/* Only for threads outside a guard: a guarded call has its __try. */
static LONG CALLBACK crash_on_exception(EXCEPTION_POINTERS *ep)
{
    const crash_code *code = crash_code_of(ep->ExceptionRecord->ExceptionCode);
    if (!crash_top && code && ep->ExceptionRecord->ExceptionCode != CRASH_RAISE_CODE) crash_on_unguarded(ep, code);
    return EXCEPTION_CONTINUE_SEARCH;
}

static int crash_filter(const EXCEPTION_POINTERS *ep, crash_frame *f)
{
    const crash_code *code = crash_code_of(ep->ExceptionRecord->ExceptionCode);
    if (!code) return EXCEPTION_CONTINUE_SEARCH; /* not a crash: someone else's exception */
    crash_describe(ep, code, f);
    return EXCEPTION_EXECUTE_HANDLER;
}

bool crash_guard_run(crash_fn *fn, void *ctx, crash_info *info)
{
    crash_frame f = {.info = info, .outer = crash_top};
    crash_top = &f;
    bool returned = true;
    __try {
        fn(ctx);
    } __except (crash_filter(GetExceptionInformation(), &f)) {
        returned = false;
    }
    crash_top = f.outer;
    if (!returned) crash_after(&f);
    return returned;
}

/* ---- the guard: MinGW (GCC, clang) ------------------------------------------------------------ */
#else

/* Where a crashed call continues: back to its guard. longjmp over a buffer saved with no frame
 * does not unwind, which is right here: the frames in between belong to the crash. */
static void crash_resume(void) { longjmp(crash_top->env, 1); }

static LONG CALLBACK crash_on_exception(EXCEPTION_POINTERS *ep)
{
    crash_frame *f = crash_top;
    const crash_code *code = crash_code_of(ep->ExceptionRecord->ExceptionCode);
    if (!f && code && ep->ExceptionRecord->ExceptionCode != CRASH_RAISE_CODE) crash_on_unguarded(ep, code);
    if (!f || !code) return EXCEPTION_CONTINUE_SEARCH; /* not ours: the host's own crash, or handled elsewhere */
    if (!InterlockedExchange(&crash_in_handler, 1)) crash_describe(ep, code, f);
    /* else: faulted while describing the first crash; go back with what it gathered */
    CONTEXT *c = ep->ContextRecord;
    c->Rsp = (DWORD64)((f->resume_sp & ~(uintptr_t)15) - 8); /* as a call would leave it */
    c->Rip = (DWORD64)(uintptr_t)crash_resume;
    return EXCEPTION_CONTINUE_EXECUTION;
}

/* The guarded call, in a frame of its own: everything below the frame's address is the call's,
 * dead after a crash, and crash_resume runs there. */
static BASE_NOINLINE void crash_call(crash_fn *fn, void *ctx, crash_frame *f)
{
    f->resume_sp = (uintptr_t)__builtin_frame_address(0) - 64;
    crash_top = f;
    fn(ctx);
}

bool crash_guard_run(crash_fn *fn, void *ctx, crash_info *info)
{
    crash_frame f;
    f.info = info;
    f.outer = crash_top;
    if (_setjmp(f.env, NULL) != 0) { /* no frame: longjmp restores registers without unwinding */
        crash_top = f.outer;
        crash_after(&f);
        return false;
    }
    crash_call(fn, ctx, &f);
    crash_top = f.outer;
    return true;
}

#endif

/* Both compilers: the stack guarantee on every call (per thread), the handlers once. */
void crash_install(void)
{
    static bool installed;
    ULONG guarantee = CRASH_STACK_GUARANTEE;
    SetThreadStackGuarantee(&guarantee);
    if (installed) return;
    installed = true;
    crash_main_thread = GetCurrentThreadId();
    AddVectoredExceptionHandler(1, crash_on_exception);
    crash_previous_abort = signal(SIGABRT, crash_on_abort);
}

void crash_thread_begin(const char *name)
{
    if (GetCurrentThreadId() == crash_main_thread) return; /* the host's: its crashes are the guard's */
    ULONG guarantee = CRASH_STACK_GUARANTEE; /* room to report a stack overflow */
    SetThreadStackGuarantee(&guarantee);
    crash_thread_announce(name);
}

void crash_thread_end(void)
{
    if (GetCurrentThreadId() != crash_main_thread) crash_thread_announce(NULL);
}

/* ---- fences ------------------------------------------------------------------------------------ */

bool crash_fence(uintptr_t start, uintptr_t end)
{
    if (end <= start) return false;
    /* a freed DLL leaves its 64 KiB-aligned range free: reserve it, no access, so nothing else lands there */
    void *got = VirtualAlloc((void *)start, end - start, MEM_RESERVE, PAGE_NOACCESS);
    if (got == (void *)start) return true;
    if (got) VirtualFree(got, 0, MEM_RELEASE);
    return false;
}

void crash_unfence(uintptr_t start, uintptr_t end)
{
    if (end > start) VirtualFree((void *)start, 0, MEM_RELEASE);
}

/* ---- names outside the game -------------------------------------------------------------------- */

void crash_describe_foreign(uintptr_t addr, char *out, size_t cap)
{
    HMODULE m;
    char path[MAX_PATH];
    if (!GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (const char *)addr, &m) ||
        !GetModuleFileNameA(m, path, sizeof(path))) {
        snprintf(out, cap, "0x%llx", (unsigned long long)addr);
        return;
    }
    const char *file = path;
    for (const char *p = path; *p; p++)
        if (*p == '\\' || *p == '/') file = p + 1;
    snprintf(out, cap, "%s+0x%llx", file, (unsigned long long)(addr - (uintptr_t)m));
}
