/* draw.c - the picture: the board, the snake, food and sparks in filled rectangles, and text in the
 * host's font (host->draw_text), into input->screen every frame.
 *
 * The picture is 32-bit pixels 0xAARRGGBB in the block; its size follows the window (or the
 * terminal, or --resolution), so everything is laid out from in->screen's size each frame. Every
 * pixel is drawn every frame: the buffer holds whatever the last frame left. */
#include "snake.h"

#include <stdio.h>
#include <string.h>

#define DRAW_PIXEL(rgb) (0xff000000u | (uint32_t)(rgb))

/* Where things go this frame, from the picture's size. */
typedef struct draw_layout {
    int text;             /* the font's scale: its pixels per font unit */
    int cell;             /* a board cell's side in pixels */
    int board_x, board_y; /* the board's top-left pixel */
    int board_w, board_h; /* in pixels */
    bool help;            /* room for the key help under the board */
} draw_layout;

static int draw_min(int a, int b) { return a < b ? a : b; }

static draw_layout draw_layout_for(const snake_state *s, const game_framebuffer *fb)
{
    draw_layout l = {0};
    l.text = draw_min(fb->width, fb->height) / 240;
    if (l.text < 1) l.text = 1;
    int line = (GAME_TEXT_LINE + 2) * l.text;
    int room_h = fb->height - 2 * line; /* the score above the board, the help below */
    l.help = room_h / s->board_h >= 2;
    if (!l.help) room_h = fb->height - line;
    l.cell = draw_min(fb->width / s->board_w, room_h / s->board_h);
    if (l.cell < 1) l.cell = 1;
    l.board_w = l.cell * s->board_w;
    l.board_h = l.cell * s->board_h;
    l.board_x = (fb->width - l.board_w) / 2;
    l.board_y = line + (room_h - l.board_h) / 2;
    return l;
}

/* ---- rectangles ----------------------------------------------------------------------------------- */

/* A filled rectangle, clipped to the picture: its first row pixel by pixel, the others copied. */
static void draw_rect(const game_framebuffer *fb, int x, int y, int w, int h, uint32_t rgb)
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = draw_min(x + w, fb->width), y1 = draw_min(y + h, fb->height);
    if (x0 >= x1 || y0 >= y1) return;
    uint32_t *first = game_pixel_row(fb, y0) + x0;
    for (int i = 0; i < x1 - x0; i++) first[i] = DRAW_PIXEL(rgb);
    for (int row = y0 + 1; row < y1; row++) memcpy(game_pixel_row(fb, row) + x0, first, sizeof(uint32_t) * (size_t)(x1 - x0));
}

/* A board cell, shrunk by `inset` pixels on every side. */
static void draw_cell(const game_framebuffer *fb, const draw_layout *l, int x, int y, int inset, uint32_t rgb)
{
    int side = l->cell - 2 * inset;
    draw_rect(fb, l->board_x + x * l->cell + inset, l->board_y + y * l->cell + inset, side, side, rgb);
}

/* A round-ish blob in a cell: a cross of two rectangles. */
static void draw_blob(const game_framebuffer *fb, const draw_layout *l, int x, int y, uint32_t rgb)
{
    int px = l->board_x + x * l->cell, py = l->board_y + y * l->cell;
    int in = l->cell / 5, cut = l->cell / 3;
    draw_rect(fb, px + in, py + cut, l->cell - 2 * in, l->cell - 2 * cut, rgb);
    draw_rect(fb, px + cut, py + in, l->cell - 2 * cut, l->cell - 2 * in, rgb);
}

/* ---- the board and what is on it ----------------------------------------------------------------- */

static void draw_board(const game_framebuffer *fb, const draw_layout *l, const snake_state *s)
{
    int edge = l->text;
    draw_rect(fb, l->board_x - edge, l->board_y - edge, l->board_w + 2 * edge, l->board_h + 2 * edge, SNAKE_COLOR_BORDER);
    for (int y = 0; y < s->board_h; y++)
        for (int x = 0; x < s->board_w; x++) draw_cell(fb, l, x, y, 0, (x + y) & 1 ? SNAKE_COLOR_BOARD_ALT : SNAKE_COLOR_BOARD);
}

static void draw_things(const game_framebuffer *fb, const draw_layout *l, const snake_state *s)
{
    for (const snake_food *f = s->foods; f; f = f->next) {
        bool bonus = f->kind == SNAKE_FOOD_BONUS;
        if (bonus && f->ttl < 2.0 && (int)(f->ttl * 6.0) % 2) continue; /* blinks before it expires */
        draw_blob(fb, l, f->at.x, f->at.y, bonus ? SNAKE_COLOR_BONUS : SNAKE_COLOR_FOOD);
    }
    int size = l->cell / 6 > 1 ? l->cell / 6 : 1;
    for (const snake_spark *p = s->sparks; p; p = p->next) {
        if (p->x < 0 || p->y < 0 || p->x >= (float)s->board_w || p->y >= (float)s->board_h) continue;
        int px = l->board_x + (int)(p->x * (float)l->cell), py = l->board_y + (int)(p->y * (float)l->cell);
        draw_rect(fb, px, py, p->life > 0.2f ? size : (size + 1) / 2, p->life > 0.2f ? size : (size + 1) / 2, SNAKE_COLOR_SPARK);
    }
}

