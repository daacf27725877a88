/* overlay.h - what the host shows over the game's picture: its status line, the last warnings and
 * crash lines, the paused-after-a-crash banner and the memory stats (F1) with the frame arena's use
 * graphed. The host's top decides what to say (overlay_view); the video backends show it, the
 * window as pieces of picture drawn here, in host memory, in the host's font (never in the
 * block), the terminal as text.
 *
 * Each piece is rendered only when what it shows changes; the window then draws it over the game's
 * picture with alpha blending, at the window's own resolution. */
#ifndef OVERLAY_H
#define OVERLAY_H

#include "font.h"

#define OVERLAY_NOTICES_MAX 3
#define OVERLAY_GRAPH_MAX 600

typedef struct overlay_view {
    const char *status;                          /* the status line; NULL: hidden */
    const char *notices[OVERLAY_NOTICES_MAX];    /* recent warnings and crash lines, oldest first */
    int notice_count;
    const char *banner;                          /* the paused-after-a-crash banner; NULL: none */
    const char *stats;                           /* the stats table (F1); NULL: off */
    const float *graph;                          /* the frame arena's use per frame, 0..1 of the peak, oldest first */
    int graph_count;
    const char *graph_label;
    bool redraw;                                 /* the whole screen needs drawing again (a crash paused the game) */
} overlay_view;

typedef enum overlay_piece { OVERLAY_STATUS, OVERLAY_NOTICES, OVERLAY_BANNER, OVERLAY_STATS, OVERLAY_PIECES } overlay_piece;

/* One piece as a picture with alpha (0xAARRGGBB), in host memory. */
typedef struct overlay_image {
    uint32_t *pixels;
    int width, height; /* 0 x 0: nothing to show */
    uint64_t hash;     /* of what it shows */
} overlay_image;

/* Renders `piece` of `view` for an output of out_w x out_h pixels at font scale `scale`, unless it
 * shows what it showed; true when the image changed. */
bool overlay_render(overlay_image *img, overlay_piece piece, const overlay_view *view, int out_w, int out_h, int scale);
/* Where the piece goes in that output (its top-left corner). */
void overlay_place(overlay_piece piece, const overlay_image *img, int out_w, int out_h, int scale, int *x, int *y);
void overlay_image_free(overlay_image *img);

#endif
