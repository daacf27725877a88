/* rebuild.h - the edit-build loop inside the host: it shows every build of the game, whoever runs
 * it, and with --watch runs the build itself when a source file is saved.
 *
 *     rebuild_start   watches the library's folder (the build's lock and result files) and, with
 *                     --watch, the game's source folder
 *     rebuild_poll    (top of every frame, no system call unless a watch fired) a saved source
 *                     starts a build (debounced; one at a time; a save during a build queues one
 *                     more); a lock that appears is "building..."; a new result file is the build's
 *                     outcome
 *     rebuild_stop    ends a build still running
 *
 * Every build becomes `build` events: state "started", then "ok" or "failed" with the first error
 * ("snake.c:450: error: expected ';'") and the compiler's whole output. The game's build script
 * leaves its result beside the library, written whole: LIB.result, "ok" or "failed" on its first
 * line and the compiler's messages after it. */
#ifndef REBUILD_H
#define REBUILD_H

#include "../base/events.h"
#include "../os/command.h"
#include "../os/watch.h"

#define REBUILD_DEBOUNCE_NS 100000000ull /* quiet after a save before the build starts */

typedef struct rebuild_config {
    const char *library; /* the game library (its folder holds the lock and result files) */
    const char *sources; /* --watch: the game's source folder; NULL: the host runs no builds */
    const char *command; /* the build command run for a save */
    bool poll;           /* watch by polling */
} rebuild_config;

typedef struct rebuild {
    rebuild_config cfg;
    event_log *events;
    char lock_path[FS_PATH_MAX + 16];
    char result_path[FS_PATH_MAX + 16];
    char log_path[FS_PATH_MAX + 16];
    watch *outputs;        /* the library's folder: .lock and .result */
    watch *sources;        /* --watch */
    command *running;      /* the host's own build, while it runs */
    bool queued;           /* a save to build once the quiet time passed and no build runs */
    uint64_t saved_ns;     /* the last save seen */
    bool building;         /* a "started" event was given and no outcome yet */
    uint64_t started_ns;
    fs_identity result;    /* the result file as last read */
} rebuild;

bool rebuild_start(rebuild *b, const rebuild_config *cfg, event_log *events, host_error *err);
void rebuild_poll(rebuild *b);
void rebuild_stop(rebuild *b);

/* The first error in a compiler's output, as "file:line: error: message" with the folder left off
 * the file; false when none is found. */
bool rebuild_first_error(const char *output, char *out, size_t cap);

#endif