/* The gap between two neighbouring segments is filled, so the body reads as one piece. */
static void draw_joint(const game_framebuffer *fb, const draw_layout *l, snake_cell a, snake_cell b, int inset, uint32_t rgb)
{
    if (a.x == b.x && (a.y - b.y == 1 || b.y - a.y == 1))
        draw_rect(fb, l->board_x + a.x * l->cell + inset, l->board_y + draw_min(a.y, b.y) * l->cell + l->cell - inset,
                  l->cell - 2 * inset, 2 * inset, rgb);
    if (a.y == b.y && (a.x - b.x == 1 || b.x - a.x == 1))
        draw_rect(fb, l->board_x + draw_min(a.x, b.x) * l->cell + l->cell - inset, l->board_y + a.y * l->cell + inset,
                  2 * inset, l->cell - 2 * inset, rgb);
}

/* Two eyes on the head, looking where it goes. */
static void draw_eyes(const game_framebuffer *fb, const draw_layout *l, snake_cell head, int dir)
{
    static const int ahead[4][2] = {{0, -1}, {1, 0}, {0, 1}, {-1, 0}};
    int eye = l->cell / 6 > 1 ? l->cell / 6 : 1;
    int cx = l->board_x + head.x * l->cell + l->cell / 2, cy = l->board_y + head.y * l->cell + l->cell / 2;
    int fx = ahead[dir][0] * l->cell / 5, fy = ahead[dir][1] * l->cell / 5; /* forward */
    int sx = -ahead[dir][1] * l->cell / 5, sy = ahead[dir][0] * l->cell / 5; /* sideways */
    draw_rect(fb, cx + fx + sx - eye / 2, cy + fy + sy - eye / 2, eye, eye, SNAKE_COLOR_BACKGROUND);
    draw_rect(fb, cx + fx - sx - eye / 2, cy + fy - sy - eye / 2, eye, eye, SNAKE_COLOR_BACKGROUND);
}

static void draw_snake(const game_framebuffer *fb, const draw_layout *l, const snake_state *s)
{
    int inset = l->cell / 10;
    for (int i = s->length - 1; i >= 0; i--) { /* tail first, so the head wins where they overlap */
        snake_cell c = snake_segment(s, i);
        uint32_t rgb = s->over ? SNAKE_COLOR_DEAD : i == 0 ? SNAKE_COLOR_HEAD : SNAKE_COLOR_BODY;
        draw_cell(fb, l, c.x, c.y, inset, rgb);
        if (i > 0) draw_joint(fb, l, c, snake_segment(s, i - 1), inset, s->over ? SNAKE_COLOR_DEAD : SNAKE_COLOR_BODY);
    }
    if (!s->over) draw_eyes(fb, l, snake_segment(s, 0), s->dir);
}

/* ---- text ------------------------------------------------------------------------------------------ */

/* Lines centred on the board, on a panel. */
static void draw_message(const game_framebuffer *fb, const draw_layout *l, const host_api *host, const char *text)
{
    int scale = l->text + 1, width = host->draw_text(NULL, 0, 0, scale, 0, text);
    int lines = 1;
    for (const char *c = text; *c; c++) lines += *c == '\n';
    int pad = 4 * scale, h = lines * GAME_TEXT_LINE * scale + pad;
    int x = l->board_x + (l->board_w - width) / 2, y = l->board_y + (l->board_h - h) / 2;
    draw_rect(fb, x - pad, y - pad, width + 2 * pad, h + pad, SNAKE_COLOR_PANEL);
    host->draw_text(fb, x, y, scale, DRAW_PIXEL(SNAKE_COLOR_TEXT), text);
}

/* The largest scale, up to `scale`, at which text fits in `width` pixels. */
static int draw_fit(const host_api *host, const char *text, int scale, int width)
{
    while (scale > 1 && host->draw_text(NULL, 0, 0, scale, 0, text) > width) scale--;
    return scale;
}

static void draw_text_parts(const game_framebuffer *fb, const draw_layout *l, const snake_state *s,
                            const host_api *host, arena *frame)
{
    const char *mode = s->over ? "  GAME OVER" : s->paused ? "  PAUSED" : s->autopilot ? "  AUTOPILOT" : "";
    char *hud = arena_push_fmt(frame, "SNAKE   score %d  best %d  avg %.1f  length %d  speed %.1f%s", s->score, s->best,
                               snake_history_average(s), s->length, snake_speed(s), mode);
    host->draw_text(fb, l->board_x, l->board_y - (GAME_TEXT_LINE + 1) * l->text,
                    draw_fit(host, hud, l->text, fb->width - l->board_x), DRAW_PIXEL(SNAKE_COLOR_TEXT), hud);
    const char *help = "arrows/WASD/pad: steer   p: pause   t: autopilot   space: again   r: restart   m: memory   q: quit";
    int scale = draw_fit(host, help, l->text, fb->width);
    if (l->help)
        host->draw_text(fb, (fb->width - host->draw_text(NULL, 0, 0, scale, 0, help)) / 2,
                        l->board_y + l->board_h + 3 * l->text, scale, DRAW_PIXEL(SNAKE_COLOR_DIM), help);
    if (s->over)
        draw_message(fb, l, host,
                     s->autopilot ? arena_push_fmt(frame, "GAME OVER  score %d\nthe autopilot plays again soon", s->score)
                                  : arena_push_fmt(frame, "GAME OVER  score %d\nspace: again   r: restart", s->score));
    else if (s->paused)
        draw_message(fb, l, host, "PAUSED\np or an arrow: play");
}

void draw_frame(const snake_state *s, const game_input *in, const host_api *host, arena *frame)
{
    const game_framebuffer *fb = &in->screen;
    if (!fb->width || !fb->height) return;
    draw_layout l = draw_layout_for(s, fb);
    draw_rect(fb, 0, 0, fb->width, fb->height, SNAKE_COLOR_BACKGROUND);
    draw_board(fb, &l, s);
    draw_things(fb, &l, s);
    draw_snake(fb, &l, s);
    draw_text_parts(fb, &l, s, host, frame);
}
