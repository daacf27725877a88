/* screen.c - draws the game as one string of ANSI escapes, built in the frame arena.
 *
 * First a grid of cells (a glyph and an ink each) for the rows the game owns, then one pass turns
 * it into text: a cursor move per row and a colour change only where the ink changes. Every row is
 * written in full, so nothing needs clearing, nothing flickers, and a resize repaints itself. Only
 * plain VT sequences are used, which Linux terminals and Windows Terminal both understand. */
#include "snake.h"

#include <stdio.h>
#include <string.h>

/* Inks: indexes into screen_inks, so the grid stays two bytes a cell. */
enum {
    SCREEN_INK_DEFAULT,
    SCREEN_INK_HUD,
    SCREEN_INK_TEXT,
    SCREEN_INK_BORDER,
    SCREEN_INK_HEAD,
    SCREEN_INK_BODY,
    SCREEN_INK_DEAD,
    SCREEN_INK_FOOD,
    SCREEN_INK_BONUS,
    SCREEN_INK_SPARK,
    SCREEN_INK_COUNT
};

static const char *const screen_inks[SCREEN_INK_COUNT] = {
    [SCREEN_INK_DEFAULT] = "0",
    [SCREEN_INK_HUD] = SNAKE_COLOR_HUD,
    [SCREEN_INK_TEXT] = SNAKE_COLOR_TEXT,
    [SCREEN_INK_BORDER] = SNAKE_COLOR_BORDER,
    [SCREEN_INK_HEAD] = SNAKE_COLOR_HEAD,
    [SCREEN_INK_BODY] = SNAKE_COLOR_BODY,
    [SCREEN_INK_DEAD] = SNAKE_COLOR_DEAD,
    [SCREEN_INK_FOOD] = SNAKE_COLOR_FOOD,
    [SCREEN_INK_BONUS] = SNAKE_COLOR_BONUS,
    [SCREEN_INK_SPARK] = SNAKE_COLOR_SPARK,
};

/* Glyphs below 32 name a picture; 32..126 are themselves (text). */
enum {
    SCREEN_GLYPH_BLANK,
    SCREEN_GLYPH_HEAD,
    SCREEN_GLYPH_BODY,
    SCREEN_GLYPH_FOOD,
    SCREEN_GLYPH_BONUS,
    SCREEN_GLYPH_SPARK,
    SCREEN_GLYPH_EMBER, /* a spark about to go out */
    SCREEN_GLYPH_TOP_LEFT,
    SCREEN_GLYPH_TOP_RIGHT,
    SCREEN_GLYPH_BOTTOM_LEFT,
    SCREEN_GLYPH_BOTTOM_RIGHT,
    SCREEN_GLYPH_HORIZONTAL,
    SCREEN_GLYPH_VERTICAL,
    SCREEN_GLYPH_COUNT
};

static const char *const screen_glyphs[SCREEN_GLYPH_COUNT] = {
#if SNAKE_UTF8
    " ", "\xe2\x96\x88", "\xe2\x96\x93", "\xe2\x97\x8f", "\xe2\x97\x86", "*", "\xc2\xb7", /* █ ▓ ● ◆ * · */
    "\xe2\x94\x8c", "\xe2\x94\x90", "\xe2\x94\x94", "\xe2\x94\x98", "\xe2\x94\x80", "\xe2\x94\x82", /* ┌ ┐ └ ┘ ─ │ */
#else
    " ", "@", "o", "*", "$", ":", ".", "+", "+", "+", "+", "-", "|",
#endif
};

#define SCREEN_CELL_MAX_BYTES 40 /* one glyph (<= 4 bytes) and one colour change, with room to spare */

typedef struct screen_cell {
    uint8_t glyph;
    uint8_t ink;
} screen_cell;

typedef struct screen {
    int w, h;
    screen_cell *cells;
} screen;

/* The text being built; appends past `cap` are dropped, so a long colour string cannot overflow. */
typedef struct screen_out {
    char *buf;
    uint64_t len, cap;
} screen_out;

/* ---- the grid --------------------------------------------------------------------------------- */

static screen screen_make(arena *frame, int w, int h)
{
    screen sc = {w > 0 ? w : 0, h > 0 ? h : 0, NULL};
    sc.cells = push_array(frame, screen_cell, (uint64_t)sc.w * (uint64_t)sc.h + 1); /* zero: blank */
    return sc;
}

