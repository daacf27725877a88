/* arena.h - bump arenas that live inside the host's fixed block.
 *
 * An arena is a header followed by the memory it hands out, both inside one region of the block.
 * It holds only pointers into that region, so a game library can be unloaded and reloaded without a
 * single arena pointer changing. arena/ keeps no global state and makes no OS call except commit.
 *
 *     arena *a = arena_create(region, region_size, (arena_params){.name = "persistent"});
 *     thing *t = push_struct(a, thing);              // zeroed
 *     float *v = push_array_no_zero(a, float, 1024); // not zeroed
 *     arena_temp tmp = arena_temp_begin(a);
 *     ... scratch work ...
 *     arena_temp_end(tmp);                           // everything since begin is gone
 *
 * Pushing past the end of an arena is a fatal error that names the arena, the request, the bytes
 * used and the capacity (and records them in the arena so the host can report it). Call
 * arena_try_push (or the try_ macros) where running out is expected: they return NULL instead.
 *
 * Every push counts its bytes; an arena tracked by a stats table (arena_stats.h; the host tracks
 * the block's) counts them per call site and per tag too. -DARENA_NO_STATS removes all counting. */
#ifndef ARENA_H
#define ARENA_H

#include "base.h"

#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ARENA_NAME_MAX 32
#define ARENA_DEFAULT_ALIGN 16
#define ARENA_BASE_ALIGN 64 /* alignment of every arena's base */
#define ARENA_DEFAULT_COMMIT_STEP KB(64)

/* ---- allocation sites ------------------------------------------------------------------------
 * Every push macro passes the site it was written at: a static arena_site in the caller's code
 * (ARENA_SITE), and the return address of the function it is in (ARENA_CALLER), so that one helper
 * called from three functions counts as three sites. A site caches, for its last few callers, where
 * their counters are in the stats table, so counting a push is one compare and two adds. The site's
 * strings stay in the caller's code; the table copies them into the block when it first sees the
 * site. A reload resets the library's statics, so the next push looks the site up again by file,
 * line, function and calling function and finds the same counters. */
#define ARENA_SITE_WAYS 4 /* callers a site remembers; more in turn cost a look-up in the table */

typedef struct arena_site {
    const char *file;
    const char *func;
    uint32_t line;
    /* key[0] is the last caller's: byte offset of its counters << 32 | (stamp of their table ^ the
     * low half of the caller's return address); 0: none yet. One word each, so a thread that reads
     * one while another writes sees a whole key. */
    uint64_t key[ARENA_SITE_WAYS];
} arena_site;

typedef struct arena_site_counter {
    uint64_t pushes;
    uint64_t bytes; /* requested, padding not included */
} arena_site_counter;

/* Counters every arena keeps unless ARENA_NO_STATS is defined. Pushes and bytes are counted per
 * call site (arena.site_counters) and summed by arena_stats_pushes / arena_stats_bytes; the rest
 * change only on pops, tags and frames. */
typedef struct arena_stats {
    arena_site_counter own;  /* all the pushes of an arena that has no stats table */
    struct arena_stats_table *table; /* the table that counts this arena's sites (arena_stats.h) */
    uint64_t bytes_popped;   /* bytes given back by pops and clears; with pos, gives the padding */
    uint64_t high_water;     /* highest pos seen at a pop or clear; see arena_stats_high_water */
    uint64_t resets;         /* clears, and pops that reached the start */
    uint64_t frame_pushes_at; /* pushes when the current frame began */
    uint64_t frame_bytes_at;  /* bytes when the current frame began */
    uint64_t frame_high;      /* highest pos seen at a pop this frame; see arena_stats_frame_high_water */
    uint64_t tag_pushes_at;   /* pushes when the current tag began counting */
    uint64_t tag_bytes_at;
    uint32_t tag;             /* the tag pushes count for now; 0 is untagged */
    uint32_t reserved0;
} arena_stats;

/* The last request this arena could not satisfy; zero count means none. */
typedef struct arena_failure {
    uint64_t count;
    uint64_t request;
    uint64_t align;
    uint64_t used;
    uint64_t capacity;
} arena_failure;

typedef struct arena {
    /* what a push reads comes first: one cache line */
    uint8_t *base;                     /* first byte handed out; the header sits just before it */
    uint64_t pos;                      /* bytes in use from base */
    uint64_t committed;                /* bytes from base that are committed */
    arena_site_counter *site_counters; /* by site: the stats table's array for this arena, or &stats.own */
    uint32_t site_stamp;               /* the stamp of that table; 0 without one: pushes count in stats.own */
    uint32_t reserved0;
    uint64_t capacity;                 /* bytes from base that may ever be used */
    uint64_t commit_step;
    char name[ARENA_NAME_MAX];         /* copied in: never a pointer into a game library */
    arena_stats stats;
    arena_failure failure;
} arena;

typedef struct arena_params {
    const char *name;     /* copied; default "arena" */
    uint64_t commit_step; /* power of two; default ARENA_DEFAULT_COMMIT_STEP */
} arena_params;

