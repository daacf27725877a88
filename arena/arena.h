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

#define ARENA_NAME_MAX 32
#define ARENA_DEFAULT_ALIGN 16
#define ARENA_DEFAULT_COMMIT_STEP KB(64)

/* Counters every arena keeps unless ARENA_NO_STATS is defined. */
typedef struct arena_stats {
    uint64_t pushes;       /* pushes since creation */
    uint64_t bytes_pushed; /* bytes requested since creation */
    uint64_t padding;      /* bytes lost to alignment since creation */
    uint64_t resets;       /* clears, and pops that reached the start */
    uint64_t high_water;   /* highest pos ever reached */
    uint64_t frame_pushes; /* pushes since the last arena_stats_frame_begin */
    uint64_t frame_bytes;  /* bytes requested since the last arena_stats_frame_begin */
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
void *arena_push(arena *a, uint64_t size, uint64_t align);
void *arena_push_no_zero(arena *a, uint64_t size, uint64_t align);
/* NULL on exhaustion (recorded in a->failure); still fatal on a bad alignment, a programming error. */
void *arena_try_push(arena *a, uint64_t size, uint64_t align);
void *arena_try_push_no_zero(arena *a, uint64_t size, uint64_t align);

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

#endif
