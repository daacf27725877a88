/* font.c - stb_easy_font's characters as rectangles (font.h). */
#include "font.h"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-braces"
#endif
#include <stb_easy_font.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#define FONT_QUAD_BYTES 64 /* 4 vertices of x, y, z floats and a colour */

static void font_fill(const game_framebuffer *fb, int x0, int y0, int x1, int y1, uint32_t color)
{
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > fb->width) x1 = fb->width;
    if (y1 > fb->height) y1 = fb->height;
    for (int y = y0; y < y1; y++) {
        uint32_t *row = game_pixel_row(fb, y);
        for (int x = x0; x < x1; x++) row[x] = color;
    }
}

/* One character's segments, with its top-left at x, y. */
static void font_glyph(const game_framebuffer *fb, int x, int y, int scale, uint32_t color, char c)
{
    char one[2] = {c, 0};
    char quads[64 * FONT_QUAD_BYTES];
    int n = stb_easy_font_print(0, 0, one, NULL, quads, sizeof(quads));
    for (int i = 0; i < n; i++) {
        const float *v0 = (const float *)(void *)(quads + i * FONT_QUAD_BYTES);
        const float *v2 = (const float *)(void *)(quads + i * FONT_QUAD_BYTES + 32);
        font_fill(fb, x + (int)v0[0] * scale, y + (int)v0[1] * scale, x + (int)v2[0] * scale, y + (int)v2[1] * scale,
                  color);
    }
}

int font_draw(const game_framebuffer *fb, int x, int y, int scale, uint32_t color, const char *text, int cell)
{
    if (scale < 1) scale = 1;
    int pen = 0, widest = 0;
    for (; *text; text++) {
        char c = *text;
        if (c == '\n') {
            y += FONT_LINE * scale;
            pen = 0;
            continue;
        }
        if ((unsigned char)c < 32 || (unsigned char)c > 126) c = '?';
        int advance = cell ? cell : stb_easy_font_charinfo[c - 32].advance & 15;
        if (fb && c != ' ' && x + pen < fb->width && y < fb->height) font_glyph(fb, x + pen, y, scale, color, c);
        pen += advance * scale;
        if (pen > widest) widest = pen;
    }
    return widest;
}
