/* media.c - the picture and the audio buffer in the media region (media.h). */
#include "media.h"
#include "../base/units.h"
#include "../../arena/arena_os.h"

#include <string.h>

static uint64_t media_pixel_bytes(const media *m) { return m->size - MEDIA_AUDIO_BYTES; }

static bool media_commit(media *m, uint64_t bytes, host_error *err)
{
    if (bytes <= m->committed) return true;
    uint64_t end = (bytes + KB(64) - 1) / KB(64) * KB(64);
    if (end > m->size) end = m->size;
    if (!arena_os_commit(m->base + m->committed, end - m->committed))
        return host_fail(err, "cannot commit %s for the picture in the block's media region at %p; close other "
                              "programs or ask for a smaller --resolution", units_bytes(end - m->committed).s,
                         (void *)(m->base + m->committed));
    m->committed = end;
    return true;
}

bool media_init(media *m, void *base, uint64_t size, host_error *err)
{
    memset(m, 0, sizeof(*m));
    if (size <= MEDIA_AUDIO_BYTES)
        return host_fail(err, "the block's media region (%s) has no room for a picture", units_bytes(size).s);
    m->base = base;
    m->size = size;
    m->samples = (float *)(void *)m->base;
    m->screen.pixels = (uint32_t *)(void *)(m->base + MEDIA_AUDIO_BYTES);
    return media_commit(m, MEDIA_AUDIO_BYTES, err);
}

void media_fit(const media *m, int *width, int *height)
{
    if (*width <= 0 || *height <= 0) {
        *width = *height = 0;
        return;
    }
    int64_t w = *width, h = *height;
    if (w > MEDIA_SIDE_MAX) h = h * MEDIA_SIDE_MAX / w, w = MEDIA_SIDE_MAX;
    if (h > MEDIA_SIDE_MAX) w = w * MEDIA_SIDE_MAX / h, h = MEDIA_SIDE_MAX;
    int64_t room = (int64_t)(media_pixel_bytes(m) / 4);
    while (w * h > room) w = w * 15 / 16, h = h * 15 / 16;
    *width = w < 1 ? 1 : (int)w;
    *height = h < 1 ? 1 : (int)h;
}

/* Moves the rows of the old picture to the new pitch, in the order that never overwrites a row
 * not moved yet, and blacks out what the old picture did not cover. */
static void media_repitch(game_framebuffer *fb, int width, int height)
{
    uint8_t *px = (uint8_t *)fb->pixels;
    int keep_w = fb->width < width ? fb->width : width;
    int keep_h = fb->height < height ? fb->height : height;
    int32_t pitch = width * 4;
    bool down = pitch > fb->pitch; /* rows move to higher addresses: start with the last */
    for (int i = 0; i < height; i++) {
        int y = down ? height - 1 - i : i;
        uint8_t *dst = px + (int64_t)y * pitch;
        if (y < keep_h) {
            memmove(dst, px + (int64_t)y * fb->pitch, (size_t)keep_w * 4);
            memset(dst + (size_t)keep_w * 4, 0, (size_t)(width - keep_w) * 4);
        } else {
            memset(dst, 0, (size_t)pitch);
        }
    }
    fb->width = width;
    fb->height = height;
    fb->pitch = pitch;
}

bool media_resize(media *m, int width, int height, host_error *err)
{
    media_fit(m, &width, &height);
    if (width == m->screen.width && height == m->screen.height) return true;
    if (!media_commit(m, MEDIA_AUDIO_BYTES + (uint64_t)width * (uint64_t)height * 4, err)) return false;
    media_repitch(&m->screen, width, height);
    return true;
}
