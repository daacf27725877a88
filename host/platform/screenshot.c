/* screenshot.c - PNG files of the picture (screenshot.h). */
#include "screenshot.h"
#include "../os/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO /* the host writes the file itself: a temporary name, then a rename */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#endif
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

typedef struct screenshot_png {
    unsigned char *data;
    size_t len, cap;
    bool failed;
} screenshot_png;

static void screenshot_append(void *context, void *data, int size)
{
    screenshot_png *png = context;
    if (png->failed || size <= 0) return;
    if (png->len + (size_t)size > png->cap) {
        size_t cap = (png->len + (size_t)size) * 2;
        unsigned char *grown = realloc(png->data, cap);
        if (!grown) {
            png->failed = true;
            return;
        }
        png->data = grown;
        png->cap = cap;
    }
    memcpy(png->data + png->len, data, (size_t)size);
    png->len += (size_t)size;
}

/* 0xAARRGGBB pixels as R, G, B bytes (the picture has no meaningful alpha). */
static unsigned char *screenshot_rgb(const game_framebuffer *fb)
{
    unsigned char *rgb = malloc((size_t)fb->width * (size_t)fb->height * 3);
    if (!rgb) return NULL;
    unsigned char *out = rgb;
    for (int y = 0; y < fb->height; y++) {
        const uint32_t *row = game_pixel_row(fb, y);
        for (int x = 0; x < fb->width; x++) {
            *out++ = (unsigned char)(row[x] >> 16);
            *out++ = (unsigned char)(row[x] >> 8);
            *out++ = (unsigned char)row[x];
        }
    }
    return rgb;
}

bool screenshot_write(const game_framebuffer *fb, const char *path, host_error *err)
{
    if (!fb->width || !fb->height)
        return host_fail(err, "no picture to save in %s: the game's framebuffer is 0 x 0", path);
    unsigned char *rgb = screenshot_rgb(fb);
    screenshot_png png = {0};
    bool encoded = rgb && stbi_write_png_to_func(screenshot_append, &png, fb->width, fb->height, 3, rgb, fb->width * 3);
    free(rgb);
    bool ok = encoded && !png.failed;
    if (!ok) host_fail(err, "cannot encode the %dx%d picture as PNG for %s: out of memory", fb->width, fb->height, path);
    else ok = fs_write_atomic(path, png.data, png.len, err);
    free(png.data);
    return ok;
}

void screenshot_next_name(char *out, size_t cap)
{
    for (int i = 1; i < 100000; i++) {
        snprintf(out, cap, "screenshot-%04d.png", i);
        if (!fs_exists(out)) return;
    }
}
