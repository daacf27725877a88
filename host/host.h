/* host.h - the running host: it owns the block, the event log, the platform (window or terminal,
 * input, audio) and the frame loop, and hands the game library to the reload core (reload/reload.h).
 *
 * The life of a host:
 *     host_start    reserve the block, open the event log, the platform and the outputs, load version 1,
 *                   call init (or load a state, timeline.h)
 *     host_frame    (every frame) take a rebuild, act on what the timeline's keys asked (loop, rewind,
 *                   save), reset the frame arena, gather input, act on the host's keys, call update
 *                   (with the live input or a recording's), show the picture (or the game's text)
 *                   with the overlay, queue the sound, keep the pace
 *     host_stop     save the --screenshot, the state's checksum (and --save-state, --record), call
 *                   shutdown, write "exit", release everything; the exit status
 *
 * The host's keys work whatever the game does, also while it is paused after a crash: F1 the memory
 * stats overlay, F2 a stats mark, F5 reload, F6 restart (init on a fresh state), F12 a screenshot,
 * Esc (or closing the window) quits after one last update that sees input->quit_requested; while
 * paused, q quits too; L (--loop-key) the live loop, F7 (--rewind-key) a rewind, F8 (--save-key) the state saved.
 *
 * Exit status (cli.c's --help says the same): HOST_EXIT_OK, HOST_EXIT_CRASHED when game code crashed
 * during the run, HOST_EXIT_PAUSED when it ended paused after a crash (0 with --keep-going for
 * both), else HOST_EXIT_CHECKSUM when the state ended with another checksum than --expect-checksum's,
 * else STATS_EXIT_LEAKS (3) when --leaks=fail found leaks. */
#ifndef HOST_H
#define HOST_H

#include "../arena/heap.h"
#include "cli.h"
#include "os/dirty.h"
#include "platform/platform.h"
#include "status.h"
#include "rebuild/rebuild.h"
#include "reload/reload.h"
#include "stats/report.h"
#include "stats/stats.h"
#include "timeline.h"

enum {
    HOST_EXIT_OK = 0,
    HOST_EXIT_START_FAILED = 1, /* one line says why */
    HOST_EXIT_BAD_COMMAND_LINE = 2,
    HOST_EXIT_CRASHED = 3,      /* game code crashed during the run (rolled back, or went on) */
    HOST_EXIT_PAUSED = 4,       /* the run ended with the game paused after a crash */
    HOST_EXIT_CHECKSUM = 5,     /* the state ended with another checksum than --expect-checksum's */
};

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
    int64_t frame_start_wall_ns; /* when the current frame began, comparable with file mtimes */
    reload reload;               /* the game library and everything that swaps it */
    host_stats *stats;           /* allocation stats and their outputs */
    rebuild rebuild;             /* builds of the game: shown, and run on a save with --watch */
    char sources[FS_PATH_MAX];   /* the game's source folder (--watch) */
    char build_command[FS_PATH_MAX + 32];
    bool reload_requested;       /* host_api's request_reload and request_restart, for the next frame */
    bool restart_requested;
    platform platform;           /* the window or terminal, the input devices, the audio device */
    game_input input;            /* the frame's input as the devices gave it (the host's keys read it) */
    game_input update_input;     /* what update gets: that input without the host's loop, rewind and save
                                  * keys, or a recording's frame (timeline_input) */
    status_line status;          /* the host's line at the bottom of the screen */
    timeline timeline;           /* state files, recordings, the checksum at exit */
} host;

bool host_start(host *h, const host_options *opts, host_error *err);
/* One frame; false when the game or the user asked to quit or --frames is reached. */
bool host_frame(host *h);
/* The exit status of the run. */
int host_stop(host *h);

/* The services table handed to the game (services.c). */
const host_api *host_services(host *h);

#endif
