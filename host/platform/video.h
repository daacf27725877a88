/* video.h - the picture's way to the user, and the user's input back: backends as tables of
 * functions (SDL's own shape). platform.c picks one by mode; nothing above this room names one.
 *
 *     video_sdl_backend       a window (SDL2): keys, text, mouse, gamepads; the picture scaled to
 *                             the window, the overlay over it
 *     video_terminal_backend  the terminal (os/terminal.h): its keys; the picture in half-block
 *                             characters, or the game's own text; the status line at the bottom
 *     video_headless_backend  nothing: no display, no terminal, no input */
#ifndef VIDEO_H
#define VIDEO_H

#include "../base/error.h"
#include "overlay.h"

#define VIDEO_DEFAULT_WIDTH 1280 /* the picture (and the window, in points) without --resolution */
#define VIDEO_DEFAULT_HEIGHT 720

typedef struct video_config {
    int width, height; /* --resolution: a fixed picture, scaled to the window; 0 x 0: it follows the window */
    bool fullscreen;
    bool vsync;
    const char *title;
} video_config;

/* What the game left to show this frame. */
typedef struct video_frame {
    const game_framebuffer *picture; /* NULL: a terminal game that draws its own text (host->draw) */
    const char *text;                /* that game's last whole frame of text */
    size_t text_len;
    bool text_new;                   /* this frame's update drew it: write it */
} video_frame;

typedef struct video_backend {
    const char *name;
    bool (*open)(void **state, const video_config *cfg, host_error *err);
    void (*close)(void *state);
    /* The frame's events into `in` (after input_frame_begin), and the picture size wanted now. */
    void (*poll)(void *state, game_input *in, int *width, int *height);
    /* Shows the frame's picture (or the game's text) with the overlay. */
    void (*present)(void *state, const video_frame *frame, const overlay_view *view);
    /* Presenting waits for the display (a vsync that works): the host need not sleep. */
    bool (*paced)(void *state);
    /* The fixed-width text the overlay's stats table has room for. */
    void (*cells)(void *state, int *columns, int *rows);
} video_backend;

extern const video_backend video_sdl_backend, video_terminal_backend, video_headless_backend;

#endif
