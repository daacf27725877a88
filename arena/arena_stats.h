/* arena_stats.h - the stats table: counts per call site and per tag, the pools, and a rolling
 * history of every tracked arena, all kept inside one arena (the host puts it in the block).
 *
 *     arena_stats_table *t = arena_stats_table_create(home, (arena_stats_params){.stamp = 7});
 *     arena_stats_track(t, persistent);           // counts per site and tag, history, pools
 *     uint32_t enemies = arena_stats_tag(t, "enemies");
 *     arena_tag_scope s = arena_tag_begin(persistent, enemies);
 *     enemy *e = push_struct(persistent, enemy);   // counts for this line and for "enemies"
 *     arena_tag_end(s);
 *     arena_stats_frame_end(t, frame);              // once per frame: history, per-frame figures
 *
 * Names are copied into the table, so nothing in it points into a game library: the table lives
 * through reloads and restarts, and a site or a tag keeps its id for the life of the table.
 *
 * A site is a push site and the function that called the function it is in: a helper called from
 * three functions is three sites. When a site is first seen the table records up to
 * ARENA_STATS_CALLERS frames above it (the unwinder's walk, a few microseconds, once per site), as
 * function names and (module, offset) pairs the host turns into source lines at report time. Code
 * addresses are known through the modules the host describes (arena_stats_module_set: where each
 * build is mapped and its functions), in pages and offsets, never as pointers. Without modules
 * (or for code outside them) a site has no caller and no frames.
 *
 * Each tracked arena has a counter pair per site (a push adds to one), so a site's figures are
 * known per arena too; the arena's totals are the sums. Per-frame figures (frame_pushes,
 * frame_bytes, peak_bytes) are those of frames ended by arena_stats_frame_end: "frame" means the
 * last frame ended; a site or tag that pushed in some frame also keeps its bytes per frame over the
 * history. Tags count from the moment their arena was tracked. Threads that push into their own
 * arenas (an arena is one thread's at a time anyway) keep the counts exact: the counters are per
 * arena; sites, tags, pools and modules are added under a lock. */
#ifndef ARENA_STATS_H
#define ARENA_STATS_H

#include "arena.h"
#include "pool.h"

/* Counts written under the lock and read without it; the lock itself. GCC, Clang and MinGW use
 * their atomic builtins; MSVC, which has no C11 atomics by default, its interlocked intrinsics. */
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#define ARENA_STATS_LOAD(p) ((uint32_t)_InterlockedOr((volatile long *)(p), 0))
#define ARENA_STATS_STORE(p, v) ((void)_InterlockedExchange((volatile long *)(p), (long)(v)))
#define ARENA_STATS_TRY_LOCK(p) (_InterlockedExchange((volatile long *)(p), 1) == 0)
#else
#define ARENA_STATS_LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ARENA_STATS_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ARENA_STATS_TRY_LOCK(p) (__atomic_exchange_n((p), 1u, __ATOMIC_ACQUIRE) == 0)
#endif

#define ARENA_STATS_MAX_TRACKED 8
#define ARENA_STATS_NO_SITE 0 /* site id of pushes with no site, and of sites that found no room */
#define ARENA_STATS_UNTAGGED 0
#define ARENA_STATS_CALLERS 6       /* frames recorded above a push site, its caller first */
#define ARENA_STATS_MODULES 4       /* modules known at once: the host and up to three game builds */
#define ARENA_STATS_HOST_MODULE 0   /* the id of the host's own code; a game build's is its version */
#define ARENA_STATS_NO_MODULE UINT32_MAX
#define ARENA_STATS_PAGE_SHIFT 12   /* modules are placed in pages of 4 KiB */

typedef struct arena_stats_params {
    uint32_t stamp;     /* required: non-zero and unique among the live tables of the process */
    uint32_t max_sites; /* default 4096, including "(no site)" */
    uint32_t max_tags;  /* default 256, including "(untagged)" */
    uint32_t max_pools; /* default 256 */
    uint32_t history;   /* frames of history per tracked arena; default 600 */
    uint32_t names_size; /* bytes for copied names; default 512 KiB */
} arena_stats_params;

/* One frame's view of a running total, for sites and tags. */
typedef struct arena_stat_window {
    uint64_t pushes_at;    /* the totals when the current frame began */
    uint64_t bytes_at;
    uint64_t frame_pushes; /* in the last frame ended */
    uint64_t frame_bytes;
    uint64_t peak_bytes;   /* the most bytes in one frame */
    uint64_t peak_frame;   /* the frame that had them */
} arena_stat_window;

/* Bytes per frame over the history, kept from the first frame a site or tag pushed in. */
typedef struct arena_stats_series {
    uint64_t *bytes; /* a ring of history_cap entries, in the table's arena; NULL until needed */
    uint64_t since;  /* frames ended before its first entry */
} arena_stats_series;

