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

#include "../arena/arena.h"
#include "../arena/pool.h"

/* Bump on any change to a struct in this header or in arena/. The fingerprint below catches a
 * size change that forgot the bump. */
#define GAME_API_VERSION 2

#define GAME_ABI_FINGERPRINT                                                                       \
    ((uint64_t)sizeof(arena) | (uint64_t)sizeof(arena_pool) << 12 | (uint64_t)sizeof(game_memory) << 24 | \
     (uint64_t)sizeof(game_input) << 36 | (uint64_t)sizeof(host_api) << 48)

#if defined(_WIN32)
#define GAME_EXPORT __declspec(dllexport)
#else
#define GAME_EXPORT __attribute__((visibility("default")))
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
} host_api;

/* ---- the game's table -------------------------------------------------------------------- */

typedef enum game_status { GAME_CONTINUE = 0, GAME_QUIT = 1 } game_status;

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
} game_api;

#define GAME_API_INIT .abi_version = GAME_API_VERSION, .size = sizeof(game_api), .abi_fingerprint = GAME_ABI_FINGERPRINT

typedef const game_api *game_get_api_fn(uint32_t host_abi_version);

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi_version);

#endif
