/* probe.h - a new build's first code runs in another process before the host opens it (DESIGN.md,
 * invariant 6): its constructors (a C++ static initializer, __attribute__((constructor)), DllMain),
 * its entry point and whatever check the caller hands over. A crash, an exit or a hang there ends
 * that process only; the host gets a probe_result that says which, and how far the check got.
 *
 *     probe *p = probe_start(2, &err);               // the host, once
 *     probe_submit(p, "/tmp/hotreload-x/game.3.so", 5000, &err);
 *     probe_result r;
 *     if (probe_poll(p, &r)) ... r.outcome ...      // never blocks (probe_wait does)
 *     probe_stop(p);
 *
 * The probe is the host's own executable started in probe mode (main hands it to probe_serve with
 * the check to run), never a fork of the multi-threaded host:
 *   - probe_posix.c: posix_spawn starts a small single-threaded helper once, which keeps one fresh
 *     child forked ahead (safe: the helper has one thread) waiting for the next candidate: no fork
 *     and no exec between a build and its probe. The child takes the request, runs the check under
 *     the crash guard and answers the host itself; the helper watches it, kills it when it overruns
 *     its time, answers for a child that ended without answering (an exit, a kill), and forks the
 *     next one. The helper and its children die with the host (a process group; PR_SET_PDEATHSIG).
 *   - probe_win32.c: no fork: CreateProcess of host.exe in probe mode for every candidate, killed by
 *     the host when it overruns.
 * A helper that dies is started again by the next probe_poll, with the candidate submitted again
 * (probe_result.restarted says so, for the warning). */
#ifndef PROBE_H
#define PROBE_H

#include "../base/error.h"
#include "clock.h"
#include "crash.h"
#include "fs.h"

/* argv[1] of the host executable started as a probe. */
#define PROBE_ARG "--probe-helper"

/* How far the check got. */
typedef enum probe_stage {
    PROBE_STAGE_OPEN,  /* opening the library: its constructors run */
    PROBE_STAGE_ENTRY, /* its entry point runs */
    PROBE_STAGE_CHECK, /* what it returned is checked (game code may run: layout functions) */
} probe_stage;

typedef enum probe_outcome {
    PROBE_PASSED,    /* the check returned true */
    PROBE_REFUSED,   /* the check returned false: `message` says why */
    PROBE_CRASHED,   /* a crash signal or exception: `crash` */
    PROBE_EXITED,    /* the probe ended itself (exit() in a constructor): `exit_status` */
    PROBE_TIMED_OUT, /* did not finish in time and was killed */
    PROBE_FAILED,    /* the probe itself could not run: `message` says why */
} probe_outcome;

typedef struct probe_result {
    probe_outcome outcome;
    probe_stage stage;
    int exit_status;
    bool restarted;      /* the helper had died and was started again for this candidate */
    crash_info crash;    /* PROBE_CRASHED; `name` and `what` are filled in the host's process */
    uintptr_t image_start, image_end; /* where the probe mapped the library, for naming crash addresses */
    double ms;           /* from the submit to the answer */
    char message[HOST_ERROR_MAX];
} probe_result;

/* What a check running in the probe reports as it goes. */
typedef struct probe_progress probe_progress;
void probe_progress_stage(probe_progress *p, probe_stage stage);

/* Runs in the probe on the candidate at `path`; false with the reason in err. */
typedef bool probe_check_fn(const char *path, probe_progress *p, host_error *err);

/* ---- the host's side ------------------------------------------------------------------------ */

typedef struct probe probe;

/* Ready to probe (on POSIX the helper is started now); NULL with the reason. */
probe *probe_start(host_error *err);
/* Starts the probe of `path` (one at a time: a candidate in flight is abandoned). */
bool probe_submit(probe *p, const char *path, uint64_t timeout_ms, host_error *err);
/* True once the probe has answered (or failed); then *out is its answer. Never blocks. */
bool probe_poll(probe *p, probe_result *out);
/* Blocks until the probe answers. */
void probe_wait(probe *p, probe_result *out);
/* Ready (clock_sleep_until_woken) while an answer may be waiting; poll to take it. */
clock_wake probe_wake(const probe *p);
/* Ends the helper and any probe in flight. NULL is fine. */
void probe_stop(probe *p);

/* ---- the probe's side ------------------------------------------------------------------------ */

/* True when argv says this process is a probe. */
bool probe_mode(int argc, char **argv);
/* The probe's main: runs `check` on each candidate, as probe_submit asked; returns the exit code. */
int probe_serve(int argc, char **argv, probe_check_fn *check);

/* ---- probe.c: the same on every OS, for the per-OS halves ------------------------------------ */

/* What the probe writes to the process that watches it: a snapshot at every stage, then the final
 * answer. Under PIPE_BUF bytes, so one write() is never interleaved or split. */
typedef struct probe_record {
    uint32_t final;      /* the check ended (passed, refused or crashed) */
    uint32_t serial;     /* of the request it answers */
    uint64_t timeout_ms; /* the request's */
    probe_result result;
} probe_record;

typedef void probe_emit_fn(void *ctx, const probe_record *r);

struct probe_progress {
    probe_record record;
    probe_emit_fn *emit;
    void *ctx;
};

/* In the probe: runs `check` on `path` under the crash guard and emits a record at every stage and
 * at the end (a crash included: the guard returns here and the record says where it was); the
 * records carry `serial` and `timeout_ms`, the final one the time the check took. */
void probe_run_check(const char *path, uint32_t serial, uint64_t timeout_ms, probe_check_fn *check, probe_emit_fn *emit,
                     void *ctx);
/* The answer for a probe that ended without a final record: the last stage it reported, and how the
 * process ended (`exited` with `status`, else killed by `signal`, or by the timeout). */
void probe_ended(probe_record *last, bool final, bool timed_out, bool exited, int status, int signal);

#endif