/* A frame of a call stack: a return address as the function it is in and where it is. */
typedef struct arena_stats_frame {
    uint32_t func;   /* offset of the function's name; 0 ("") when unknown */
    uint32_t module; /* the id of its module, ARENA_STATS_NO_MODULE when outside every module */
    uint32_t offset; /* the return address, from the start of its module */
    uint32_t where;  /* its source line ("file.c:12") once the host has named it; 0 until then */
} arena_stats_frame;

typedef enum arena_stats_origin {
    ARENA_STATS_GAME, /* game code, or code in no module */
    ARENA_STATS_HOST, /* the host's own code (its module's id is ARENA_STATS_HOST_MODULE) */
} arena_stats_origin;

typedef struct arena_site_info {
    uint32_t file; /* offsets into the table's names */
    uint32_t func;
    uint32_t line;
    uint32_t hash;
    uint32_t caller; /* the name of the calling function, part of the key; 0 when unknown */
    uint32_t origin; /* arena_stats_origin: whose code the push site is in */
    uint32_t depth;  /* frames recorded */
    arena_stats_frame frames[ARENA_STATS_CALLERS]; /* the caller first, as first seen */
    arena_stat_window window; /* the totals are the sums of the tracked arenas' counters */
    arena_stats_series series;
} arena_site_info;

typedef struct arena_tag_info {
    uint32_t name;
    uint32_t hash;
    arena_site_counter total;
    arena_stat_window window;
    arena_stats_series series;
} arena_tag_info;

/* Where a module of code is mapped and its functions, for naming return addresses. */
typedef struct arena_stats_module {
    uint64_t first_page, end_page; /* [first, end) in pages; unused while equal */
    uint32_t id;                   /* ARENA_STATS_HOST_MODULE, or the game build's version */
    uint32_t fn_count, fn_cap;
    uint32_t *fn_start;            /* offsets of its functions from the first page, ascending */
    uint32_t *fn_name;             /* their names */
} arena_stats_module;

/* A function as the host describes it to arena_stats_module_set. */
typedef struct arena_stats_function {
    uint64_t offset; /* from the module's start */
    const char *name;
} arena_stats_function;

typedef struct arena_history_entry {
    uint64_t frame;
    uint64_t used;       /* the position when the frame ended */
    uint64_t high_water; /* the highest position during the frame */
    uint64_t pushes;     /* during the frame */
    uint64_t bytes;
} arena_history_entry;

typedef struct arena_tracked {
    arena *arena;
    arena_site_counter *counters; /* by site id: the arena's site_counters */
    arena_history_entry *history; /* a ring of `history_cap` entries */
    uint64_t since;               /* frames ended before the arena was tracked */
} arena_tracked;

typedef struct arena_pool_entry {
    arena_pool *pool;
    arena *owner;     /* a tracked arena: it outlives the pool */
    uint64_t key;     /* also in the pool; memory reused by something else no longer matches */
    uint32_t created; /* the site that created the pool */
} arena_pool_entry;

typedef struct arena_stats_table {
    uint32_t stamp;    /* in every site key resolved here */
    uint32_t site_cap; /* including "(no site)" */
    volatile uint32_t lock; /* 1 while a site, a tag or a pool is being added */
    arena *home;       /* the arena that holds the table */
    volatile uint32_t site_count; /* ARENA_STATS_LOAD: entries below it are complete */
    arena_site_info *sites;
    uint32_t *index; /* open addressing on the site hash: site ids, 0 for an empty slot */
    uint32_t index_mask;
    char *names;      /* interned: one copy of each name, "" at offset 0 */
    uint32_t names_used;
    uint32_t names_cap;
    uint32_t *name_index; /* open addressing on the name hash: offsets, 0 for an empty slot */
    uint32_t name_mask;
    uint32_t name_count;
    volatile uint32_t tag_count;
    uint32_t tag_cap;
    arena_tag_info *tags;
    arena_pool_entry *pools;
    uint32_t pool_count;
    uint32_t pool_cap;
    arena_stats_module modules[ARENA_STATS_MODULES];
    arena_tracked tracked[ARENA_STATS_MAX_TRACKED];
    uint32_t tracked_count;
    uint32_t history_cap;
    uint64_t frames;     /* frames ended */
    uint64_t last_frame; /* the number of the last one */
    uint64_t refused;    /* sites, tags and pools that found no room */
} arena_stats_table;

/* Pushes a table onto `home` (about 1.5 MiB with the defaults, 90 KiB more per tracked arena, and
 * 4.7 KiB per site or tag that pushes in a frame, for its series), or NULL when it does not fit or
 * the stamp is 0. `home` itself is not tracked unless asked. */
