/* platform.c - the platform layer's face to the host (platform.h). */
#include "platform.h"
#include "input.h"
#include "screenshot.h"
#include "../os/terminal.h"

#include <SDL.h>
#include <string.h>

static const video_backend *const platform_video[] = {
    [GAME_MODE_HEADLESS] = &video_headless_backend,
    [GAME_MODE_TERMINAL] = &video_terminal_backend,
    [GAME_MODE_WINDOW] = &video_sdl_backend,
};

/* The window's sound goes to SDL's device; without one, the game still gets asked for sound (the
 * headless stand-in drains it) and the host says once that it runs silent. */
static bool platform_open_audio(platform *p, host_error *err)
{
    if (p->cfg.mode == GAME_MODE_WINDOW) {
        host_error why;
        if (audio_open(&p->audio, &audio_sdl_backend, p->cfg.fps, &why)) return true;
        event_warn(p->events, "%s; the game runs without sound (SDL_AUDIODRIVER=dummy silences this)", why.msg);
    }
    return audio_open(&p->audio, &audio_headless_backend, p->cfg.fps, err);
}

bool platform_open(platform *p, const platform_config *cfg, event_log *events, host_error *err)
{
    memset(p, 0, sizeof(*p));
    p->cfg = *cfg;
    p->events = events;
    if (!media_init(&p->media, cfg->media, cfg->media_size, err)) return false;
    p->video = platform_video[cfg->mode];
    return p->video->open(&p->video_state, &cfg->video, err) && platform_open_audio(p, err);
}

void platform_begin(platform *p, game_input *in)
{
    input_frame_begin(in);
    in->mode = p->cfg.mode;
    in->terminal_width = 80;
    in->terminal_height = 24;
    int width = 0, height = 0;
    p->video->poll(p->video_state, in, &width, &height);
    host_error err;
    if (!media_resize(&p->media, width, height, &err) && !p->resize_failed) {
        p->resize_failed = true;
        event_warn(p->events, "%s", err.msg);
    }
    in->screen = p->media.screen;
    uint32_t frames = audio_request(&p->audio);
    memset(p->media.samples, 0, sizeof(float) * MEDIA_AUDIO_CHANNELS * frames);
    in->audio = (game_audio){p->media.samples, (int32_t)frames, MEDIA_AUDIO_RATE, MEDIA_AUDIO_CHANNELS};
    p->text_drawn = false;
}

void platform_end(platform *p, const game_input *in, platform_sound sound, const overlay_view *view)
{
    if (sound == PLATFORM_SOUND_PLAY) audio_submit(&p->audio, in->audio.samples, (uint32_t)in->audio.frames);
    else if (sound == PLATFORM_SOUND_STOP) audio_stop(&p->audio);
    p->video->present(p->video_state, p->text_drawn ? NULL : &p->media.screen, view);
}

void platform_close(platform *p)
{
    audio_close(&p->audio);
    if (p->video) p->video->close(p->video_state);
    p->video = NULL;
    if (SDL_WasInit(0)) SDL_Quit();
}

void platform_terminal_text(platform *p, const char *text, uint64_t size)
{
    if (p->cfg.mode != GAME_MODE_TERMINAL) return;
    terminal_write(text, (size_t)size);
    p->text_drawn = true;
}

bool platform_paced(const platform *p) { return p->video && p->video->paced(p->video_state); }

void platform_overlay_cells(const platform *p, int *columns, int *rows) { p->video->cells(p->video_state, columns, rows); }

bool platform_screenshot(const platform *p, const char *path, host_error *err)
{
    return screenshot_write(&p->media.screen, path, err);
}

uint64_t platform_audio_underruns(platform *p, uint64_t *silent_frames)
{
    return p->audio.ring ? audio_underruns(&p->audio, silent_frames) : 0;
}
