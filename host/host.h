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
    uint64_t version;            /* 1 for the first load, +1 per reload */
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
/* Binds the calling thread (the main thread) to the block's main heap. */
void host_services_bind_main_thread(host *h);

#endif
