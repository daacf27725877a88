/* watchdog.h - notices a call into the game that does not come back (an endless loop, a deadlock)
 * and says where the main thread is (watchdog_posix.c; a Windows version would suspend the main
 * thread and read its context instead of signalling it).
 *
 *     watchdog *w = watchdog_start(5000, sample, report, ctx, &err);
 *     watchdog_enter(w, "update");  ... the call ...  watchdog_leave(w);   // main thread, per call
 *
 * A thread of its own wakes ten times a second. When one call has run longer than the limit it
 * interrupts the main thread once; `sample` runs there, inside a signal handler, with the frames of
 * the main thread (innermost first) and writes a short description (it must be async-signal-safe:
 * no allocation, no locks, no stdio). `report` then runs on the watchdog thread with that text.
 * enter and leave cost two atomic increments; the main thread never reads the clock for this. */
#ifndef WATCHDOG_H
#define WATCHDOG_H

#include "../base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct watchdog watchdog;

typedef void watchdog_sample_fn(void *ctx, const uintptr_t *frames, int count, char *out, size_t cap);
typedef void watchdog_report_fn(void *ctx, const char *call, const char *where, double seconds);

watchdog *watchdog_start(uint64_t limit_ms, watchdog_sample_fn *sample, watchdog_report_fn *report, void *ctx,
                         host_error *err);
/* `call` names the call (a static string) for the report. */
void watchdog_enter(watchdog *w, const char *call);
void watchdog_leave(watchdog *w);
void watchdog_stop(watchdog *w);

/* ---- the same on every OS ---------------------------------------------------------------------- */

/* What the watchdog thread has seen of the calls: `calls` counts enters and leaves, so it is odd
 * while a call runs. */
typedef struct watchdog_watch {
    uint64_t seen;  /* the call last looked at */
    uint64_t since; /* when it was first seen */
    bool told;      /* it was reported */
} watchdog_watch;

/* At a tick: true, once per call, when the running call has gone on for limit_ns; *ran_ns then says
 * how long. */
static inline bool watchdog_due(watchdog_watch *t, uint64_t calls, uint64_t now, uint64_t limit_ns, uint64_t *ran_ns)
{
    if (!(calls & 1)) return false;
    if (calls != t->seen) { /* a new call since the last look */
        *t = (watchdog_watch){calls, now, false};
        return false;
    }
    if (t->told || now - t->since < limit_ns) return false;
    t->told = true;
    *ran_ns = now - t->since;
    return true;
}

#endif
