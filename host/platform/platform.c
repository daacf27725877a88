/* platform.c - the platform layer's face to the host (platform.h). */
#include "platform.h"
#include "input.h"
#include "../../arena/heap.h"
#include "screenshot.h"

#include <SDL.h>
#include <stdlib.h>
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

/* Every call into SDL runs with the thread's heap outside the block (heap.h): the libraries under it
 * (a GL driver's C++) allocate on this thread with the malloc mimalloc overrides. */
bool platform_open(platform *p, const platform_config *cfg, event_log *events, host_error *err)
{
    memset(p, 0, sizeof(*p));
    p->cfg = *cfg;
    p->events = events;
    if (!media_init(&p->media, cfg->media, cfg->media_size, err)) return false;
    p->video = platform_video[cfg->mode];
    struct mi_heap_s *heap = heap_thread_pause();
    bool ok = p->video->open(&p->video_state, &cfg->video, err) && platform_open_audio(p, err);
    heap_thread_resume(heap);
    return ok;
}

void platform_begin(platform *p, game_input *in)
{
    input_frame_begin(in);
    in->mode = p->cfg.mode;
    in->terminal_width = 80;
    in->terminal_height = 24;
    int width = 0, height = 0;
    struct mi_heap_s *heap = heap_thread_pause();
    p->video->poll(p->video_state, in, &width, &height);
    heap_thread_resume(heap);
    host_error err;
    if (!media_resize(&p->media, width, height, &err) && !p->resize_failed) {
        p->resize_failed = true;
        event_warn(p->events, "%s", err.msg);
    }
    in->screen = p->media.screen;
    uint32_t frames = audio_request(&p->audio);
    memset(p->media.samples, 0, sizeof(float) * MEDIA_AUDIO_CHANNELS * frames);
    in->audio = (game_audio){p->media.samples, (int32_t)frames, MEDIA_AUDIO_RATE, MEDIA_AUDIO_CHANNELS};
    p->drawing.len = 0;
}

void platform_end(platform *p, const game_input *in, platform_sound sound, const overlay_view *view)
{
    if (sound == PLATFORM_SOUND_PLAY) audio_submit(&p->audio, in->audio.samples, (uint32_t)in->audio.frames);
    else if (sound == PLATFORM_SOUND_STOP) audio_stop(&p->audio);
    video_frame frame = {&p->media.screen, NULL, 0, false};
    if (sound == PLATFORM_SOUND_PLAY && p->drawing.len) { /* a whole new frame of text */
        platform_text last = p->drawn;
        p->drawn = p->drawing;
        p->drawing = last;
        frame.text_new = true;
    }
    if (p->drawn.len) frame = (video_frame){NULL, p->drawn.data, p->drawn.len, frame.text_new};
    struct mi_heap_s *heap = heap_thread_pause();
    p->video->present(p->video_state, &frame, view);
    heap_thread_resume(heap);
}

/* A PNG takes tens of milliseconds to encode: F12's is written on a thread of its own, from a copy
 * of the picture, so no frame waits for it. */
typedef struct platform_shot {
    SDL_Thread *thread;
    SDL_atomic_t done;
    game_framebuffer copy; /* the picture as it was, in host memory */
    char path[256];
    host_error err;
    bool ok;
} platform_shot;

static int SDLCALL platform_shot_thread(void *data)
{
    platform_shot *shot = data;
    shot->ok = screenshot_write(&shot->copy, shot->path, &shot->err);
    SDL_AtomicSet(&shot->done, 1);
    return 0;
}

static void platform_shot_free(platform *p)
{
    if (!p->shot) return;
    SDL_WaitThread(p->shot->thread, NULL);
    free(p->shot->copy.pixels);
    free(p->shot);
    p->shot = NULL;
}

bool platform_screenshot_begin(platform *p, const char *path, host_error *err)
{
    const game_framebuffer *fb = &p->media.screen;
    if (p->shot) return host_fail(err, "F12: the last screenshot is still being written; press it again");
    if (!fb->width || !fb->height) return host_fail(err, "no picture to save in %s: the game's framebuffer is 0 x 0", path);
    platform_shot *shot = calloc(1, sizeof(*shot));
    if (shot) shot->copy = (game_framebuffer){malloc((size_t)fb->width * (size_t)fb->height * 4), fb->width, fb->height, fb->width * 4};
    if (!shot || !shot->copy.pixels) {
        free(shot);
        return host_fail(err, "out of memory for a screenshot of %dx%d", fb->width, fb->height);
    }
    for (int y = 0; y < fb->height; y++) memcpy(game_pixel_row(&shot->copy, y), game_pixel_row(fb, y), (size_t)fb->width * 4);
    snprintf(shot->path, sizeof(shot->path), "%s", path);
    p->shot = shot;
    shot->thread = SDL_CreateThread(platform_shot_thread, "screenshot", shot);
    if (shot->thread) return true;
    platform_shot_free(p);
    return host_fail(err, "cannot start a thread to write %s: %s", path, SDL_GetError());
}

bool platform_screenshot_done(platform *p, char *path, size_t cap, bool *ok, host_error *err)
{
    if (!p->shot || !SDL_AtomicGet(&p->shot->done)) return false;
    snprintf(path, cap, "%s", p->shot->path);
    *ok = p->shot->ok;
    *err = p->shot->err;
    platform_shot_free(p);
    return true;
}

void platform_close(platform *p)
{
    platform_shot_free(p); /* a screenshot being written is finished first */
    struct mi_heap_s *heap = heap_thread_pause();
    audio_close(&p->audio);
    if (p->video) p->video->close(p->video_state);
    p->video = NULL;
    free(p->drawing.data);
    free(p->drawn.data);
    p->drawing = p->drawn = (platform_text){NULL, 0, 0};
    SDL_Quit();
    heap_thread_resume(heap);
}

void platform_terminal_text(platform *p, const char *text, uint64_t size)
{
    platform_text *t = &p->drawing;
    if (p->cfg.mode != GAME_MODE_TERMINAL || !size) return;
    if (t->len + size > t->cap) {
        size_t cap = (t->len + (size_t)size) * 2;
        char *data = realloc(t->data, cap);
        if (!data) return;
        t->data = data;
        t->cap = cap;
    }
    memcpy(t->data + t->len, text, (size_t)size);
    t->len += (size_t)size;
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