static void screen_put(screen *sc, int x, int y, int glyph, int ink)
{
    if (x < 0 || y < 0 || x >= sc->w || y >= sc->h) return;
    sc->cells[y * sc->w + x] = (screen_cell){(uint8_t)glyph, (uint8_t)ink};
}

/* Text from (x, y), clipped at the screen's right edge and at `max_x` (exclusive). */
static void screen_text(screen *sc, int x, int y, int max_x, const char *text, int ink)
{
    for (; *text && x < max_x; text++, x++) {
        unsigned char ch = (unsigned char)*text;
        screen_put(sc, x, y, ch >= 32 && ch < 127 ? ch : '?', ink);
    }
}

/* Centred on the board's row `y`, with a space either side so it stands out from what is under it. */
static void screen_message(screen *sc, const snake_layout *l, int y, const char *text)
{
    int len = (int)strlen(text) + 2;
    if (len > l->board_w) len = l->board_w;
    int x = l->board_x + (l->board_w - len) / 2;
    for (int i = 0; i < len; i++) screen_put(sc, x + i, l->board_y + y, ' ', SCREEN_INK_TEXT);
    screen_text(sc, x + 1, l->board_y + y, x + len - 1, text, SCREEN_INK_TEXT);
}

/* ---- the pieces of a frame -------------------------------------------------------------------- */

static void screen_draw_hud(screen *sc, const snake_state *s, const snake_layout *l, arena *frame)
{
    const char *mode = s->over ? "  GAME OVER" : s->paused ? "  PAUSED" : s->autopilot ? "  AUTOPILOT" : "";
    char *hud = arena_push_fmt(frame, "SNAKE  score %d  best %d  avg %.1f  length %d  speed %.1f  walls %s%s",
                               s->score, s->best, snake_history_average(s), s->length, snake_speed(s),
                               SNAKE_WRAP ? "wrap" : "kill", mode);
    screen_text(sc, l->board_x - 1, 0, sc->w, hud, SCREEN_INK_HUD);
}

static void screen_draw_border(screen *sc, const snake_layout *l)
{
    int left = l->board_x - 1, right = l->board_x + l->board_w;
    int top = l->board_y - 1, bottom = l->board_y + l->board_h;
    for (int x = left + 1; x < right; x++) {
        screen_put(sc, x, top, SCREEN_GLYPH_HORIZONTAL, SCREEN_INK_BORDER);
        screen_put(sc, x, bottom, SCREEN_GLYPH_HORIZONTAL, SCREEN_INK_BORDER);
    }
    for (int y = top + 1; y < bottom; y++) {
        screen_put(sc, left, y, SCREEN_GLYPH_VERTICAL, SCREEN_INK_BORDER);
        screen_put(sc, right, y, SCREEN_GLYPH_VERTICAL, SCREEN_INK_BORDER);
    }
    screen_put(sc, left, top, SCREEN_GLYPH_TOP_LEFT, SCREEN_INK_BORDER);
    screen_put(sc, right, top, SCREEN_GLYPH_TOP_RIGHT, SCREEN_INK_BORDER);
    screen_put(sc, left, bottom, SCREEN_GLYPH_BOTTOM_LEFT, SCREEN_INK_BORDER);
    screen_put(sc, right, bottom, SCREEN_GLYPH_BOTTOM_RIGHT, SCREEN_INK_BORDER);
}

/* A board cell on the screen; cells outside the board (a spark flying off) are not drawn. */
static void screen_board_put(screen *sc, const snake_layout *l, int x, int y, int glyph, int ink)
{
    if (x < 0 || y < 0 || x >= l->board_w || y >= l->board_h) return;
    screen_put(sc, l->board_x + x, l->board_y + y, glyph, ink);
}

