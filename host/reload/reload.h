/* reload.h - the reload core: it loads the game library, calls its hooks under the crash policy
 * (guard.h), notices rebuilds, and swaps each new build in under the running state.
 *
 *     reload_start    the copy folder, the crash guard, the probe, version 1 probed and loaded
 *     reload_init     init on a fresh state; the state's layouts stored
 *     reload_poll     (top of every frame) game threads' crashes dealt with; a build that landed is
 *                     started on its way (candidate.h), one that is ready is swapped in
 *     reload_wait     (the frame loop's sleep) wakes to move a build along: probed and opened
 *                     before the frame it is swapped in
 *     reload_call     any hook, under the guard: a crash is reported and the core acts on the verdict
 *     reload_stop     the probe stopped, the copies removed, every fence lifted
 *
 * A reload, step by step:
 *     1. the file is read once and checked, written to a fresh copy, run in the probe process
 *        (os/probe.h) while the old code runs frames, then opened in the host: its entry point runs
 *        under the guard and its table is validated (load.h) - the old code has not been touched;
 *     2. at the top of a frame, its layouts are compared with the state's: a refused build stops
 *        here (swap_layout.h);
 *     3. before_reload on the old code; the state migrated to the new layouts (or started over);
 *     4. the tables swapped; registered functions looked up again in the new build (functions.h);
 *     5. the block's written pages scanned for pointers into the old build, each repaired by name
 *        or reported (stale.h), while both builds are mapped; then the old copy unloaded and its
 *        range fenced (with --old-code forward: kept, its functions jumping to the new build's);
 *     6. the game's migrate hook, then after_reload, on the new code;
 *     7. a `reload` event with the time of each step (or `reload_failed` with the reason, the old
 *        code still running); the old copy is deleted at the next frame.
 * A crash in step 6 rolls back: the fallback's bytes go through steps 1 (without the probe: they
 * ran here before) to 7 as a swap.
 *
 * Everything the core works on (the block, the heap, the event log, the services table handed to
 * the game, the input of the frame) belongs to the host, which hands it over at reload_start. */
#ifndef RELOAD_H
#define RELOAD_H

#include "../os/probe.h"
#include "../os/watch.h"
#include "candidate.h"
#include "functions.h"
#include "guard.h"
#include "layout.h"
#include "forward.h"
#include "stale.h"

/* --old-code, in this order: an old build is unloaded and fenced, or kept with its functions
 * forwarded to the new build (forward.h). */
typedef enum reload_old_code { RELOAD_OLD_CODE_FENCE, RELOAD_OLD_CODE_FORWARD, RELOAD_OLD_CODE_COUNT } reload_old_code;

typedef struct reload_config {
    const char *library;       /* the game library the user named; NULL: linked in (release build) */
    layout_policy on_layout_change;
    stale_mode stale_pointers;
    reload_old_code old_code;
    bool poll;                 /* watch the library by polling */
    uint64_t watchdog;         /* seconds; 0: no watchdog */
    bool no_probe;             /* open new builds without probing them first (their constructors unguarded) */
    uint64_t probe_timeout_ms; /* how long the probe may run a build's first code */
} reload_config;

typedef struct reload_world {
    block_header *block;
    heap_region *heap;
    dirty_tracker *dirty;
    event_log *events;
    const host_api *services;
    const game_input *input;
    arena_stats_table *code_map; /* the stats table, told where each build's code is; may be NULL */
} reload_world;

typedef struct reload {
    reload_config cfg;
    reload_world w;
    char copy_dir[FS_PATH_MAX];
    char lock_path[FS_PATH_MAX]; /* the build holds this while it writes the library */
    uint64_t copies;             /* copies made, for unique names */
    loader_lib lib;              /* the code running now */
    uint64_t version;            /* of the code running now: 1 for the first build, +1 per new build */
    versions versions;
    guard guard;
    functions functions;
    stale stale;                 /* the pointers into the old build after each reload */
    forward_counts forwarded;    /* --old-code forward: the entries of the kept builds, at the last reload */
    bool initialized;            /* init returned on the current state */
    bool paused;                 /* no version to run: updates wait for the next build */
    bool threads_stopped;        /* before_reload ran on the running code (a game thread crashed) */
    layout_migration *migration; /* set by a swap: the next after_reload call runs the migrate hook instead */
    watch *watch;
    probe *probe;                /* runs every new build's first code in another process; NULL: --no-probe */
    candidate next;              /* a build on its way in, while this one runs */
    loader_lib retiring;         /* the last build swapped out: its copy deleted at the next frame */
    bool has_retiring;
    bool next_has_change;        /* it came from a rebuild (else a request) */
    uint64_t next_stale_frames;  /* frames that began after its change landed, run on the old code */
    watch_change pending;        /* a change seen but not loaded yet (build lock held) */
    bool has_pending;
    uint64_t pending_since_ns;
    uint64_t pending_stale_frames; /* frames that started after the change landed, run on old code */
} reload;

bool reload_start(reload *r, const reload_config *cfg, const reload_world *w, host_error *err);
/* init on the current (fresh) state, then the state's layouts stored; warns when init set no root. */
void reload_init(reload *r);
void reload_stop(reload *r);

/* Calls a hook under the crash guard; false when it crashed (reported, then rolled back or paused).
 * `status` (may be NULL) gets update's answer. */
bool reload_call(reload *r, reload_hook hook, game_status *status);

/* At the top of a frame, after one that began at `last_frame_wall_ns` (comparable with file times):
 * crashes reported by game threads are dealt with; a build that landed (and released its lock) is
 * copied and probed; a build probed and opened is swapped in; with `requested`, the running
 * library is loaded again even if it did not change. */
void reload_poll(reload *r, int64_t last_frame_wall_ns, bool requested);
/* The frame loop's sleep until `deadline_ns`, in a frame that began at `frame_wall_ns`: it wakes to
 * move a build along the moment it lands or its probe answers, so that only the swap waits for the
 * next frame. */
void reload_wait(reload *r, uint64_t deadline_ns, int64_t frame_wall_ns);
/* before_reload on the running code, once: the game's threads stop (a swap does it; so does host
 * work on the whole state while threads run: a checkpoint, a restore, a save). True when this call
 * stopped them, false when they were stopped already (a game thread crashed). */
bool reload_stop_threads(reload *r);
/* after_reload on the running code when the threads are stopped: they run again. */
void reload_start_threads(reload *r);
/* Throws the game state away and runs init again on the current code. */
void reload_restart(reload *r);
/* The state in the block was put there whole (a state file, a checkpoint) with the layouts in
 * block->layouts: it becomes the running code's state, migrated to its layouts like a reload
 * would (the migrate hook runs), or refused (false with the reason; the block is left as it is). */
bool reload_adopt(reload *r, host_error *err);

#endif
