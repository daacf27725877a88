/* guard.h - what the host keeps so that a bad build never takes it down (guard.c; the functions are
 * declared in host.h with the rest of the host).
 *
 * Every call into game code runs under the crash guard (crash.h). A crash becomes a `crash` event
 * and one console line, then:
 *   - a crash in init, update or after_reload rolls back to the fallback: the newest other version
 *     that ran an update and never crashed (its file's bytes are kept in host memory, so it is loaded
 *     again from a fresh copy); with no fallback the game is paused: no more updates, the host keeps
 *     running and watching, and the next build that loads resumes it;
 *   - a crash in before_reload or shutdown is reported and the host goes on with the reload or exit.
 * The host never touches the block to recover: the state stays as the crash left it. A state whose
 * init never returned is reset, and init runs again on the next code that loads.
 *
 * Unloaded versions are fenced (their address ranges mapped no-access) and their symbol tables
 * kept, the last GUARD_RETIRED_MAX of them, so a stale pointer into one faults at a known place and
 * is named. After each reload the used parts of the block are scanned for pointers into the version
 * just unloaded. */
#ifndef GUARD_H
#define GUARD_H

#include "crash.h"
#include "error.h"
#include "registry.h"
#include "symbols.h"
#include "watchdog.h"

#define GUARD_RETIRED_MAX 16
#define GUARD_SCAN_REPORT_MAX 32 /* warnings per scan; the reload event counts them all */
#define GUARD_ARENAS 6           /* the block's arenas: host, persistent, two frame, two scratch */
#define GUARD_LINE_MAX 1024

typedef struct guard_version {
    uint64_t number;      /* 0: none */
    uintptr_t start, end; /* where it is (or was) mapped */
    symbol_table symbols;
    void *image;          /* the library file's bytes while this version may become the fallback */
    uint64_t image_size;
    bool ran;             /* an update returned */
    bool crashed;
    bool fenced;
} guard_version;

typedef struct guard_scan {
    bool done;
    double ms;
    uint64_t bytes;
    uint64_t found;
} guard_scan;

/* The allocating call site of a block address, when allocation stats know it (the stats module
 * sets this); false when unknown. */
typedef bool guard_site_fn(const void *ctx, const void *address, char *out, size_t cap);

typedef struct guard_state {
    guard_version pending;  /* loaded and validated, not swapped in yet */
    guard_version running;
    guard_version fallback; /* number and image only */
    guard_version retired[GUARD_RETIRED_MAX];
    uint32_t retired_next;
    uint64_t newest;        /* the highest version number given out */
    bool initialized;       /* init returned on the current state */
    bool paused;            /* no version to run: updates wait for the next build */
    registry registry;
    watchdog *watchdog;
    guard_scan scan;                  /* of the last reload */
    crash_info crash;                 /* the last crash */
    char crash_line[GUARD_LINE_MAX];  /* the last crash in one line */
    uint64_t failures[GUARD_ARENAS + 1]; /* failure counts of the arenas and the heap before the call */
    guard_site_fn *site_of;
    const void *site_ctx;
} guard_state;

#endif
