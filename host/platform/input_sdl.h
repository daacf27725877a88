/* input_sdl.h - SDL2's events as game_input (input.h does the bookkeeping). The window backend
 * (video_sdl.c) feeds it every event of a frame; gamepad sticks and triggers are read from the
 * open controllers there, after the events. */
#ifndef INPUT_SDL_H
#define INPUT_SDL_H

#include "input.h"

#define SDL_MAIN_HANDLED /* the host has its own main (SDL's Windows headers would rename a main) */
#include <SDL.h>

/* Where the picture is in the window, to turn mouse positions into picture pixels. */
typedef struct input_sdl_view {
    float pixels_per_point_x, pixels_per_point_y; /* high-DPI: the output's pixels per window point */
    float x0, y0;                                 /* the picture's top-left corner in output pixels */
    float scale;                                  /* output pixels per picture pixel */
    int width, height;                            /* the picture */
} input_sdl_view;

/* The game_key of a key by its place, or 0 for a key games do not see. */
int input_sdl_key(SDL_Scancode scancode);
/* One event into `in`: keys, text, mouse, gamepad buttons (by the slots in pad_ids), focus, quit. */
void input_sdl_event(const input_sdl_view *view, const int32_t pad_ids[GAME_GAMEPAD_MAX], game_input *in,
                     const SDL_Event *e);

#endif
