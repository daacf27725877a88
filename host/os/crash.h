/* crash.h - the crash guard: runs a call into game code so that a crash in it returns to the host
 * instead of killing the process, and fences the address ranges of unloaded libraries.
 *
 *     crash_install();                          // once, on the thread that calls the game
 *     crash_info info;
 *     if (!crash_guard_run(call_update, ctx, &info))
 *         ... info says what happened: signal, address, the frames of the crash ...
 *
 * Per OS: crash_posix.c (signal handlers on an alternate stack, so a stack overflow is caught too,
 * and sigsetjmp/siglongjmp back to crash_guard_run); a Windows crash_win32.c implements the same
 * functions with a vectored exception handler (MinGW) or __try/__except (MSVC), filling the same
 * crash_info (name "EXCEPTION_ACCESS_VIOLATION", stack_overflow for EXCEPTION_STACK_OVERFLOW).
 * crash.c holds what is the same everywhere: the words for a crash and its backtrace as JSON.
 *
 * A crash on a thread inside crash_guard_run returns to the guard. A crash on any other thread is a
 * game thread's when the thread was announced (crash_thread_begin) or when its code, or a caller's,
 * lies in game code (crash_code_range: the running build and the fenced old ones): that thread
 * reports into a lock-free slot from its handler and ends right there, never resumed and its crashed
 * frames never unwound, through the thread's normal exit (POSIX: pthread_exit on a stack of its own,
 * so glibc jumps straight to the thread's start; Windows: ExitThread, or TerminateThread after a
 * stack overflow), so a join of it returns; the main thread takes the report with crash_thread_take. Any other
 * crash (the host's own code, the watch or watchdog thread, any crash on the main thread outside a
 * guard) goes on to the handler that was installed before (signals_posix.c: restore the terminal
 * and die): the guard never swallows a crash of the host. */
#ifndef CRASH_H
#define CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRASH_MAX_FRAMES 48
#define CRASH_REASON_MAX 384

typedef struct crash_info {
    int signal;          /* the OS's number for it (POSIX signal, Windows exception code); 0 for crash_raise */
    const char *name;    /* "SIGSEGV", "EXCEPTION_ACCESS_VIOLATION", "error" (static strings) */
    const char *what;    /* "invalid memory access", "abort() called", ... */
    uintptr_t address;   /* the address the OS blames (the bad access; the instruction for SIGILL) */
    uintptr_t pc;        /* where the crashing code was */
    bool stack_overflow; /* the fault was the stack running out: runaway recursion */
    int frame_count;
    uintptr_t frames[CRASH_MAX_FRAMES]; /* innermost first, starting at the crash */
    char reason[CRASH_REASON_MAX];      /* crash_raise's message; empty for a signal */
} crash_info;

typedef void crash_fn(void *ctx);

/* Installs the handlers and the alternate stack of the calling thread. Called again, it puts back
 * handlers that something replaced since, and passes unguarded crashes to that replacement. */
void crash_install(void);

/* Runs fn(ctx): true when it returned, false when it crashed (info filled). Guards nest. */
bool crash_guard_run(crash_fn *fn, void *ctx, crash_info *info);

/* True on a thread that is inside crash_guard_run. */
bool crash_guarded(void);

/* Ends the innermost guarded call on this thread as a crash with `reason` (for errors the host finds
 * in a call from game code, such as a call to a function the new build no longer has). Outside a
 * guarded call: prints the reason and aborts. */
_Noreturn void crash_raise(const char *reason);

/* Fills c->name and c->what from c->signal (a crash described in another process, the probe, sends
 * the number only). */
void crash_name(crash_info *c);

/* Reserves [start, end) (page-rounded) as no-access memory so that a stale pointer into it faults at
 * a known place; false when something is mapped there. crash_unfence gives it back. */
bool crash_fence(uintptr_t start, uintptr_t end);
void crash_unfence(uintptr_t start, uintptr_t end);

/* The module and symbol of an address outside the game library, e.g. "libc.so.6!abort+0x12" or
 * "host+0x4a10" (for addr2line). */
void crash_describe_foreign(uintptr_t addr, char *out, size_t cap);

/* ---- game threads ----------------------------------------------------------------------------- */

#define CRASH_THREAD_NAME_MAX 32
#define CRASH_CODE_RANGES 17  /* the running build and VERSIONS_RETIRED_MAX old ones */
#define CRASH_THREAD_SLOTS 8  /* reports waiting for the main thread */

typedef struct crash_thread_report {
    crash_info crash;
    char name[CRASH_THREAD_NAME_MAX]; /* as announced; empty for a thread the game never announced */
    uint64_t thread_id;               /* the OS's number for the thread */
} crash_thread_report;

/* The calling thread is the game's (`name` names it in reports): its crashes are taken, a stack
 * overflow too (an alternate signal stack of its own). crash_thread_end undoes it. */
void crash_thread_begin(const char *name);
void crash_thread_end(void);
/* Game threads announced (crash_thread_begin) that have not ended or crashed since: the host stops
 * them (before_reload) around work on the whole state only when there are any. */
int crash_thread_count(void);
/* Slot `slot` of the game code table is [start, end) (0, 0: empty). Main thread only. */
void crash_code_range(int slot, uintptr_t start, uintptr_t end);
/* One game thread's crash report waiting; false when there is none. Main thread only. */
bool crash_thread_take(crash_thread_report *out);

/* ---- crash.c: the same on every OS ----------------------------------------------------------- */

/* Names an address for a backtrace; returns false when the address is not worth listing. */
typedef bool crash_symbolize_fn(void *ctx, uintptr_t addr, char *out, size_t cap);

/* The frames as a JSON array of strings, repeated frames folded ("f+0x1a (x40)"); returns the
 * length. Frames after the last one symbolize accepts are left out (the host's own callers). Callers
 * are named by their return address - 1, inside the call instruction. */
/* The OS-independent half of crash_raise: outside a guard (c NULL) the host stops with the reason
 * as its one line; inside, fills the guard's report with it. The per-OS half adds the stack and
 * jumps back to the guard. */
crash_info *crash_raise_report(crash_info *c, const char *reason);

/* For the per-OS handlers, on the crashing thread (async-signal-safe): whether the crash `c`, outside
 * any guard, is a game thread's (announced, or code in the table); then its report, published. */
bool crash_thread_is_game(const crash_info *c);
void crash_thread_publish(const crash_info *c, uint64_t thread_id);
/* The announcement, for the per-OS crash_thread_begin/end. */
void crash_thread_announce(const char *name);

size_t crash_backtrace_json(const crash_info *c, crash_symbolize_fn *symbolize, void *ctx, char *out, size_t cap);

/* "SIGSEGV (invalid memory access)" or "stack overflow (SIGSEGV): runaway recursion?" */
void crash_summary(const crash_info *c, char *out, size_t cap);

#endif
