/* reload.h - the reload core: it loads the game library, calls its hooks under the crash policy
 * (guard.h), notices rebuilds, and swaps each new build in under the running state.
 *
 *     reload_start    the copy folder, the crash guard, version 1 loaded (its entry point called)
 *     reload_init     init on a fresh state; the state's layouts stored
 *     reload_poll     (top of every frame) a rebuild that landed, or a requested reload, is swapped in
 *     reload_call     any hook, under the guard: a crash is reported and the core acts on the verdict
 *     reload_stop     the copies removed, every fence lifted
 *
 * A reload, step by step (reload_now):
 *     1. the file is read once and checked, written to a fresh copy, opened; its entry point runs
 *        under the guard and its table is validated (load.h) - the old code has not been touched;
 *     2. its layouts are compared with the state's: a refused build stops here (swap_layout.h);
 *     3. before_reload on the old code; the state migrated to the new layouts (or started over);
 *     4. the tables swapped, the old copy unloaded, its range fenced; registered functions looked up
 *        again in the new build (functions.h);
 *     5. the game's migrate hook, then after_reload, on the new code;
 *     6. the old copy deleted and the block scanned for pointers into it (stale.h);
 *     7. a `reload` event (or `reload_failed` with the reason, the old code still running).
 * A crash in step 5 rolls back: the fallback's bytes go through steps 1-6 again as a swap.
 *
 * Everything the core works on (the block, the heap, the event log, the services table handed to
 * the game, the input of the frame) belongs to the host, which hands it over at reload_start. */
#ifndef RELOAD_H
#define RELOAD_H

#include "../os/watch.h"
#include "functions.h"
#include "guard.h"
#include "layout.h"
#include "stale.h"

typedef struct reload_config {
    const char *library;       /* the game library the user named; NULL: linked in (release build) */
    layout_policy on_layout_change;
    bool no_stale_scan;
    bool poll;                 /* watch the library by polling */
    uint64_t watchdog;         /* seconds; 0: no watchdog */
} reload_config;

typedef struct reload_world {
    block_header *block;
    heap_region *heap;
    event_log *events;
    const host_api *services;
    const game_input *input;
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
    stale_scan scan;             /* of the last reload */
    bool initialized;            /* init returned on the current state */
    bool paused;                 /* no version to run: updates wait for the next build */
    layout_migration *migration; /* set by a swap: the next after_reload call runs the migrate hook instead */
    watch *watch;
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

/* At the top of a frame, after one that began at `last_frame_wall_ns` (comparable with file times): a build
 * that landed (and released its lock) is loaded and swapped in; with `requested`, the running
 * library is loaded again even if it did not change. */
void reload_poll(reload *r, int64_t last_frame_wall_ns, bool requested);
/* Loads the library (fresh copy) and swaps it in, keeping all state; `change` NULL for a requested
 * reload. Emits reload or reload_failed. */
bool reload_now(reload *r, const watch_change *change, uint64_t stale_frames);
/* Throws the game state away and runs init again on the current code. */
void reload_restart(reload *r);
/* The state in the block was put there whole (a state file, a checkpoint) with the layouts in
 * block->layouts: it becomes the running code's state, migrated to its layouts like a reload
 * would (the migrate hook runs), or refused (false with the reason; the block is left as it is). */
bool reload_adopt(reload *r, host_error *err);

#endif
