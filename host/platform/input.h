/* input.h - game_input as every input backend fills it (the window's events in input_sdl.c, the
 * terminal's keys in video_terminal.c): what a frame starts from, buttons that change, typed text,
 * stick dead zones and gamepad slots. Pure: no device is touched here. */
#ifndef INPUT_H
#define INPUT_H

#include "../api/game_api.h"

#define INPUT_STICK_DEAD_ZONE 0.24f  /* of the stick's travel, round the centre (XInput's 7849/32767) */
#define INPUT_TRIGGER_DEAD_ZONE 0.12f /* XInput's 30/255 */

/* A new frame: no transitions, no text, no wheel or mouse motion, no hot-plug, no quit request;
 * what is held stays held. */
void input_frame_begin(game_input *in);
/* The button is now down (or up); a change counts as a transition. */
void input_button(game_button *b, bool down);
/* A press and a release at once: a terminal reports keys this way. */
void input_tap(game_button *b);
/* Every held key and button goes up (the window lost the keyboard: its key-ups go elsewhere). */
void input_release_all(game_input *in);
/* Appends UTF-8 text typed this frame; a character that no longer fits is dropped whole. */
void input_text(game_input *in, const char *utf8);

/* A stick's raw axes (-32768..32767) as -1..1 with a radial dead zone: 0 inside it, and rising
 * from 0 at its edge to 1 at the rim, so small moves are possible. */
void input_stick(int raw_x, int raw_y, float *x, float *y);
/* A trigger's raw value (0..32767) as 0..1 past its dead zone. */
float input_trigger(int raw);

/* Gamepad slots: `ids` holds the device id of each slot, -1 when free. */
void input_pads_reset(int32_t ids[GAME_GAMEPAD_MAX]);
/* The slot of device `id`, or -1. */
int input_pad_slot(const int32_t ids[GAME_GAMEPAD_MAX], int32_t id);
/* Puts a plugged-in device in the first free slot and marks it connected and plugged; -1 when all
 * four are taken. */
int input_pad_attach(game_input *in, int32_t ids[GAME_GAMEPAD_MAX], int32_t id, const char *name);
/* Frees its slot: the pad reads as disconnected, every button up. */
void input_pad_detach(game_input *in, int32_t ids[GAME_GAMEPAD_MAX], int32_t id);

/* A terminal key (a byte, or a GAME_KEY_ code from os/terminal.h) as a tap of its game_key, and
 * printable ones as text too: 'A' taps 'a' and types "A". */
void input_terminal_key(game_input *in, int key);

/* Key names, for options that pick a key (--loop-key) and for messages that name one: a printable
 * character ("l", "L" and "/" name those keys), "F1" to "F12", or a name: space, tab, enter,
 * backspace, escape, up, down, left, right, home, end, pageup, pagedown, insert, delete (any
 * case). -1 for a name that is none of these. */
int input_key_named(const char *name);
/* The name a message shows: "L", "F7", "Space". */
void input_key_name(int key, char *out, size_t cap);

#endif