static void screen_draw_things(screen *sc, const snake_state *s, const snake_layout *l)
{
    for (const snake_food *f = s->foods; f; f = f->next) {
        bool bonus = f->kind == SNAKE_FOOD_BONUS;
        if (bonus && f->ttl < 2.0 && (int)(f->ttl * 6.0) % 2) continue; /* blinks before it expires */
        screen_board_put(sc, l, f->at.x, f->at.y, bonus ? SCREEN_GLYPH_BONUS : SCREEN_GLYPH_FOOD,
                         bonus ? SCREEN_INK_BONUS : SCREEN_INK_FOOD);
    }
    for (const snake_spark *p = s->sparks; p; p = p->next) {
        if (p->x < 0 || p->y < 0) continue; /* (int) rounds towards zero: -0.5 would land on column 0 */
        screen_board_put(sc, l, (int)p->x, (int)p->y, p->life > 0.2f ? SCREEN_GLYPH_SPARK : SCREEN_GLYPH_EMBER,
                         SCREEN_INK_SPARK);
    }
}

static void screen_draw_snake(screen *sc, const snake_state *s, const snake_layout *l)
{
    for (int i = s->length - 1; i >= 0; i--) { /* tail first, so the head wins where they overlap */
        snake_cell c = snake_segment(s, i);
        int ink = s->over ? SCREEN_INK_DEAD : i == 0 ? SCREEN_INK_HEAD : SCREEN_INK_BODY;
        screen_board_put(sc, l, c.x, c.y, i == 0 ? SCREEN_GLYPH_HEAD : SCREEN_GLYPH_BODY, ink);
    }
}

static void screen_draw_overlay(screen *sc, const snake_state *s, const snake_layout *l, arena *frame)
{
    int mid = l->board_h / 2 - 1;
    if (s->over) {
        screen_message(sc, l, mid, arena_push_fmt(frame, "GAME OVER  score %d", s->score));
        if (s->autopilot)
            screen_message(sc, l, mid + 1, "the autopilot plays again soon");
        else
            screen_message(sc, l, mid + 1, "space: again  r: restart  q: quit");
    } else if (s->paused) {
        screen_message(sc, l, mid, "PAUSED");
        screen_message(sc, l, mid + 1, "p or an arrow: play");
    }
}

static void screen_draw_help(screen *sc, const snake_layout *l)
{
    screen_text(sc, l->board_x - 1, l->board_y + l->board_h + 1, sc->w,
                "arrows/WASD move  p pause  t autopilot  space again  r restart  q quit", SCREEN_INK_DEFAULT);
}

/* ---- the grid as text ------------------------------------------------------------------------- */

static void screen_emit(screen_out *o, const char *s)
{
    uint64_t n = strlen(s);
    if (o->len + n > o->cap) return;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static char *screen_render(const screen *sc, arena *frame, uint64_t *size)
{
    screen_out o = {0};
    o.cap = (uint64_t)sc->h * ((uint64_t)sc->w * SCREEN_CELL_MAX_BYTES + 32) + 64;
    o.buf = push_array_no_zero(frame, char, o.cap);
    /* synchronized update: terminals that know it show the frame at once, the others ignore it */
    screen_emit(&o, "\x1b[?2026h");
    for (int y = 0; y < sc->h; y++) {
        char move[32];
        snprintf(move, sizeof(move), "\x1b[%d;1H", y + 1);
        screen_emit(&o, move);
        int ink = -1;
        for (int x = 0; x < sc->w; x++) {
            screen_cell c = sc->cells[y * sc->w + x];
            if (c.ink != ink) {
                ink = c.ink;
                screen_emit(&o, "\x1b[0;");
                screen_emit(&o, screen_inks[ink]);
                screen_emit(&o, "m");
            }
            char text[2] = {(char)c.glyph, 0};
            screen_emit(&o, c.glyph < SCREEN_GLYPH_COUNT ? screen_glyphs[c.glyph] : text);
        }
        screen_emit(&o, "\x1b[0m");
    }
    screen_emit(&o, "\x1b[?2026l");
    *size = o.len;
    return o.buf;
}

char *screen_build(const snake_state *s, const snake_layout *l, arena *frame, uint64_t *size)
{
    screen sc = screen_make(frame, l->screen_w, l->screen_h);
    if (l->too_small) {
        screen_text(&sc, 0, 0, sc.w, "snake needs a bigger terminal", SCREEN_INK_HUD);
    } else {
        screen_draw_hud(&sc, s, l, frame);
        screen_draw_border(&sc, l);
        screen_draw_things(&sc, s, l);
        screen_draw_snake(&sc, s, l);
        screen_draw_overlay(&sc, s, l, frame);
        if (l->help) screen_draw_help(&sc, l);
    }
    return screen_render(&sc, frame, size);
}
