/* audio_sdl.c - the audio device through SDL2: a callback on SDL's audio thread drains the ring
 * (audio.h). 48 kHz stereo floats; SDL converts if the device wants something else. */
#include "audio.h"

#include <SDL.h>

static void SDLCALL audio_sdl_callback(void *userdata, Uint8 *stream, int len)
{
    audio *a = userdata; /* SDL holds the device's lock around this call */
    audio_ring_pull(a->ring, (float *)(void *)stream, (uint32_t)len / (sizeof(float) * MEDIA_AUDIO_CHANNELS));
}

static bool audio_sdl_open(audio *a, host_error *err)
{
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0)
        return host_fail(err, "no audio (SDL: %s)", SDL_GetError());
    SDL_AudioSpec want = {0}, have;
    want.freq = MEDIA_AUDIO_RATE;
    want.format = AUDIO_F32SYS;
    want.channels = MEDIA_AUDIO_CHANNELS;
    want.samples = AUDIO_DEVICE_FRAMES;
    want.callback = audio_sdl_callback;
    want.userdata = a;
    a->device = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
    if (!a->device) {
        host_fail(err, "no audio device (SDL's %s driver: %s)", SDL_GetCurrentAudioDriver() ? SDL_GetCurrentAudioDriver() : "no",
                  SDL_GetError());
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
        return false;
    }
    return true; /* paused until the first sound is queued (audio_sdl_frame) */
}

static void audio_sdl_close(audio *a)
{
    SDL_CloseAudioDevice(a->device);
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

static void audio_sdl_lock(audio *a) { SDL_LockAudioDevice(a->device); }

static void audio_sdl_unlock(audio *a) { SDL_UnlockAudioDevice(a->device); }

/* The device starts once the first frame's sound is queued and shown: a slow first frame (a window
 * opening, a GL driver compiling its shaders) is no gap. */
static void audio_sdl_frame(audio *a)
{
    if (a->started || !a->ring->written) return;
    SDL_PauseAudioDevice(a->device, 0);
    a->started = true;
}

const audio_backend audio_sdl_backend = {
    "sdl", audio_sdl_open, audio_sdl_close, audio_sdl_lock, audio_sdl_unlock, audio_sdl_frame,
};
