/* screenshot.h - the game's picture as a PNG file, written by stb_image_write (Debian's libstb-dev)
 * through a temporary name and a rename. The picture is the game's own (the framebuffer in the
 * block), without the host's overlay. */
#ifndef SCREENSHOT_H
#define SCREENSHOT_H

#include "../base/error.h"
#include "../api/game_api.h"

#include <stddef.h>

bool screenshot_write(const game_framebuffer *fb, const char *path, host_error *err);
/* The first free name of screenshot-0001.png, screenshot-0002.png, ... in the current folder. */
void screenshot_next_name(char *out, size_t cap);

#endif
