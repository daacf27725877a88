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
 *         if (game_key_pressed(in, GAME_KEY_SPACE)) s->jumps++;
 *         for (int y = 0; y < in->screen.height; y++)          // the picture: 0xAARRGGBB pixels
 *             for (int x = 0; x < in->screen.width; x++) game_pixel_row(&in->screen, y)[x] = GAME_RGB(0, 0, x);
 *         char *line = arena_push_fmt(mem->frame, "jumps %d", s->jumps);
 *         host->draw_text(&in->screen, 8, 8, 2, GAME_RGB(255, 255, 255), line);
 *         for (int i = 0; i < in->audio.frames * 2; i++) in->audio.samples[i] = 0; // sound: already silence
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
 *  - a function pointer, a string literal or a C++ object's vtable kept in the block is repaired
 *    by name at every reload (declare such fields X_FN / X_STR in game_layout.h to have them
 *    repaired whatever they hold); a function registry handle or a copied string needs no repair;
 *  - before_reload stops anything that runs library code (threads, callbacks); after_reload starts
 *    it again with the new code. A thread still running the old code after a reload crashes at the
 *    first old instruction it runs (the old range is fenced); the host ends that thread and says so;
 *  - game threads announce themselves with host->thread_begin(name). */
#ifndef GAME_API_H
#define GAME_API_H

#include "../../arena/arena.h"
#include "../../arena/pool.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* ---- input, picture and sound: plain data the host fills before every update ------------------
 * The host owns the window, the keyboard, the mouse, the gamepads and the audio device; the game
 * sees them only as this struct. Every field is plain data (no pointers but screen.pixels and
 * audio.samples, which point into the block), so a frame's input can be recorded and replayed. */

/* A key or button: whether it is held at the end of the frame, and how often it changed during
 * the frame, so a press and a release inside one frame are both seen (down 0, transitions 2). */
typedef struct game_button {
    uint8_t down;
    uint8_t transitions;
} game_button;

/* Went down during the frame (even if it came up again). */
static inline bool game_pressed(game_button b) { return b.transitions >= 2 || (b.transitions == 1 && b.down); }
/* Came up during the frame (even if it went down again). */
static inline bool game_released(game_button b) { return b.transitions >= 2 || (b.transitions == 1 && !b.down); }

/* Keys by their place on a US keyboard (WASD stays WASD on any layout; typed characters are in
 * game_input.text). Letters, digits, punctuation and space are their lowercase ASCII code ('a',
 * '7', ',', ' '); Backspace, Tab, Enter and Escape too; the others from 128. */
typedef enum game_key {
    GAME_KEY_BACKSPACE = 8,
    GAME_KEY_TAB = 9,
    GAME_KEY_ENTER = 13,
    GAME_KEY_ESCAPE = 27,
    GAME_KEY_SPACE = 32,
    GAME_KEY_UP = 128,
    GAME_KEY_DOWN,
    GAME_KEY_LEFT,
    GAME_KEY_RIGHT,
    GAME_KEY_HOME,
    GAME_KEY_END,
    GAME_KEY_PAGE_UP,
    GAME_KEY_PAGE_DOWN,
    GAME_KEY_INSERT,
    GAME_KEY_DELETE,
    GAME_KEY_F1,
    GAME_KEY_F2,
    GAME_KEY_F3,
    GAME_KEY_F4,
    GAME_KEY_F5,
    GAME_KEY_F6,
    GAME_KEY_F7,
    GAME_KEY_F8,
    GAME_KEY_F9,
    GAME_KEY_F10,
    GAME_KEY_F11,
    GAME_KEY_F12,
    GAME_KEY_LEFT_SHIFT,
    GAME_KEY_RIGHT_SHIFT,
    GAME_KEY_LEFT_CTRL,
    GAME_KEY_RIGHT_CTRL,
    GAME_KEY_LEFT_ALT,
    GAME_KEY_RIGHT_ALT,
    GAME_KEY_LEFT_SUPER,
    GAME_KEY_RIGHT_SUPER,
    GAME_KEY_COUNT = 256
} game_key;

