/* platform.h - the platform layer: the window or the terminal, the input devices, the audio device,
 * the game's picture and sound buffers in the block, and the host's overlay. The host's top calls
 * these; the game never sees any of it but the plain data in game_input.
 *
 *     platform_open    the media region planned, the display and the audio device opened for the mode
 *     platform_begin   (before update) the frame's input, the picture's size, the sound asked for
 *     platform_end     (after update) the sound queued or dropped, the picture shown with the overlay
 *     platform_close
 *
 * Backends are tables of functions, SDL-style (video.h: window, terminal, headless; audio.h: SDL's
 * device, the headless stand-in), so --headless needs no display and no audio device. SDL2 is used
 * in this room only, and only by the window and audio_sdl backends. */
#ifndef PLATFORM_H
#define PLATFORM_H

#include "../base/events.h"
#include "audio.h"
#include "media.h"
#include "video.h"

typedef struct platform_config {
    game_mode mode;
    video_config video;
    uint64_t fps;      /* the host's frame rate (0: as fast as it goes): sets the audio target */
    void *media;       /* the block's media region */
    uint64_t media_size;
} platform_config;

/* What becomes of the sound the update wrote. */
typedef enum platform_sound {
    PLATFORM_SOUND_PLAY, /* the update returned: queue it */
    PLATFORM_SOUND_DROP, /* it crashed: what it wrote is not played; the queue plays on */
    PLATFORM_SOUND_STOP, /* no update ran (paused): silence now */
} platform_sound;

/* A terminal game's text (host->draw), as it grows during one update. */
typedef struct platform_text {
    char *data;
    size_t len, cap;
} platform_text;

typedef struct platform {
    platform_config cfg;
    event_log *events;
    const video_backend *video;
    void *video_state;
    audio audio;
    media media;
    platform_text drawing; /* what the game draws this frame (host->draw), shown when its update returns */
    platform_text drawn;   /* the last frame it drew whole: shown again while the game is paused */
    bool resize_failed; /* warned once */
    struct platform_shot *shot; /* a screenshot being written on a thread of its own (F12), or NULL */
} platform;

bool platform_open(platform *p, const platform_config *cfg, event_log *events, host_error *err);
/* Fills `in` for the frame: input_frame_begin, the backend's events, in->screen (re-planned when the
 * size changed) and in->audio (the frames to write, zeroed). */
void platform_begin(platform *p, game_input *in);
/* After update (or instead of it, paused): `sound` says how the update went; the picture, or the
 * game's last whole frame of text, shown with the overlay (view->redraw: the whole screen again). */
void platform_end(platform *p, const game_input *in, platform_sound sound, const overlay_view *view);
void platform_close(platform *p);

/* host->draw: the game's own terminal text (dropped outside a terminal), shown once its update
 * returns (a crashed update's half frame never is). */
void platform_terminal_text(platform *p, const char *text, uint64_t size);
/* Presenting waits for the display: no sleep needed to keep the pace. */
bool platform_paced(const platform *p);
/* Room for the overlay's stats table, in fixed-width characters. */
void platform_overlay_cells(const platform *p, int *columns, int *rows);
/* The picture as a PNG file, now. */
bool platform_screenshot(const platform *p, const char *path, host_error *err);
/* The picture as it is now, written as a PNG file on a thread; false when one is still being written. */
bool platform_screenshot_begin(platform *p, const char *path, host_error *err);
/* A screenshot begun earlier that has been written since (true): its path, and whether it worked. */
bool platform_screenshot_done(platform *p, char *path, size_t cap, bool *ok, host_error *err);
/* Gaps in the sound so far (audio.h), and their frames of silence. */
uint64_t platform_audio_underruns(platform *p, uint64_t *silent_frames);

#endif
