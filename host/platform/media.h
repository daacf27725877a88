/* media.h - the game's picture and sound buffers, in the block's media region.
 *
 *     media region:  [ audio samples: MEDIA_AUDIO_BYTES ][ pixels: the rest ]
 *
 * Both live in the block, so the picture a game drew is still there while it is paused after a
 * crash, rolled back or looped, and the host shows it. The region is reserved with the block and
 * never released: a resize re-plans the pixels inside it (same first pixel, new width, height and
 * pitch) and commits what the new size needs; nothing is ever freed under the game. */
#ifndef MEDIA_H
#define MEDIA_H

#include "../base/error.h"
#include "../api/game_api.h"

#define MEDIA_AUDIO_RATE 48000
#define MEDIA_AUDIO_CHANNELS 2
#define MEDIA_AUDIO_FRAMES_MAX 4096 /* the most sample frames one update is asked for (85 ms) */
#define MEDIA_AUDIO_BYTES KB(64)    /* room for them, in whole 64 KiB commit units */
#define MEDIA_SIDE_MAX 8192         /* the widest and tallest picture */

typedef struct media {
    uint8_t *base;
    uint64_t size;
    uint64_t committed;      /* bytes from base known to be committed */
    game_framebuffer screen; /* the picture as planned now */
    float *samples;          /* MEDIA_AUDIO_FRAMES_MAX frames of MEDIA_AUDIO_CHANNELS floats */
} media;

/* The region at `base`, `size` bytes (reserved, not necessarily committed); the audio part is
 * committed, the picture is 0 x 0 until the first resize. */
bool media_init(media *m, void *base, uint64_t size, host_error *err);

/* The width x height a picture gets in this region: at most MEDIA_SIDE_MAX a side, and scaled down,
 * keeping its shape, when it would not fit. At least 1 x 1 unless asked for 0 x 0. */
void media_fit(const media *m, int *width, int *height);

/* Re-plans the picture as width x height (after media_fit) and commits it. What it showed keeps
 * its place (the top-left part that still fits), the rest is black. False (and the picture as it
 * was) when the memory cannot be committed. */
bool media_resize(media *m, int width, int height, host_error *err);

#endif