typedef enum game_mouse_button {
    GAME_MOUSE_LEFT,
    GAME_MOUSE_MIDDLE,
    GAME_MOUSE_RIGHT,
    GAME_MOUSE_X1,
    GAME_MOUSE_X2,
    GAME_MOUSE_BUTTON_COUNT
} game_mouse_button;

typedef struct game_mouse {
    float x, y;           /* in framebuffer pixels (outside it when `inside` is 0) */
    float dx, dy;         /* moved during the frame, in framebuffer pixels */
    float wheel_x, wheel_y; /* wheel notches during the frame; y > 0: away from the user */
    uint8_t inside;       /* over the game's picture */
    game_button buttons[GAME_MOUSE_BUTTON_COUNT];
} game_mouse;

/* The buttons of an Xbox-style pad (SDL's game controller mapping makes every pad look like one). */
typedef enum game_pad_button {
    GAME_PAD_A,
    GAME_PAD_B,
    GAME_PAD_X,
    GAME_PAD_Y,
    GAME_PAD_BACK,
    GAME_PAD_GUIDE,
    GAME_PAD_START,
    GAME_PAD_LEFT_STICK,
    GAME_PAD_RIGHT_STICK,
    GAME_PAD_LEFT_SHOULDER,
    GAME_PAD_RIGHT_SHOULDER,
    GAME_PAD_UP,
    GAME_PAD_DOWN,
    GAME_PAD_LEFT,
    GAME_PAD_RIGHT,
    GAME_PAD_BUTTON_COUNT
} game_pad_button;

#define GAME_GAMEPAD_MAX 4

typedef struct game_gamepad {
    uint8_t connected;    /* a pad is in this slot */
    uint8_t plugged;      /* ... and it was plugged in (or the slot changed hands) during the frame */
    float left_x, left_y; /* sticks, -1..1 (y > 0: down), 0 inside the dead zone */
    float right_x, right_y;
    float left_trigger, right_trigger; /* 0..1 */
    game_button buttons[GAME_PAD_BUTTON_COUNT];
    char name[48];        /* the pad's name, NUL-terminated */
} game_gamepad;

/* The game's picture for this frame: 32-bit pixels 0xAARRGGBB (alpha ignored), in the block. The
 * host shows it after update (scaled to the window), so a game that is paused or rolled back still
 * shows its last picture. Draw every pixel you want to see: the contents are the last frame's, or
 * black after a resize. Row y starts at game_pixel_row(screen, y). */
typedef struct game_framebuffer {
    uint32_t *pixels;
    int32_t width, height; /* 0 x 0: no picture this frame */
    int32_t pitch;         /* bytes from one row to the next */
} game_framebuffer;

#define GAME_RGB(r, g, b) (0xff000000u | (uint32_t)(r) << 16 | (uint32_t)(g) << 8 | (uint32_t)(b))

static inline uint32_t *game_pixel_row(const game_framebuffer *fb, int y)
{
    return (uint32_t *)((uint8_t *)fb->pixels + (int64_t)y * fb->pitch);
}

/* Sound for this frame: write `frames` sample frames of interleaved stereo floats (-1..1) to
 * `samples`; the host zeroed them, so silence needs nothing. The host asks for as many as keep the
 * device's queue at its small latency target without a gap (about dt * rate; more after a stall).
 * What a crashed update wrote is never played. */
typedef struct game_audio {
    float *samples;   /* frames * channels floats, in the block */
    int32_t frames;
    int32_t rate;     /* 48000 */
    int32_t channels; /* 2: left, right */
} game_audio;

typedef enum game_mode {
    GAME_MODE_HEADLESS, /* no window, no terminal, no audio device: tests, benchmarks, CI */
    GAME_MODE_TERMINAL, /* a terminal: host->draw's text, or the picture in half-block characters */
    GAME_MODE_WINDOW,
} game_mode;

