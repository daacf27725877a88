/* probe.c - what the probe does the same on every OS: the check under the crash guard, and the
 * answer for a probe that ended without one (probe.h). */
#include "probe.h"
#include "clock.h"
#include "loader.h"

#include <stdio.h>
#include <string.h>

/* One write of a record is atomic on a pipe (POSIX: PIPE_BUF is at least 4096 on Linux and macOS). */
_Static_assert(sizeof(probe_record) <= 4096, "a probe record must fit in one atomic pipe write");

void probe_progress_stage(probe_progress *p, probe_stage stage)
{
    p->record.result.stage = stage;
    p->emit(p->ctx, &p->record);
}

typedef struct probe_call {
    const char *path;
    probe_check_fn *check;
    probe_progress *progress;
    host_error err;
    bool passed;
} probe_call;

static void probe_call_check(void *ctx)
{
    probe_call *c = ctx;
    c->passed = c->check(c->path, c->progress, &c->err);
}

void probe_run_check(const char *path, uint32_t serial, uint64_t timeout_ms, probe_check_fn *check, probe_emit_fn *emit,
                     void *ctx)
{
    uint64_t t0 = clock_now_ns();
    probe_progress p;
    memset(&p, 0, sizeof(p));
    p.emit = emit;
    p.ctx = ctx;
    p.record.serial = serial;
    p.record.timeout_ms = timeout_ms;
    probe_result *r = &p.record.result;
    probe_call call = {path, check, &p, {{0}}, false};
    crash_install();
    probe_progress_stage(&p, PROBE_STAGE_OPEN);
    if (!crash_guard_run(probe_call_check, &call, &r->crash)) r->outcome = PROBE_CRASHED;
    else if (call.passed) r->outcome = PROBE_PASSED;
    else r->outcome = PROBE_REFUSED, snprintf(r->message, sizeof(r->message), "%s", call.err.msg);
    /* after a crash in a constructor the loader never returned a handle: the library is found by its path */
    loader_find_image(path, &r->image_start, &r->image_end);
    r->ms = (double)(clock_now_ns() - t0) / 1e6;
    p.record.final = 1;
    emit(ctx, &p.record);
}

void probe_ended(probe_record *last, bool final, bool timed_out, bool exited, int status, int signal)
{
    probe_result *r = &last->result;
    if (final) return;
    if (timed_out) {
        r->outcome = PROBE_TIMED_OUT;
    } else if (exited) {
        r->outcome = PROBE_EXITED;
        r->exit_status = status;
    } else { /* a signal the guard could not take (a crash while reporting one, or one from outside) */
        r->outcome = PROBE_CRASHED;
        memset(&r->crash, 0, sizeof(r->crash));
        r->crash.signal = signal;
    }
}
