/* game_api.h - the contract between the host and a game library.
 *
 * The only header a game needs besides arena/. The game library exports one function,
 * game_get_api, which returns a table of hooks. The host calls the hooks with the game's memory
 * (arenas inside the fixed block, plus the root of the game's state) and a table of host services.
 * Both arrive on every call: a game never caches them across a reload, because after a reload the
 * host table may be a new one and the game's own code is certainly new.
 *
 *     static game_status update(game_memory *mem, const host_api *host, const game_input *in)
 *     {
 *         state *s = mem->root;
 *         char *line = arena_push_fmt(mem->frame, "frame %llu\n", (unsigned long long)in->frame);
 *         host->draw(line, strlen(line));
 *         return GAME_CONTINUE;
 *     }
 *     GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
 *     {
 *         static const game_api api = {GAME_API_INIT, .init = init, .update = update};
 *         (void)host_abi;
 *         return &api;
 *     }
 *
 * Rules that keep hot reload safe (see DESIGN.md):
 *  - all state lives in the arenas (mem->persistent for what lasts, mem->frame for this frame);
 *    a writable global of the library is reset on every reload;
 *  - never store a function pointer or a string literal of the library in the block; copy strings
 *    (arena_push_str) and look functions up again after a reload;
 *  - before_reload stops anything that runs library code (threads, callbacks); after_reload starts
 *    it again with the new code. */
#ifndef GAME_API_H
#define GAME_API_H

#include "../../arena/arena.h"
#include "../../arena/pool.h"

/* Bump on any change to a struct in this header, in game_layout.h or in arena/. The fingerprint
 * below catches a size change that forgot the bump. */
#define GAME_API_VERSION 5

#define GAME_ABI_FINGERPRINT                                                                       \
    ((uint64_t)sizeof(arena) | (uint64_t)sizeof(arena_pool) << 12 | (uint64_t)sizeof(game_memory) << 24 | \
     (uint64_t)sizeof(game_input) << 36 | (uint64_t)sizeof(host_api) << 48)

#if defined(_WIN32)
#define GAME_EXPORT __declspec(dllexport)
#else
#define GAME_EXPORT __attribute__((visibility("default")))
#endif

/* Marks a writable global that is meant to reset on every reload (a cache, a debug toggle), so the
 * host's warning about writable globals leaves it out:  static GAME_TRANSIENT int draw_grid; */
#if defined(__GNUC__) && defined(__ELF__)
#define GAME_TRANSIENT __attribute__((section("game_transient")))
#else
#define GAME_TRANSIENT
#endif

#define GAME_ENTRY_NAME "game_get_api"
#define GAME_SCRATCH_COUNT 2
#define GAME_INPUT_MAX_KEYS 32

/* ---- memory: everything here lives in the block and keeps its address across reloads ---------- */

typedef struct game_memory {
    arena *persistent;                  /* never reset: the game's state */
    arena *frame;                       /* reset by the host before every update */
    arena *frame_prev;                  /* the previous frame's arena, readable for one more frame */
    arena *scratch[GAME_SCRATCH_COUNT]; /* temporary work; see game_scratch_begin */
    void *root;                         /* the game's state, set by init */
    uint64_t root_size;                 /* sizeof(*root), set by init; checked on reload */
    uint64_t frame_index;
    uint64_t reloads;                   /* reloads since the state was created */
} game_memory;

/* A scratch arena that is none of `conflicts` (the arenas the caller writes its results into). */
static inline arena_temp game_scratch_begin(game_memory *mem, arena *const *conflicts, int conflict_count)
{
    return arena_scratch_begin(mem->scratch, GAME_SCRATCH_COUNT, conflicts, conflict_count);
}

/* ---- input ------------------------------------------------------------------------------- */

enum {
    GAME_KEY_UP = 0x100,
    GAME_KEY_DOWN,
    GAME_KEY_LEFT,
    GAME_KEY_RIGHT,
    GAME_KEY_ESCAPE,
};

typedef struct game_input {
    uint64_t frame;     /* frames since the host started */
    double dt;          /* seconds since the previous update */
    double time;        /* seconds since the host started */
    int width, height;  /* terminal size in cells (80x24 when headless) */
    int headless;       /* nothing drawn reaches a terminal */
    int key_count;
    int keys[GAME_INPUT_MAX_KEYS]; /* presses this frame, oldest first: a byte or a GAME_KEY_ */
} game_input;

/* ---- host services ----------------------------------------------------------------------- */

/* A game function as the function registry hands it back: cast it to its own type to call it. */
typedef void (*game_fn)(void);

typedef struct host_api {
    uint32_t abi_version;
    uint32_t size;
    /* A line in the event log (and on the console when headless). */
    void (*log)(const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 1, 2)))
