/* watchdog_win32.c - the watchdog thread, which suspends the main thread to see where it is stuck:
 * Windows has no signal to run code on another thread, but a suspended thread's context and stack
 * can be read from outside. The sample then runs on the watchdog thread with the frames it found
 * (after the main thread is resumed, so nothing the main thread holds can block it). */
#include "watchdog.h"
#include "clock.h"
#include "util_win32.h"

#include <stdlib.h>
#include <string.h>

#define WATCHDOG_TICK_MS 100 /* how often the thread looks */
#define WATCHDOG_FRAMES 48

struct watchdog {
    HANDLE thread;
    HANDLE main; /* a real handle to the main thread (GetCurrentThread gives a pseudo handle) */
    HANDLE stop; /* event */
    uint64_t limit_ns;
    volatile LONG64 calls;    /* odd while the main thread is inside a call */
    const char *volatile call;
    watchdog_sample_fn *sample;
    watchdog_report_fn *report;
    void *ctx;
    char where[512];
};

static uint64_t watchdog_calls(watchdog *w) { return (uint64_t)InterlockedCompareExchange64(&w->calls, 0, 0); }

/* Where the main thread is: suspend, read its context, walk its stack, resume, then sample. */
static bool watchdog_sample_main(watchdog *w)
{
    if (SuspendThread(w->main) == (DWORD)-1) return false;
    CONTEXT c;
    memset(&c, 0, sizeof(c));
    c.ContextFlags = CONTEXT_FULL;
    bool ok = GetThreadContext(w->main, &c); /* returns once the thread has really stopped */
    uintptr_t frames[WATCHDOG_FRAMES];
    int n = ok ? win32_walk_stack(&c, frames, WATCHDOG_FRAMES) : 0;
    ResumeThread(w->main);
    if (ok) w->sample(w->ctx, frames, n, w->where, sizeof(w->where));
    return ok;
}

/* Reports the call, unless it ended while the main thread was being looked at. */
static void watchdog_fire(watchdog *w, uint64_t calls, uint64_t ran_ns)
{
    w->where[0] = 0;
    bool sampled = watchdog_sample_main(w);
    if (watchdog_calls(w) != calls) return;
    w->report(w->ctx, w->call, sampled ? w->where : "unknown (the main thread could not be suspended)",
              (double)ran_ns / 1e9);
}

static DWORD WINAPI watchdog_main(void *arg)
{
    watchdog *w = arg;
    watchdog_watch watch = {0};
    while (WaitForSingleObject(w->stop, WATCHDOG_TICK_MS) == WAIT_TIMEOUT) {
        uint64_t calls = watchdog_calls(w), ran_ns;
        if (watchdog_due(&watch, calls, clock_now_ns(), w->limit_ns, &ran_ns)) watchdog_fire(w, calls, ran_ns);
    }
    return 0;
}

watchdog *watchdog_start(uint64_t limit_ms, watchdog_sample_fn *sample, watchdog_report_fn *report, void *ctx,
                         host_error *err)
{
    watchdog *w = calloc(1, sizeof(*w));
    if (!w) return host_fail(err, "cannot start the watchdog: out of memory; run without --watchdog"), NULL;
    w->limit_ns = limit_ms * 1000000ull;
    w->sample = sample;
    w->report = report;
    w->ctx = ctx;
    HANDLE self = GetCurrentProcess();
    bool ok = DuplicateHandle(self, GetCurrentThread(), self, &w->main,
                              THREAD_SUSPEND_RESUME | THREAD_GET_CONTEXT | THREAD_QUERY_INFORMATION, FALSE, 0);
    w->stop = ok ? CreateEventA(NULL, TRUE, FALSE, NULL) : NULL;
    w->thread = w->stop ? CreateThread(NULL, 0, watchdog_main, w, 0, NULL) : NULL;
    if (!w->thread) {
        DWORD code = GetLastError();
        if (w->stop) CloseHandle(w->stop);
        if (ok) CloseHandle(w->main);
        free(w);
        return host_fail(err, "cannot start the watchdog thread: %s; run without --watchdog", win32_error_text(code).s),
               NULL;
    }
    return w;
}

void watchdog_enter(watchdog *w, const char *call)
{
    if (!w) return;
    w->call = call;
    InterlockedIncrement64(&w->calls); /* a full barrier: the call's name is visible before the count */
}

void watchdog_leave(watchdog *w)
{
    if (w) InterlockedIncrement64(&w->calls);
}

void watchdog_stop(watchdog *w)
{
    if (!w) return;
    SetEvent(w->stop);
    WaitForSingleObject(w->thread, INFINITE);
    CloseHandle(w->thread);
    CloseHandle(w->stop);
    CloseHandle(w->main);
    free(w);
}