#define GAME_TEXT_MAX 32
#define GAME_TEXT_LINE 12 /* pixels from one line of host->draw_text to the next, at scale 1 */

typedef struct game_input {
    uint64_t frame;       /* frames since the host started */
    double dt;            /* seconds since the previous update */
    double time;          /* seconds since the host started */
    int32_t mode;         /* game_mode */
    int32_t terminal_width, terminal_height; /* the terminal in cells (80x24 when there is none) */
    uint8_t focused;      /* the window (or terminal) has the keyboard */
    uint8_t quit_requested; /* the window was closed or Esc pressed: this is the last update */
    game_button keys[GAME_KEY_COUNT]; /* by game_key */
    char text[GAME_TEXT_MAX]; /* UTF-8 typed during the frame, NUL-terminated */
    game_mouse mouse;
    game_gamepad gamepads[GAME_GAMEPAD_MAX];
    game_framebuffer screen;
    game_audio audio;
} game_input;

/* A key went down during the frame. */
static inline bool game_key_pressed(const game_input *in, int key) { return game_pressed(in->keys[key & 255]); }

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
    /* Terminal output for this frame (ANSI escapes welcome); dropped when headless or in a window.
     * In a terminal, a frame that draws no text shows input->screen in half-block characters. */
    void (*draw)(const char *text, uint64_t size);
    /* Text in the host's small pixel font (ASCII; '\n' starts a line GAME_TEXT_LINE * scale below),
     * drawn into `fb` with its top-left corner at x, y, clipped to the picture. Returns the width of
     * the widest line in pixels; with fb NULL it only measures. */
    int (*draw_text)(const game_framebuffer *fb, int x, int y, int scale, uint32_t color, const char *text);

    /* The heap: malloc-style memory inside the block, run by mimalloc in the host (one instance per
     * process: never link a second, static mimalloc into the game). Its pointers survive reloads
     * like arena pointers. A full heap region is a fatal one-line error; the try_ calls return NULL.
     * A thread allocates once it has called thread_begin (any thread may free). */
    void *(*heap_alloc)(uint64_t size);
    void *(*heap_alloc_aligned)(uint64_t size, uint64_t align);
    void *(*heap_calloc)(uint64_t count, uint64_t size);
    void *(*heap_realloc)(void *p, uint64_t size); /* stays inside the heap region */
    void (*heap_free)(void *p);
    void *(*heap_try_alloc)(uint64_t size);
    void *(*heap_try_realloc)(void *p, uint64_t size);

    /* Game threads. A thread the game starts calls thread_begin first: it gets its own heap in the
     * region, and the host knows it as the game's. A crash on it (a segfault, abort(), a stack
     * overflow) ends that thread only: the host reports it naming `name` (copied) and rolls back or
     * pauses as for a crash in update, after before_reload has stopped the other game threads.
     * thread_end when it is done (before it returns). False when the heap has no room for its heap. */
    bool (*thread_begin)(const char *name);
    void (*thread_end)(void);

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
    /* A mark the reports compare with: what grew, shrank, appeared or vanished since (the last mark
     * set counts; also "mark NAME" typed on stdin when headless). Set at the start of the next
     * frame, with a `mark` event; the name is copied.                                             */
    void (*stats_mark)(const char *name);

    /* Stale pointers (README): after every reload the host repairs the pointers into the old build
     * that the block keeps (functions, vtables, string literals), by the conservative rules where a
     * word only looks like one. A range that holds no pointers but may hold such look-alikes
     * (hashes, random numbers, packed data) can be left alone: its words are never rewritten, only
     * reported; fields declared X_FN / X_STR in it are still repaired. size 0 forgets the range that
     * starts at `start`. false when the host has no room for another range (64). */
    bool (*stale_skip)(const void *start, uint64_t size);

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

#ifdef __cplusplus
}
#endif

#endif
