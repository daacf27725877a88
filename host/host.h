/* host.h - the running host: the block, the loaded game library, the event log, the frame loop.
 *
 * The life of a host:
 *     host_start    reserve the block, open the event log, load version 1, call init
 *     host_frame    (every frame) reset the frame arena, call update, reload when a build landed
 *     host_stop     call shutdown, write "exit", release everything */
#ifndef HOST_H
#define HOST_H

#include "../arena/heap.h"
#include "block.h"
#include "cli.h"
#include "events.h"
#include "guard.h"
#include "layout.h"
#include "loader.h"
#include "watch.h"

typedef enum host_hook {
    HOST_HOOK_INIT,
    HOST_HOOK_UPDATE,
    HOST_HOOK_BEFORE_RELOAD,
    HOST_HOOK_AFTER_RELOAD,
    HOST_HOOK_SHUTDOWN,
} host_hook;

typedef struct host {
    host_options opts;
    block_header *block;
    heap_region heap; /* mimalloc's view of the block's heap region: host memory, not the block */
    event_log events;
    FILE *events_file;
    uint64_t start_ns;
    uint64_t frame; /* frames run so far */
    char copy_dir[FS_PATH_MAX];
    char lock_path[FS_PATH_MAX]; /* the build holds this while it writes the library */
    loader_lib lib;              /* the code running now */
    uint64_t version;            /* of the code running now: 1 for the first build, +1 per new build */
    uint64_t copies;             /* copies made, for unique names */
    watch *watch;
    watch_change pending;        /* a change seen but not loaded yet (build lock held) */
    bool has_pending;
    uint64_t pending_since_ns;
    uint64_t pending_stale_frames; /* frames that started after the change landed, run on old code */
    int64_t frame_start_wall_ns;   /* when the current frame began, comparable with file mtimes */
    bool reload_requested;
    bool restart_requested;
    bool terminal;               /* the host draws to a terminal in raw mode */
    game_input input;
    char status[256];            /* the host's line at the bottom of the screen */
    guard_state guard;           /* crash guard, library versions, function registry (guard.c) */
    layout_migration *migration; /* set by a swap: the next after_reload call runs the migrate hook instead */
    struct host_stats *stats;    /* allocation stats and their outputs (stats.c) */
} host;

bool host_start(host *h, const host_options *opts, host_error *err);
/* One frame; false when the game or the user asked to quit or --frames is reached. */
bool host_frame(host *h);
void host_stop(host *h);

/* Loads the library (fresh copy) and swaps it in, keeping all state. Emits reload/reload_failed. */
bool host_reload(host *h, const watch_change *change);
/* Throws the game state away and runs init again on the current code. */
void host_restart(host *h);

/* Milliseconds since the host started. */
double host_now_ms(void);

/* The services table handed to the game (host_api.c). */
const host_api *host_services(host *h);

/* Every call into the game goes through the crash guard (guard.c). */
game_status host_call(host *h, host_hook hook);
/* A `warning` event and the same line on stderr. */
void host_warn(host *h, const char *msg);

/* ---- the state's layouts at a swap (host_layout.c) ----------------------------------------------- */

/* One swap's layout step, from before the swap to after after_reload. On host_swap's stack: a
 * rollback's swap inside after_reload has its own. */
typedef struct host_layout_swap {
    layout_library next;         /* the incoming library's layouts */
    layout_diff *diff;           /* NULL: nothing to compare (no state yet, or none stored) */
    layout_migration *migration; /* the state was migrated */
    bool restart;                /* the state was thrown away: init runs on the new code */
    bool store;                  /* the new layouts become the state's */
    arena_temp scratch;          /* holds diff and migration */
} host_layout_swap;

/* The running library's layouts, copied into the block: the layouts of the state from now on.
 * `migrated`: the same state, so the counts of past migrations carry over. */
void host_layout_store(host *h, bool migrated);
/* Before a reload touches anything: false, with the reason, when `next` is refused. */
bool host_layout_admit(host *h, const loader_lib *next, host_error *err);
/* The reload stops before the swap: `next` is closed, the old code runs on. Returns false. */
bool host_layout_refused(host *h, loader_lib *next, const char *why);
/* After before_reload, before the swap: the state takes `next`'s layouts, migrated or thrown away. */
void host_layout_begin(host *h, const loader_lib *next, host_layout_swap *sw);
/* After the swap, before after_reload: stores the new layouts and runs the migrate hook; false when
 * it crashed. */
bool host_layout_adopt(host *h, host_layout_swap *sw);

/* ---- the pieces of a load and a swap, for the crash guard's rollback ---------------------------- */

/* Calls one game hook with no crash guard (guard_call runs it under one). */
game_status host_call_unguarded(host *h, host_hook hook);
/* Writes a library's bytes to a fresh copy, opens and validates it. */
bool host_load_bytes(host *h, const void *image, uint64_t size, loader_lib *out, host_error *err);
/* before_reload on the running code, `next` in, the old code unloaded (returned in *old), after_reload
 * on the new code; false when a hook crashed (the guard has rolled back or paused). */
bool host_swap(host *h, loader_lib *next, loader_lib *old);
/* After a swap: warns when the old copy is still mapped, and deletes it. */
void host_retire(host *h, const loader_lib *lib);

/* ---- the crash guard (guard.c; see guard.h) ---------------------------------------------------- */

/* Installs the crash handlers, and the watchdog when --watchdog is set. */
bool guard_start(host *h, host_error *err);
void guard_stop(host *h);
/* Calls a hook under the crash guard; false when it crashed (reported, then rolled back or paused). */
bool guard_call(host *h, host_hook hook, game_status *status);
/* host_load: a new build is loaded and validated; the guard takes its bytes (malloc'd). */
void guard_loaded(host *h, const loader_lib *lib, void *image, uint64_t size);
/* The loaded library became the running one (sets h->version); the previous one is retired. */
void guard_swapped(host *h, bool retire_running);
/* After the old library was unloaded: scans the block for pointers into it (warnings). */
void guard_scan_stale(host *h, const loader_lib *old);
/* The last scan's figures, for the reload event. */
void guard_event_scan(const host *h, event *e);
/* The function registry behind host_api's fn_register and fn_get. */
uint32_t guard_fn_register(host *h, const char *name, game_fn fn);
game_fn guard_fn_get(host *h, uint32_t handle);

#endif