arena_stats_table *arena_stats_table_create(arena *home, arena_stats_params params);

/* Counts the arena's pushes per site and per tag from now on (earlier pushes count under
 * "(no site)"), keeps its history and lists its pools. False when ARENA_STATS_MAX_TRACKED arenas
 * are tracked already or the home arena is full. A tracked arena must outlive the table. */
bool arena_stats_track(arena_stats_table *t, arena *a);
/* The index of a tracked arena, or -1. */
int arena_stats_tracked_index(const arena_stats_table *t, const arena *a);

/* The id of a tag, the same for the same name for the life of the table; the name is copied.
 * ARENA_STATS_UNTAGGED when the table has no room for another tag. */
uint32_t arena_stats_tag(arena_stats_table *t, const char *name);
/* The id of a site named by hand (e.g. a pool's slots); the names are copied. */
uint32_t arena_stats_site_id(arena_stats_table *t, const char *file, uint32_t line, const char *func);
/* The id of `site` as called from `caller` (a return address; 0: none), through the site's keys
 * like a push; for counting done elsewhere (the host's heap). */
uint32_t arena_stats_site_of(arena_stats_table *t, arena_site *site, uintptr_t caller);
/* The site id of a key. */
static inline uint32_t arena_stats_key_site(uint64_t key) { return (uint32_t)((key >> 32) / sizeof(arena_site_counter)); }

/* Describes module `id` (replacing what was known of it): mapped at `start` (page aligned) for
 * `size` bytes, with `count` functions ascending by offset; their names are copied. False when
 * every module slot is taken, `start` is not page aligned, or the table's arena is full. */
bool arena_stats_module_set(arena_stats_table *t, uint32_t id, uintptr_t start, uint64_t size,
                            const arena_stats_function *fns, uint32_t count);
/* Forgets module `id` (its code is unloaded); frames already recorded keep its id. */
void arena_stats_module_drop(arena_stats_table *t, uint32_t id);
/* The frame of a return address: its function and module (ARENA_STATS_NO_MODULE when in none). */
arena_stats_frame arena_stats_frame_at(arena_stats_table *t, uintptr_t addr);
/* Gives frame `i` of site `id` its source line (copied), named by the host from the module's
 * debug information. */
void arena_stats_frame_where(arena_stats_table *t, uint32_t id, uint32_t i, const char *where);

/* Ends frame `frame`: closes the tag counts of tracked arenas, appends their history, computes the
 * per-frame figures of every site and tag, and starts the next frame. */
void arena_stats_frame_end(arena_stats_table *t, uint64_t frame);
/* Starts the next frame without recording the one that ends (what happened counts for no frame). */
void arena_stats_frame_skip(arena_stats_table *t);

/* Ends every open tag scope of the tracked arenas (what they pushed so far still counts for the
 * tag): after a crash, whose scopes will never see their arena_tag_end. */
void arena_stats_untag_all(arena_stats_table *t);

/* Entries kept for tracked arena `i`, and the one `back` frames ago (0: the last frame ended). */
uint64_t arena_stats_history_count(const arena_stats_table *t, uint32_t i);
const arena_history_entry *arena_stats_history(const arena_stats_table *t, uint32_t i, uint64_t back);

/* Bytes per frame of a series: entries kept, and the one `back` frames ago (0: the last frame). */
uint64_t arena_stats_series_count(const arena_stats_table *t, const arena_stats_series *s);
uint64_t arena_stats_series_at(const arena_stats_table *t, const arena_stats_series *s, uint64_t back);

/* Pools: arena_pool_create registers its pool here when its arena is tracked, with the site that
 * created it. */
void arena_stats_pool_add(arena_stats_table *t, arena_pool *p, uint32_t created);
/* The pool of entry i while it is alive (its arena still holds it), else NULL. */
const arena_pool *arena_stats_pool(const arena_stats_table *t, uint32_t i);
/* The copy of `s` in the table's names (added when new); 0 ("") when there is no room. */
uint32_t arena_stats_intern(arena_stats_table *t, const char *s);

/* Readers. */
static inline uint32_t arena_stats_site_count(const arena_stats_table *t) { return ARENA_STATS_LOAD(&t->site_count); }
static inline uint32_t arena_stats_tag_count(const arena_stats_table *t) { return ARENA_STATS_LOAD(&t->tag_count); }
static inline const char *arena_stats_name(const arena_stats_table *t, uint32_t offset) { return t->names + offset; }
/* A site's pushes and bytes summed over the tracked arenas. */
arena_site_counter arena_stats_site_total(const arena_stats_table *t, uint32_t id);

#endif