typedef struct arena_temp {
    struct arena *arena; /* `struct`: C++ would read a member named like its type as a new meaning */
    uint64_t pos;
} arena_temp;

/* ---- creation ---------------------------------------------------------------------------- */

/* Places an arena header at `memory` (reserved, not necessarily committed) and returns it, or NULL
 * when `size` cannot hold the header or `memory` is not 64-byte aligned. */
arena *arena_create(void *memory, uint64_t size, arena_params params);

/* ---- pushing ----------------------------------------------------------------------------- */

/* Every push is a macro, so it can name its call site for the stats (ARENA_SITE below).
 *
 * arena_push(a, size, align)            zeroed; fatal on exhaustion or a bad alignment
 * arena_push_no_zero(a, size, align)    not zeroed
 * arena_try_push(a, size, align)        NULL on exhaustion (recorded in a->failure); a bad
 * arena_try_push_no_zero(a, size, align)  alignment is still fatal: a programming error
 * arena_push_array(a, count, size, align, zero)      count * size, overflow counts as exhaustion
 * arena_try_push_array(a, count, size, align, zero)
 * arena_push_str(a, s)                  a copy of s; names kept in the block go through this
 * arena_push_fmt(a, fmt, ...)           printf into the arena */
#define arena_push(a, size, align) arena_push_at((a), (size), (align), ARENA_PUSH_ZERO | ARENA_PUSH_FATAL, ARENA_HERE)
#define arena_push_no_zero(a, size, align) arena_push_at((a), (size), (align), ARENA_PUSH_FATAL, ARENA_HERE)
#define arena_try_push(a, size, align) arena_push_at((a), (size), (align), ARENA_PUSH_ZERO, ARENA_HERE)
#define arena_try_push_no_zero(a, size, align) arena_push_at((a), (size), (align), 0, ARENA_HERE)
#define arena_push_array(a, count, size, align, zero)                                                          \
    arena_push_array_at((a), (count), (size), (align), ARENA_PUSH_FATAL | ((zero) ? ARENA_PUSH_ZERO : 0), ARENA_HERE)
#define arena_try_push_array(a, count, size, align, zero)                                                      \
    arena_push_array_at((a), (count), (size), (align), (zero) ? ARENA_PUSH_ZERO : 0, ARENA_HERE)
#define arena_push_str(a, s) arena_push_str_at((a), (s), ARENA_HERE)
#define arena_push_fmt(a, ...) arena_push_fmt_at((a), ARENA_HERE, __VA_ARGS__)

#define push_struct(a, T) ((T *)arena_push((a), sizeof(T), BASE_ALIGNOF(T)))
#define push_struct_no_zero(a, T) ((T *)arena_push_no_zero((a), sizeof(T), BASE_ALIGNOF(T)))
#define push_array(a, T, n) ((T *)arena_push_array((a), (n), sizeof(T), BASE_ALIGNOF(T), true))
#define push_array_no_zero(a, T, n) ((T *)arena_push_array((a), (n), sizeof(T), BASE_ALIGNOF(T), false))
#define try_push_struct(a, T) ((T *)arena_try_push((a), sizeof(T), BASE_ALIGNOF(T)))
#define try_push_array(a, T, n) ((T *)arena_try_push_array((a), (n), sizeof(T), BASE_ALIGNOF(T), true))

/* This call site: a static arena_site in the code that expands it (GCC, Clang, MinGW). Elsewhere,
 * and with ARENA_NO_STATS, pushes carry no site and count under "(no site)". On ELF the sites go to
 * the section that the host's warning about writable globals leaves out (game_api.h's
 * GAME_TRANSIENT): a site is meant to start over on a reload. */
#if defined(__ELF__)
#define ARENA_SITE_SECTION __attribute__((section("game_transient")))
#else
#define ARENA_SITE_SECTION
#endif
#if !defined(ARENA_NO_STATS) && defined(__GNUC__)
#define ARENA_SITE                                                                                   \
    (__extension__({                                                                                 \
        static arena_site arena_site_here_ ARENA_SITE_SECTION = {__FILE__, __func__, __LINE__, {0}}; \
        &arena_site_here_;                                                                           \
    }))
/* The return address of the function the push is written in: which function called it. */
#define ARENA_CALLER ((uintptr_t)__builtin_return_address(0))
#else
#define ARENA_SITE ((arena_site *)0)
#define ARENA_CALLER ((uintptr_t)0)
#endif
/* The two arguments every push macro passes: this call site and its caller. */
#define ARENA_HERE ARENA_SITE, ARENA_CALLER

enum { ARENA_PUSH_ZERO = 1, ARENA_PUSH_FATAL = 2 };

/* What the macros call; `site` may be NULL, `caller` 0 (then the site has no caller). */
static inline void *arena_push_at(arena *a, uint64_t size, uint64_t align, int flags, arena_site *site,
                                  uintptr_t caller);
void *arena_push_array_at(arena *a, uint64_t count, uint64_t size, uint64_t align, int flags, arena_site *site,
                          uintptr_t caller);