#endif
        ;
    /* Seconds since the host started, monotonic. */
    double (*time_now)(void);
    /* The whole file pushed onto `a` (NUL-terminated; *size excludes the NUL), or NULL. */
    void *(*file_read)(const char *path, arena *a, uint64_t *size);
    /* Writes the file through a temporary name and a rename; false on failure (logged). */
    bool (*file_write)(const char *path, const void *data, uint64_t size);
    /* Reload the library after this frame even if it has not changed. */
    void (*request_reload)(void);
    /* Throw the state away after this frame and call init again. */
    void (*request_restart)(void);
    /* Terminal output for this frame (ANSI escapes welcome); dropped when headless. */
    void (*draw)(const char *text, uint64_t size);

    /* The heap: malloc-style memory inside the block, run by mimalloc in the host (one instance per
     * process: never link a second, static mimalloc into the game). Its pointers survive reloads
     * like arena pointers. A full heap region is a fatal one-line error; the try_ calls return NULL.
     * Worker threads call heap_thread_begin once before allocating (any thread may free). */
    void *(*heap_alloc)(uint64_t size);
    void *(*heap_alloc_aligned)(uint64_t size, uint64_t align);
    void *(*heap_calloc)(uint64_t count, uint64_t size);
    void *(*heap_realloc)(void *p, uint64_t size); /* stays inside the heap region */
    void (*heap_free)(void *p);
    void *(*heap_try_alloc)(uint64_t size);
    void *(*heap_try_realloc)(void *p, uint64_t size);
    bool (*heap_thread_begin)(void); /* this thread gets its own heap in the region */
    void (*heap_thread_end)(void);   /* this thread is done allocating from the block */

    /* The function registry: a handle for a game function that stays valid across reloads, to keep
     * in the state where a function pointer would dangle. The host finds the function again by name
     * in every new build; calling through a handle whose name the new build lacks stops the call
     * with an error naming it, instead of jumping into unloaded code. Register on the main thread,
     * once per name (again is harmless); fn NULL looks the name up in the library's symbols. 0 on
     * a name it cannot register (with a warning).
     *     s->think = GAME_FN_REGISTER(host, enemy_chase);
     *     ((enemy_think_fn *)host->fn_get(s->think))(e);                                           */
    uint32_t (*fn_register)(const char *name, game_fn fn);
    game_fn (*fn_get)(uint32_t handle);

    /* Allocation stats (README.md, "Profiling"). A tag names a group of allocations: pushes between
     * arena_tag_begin(arena, tag) and arena_tag_end count for it. A name keeps its id for the life of
     * the host, across reloads and restarts: fetch it once and keep it in the state. 0 (untagged)
     * when the host has no room for another tag. */
    uint32_t (*stats_tag)(const char *name);
    /* The live stats summary: printed when headless, toggled as an overlay in a terminal; also a
     * --stats snapshot and a "stats" event. Answered at the start of the next frame. */
    void (*stats_request)(void);
    /* Back `frames` frames, to the newest checkpoint of the rewind ring at or before that frame
     * (--rewind), at the start of the next frame: the block as it was then. A warning when the ring
     * is off or empty. */
    void (*request_rewind)(uint64_t frames);
} host_api;

/* Registers a function under its own name, the name the host looks for after a reload. */
#define GAME_FN_REGISTER(host, fn) ((host)->fn_register(#fn, (game_fn)(fn)))

/* ---- the game's table -------------------------------------------------------------------- */

typedef enum game_status { GAME_CONTINUE = 0, GAME_QUIT = 1 } game_status;

/* Declared in game_layout.h, which a game includes when it declares its layouts. */
struct game_layout;
struct game_migration;
typedef const struct game_layout *game_layout_fn(void);

typedef struct game_api {
    uint32_t abi_version;     /* GAME_API_VERSION the library was built with */
    uint32_t size;            /* sizeof(game_api) */
    uint64_t abi_fingerprint; /* GAME_ABI_FINGERPRINT the library was built with */
    /* First run: allocate the state in mem->persistent and set mem->root. Required. */
    void (*init)(game_memory *mem, const host_api *host);
    /* Once per frame. Required. */
    game_status (*update)(game_memory *mem, const host_api *host, const game_input *input);
    /* Old code, about to be unloaded: stop threads, drop pointers into the library. Optional. */
    void (*before_reload)(game_memory *mem, const host_api *host);
    /* New code, first call after a reload. Optional. */
    void (*after_reload)(game_memory *mem, const host_api *host);
    /* The host is exiting. Optional. */
    void (*shutdown)(game_memory *mem, const host_api *host);
    /* The state's struct layouts (game_layout.h), root type first; set with GAME_LAYOUTS. The host
     * compares them at every reload and migrates the state when they change. Optional. */
    game_layout_fn *const *layouts;
    uint32_t layout_count;
    /* sizeof the root state, for a library that declares no layouts: the host then compares only
     * this. Optional (0: not compared). */
    uint64_t root_size;
    /* New code, after the host migrated the state to changed layouts: called once per new copy of a
     * changed struct to convert what the host could not (a changed type, a renamed field), just
     * before after_reload (the crash guard counts a crash in it as one in after_reload). Optional. */
    void (*migrate)(game_memory *mem, const struct game_migration *m, const host_api *host);
} game_api;

#define GAME_API_INIT .abi_version = GAME_API_VERSION, .size = sizeof(game_api), .abi_fingerprint = GAME_ABI_FINGERPRINT

typedef const game_api *game_get_api_fn(uint32_t host_abi_version);

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi_version);

#endif
