/* guard.h - the crash policy: runs one call into game code under the crash guard (os/crash.h) and,
 * when it crashes, reports it and decides what happens next. The reload core (reload.h) acts on the
 * verdict; the guard itself never loads, swaps or unloads anything.
 *
 *     guard_verdict v = guard_run(&g, RELOAD_HOOK_UPDATE, call_update, ctx);
 *     if (v == GUARD_ROLL_BACK) ... the core swaps the fallback in (versions.h) ...
 *
 * A crash becomes a `crash` event and one console line (signal, address, the game's frames by name,
 * a stale pointer into an unloaded version, the arena or heap that ran out), then the verdict:
 *   - in init, update or after_reload: roll back to the fallback (the newest other version that ran
 *     an update and never crashed), or pause when there is none: no more updates, the host keeps
 *     running and watching, and the next build that loads resumes;
 *   - in before_reload or shutdown: go on with the reload or the exit.
 * The state stays as the crash left it: the guard never touches the block.
 *
 * A game thread's crash (os/crash.h: the thread reported it and is gone) is reported the same way,
 * naming the thread, at the top of the next frame: a crash in the running build's code gets the
 * verdict of a crash in update; one in an old build's code (a thread that before_reload did not
 * stop) goes on, and the report says to stop it in before_reload.
 *
 * With --watchdog the guard also names, from another thread, the game function a call has been
 * stuck in for too long (a warning; the host keeps waiting). */
#ifndef GUARD_H
#define GUARD_H

#include "../base/block.h"
#include "../os/crash.h"
#include "../os/watchdog.h"
#include "../../arena/heap.h"
#include "versions.h"

#define GUARD_LINE_MAX 1024

/* The game's hooks, as the reload room calls them. */
typedef enum reload_hook {
    RELOAD_HOOK_INIT,
    RELOAD_HOOK_UPDATE,
    RELOAD_HOOK_BEFORE_RELOAD,
    RELOAD_HOOK_AFTER_RELOAD,
    RELOAD_HOOK_SHUTDOWN,
} reload_hook;

typedef enum guard_verdict {
    GUARD_RETURNED,  /* no crash */
    GUARD_GO_ON,     /* crashed; the reload or exit goes on */
    GUARD_ROLL_BACK, /* crashed; run the fallback */
    GUARD_PAUSE,     /* crashed and no fallback: stop updating until the next build */
} guard_verdict;

/* What a crash is described with; the guard reads these, never writes them. */
typedef struct guard_scene {
    const versions *versions;
    const block_header *block;
    const heap_region *heap;
    const event_log *events;
} guard_scene;

typedef struct guard {
    guard_scene scene;
    watchdog *watchdog;
    uint64_t watchdog_seconds;
    volatile uintptr_t hang_pc;             /* where the watchdog found the main thread (its handler stores it) */
    crash_info crash;                       /* the last crash */
    char crash_line[GUARD_LINE_MAX];        /* the last crash in one line */
    uint64_t failures[BLOCK_ARENA_COUNT + 1]; /* failure counts of the arenas and the heap before the call */
} guard;

/* Installs the crash handlers, and the watchdog when `watchdog_seconds` is not 0. */
bool guard_start(guard *g, const guard_scene *scene, uint64_t watchdog_seconds, host_error *err);
void guard_stop(guard *g);

/* Runs fn(ctx) as the game's `hook`; on a crash, reports it and returns what to do next. */
guard_verdict guard_run(guard *g, reload_hook hook, crash_fn *fn, void *ctx);
/* Reports a game thread's crash and returns what to do next. */
guard_verdict guard_thread_crash(guard *g, const crash_thread_report *t);

const char *guard_hook_name(reload_hook hook);

#endif