char *arena_push_str_at(arena *a, const char *s, arena_site *site, uintptr_t caller);
char *arena_push_fmt_at(arena *a, arena_site *site, uintptr_t caller, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* ---- positions, scopes, reset ------------------------------------------------------------ */

uint64_t arena_pos(const arena *a);
/* Pops back to `pos` (clamped to [0, pos]); the popped bytes are poisoned under ASan. */
void arena_pop_to(arena *a, uint64_t pos);
void arena_pop(arena *a, uint64_t size);
void arena_clear(arena *a);
/* Releases committed memory past the current position (kept committed by clear and pop). */
void arena_decommit_unused(arena *a);
bool arena_contains(const arena *a, const void *p);

arena_temp arena_temp_begin(arena *a);
void arena_temp_end(arena_temp temp);

/* ---- scratch ----------------------------------------------------------------------------- */

/* A scratch arena from `set` that is none of `conflicts` (the arenas the caller is writing results
 * into), so temporary work never overwrites the caller's output. Fatal when every one conflicts. */
arena_temp arena_scratch_begin(arena *const *set, int set_count, arena *const *conflicts, int conflict_count);
#define arena_scratch_end(temp) arena_temp_end(temp)

/* ---- stats ------------------------------------------------------------------------------- */

/* Pushes and bytes requested since creation (with a stats table: the sum over its sites). */
uint64_t arena_stats_pushes(const arena *a);
uint64_t arena_stats_bytes(const arena *a);
/* Starts a new frame for the per-frame counters. */
void arena_stats_frame_begin(arena *a);
uint64_t arena_stats_high_water(const arena *a);
uint64_t arena_stats_padding(const arena *a);
uint64_t arena_stats_frame_pushes(const arena *a);
uint64_t arena_stats_frame_bytes(const arena *a);
/* The highest position since arena_stats_frame_begin (the host calls it for a frame arena just
 * after clearing it, so for a frame arena this is the most its frame used). */
uint64_t arena_stats_frame_high_water(const arena *a);

/* Tags name a group of allocations ("entities", "particles"): every push on `a` between
 * arena_tag_begin and arena_tag_end counts for `tag` (an id from host->stats_tag or
 * arena_stats_tag) and for no other tag. Scopes nest. Counting happens at the scope edges, so a
 * tag costs nothing per push; an edge sums the arena's site counters (about a nanosecond per site
 * in use): tag a system's work per frame, not each object. No-ops without a stats table. */
typedef struct arena_tag_scope {
    struct arena *arena;
    uint32_t outer; /* the tag to go back to */
} arena_tag_scope;

arena_tag_scope arena_tag_begin(arena *a, uint32_t tag);
void arena_tag_end(arena_tag_scope scope);

/* ---- the push fast path (inline: a push is a few adds and compares) ----------------------- */

/* Everything the fast path does not handle: growing the commit, bad alignment, exhaustion. */
void *arena_push_slow(arena *a, uint64_t size, uint64_t align, int flags, arena_site *site, uintptr_t caller);
/* A site whose last key is not for this arena's table and this caller: the site's other keys, else
 * a look-up (or a new entry) in the table by file, line, function and calling function. Returns
 * the key to count with, its low half already the stamp. Only for arenas with a table. */
uint64_t arena_site_miss(arena *a, arena_site *site, uintptr_t caller);

static inline void arena_site_count(arena *a, arena_site *site, uintptr_t caller, uint64_t size)
{
    arena_site_counter *c = &a->stats.own;
    if (a->site_stamp) {
        /* no site: the counters at offset 0 */
        uint64_t key = site ? site->key[0] ^ (uint32_t)caller : a->site_stamp;
        if (BASE_UNLIKELY((uint32_t)key != a->site_stamp)) key = arena_site_miss(a, site, caller);
        c = (arena_site_counter *)((uint8_t *)a->site_counters + (key >> 32));
    }
    c->pushes++;
    c->bytes += size;
}

static inline void *arena_push_at(arena *a, uint64_t size, uint64_t align, int flags, arena_site *site,
                                  uintptr_t caller)
{
    /* base is 64-byte aligned, so up to that an aligned offset is an aligned address */
    uint64_t offset = align <= ARENA_BASE_ALIGN
                          ? (a->pos + (align - 1)) & ~(align - 1)
                          : (uint64_t)((((uintptr_t)a->base + a->pos + (align - 1)) & ~(uintptr_t)(align - 1)) -
                                       (uintptr_t)a->base);
    uint8_t *start = a->base + offset;
    /* offset <= committed first, so committed - offset cannot wrap */
    if (BASE_UNLIKELY(!size_is_pow2(align) || offset > a->committed || size > a->committed - offset))
        return arena_push_slow(a, size, align, flags, site, caller);
#if !defined(ARENA_NO_STATS)
    arena_site_count(a, site, caller, size);
#else
    (void)site;
    (void)caller;
#endif
    a->pos = offset + size;
    BASE_UNPOISON(start, size);
    if (flags & ARENA_PUSH_ZERO) memset(start, 0, (size_t)size);
    return start;
}

#ifdef __cplusplus
}
#endif

#endif
