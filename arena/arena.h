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
 * arena_try_push (or the try_ macros) where running out is expected: they return NULL instead. */
#ifndef ARENA_H
#define ARENA_H

#include "base.h"

#include <string.h>

#define ARENA_NAME_MAX 32
#define ARENA_DEFAULT_ALIGN 16
#define ARENA_BASE_ALIGN 64 /* alignment of every arena's base */
#define ARENA_DEFAULT_COMMIT_STEP KB(64)

/* Counters every arena keeps unless ARENA_NO_STATS is defined. The push fast path adds to two of
 * them; the rest change only on pops and frames, or are derived by the arena_stats_ functions. */
typedef struct arena_stats {
    uint64_t pushes;         /* pushes since creation */
    uint64_t bytes_pushed;   /* bytes requested since creation */
    uint64_t bytes_popped;   /* bytes given back by pops and clears; with pos, gives the padding */
    uint64_t high_water;     /* highest pos seen at a pop or clear; see arena_stats_high_water */
    uint64_t resets;         /* clears, and pops that reached the start */
    uint64_t frame_pushes_at;  /* pushes when the current frame began */
    uint64_t frame_bytes_at;   /* bytes_pushed when the current frame began */
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
    char name[ARENA_NAME_MAX]; /* copied in: never a pointer into a game library */
    uint8_t *base;             /* first byte handed out; the header sits just before it */
    uint64_t pos;              /* bytes in use from base */
    uint64_t committed;        /* bytes from base that are committed */
    uint64_t capacity;         /* bytes from base that may ever be used */
    uint64_t commit_step;
    arena_stats stats;
    arena_failure failure;
} arena;

typedef struct arena_params {
    const char *name;     /* copied; default "arena" */
    uint64_t commit_step; /* power of two; default ARENA_DEFAULT_COMMIT_STEP */
} arena_params;

typedef struct arena_temp {
    arena *arena;
    uint64_t pos;
} arena_temp;

/* ---- creation ---------------------------------------------------------------------------- */

/* Places an arena header at `memory` (reserved, not necessarily committed) and returns it, or NULL
 * when `size` cannot hold the header or `memory` is not 64-byte aligned. */
arena *arena_create(void *memory, uint64_t size, arena_params params);

/* ---- pushing ----------------------------------------------------------------------------- */

/* Fatal on exhaustion or a bad alignment; the memory is zeroed unless _no_zero. */
static inline void *arena_push(arena *a, uint64_t size, uint64_t align);
static inline void *arena_push_no_zero(arena *a, uint64_t size, uint64_t align);
/* NULL on exhaustion (recorded in a->failure); still fatal on a bad alignment, a programming error. */
static inline void *arena_try_push(arena *a, uint64_t size, uint64_t align);
static inline void *arena_try_push_no_zero(arena *a, uint64_t size, uint64_t align);

/* count * size with overflow treated as exhaustion. */
void *arena_push_array(arena *a, uint64_t count, uint64_t size, uint64_t align, bool zero);
void *arena_try_push_array(arena *a, uint64_t count, uint64_t size, uint64_t align, bool zero);

#define push_struct(a, T) ((T *)arena_push((a), sizeof(T), BASE_ALIGNOF(T)))
#define push_struct_no_zero(a, T) ((T *)arena_push_no_zero((a), sizeof(T), BASE_ALIGNOF(T)))
#define push_array(a, T, n) ((T *)arena_push_array((a), (n), sizeof(T), BASE_ALIGNOF(T), true))
#define push_array_no_zero(a, T, n) ((T *)arena_push_array((a), (n), sizeof(T), BASE_ALIGNOF(T), false))
#define try_push_struct(a, T) ((T *)arena_try_push((a), sizeof(T), BASE_ALIGNOF(T)))
#define try_push_array(a, T, n) ((T *)arena_try_push_array((a), (n), sizeof(T), BASE_ALIGNOF(T), true))

/* Copies a string into the arena (always NUL-terminated); names kept in the block go through this. */
char *arena_push_str(arena *a, const char *s);
/* printf into the arena. */
char *arena_push_fmt(arena *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
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

/* Starts a new frame for the per-frame counters. */
void arena_stats_frame_begin(arena *a);
uint64_t arena_stats_high_water(const arena *a);
uint64_t arena_stats_padding(const arena *a);
uint64_t arena_stats_frame_pushes(const arena *a);
uint64_t arena_stats_frame_bytes(const arena *a);

/* ---- the push fast path (inline: a push is a few adds and compares) ----------------------- */

enum { ARENA_PUSH_ZERO = 1, ARENA_PUSH_FATAL = 2 };

/* Everything the fast path does not handle: growing the commit, bad alignment, exhaustion. */
void *arena_push_slow(arena *a, uint64_t size, uint64_t align, int flags);

static inline void *arena_push_flags(arena *a, uint64_t size, uint64_t align, int flags)
{
    /* base is 64-byte aligned, so up to that an aligned offset is an aligned address */
    uint64_t offset = align <= ARENA_BASE_ALIGN
                          ? (a->pos + (align - 1)) & ~(align - 1)
                          : (uint64_t)((((uintptr_t)a->base + a->pos + (align - 1)) & ~(uintptr_t)(align - 1)) -
                                       (uintptr_t)a->base);
    uint8_t *start = a->base + offset;
    /* offset <= committed first, so committed - offset cannot wrap */
    if (BASE_UNLIKELY(!size_is_pow2(align) || offset > a->committed || size > a->committed - offset))
        return arena_push_slow(a, size, align, flags);
#if !defined(ARENA_NO_STATS)
    a->stats.pushes++;
    a->stats.bytes_pushed += size;
#endif
    a->pos = offset + size;
    BASE_UNPOISON(start, size);
    if (flags & ARENA_PUSH_ZERO) memset(start, 0, (size_t)size);
    return start;
}

static inline void *arena_push(arena *a, uint64_t size, uint64_t align)
{
    return arena_push_flags(a, size, align, ARENA_PUSH_ZERO | ARENA_PUSH_FATAL);
}

static inline void *arena_push_no_zero(arena *a, uint64_t size, uint64_t align)
{
    return arena_push_flags(a, size, align, ARENA_PUSH_FATAL);
}

static inline void *arena_try_push(arena *a, uint64_t size, uint64_t align)
{
    return arena_push_flags(a, size, align, ARENA_PUSH_ZERO);
}

static inline void *arena_try_push_no_zero(arena *a, uint64_t size, uint64_t align)
{
    return arena_push_flags(a, size, align, 0);
}

#endif
