/* audio.h - the game's sound on its way to the device.
 *
 * Each frame the host asks the game for audio_request() sample frames (the game writes them into
 * the block's audio buffer during update), and after an update that returned it hands them to
 * audio_submit, which appends them to a ring in host memory. The device drains the ring on its
 * own thread (SDL's audio callback, audio_sdl.c); headless, a stand-in drains one frame's worth per
 * frame, so the same accounting runs everywhere.
 *
 * The request keeps the ring at `target` frames (40 ms, or 1.5 frames plus the device's buffer
 * when frames are slower than that) from the moment the sound goes in: it adds what the device
 * plays while an update runs (the ring's read position at the request and at the submit, averaged
 * over the last updates), so a game whose update takes half a frame keeps the whole cushion. Enough to ride out a late frame
 * or a reload, never more, so latency stays small and the ring never overflows. What a crashed update wrote is never
 * submitted; a pause clears the ring. Either way the device plays only what a finished update
 * wrote, or silence. A shortfall while the game is playing is an underrun (a gap), counted. */
#ifndef AUDIO_H
#define AUDIO_H

#include "media.h"

#define AUDIO_LATENCY_FRAMES 1920 /* 40 ms at 48 kHz: the ring's usual target */
#define AUDIO_DEVICE_FRAMES 480   /* the device's buffer: 10 ms */
#define AUDIO_RING_FRAMES 8192

/* Plain data, no locking: the backend's lock guards it (audio_backend.lock). */
typedef struct audio_ring {
    float samples[AUDIO_RING_FRAMES * MEDIA_AUDIO_CHANNELS];
    uint64_t written, read;  /* frames since the start */
    uint64_t underruns;      /* pulls that found too few frames while playing */
    uint64_t silent_frames;  /* frames of silence those pulls played */
    uint64_t overruns;       /* frames a push could not fit (the request keeps this 0) */
    bool playing;            /* the game is producing: a shortfall is a gap, not a pause */
} audio_ring;

uint32_t audio_ring_queued(const audio_ring *r);
/* Appends what fits; the rest is counted in overruns. */
void audio_ring_push(audio_ring *r, const float *samples, uint32_t frames);
/* Takes `frames` into dst (NULL: thrown away), silence after what the ring held. */
void audio_ring_pull(audio_ring *r, float *dst, uint32_t frames);
/* The frames to ask the game for when `queued` wait in the ring. */
uint32_t audio_plan(uint32_t queued, uint32_t target);

typedef struct audio audio;

/* A device, as a table of functions (open fills a->device or fails with the reason). */
typedef struct audio_backend {
    const char *name;
    bool (*open)(audio *a, host_error *err);
    void (*close)(audio *a);
    void (*lock)(audio *a);   /* around the main thread's use of the ring */
    void (*unlock)(audio *a);
    void (*frame)(audio *a);  /* once per frame, before the request */
} audio_backend;

struct audio {
    const audio_backend *backend;
    audio_ring *ring;         /* host memory (malloc), shared with the device's thread */
    uint32_t target;
    uint32_t lead;            /* frames the device plays while an update runs (a running average) */
    uint64_t read_at_request; /* the ring's read position when the update's sound was asked for */
    uint32_t device;          /* SDL's device id */
    bool started;             /* the device plays (it waits for the first sound) */
    double frame_frames;      /* the headless stand-in: frames one frame consumes */
    double carry;
};

extern const audio_backend audio_headless_backend, audio_sdl_backend;

/* The ring and the device; `fps` (0: as fast as it goes, taken as 60) sets the target. */
bool audio_open(audio *a, const audio_backend *backend, uint64_t fps, host_error *err);
/* Sample frames the game should write this frame (at most MEDIA_AUDIO_FRAMES_MAX). */
uint32_t audio_request(audio *a);
/* The finished update's sound: `frames` frames of interleaved stereo. */
void audio_submit(audio *a, const float *samples, uint32_t frames);
/* Silence from now until the next submit (a pause): the ring is emptied. */
void audio_stop(audio *a);
/* Underruns so far, and the frames of silence they played. */
uint64_t audio_underruns(audio *a, uint64_t *silent_frames);
void audio_close(audio *a);

#endif
