/* video_headless.c - no display, no terminal, no input (video.h): the picture is drawn into the
 * block all the same (--screenshot saves it), at --resolution or the default size. */
#include "video.h"

#include <stdlib.h>

typedef struct video_headless {
    int width, height;
} video_headless;

static bool video_headless_open(void **state, const video_config *cfg, host_error *err)
{
    video_headless *h = calloc(1, sizeof(*h));
    *state = h;
    if (!h) return host_fail(err, "out of memory");
    h->width = cfg->width ? cfg->width : VIDEO_DEFAULT_WIDTH;
    h->height = cfg->width ? cfg->height : VIDEO_DEFAULT_HEIGHT;
    return true;
}

static void video_headless_poll(void *state, game_input *in, int *width, int *height)
{
    video_headless *h = state;
    in->focused = 1;
    *width = h->width;
    *height = h->height;
}

static void video_headless_present(void *state, const video_frame *frame, const overlay_view *view)
{
    (void)state;
    (void)frame;
    (void)view;
}

static bool video_headless_paced(void *state)
{
    (void)state;
    return false;
}

static void video_headless_cells(void *state, int *columns, int *rows)
{
    (void)state;
    *columns = 78;
    *rows = 22;
}

const video_backend video_headless_backend = {
    "headless", video_headless_open, free, video_headless_poll, video_headless_present, video_headless_paced,
    video_headless_cells,
};
