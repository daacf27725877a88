/* font.h - the host's small pixel font: stb_easy_font's characters (Debian's libstb-dev), drawn as
 * filled rectangles into 32-bit pixels. The overlay writes with it, and so does a game through
 * host->draw_text. Printable ASCII; anything else shows as '?'. */
#ifndef FONT_H
#define FONT_H

#include "../api/game_api.h"

#define FONT_LINE GAME_TEXT_LINE /* pixels from one line to the next, at scale 1 */
#define FONT_CELL 7              /* the advance of every character in fixed-width text (tables) */

/* Draws `text` (lines split at '\n') with its top-left at x, y, `scale` pixels per font unit,
 * clipped to `fb`. `cell` 0 advances each character by its own width; FONT_CELL lines up columns.
 * Returns the widest line's width in pixels; with fb NULL it only measures. */
int font_draw(const game_framebuffer *fb, int x, int y, int scale, uint32_t color, const char *text, int cell);

#endif
