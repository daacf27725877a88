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

#include "error.h"

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

#endif
