/* video_terminal.c - the terminal as a display (video.h): raw keys in (os/terminal.h), and out
 * either the text the game drew itself (host->draw) or its picture in half-block characters: each
 * character cell shows two pixels, the upper as the foreground colour of '▀' and the lower as its
 * background, in 24-bit colour. Only the cells that changed since the last frame are written. The
 * stats table, when on, and the host's status line go over it, in the bottom row. */
#include "input.h"
#include "video.h"
#include "../os/terminal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIDEO_TERMINAL_KEYS 64

typedef struct video_terminal {
    int width, height; /* the terminal in cells */
    uint32_t *shown;   /* per picture cell: its upper and lower colour as last written */
    int cols, rows;    /* the picture's cells: the terminal but its status row */
    bool stale;        /* the screen no longer shows `shown` (text, the stats, a resize) */
    int text_width, text_height; /* the terminal's size when the game's text was last written */
    char *out;
    size_t len, cap;
} video_terminal;

static bool video_terminal_open(void **state, const video_config *cfg, host_error *err)
{
    (void)cfg;
    *state = NULL;
    if (!terminal_open())
        return host_fail(err, "--terminal needs a terminal, and stdin or stdout is not one; run it in a terminal, "
                              "or pass --headless");
    video_terminal *t = calloc(1, sizeof(*t));
    if (!t) return terminal_restore(), host_fail(err, "out of memory for the terminal");
    *state = t;
    return true;
}

static void video_terminal_close(void *state)
{
    video_terminal *t = state;
    terminal_restore();
    if (!t) return;
    free(t->shown);
    free(t->out);
    free(t);
}

static void video_terminal_poll(void *state, game_input *in, int *width, int *height)
{
    video_terminal *t = state;
    int keys[VIDEO_TERMINAL_KEYS];
    int n = terminal_read_keys(keys, VIDEO_TERMINAL_KEYS);
    for (int i = 0; i < n; i++) input_terminal_key(in, keys[i]);
    in->focused = 1;
    terminal_size(&t->width, &t->height);
    in->terminal_width = t->width;
    in->terminal_height = t->height;
    *width = t->width;
    *height = 2 * (t->height - 1 > 0 ? t->height - 1 : 0);
}

/* ---- output ------------------------------------------------------------------------------------- */

/* Raw bytes, as they are (the game's own text). */
static void video_terminal_append(video_terminal *t, const char *data, size_t size)
{
    if (t->len + size > t->cap) {
        size_t cap = (t->len + size) * 2;
        char *out = realloc(t->out, cap);
        if (!out) return;
        t->out = out;
        t->cap = cap;
    }
    memcpy(t->out + t->len, data, size);
    t->len += size;
}

static void video_terminal_emit(video_terminal *t, const char *fmt, ...)
{
    char piece[160];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(piece, sizeof(piece), fmt, args);
    va_end(args);
    if (n < 0) return;
    video_terminal_append(t, piece, (size_t)n < sizeof(piece) ? (size_t)n : sizeof(piece) - 1);
}

/* The game's own text: written when its update drew a new frame; its last whole frame drawn again
 * on a cleared screen when the screen needs it (a crash paused the game, the terminal was resized). */
static void video_terminal_text(video_terminal *t, const video_frame *f, bool redraw)
{
    bool resized = t->width != t->text_width || t->height != t->text_height;
    if (!f->text_new && !(f->text && (redraw || resized))) return;
    if (!f->text_new) video_terminal_emit(t, "\x1b[0m\x1b[2J\x1b[H");
    video_terminal_append(t, f->text, f->text_len);
    t->text_width = t->width;
    t->text_height = t->height;
}

static bool video_terminal_fit(video_terminal *t)
{
    int cols = t->width, rows = t->height - 1;
    if (cols == t->cols && rows == t->rows && t->shown) return true;
    free(t->shown);
    t->shown = rows > 0 && cols > 0 ? calloc((size_t)cols * (size_t)rows * 2, sizeof(uint32_t)) : NULL;
    t->cols = t->shown ? cols : 0;
    t->rows = t->shown ? rows : 0;
    t->stale = true;
    return t->shown != NULL;
}

