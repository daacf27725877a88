/* versions.h - the builds of the game library this host has loaded: the one loaded and not yet
 * swapped in, the running one, the fallback a crash rolls back to, and the last
 * VERSIONS_RETIRED_MAX unloaded ones. Each keeps where it was mapped and its symbol table, so any
 * code address - in a crash, a hang, a stale pointer - is named with the version it belongs to.
 *
 *     versions_loaded(vs, &lib, image, size, log);   a new build passed its checks: pending
 *     versions_swapped(vs, true);                    pending runs now; the old one is retired
 *     versions_fence_retired(vs);                    once the old one is unloaded: its range fenced
 *     const lib_version *v = versions_at(vs, pc);    whose code is this?
 *
 * Unloaded versions are fenced (their address ranges mapped no-access, os/crash.h), so a stale
 * pointer into one faults at a known place; with --old-code forward they stay loaded instead. The fallback keeps only its number and its file's
 * bytes: the newest version that ran an update and never crashed, loaded again for a rollback.
 * Every version keeps its file's bytes while it is known, for its source lines (os/lines.h).
 * With a code map (the stats table), each version that can run - pending or running - is described
 * there too (arena_stats_module_set: its range and functions), so allocation call stacks name its
 * functions; a retired one is dropped from it. */
#ifndef VERSIONS_H
#define VERSIONS_H

#include "../../arena/arena_stats.h"
#include "../base/events.h"
#include "../os/lines.h"
#include "../os/loader.h"
#include "../os/symbols.h"

#define VERSIONS_RETIRED_MAX 16

typedef struct lib_version {
    uint64_t number;      /* 0: none */
    uintptr_t start, end; /* where it is (or was) mapped */
    symbol_table symbols;
    lines *lines;         /* its source lines (debug information), NULL when it has none */
    void *image;          /* the library file's bytes, owned: the line table reads them, and the
                             fallback is loaded again from its own copy */
    uint64_t image_size;
    bool ran;             /* an update returned */
    bool crashed;
    bool fenced;
    loader_lib kept;      /* a retired build left loaded (--old-code forward); handle NULL if not */
} lib_version;

typedef struct versions {
    lib_version pending;  /* loaded and validated, not swapped in yet */
    lib_version running;
    lib_version fallback; /* number and image only */
    lib_version retired[VERSIONS_RETIRED_MAX];
    uint32_t retired_next;
    uint64_t newest;      /* the highest version number given out */
    arena_stats_table *code_map; /* where versions are described for call stacks; NULL: nowhere */
} versions;

/* A build's symbol table, read from its bytes ahead of versions_loaded (while its probe runs). */
typedef struct versions_symbols {
    symbol_table table;
    bool ok;
    host_error err; /* when not ok */
} versions_symbols;

void versions_read_symbols(versions_symbols *out, const void *image, uint64_t size);
void versions_symbols_free(versions_symbols *s);

/* A new build was loaded and validated: it becomes pending with the next number and takes `image`
 * (malloc'd, NULL when the game is linked in) and `symbols` (read ahead; NULL: read here). Warns
 * about its writable globals. */
void versions_loaded(versions *vs, const loader_lib *lib, void *image, uint64_t size, versions_symbols *symbols,
                     const event_log *log);
/* The fallback was loaded again for a rollback: pending under its old number (the bytes stay the
 * fallback's). */
void versions_reloaded_fallback(versions *vs, const loader_lib *lib, const event_log *log);
/* Pending becomes running; with `retire_running` the running one is retired first (kept as the
 * fallback when it ran and never crashed). */
void versions_swapped(versions *vs, bool retire_running);
/* The version retired last, unloaded now, gets its range fenced. */
void versions_fence_retired(versions *vs);
/* The version retired last stays loaded (--old-code forward): `lib` is closed when its slot is
 * taken by a newer one (VERSIONS_RETIRED_MAX later) or at versions_free. */
void versions_keep_retired(versions *vs, const loader_lib *lib);
/* A fallback other than the running version exists. */
bool versions_has_fallback(const versions *vs);

/* The pending, running or a retired version numbered `number`; NULL when none (or forgotten). */
const lib_version *versions_numbered(const versions *vs, uint64_t number);
/* The running or a retired version mapped (now or once) at addr; NULL when none. */
const lib_version *versions_at(const versions *vs, uintptr_t addr);
/* True when addr lies in v's range. */
bool lib_version_holds(const lib_version *v, uintptr_t addr);
/* An address as the version's file numbers it (what its symbol table speaks), and back. */
uint64_t lib_version_vaddr(const lib_version *v, uintptr_t addr);
uintptr_t lib_version_address(const lib_version *v, uint64_t vaddr);
/* "func+0x1a (file.c:12)" for a code address of v (no line when v has no debug information). */
void lib_version_name(const lib_version *v, uintptr_t addr, char *out, size_t cap);
/* A crash_symbolize_fn (ctx: the versions): "func+0x1a (file.c:12)", "stale: version 2 func+0x0",
 * or the module outside the game (false). */
bool versions_symbolize(void *ctx, uintptr_t addr, char *out, size_t cap);

void versions_free(versions *vs);

#endif
