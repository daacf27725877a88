/* host.h - the running host: it owns the block, the event log, the terminal and the frame loop, and
 * hands the game library to the reload core (reload/reload.h).
 *
 * The life of a host:
 *     host_start    reserve the block, open the event log and the outputs, load version 1, call init
 *     host_frame    (every frame) take a rebuild, reset the frame arena, gather input, call update,
 *                   draw the status line, keep the pace
 *     host_stop     call shutdown, write "exit", release everything */
#ifndef HOST_H
#define HOST_H

#include "../arena/heap.h"
#include "cli.h"
#include "os/dirty.h"
#include "status.h"
#include "rebuild/rebuild.h"
#include "reload/reload.h"
#include "stats/stats.h"
#include "timeline.h"

typedef struct host {
    host_options opts;
    block_header *block;
    heap_region heap; /* mimalloc's view of the block's heap region: host memory, not the block */
    dirty_tracker *dirty; /* which pages of the block were written */
    event_log events;
    FILE *events_file;
    uint64_t start_ns;
    uint64_t frame;              /* frames run so far (in a loaded state: by the host that saved it too) */
    uint64_t frames_run;         /* frames this process ran: what --frames counts */
    int exit_status;             /* the process's: 3 when --expect-checksum differs */
    int64_t frame_start_wall_ns; /* when the current frame began, comparable with file mtimes */
    reload reload;               /* the game library and everything that swaps it */
    host_stats *stats;           /* allocation stats and their outputs */
    rebuild rebuild;             /* builds of the game: shown, and run on a save with --watch */
    char sources[FS_PATH_MAX];   /* the game's source folder (--watch) */
    char build_command[FS_PATH_MAX + 32];
    bool reload_requested;       /* host_api's request_reload and request_restart, for the next frame */
    bool restart_requested;
    bool terminal;               /* the host draws to a terminal in raw mode */
    game_input input;
    status_line status;          /* the host's line at the bottom of the screen */
    timeline timeline;           /* state files, recordings, the checksum at exit */
} host;

bool host_start(host *h, const host_options *opts, host_error *err);
/* One frame; false when the game or the user asked to quit or --frames is reached. */
bool host_frame(host *h);
void host_stop(host *h);

/* The services table handed to the game (services.c). */
const host_api *host_services(host *h);

#endif