static uint32_t video_terminal_pixel(const game_framebuffer *fb, int x, int y, int cols, int rows)
{
    return game_pixel_row(fb, (int)((int64_t)y * fb->height / (2 * rows)))[(int64_t)x * fb->width / cols] & 0xffffff;
}

#define VIDEO_RGB(c) (int)((c) >> 16 & 255), (int)((c) >> 8 & 255), (int)((c)&255)

/* The picture, nearest pixel per half cell; only the cells that differ from what is shown. */
static void video_terminal_picture(video_terminal *t, const game_framebuffer *fb)
{
    if (!video_terminal_fit(t)) return;
    int at = -1; /* the cell the cursor is on, if known */
    for (int y = 0; y < t->rows; y++) {
        for (int x = 0; x < t->cols; x++) {
            uint32_t top = video_terminal_pixel(fb, x, 2 * y, t->cols, t->rows);
            uint32_t bottom = video_terminal_pixel(fb, x, 2 * y + 1, t->cols, t->rows);
            uint32_t *shown = &t->shown[(y * t->cols + x) * 2];
            if (!t->stale && shown[0] == top && shown[1] == bottom) continue;
            if (at != y * t->cols + x) video_terminal_emit(t, "\x1b[%d;%dH", y + 1, x + 1);
            video_terminal_emit(t, "\x1b[38;2;%d;%d;%dm\x1b[48;2;%d;%d;%dm\xe2\x96\x80", VIDEO_RGB(top), VIDEO_RGB(bottom));
            shown[0] = top;
            shown[1] = bottom;
            at = y * t->cols + x + 1;
        }
    }
    t->stale = false;
    video_terminal_emit(t, "\x1b[0m");
}

/* The stats table from the top row down, on a light plate. */
static void video_terminal_stats(video_terminal *t, const char *text)
{
    int row = 1;
    for (const char *line = text; *line && row < t->height; row++) {
        const char *end = strchr(line, '\n');
        int len = end ? (int)(end - line) : (int)strlen(line);
        int width = t->width - 2 > 1 ? t->width - 2 : 1;
        video_terminal_emit(t, "\x1b[%d;1H\x1b[0;30;47m %-*.*s\x1b[0m", row, width, len < 150 ? len : 150, line);
        line = end ? end + 1 : line + len;
    }
    t->stale = true;
}

/* The bottom row, cut to the width (a wrapped line would scroll the picture). */
static void video_terminal_status(video_terminal *t, const char *text)
{
    int shown = (int)strlen(text);
    if (shown > t->width - 1) shown = t->width - 1 > 0 ? t->width - 1 : 0;
    if (shown > 150) shown = 150;
    video_terminal_emit(t, "\x1b[%d;1H\x1b[0;7m%.*s\x1b[0m\x1b[K", t->height, shown, text);
}

static void video_terminal_present(void *state, const video_frame *frame, const overlay_view *view)
{
    video_terminal *t = state;
    const game_framebuffer *fb = frame->picture;
    t->len = 0;
    video_terminal_emit(t, "\x1b[?2026h"); /* synchronized update, where the terminal knows it */
    if (fb && fb->width && fb->height) {
        if (view->redraw) t->stale = true;
        video_terminal_picture(t, fb);
    } else {
        video_terminal_text(t, frame, view->redraw);
        t->stale = true; /* the game wrote its own text over the cells */
    }
    if (view->stats) video_terminal_stats(t, view->stats);
    if (view->status) video_terminal_status(t, view->status);
    video_terminal_emit(t, "\x1b[?2026l");
    terminal_write(t->out, t->len);
}

static bool video_terminal_paced(void *state)
{
    (void)state;
    return false;
}

static void video_terminal_cells(void *state, int *columns, int *rows)
{
    video_terminal *t = state;
    *columns = t->width - 2;
    *rows = t->height - 2;
}

const video_backend video_terminal_backend = {
    "terminal", video_terminal_open, video_terminal_close, video_terminal_poll, video_terminal_present,
    video_terminal_paced, video_terminal_cells,
};
