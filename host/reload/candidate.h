/* candidate.h - a new build on its way in, while the old code keeps running frames.
 *
 *     candidate_begin    the file read once, its image checked and written to a fresh copy, the copy
 *                        handed to the probe (os/probe.h); with no probe, opened in the host at once
 *     candidate_advance  (top of every frame) the probe's answer: a copy that passed is opened in the
 *                        host, its entry point called and its table validated (load.h); one that did
 *                        not is refused with the reason the probe gives
 *     candidate_take     a ready candidate's library, bytes and symbols, for the swap (reload.h)
 *     candidate_drop     a candidate given up (refused, or overtaken by a newer build)
 *
 * The host opens exactly the copy the probe ran: the same file, so nothing is copied twice.
 *
 * The budget says where the time of a reload went, part by part, from the change's mtime to the new
 * code's first frame: each part ends where the next begins (candidate_lap), so the parts add up to
 * the total. The candidate measures the first parts; the reload core adds the swap's. */
#ifndef CANDIDATE_H
#define CANDIDATE_H

#include "../os/clock.h"
#include "../os/loader.h"
#include "../os/probe.h"
#include "versions.h"

typedef struct candidate_budget {
    uint64_t mark_ns;  /* where the last part ended (monotonic) */
    double detect_ms;  /* the change's mtime to the watch noticing it */
    double wait_ms;    /* waiting for the frame loop: the frame that takes the change or the probe's answer,
                          a build that still holds its lock */
    double copy_ms;    /* the file read, its image checked, the copy written */
    double probe_ms;   /* the probe process ran the copy (its own measure) */
    double load_ms;    /* the host opened the copy and called its entry point; its symbols read */
    double validate_ms; /* the table and its layouts checked against the state's */
    double layout_ms;  /* the state migrated to changed layouts */
    double hooks_ms;   /* before_reload and after_reload (and migrate) */
    double registry_ms; /* registered functions looked up in the new build */
    double unload_ms;  /* the old build unloaded, fenced, its copy deleted */
    double scan_ms;    /* the block scanned for pointers into the old build */
} candidate_budget;

/* The time since the last lap, added to `part`. */
static inline void candidate_lap(candidate_budget *b, double *part)
{
    uint64_t now = clock_now_ns();
    *part += (double)(now - b->mark_ns) / 1e6;
    b->mark_ns = now;
}

typedef enum candidate_state {
    CANDIDATE_NONE,
    CANDIDATE_PROBING, /* the probe runs the copy */
    CANDIDATE_READY,   /* opened in the host and validated: swap it in */
    CANDIDATE_REFUSED, /* `reason` says why */
} candidate_state;

/* Where candidates come from and go. */
typedef struct candidate_scene {
    const char *library; /* the file a build writes */
    const char *copy_dir;
    probe *probe;        /* NULL: --no-probe, the host opens copies unprobed */
    uint64_t probe_timeout_ms;
} candidate_scene;

typedef struct candidate {
    candidate_state state;
    void *image; /* the file's bytes (owned until taken) */
    uint64_t size;
    versions_symbols symbols; /* read from them while the probe runs (owned until taken) */
    char copy[FS_PATH_MAX + 64];
    loader_lib lib;    /* CANDIDATE_READY */
    host_error reason; /* CANDIDATE_REFUSED */
    bool probe_restarted; /* the probe's helper had died and was started again */
    uint64_t submitted_ns;
    candidate_budget budget;
} candidate;

/* Starts build `number` from the library file; a change noticed at `noticed_ns` (monotonic) and
 * `detect_ms` after its mtime. Ends PROBING, READY (no probe) or REFUSED. */
void candidate_begin(candidate *c, const candidate_scene *s, uint64_t number, uint64_t noticed_ns, double detect_ms);
/* A PROBING candidate takes the probe's answer, if there is one (with `wait`, it waits for it). */
void candidate_advance(candidate *c, const candidate_scene *s, bool wait);
/* A READY candidate's library, bytes and symbols (now the caller's); the candidate is NONE again. */
void candidate_take(candidate *c, loader_lib *lib, void **image, uint64_t *size, versions_symbols *symbols);
/* Gives the candidate up: a library opened is closed, the copy deleted. */
void candidate_drop(candidate *c);

#endif
