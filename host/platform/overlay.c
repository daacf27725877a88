/* overlay.c - the overlay's pieces as pictures (overlay.h). */
#include "overlay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OVERLAY_PAD 4
#define OVERLAY_PLATE 0xb0101018u   /* translucent dark blue-black */
#define OVERLAY_BANNER_PLATE 0xd0701010u
#define OVERLAY_INK 0xffe8e8e8u
#define OVERLAY_NOTICE_INK 0xffffd060u
#define OVERLAY_GRAPH_INK 0xff60d0ffu
#define OVERLAY_GRAPH_HEIGHT 60

/* FNV-1a over bytes, chained. */
static uint64_t overlay_hash(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t overlay_hash_text(uint64_t h, const char *s) { return overlay_hash(h, s ? s : "", s ? strlen(s) + 1 : 1); }

static uint64_t overlay_piece_hash(overlay_piece piece, const overlay_view *v, int out_w, int out_h, int scale)
{
    int geometry[4] = {(int)piece, out_w, out_h, scale};
    uint64_t h = overlay_hash(0xcbf29ce484222325ull, geometry, sizeof(geometry));
    switch (piece) {
    case OVERLAY_STATUS: return overlay_hash_text(h, v->status);
    case OVERLAY_NOTICES:
        for (int i = 0; i < v->notice_count; i++) h = overlay_hash_text(h, v->notices[i]);
        return h;
    case OVERLAY_BANNER: return overlay_hash_text(h, v->banner);
    default: return overlay_hash_text(h, v->stats); /* the graph is redrawn with the table, a few times a second */
    }
}

static bool overlay_resize(overlay_image *img, int w, int h)
{
    if (w <= 0 || h <= 0) {
        img->width = img->height = 0;
        return true;
    }
    uint32_t *px = realloc(img->pixels, sizeof(uint32_t) * (size_t)w * (size_t)h);
    if (!px) return false;
    img->pixels = px;
    img->width = w;
    img->height = h;
    return true;
}

static game_framebuffer overlay_target(overlay_image *img)
{
    game_framebuffer fb = {img->pixels, img->width, img->height, img->width * 4};
    return fb;
}

static void overlay_fill(overlay_image *img, uint32_t color)
{
    for (int i = 0; i < img->width * img->height; i++) img->pixels[i] = color;
}

/* Lines of text on a plate, as wide as the widest line (at most max_w). */
static void overlay_text_plate(overlay_image *img, const char *text, int scale, uint32_t ink, uint32_t plate, int max_w)
{
    int lines = 1;
    for (const char *c = text; *c; c++) lines += *c == '\n';
    int w = font_draw(NULL, 0, 0, scale, ink, text, 0) + 2 * OVERLAY_PAD * scale;
    if (w > max_w) w = max_w;
    if (!overlay_resize(img, w, lines * FONT_LINE * scale + OVERLAY_PAD * scale)) return;
    overlay_fill(img, plate);
    game_framebuffer fb = overlay_target(img);
    font_draw(&fb, OVERLAY_PAD * scale, OVERLAY_PAD * scale, scale, ink, text, 0);
}

/* The notices, one per line, newest last. */
static void overlay_notices(overlay_image *img, const overlay_view *v, int scale, int max_w)
{
    char text[OVERLAY_NOTICES_MAX * 200] = "";
    size_t n = 0;
    for (int i = 0; i < v->notice_count && n < sizeof(text); i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%.190s", i ? "\n" : "", v->notices[i]);
    overlay_text_plate(img, text, scale, OVERLAY_NOTICE_INK, OVERLAY_PLATE, max_w);
}

/* The stats table in fixed-width text, and under it the frame arena's use as bars. */
static void overlay_stats(overlay_image *img, const overlay_view *v, int scale, int max_w, int max_h)
{
    int lines = 1, columns = 0, col = 0;
    for (const char *c = v->stats; *c; c++) {
        col = *c == '\n' ? 0 : col + 1;
        lines += *c == '\n';
        if (col > columns) columns = col;
    }
    int graph_h = v->graph_count ? (OVERLAY_GRAPH_HEIGHT + FONT_LINE) * scale : 0;
    int w = columns * FONT_CELL * scale + 2 * OVERLAY_PAD * scale;
    if (w < OVERLAY_GRAPH_MAX / 2 * scale) w = OVERLAY_GRAPH_MAX / 2 * scale;
    int h = lines * FONT_LINE * scale + graph_h + 2 * OVERLAY_PAD * scale;
    if (!overlay_resize(img, w < max_w ? w : max_w, h < max_h ? h : max_h)) return;
    overlay_fill(img, OVERLAY_PLATE);
    game_framebuffer fb = overlay_target(img);
    int pad = OVERLAY_PAD * scale;
    font_draw(&fb, pad, pad, scale, OVERLAY_INK, v->stats, FONT_CELL);
    if (!graph_h) return;
    int base = pad + lines * FONT_LINE * scale + graph_h - FONT_LINE * scale;
    font_draw(&fb, pad, base - OVERLAY_GRAPH_HEIGHT * scale, scale, OVERLAY_GRAPH_INK, v->graph_label, 0);
    int bars = (img->width - 2 * pad) / scale; /* a bar per frame, `scale` pixels wide; the newest at the right */
    for (int b = 0; b < bars; b++) {
        int i = v->graph_count - bars + b;
        if (i < 0) continue;
        float use = v->graph[i] < 0 ? 0 : v->graph[i] > 1 ? 1 : v->graph[i];
        int bar = (int)(use * (float)(OVERLAY_GRAPH_HEIGHT - FONT_LINE) * (float)scale) + 1;
        for (int y = base - bar; y < base && y < img->height; y++)
            for (int x = pad + b * scale; x < pad + (b + 1) * scale; x++) game_pixel_row(&fb, y)[x] = OVERLAY_GRAPH_INK;
    }
}

bool overlay_render(overlay_image *img, overlay_piece piece, const overlay_view *v, int out_w, int out_h, int scale)
{
    uint64_t hash = overlay_piece_hash(piece, v, out_w, out_h, scale);
    if (hash == img->hash && img->pixels) return false;
    img->hash = hash;
    img->width = img->height = 0;
    switch (piece) {
    case OVERLAY_STATUS:
        if (v->status) overlay_text_plate(img, v->status, scale, OVERLAY_INK, OVERLAY_PLATE, out_w);
        break;
    case OVERLAY_NOTICES:
        if (v->notice_count) overlay_notices(img, v, scale, out_w);
        break;
    case OVERLAY_BANNER:
        if (v->banner) overlay_text_plate(img, v->banner, 2 * scale, OVERLAY_INK, OVERLAY_BANNER_PLATE, out_w);
        break;
    default:
        if (v->stats) overlay_stats(img, v, scale, out_w, out_h);
        break;
    }
    return true;
}

void overlay_place(overlay_piece piece, const overlay_image *img, int out_w, int out_h, int scale, int *x, int *y)
{
    int status_h = (FONT_LINE + OVERLAY_PAD) * scale;
    switch (piece) {
    case OVERLAY_STATUS: *x = 0, *y = out_h - img->height; break;
    case OVERLAY_NOTICES: *x = 0, *y = out_h - status_h - img->height; break;
    case OVERLAY_BANNER: *x = (out_w - img->width) / 2, *y = (out_h - img->height) / 3; break;
    default: *x = OVERLAY_PAD * scale, *y = OVERLAY_PAD * scale; break;
    }
}

void overlay_image_free(overlay_image *img)
{
    free(img->pixels);
    memset(img, 0, sizeof(*img));
}
