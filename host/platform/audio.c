/* audio.c - the ring, the request and the headless stand-in (audio.h). */
#include "audio.h"

#include <stdlib.h>
#include <string.h>

uint32_t audio_ring_queued(const audio_ring *r) { return (uint32_t)(r->written - r->read); }

void audio_ring_push(audio_ring *r, const float *samples, uint32_t frames)
{
    uint32_t room = AUDIO_RING_FRAMES - audio_ring_queued(r);
    if (frames > room) {
        r->overruns += frames - room;
        frames = room;
    }
    for (uint32_t i = 0; i < frames; i++) {
        uint32_t at = (uint32_t)((r->written + i) % AUDIO_RING_FRAMES) * MEDIA_AUDIO_CHANNELS;
        memcpy(&r->samples[at], &samples[i * MEDIA_AUDIO_CHANNELS], sizeof(float) * MEDIA_AUDIO_CHANNELS);
    }
    r->written += frames;
    if (frames) r->playing = true;
}

void audio_ring_pull(audio_ring *r, float *dst, uint32_t frames)
{
    uint32_t have = audio_ring_queued(r);
    uint32_t take = frames < have ? frames : have;
    for (uint32_t i = 0; dst && i < take; i++) {
        uint32_t at = (uint32_t)((r->read + i) % AUDIO_RING_FRAMES) * MEDIA_AUDIO_CHANNELS;
        memcpy(&dst[i * MEDIA_AUDIO_CHANNELS], &r->samples[at], sizeof(float) * MEDIA_AUDIO_CHANNELS);
    }
    r->read += take;
    if (take == frames) return;
    if (dst) memset(&dst[take * MEDIA_AUDIO_CHANNELS], 0, sizeof(float) * MEDIA_AUDIO_CHANNELS * (frames - take));
    if (!r->playing) return;
    r->underruns++;
    r->silent_frames += frames - take;
}

uint32_t audio_plan(uint32_t queued, uint32_t target)
{
    uint32_t want = queued < target ? target - queued : 0;
    return want < MEDIA_AUDIO_FRAMES_MAX ? want : MEDIA_AUDIO_FRAMES_MAX;
}

/* ---- the headless stand-in: one frame's worth consumed per frame, no thread, no device ------- */

static bool audio_headless_open(audio *a, host_error *err)
{
    (void)a;
    (void)err;
    return true;
}

static void audio_headless_nothing(audio *a) { (void)a; }

static void audio_headless_frame(audio *a)
{
    a->carry += a->frame_frames;
    uint32_t n = (uint32_t)a->carry;
    a->carry -= n;
    audio_ring_pull(a->ring, NULL, n);
}

const audio_backend audio_headless_backend = {
    "headless", audio_headless_open, audio_headless_nothing, audio_headless_nothing, audio_headless_nothing,
    audio_headless_frame,
};

/* ---- the host's side --------------------------------------------------------------------------- */

bool audio_open(audio *a, const audio_backend *backend, uint64_t fps, host_error *err)
{
    memset(a, 0, sizeof(*a));
    a->ring = calloc(1, sizeof(*a->ring));
    if (!a->ring) return host_fail(err, "out of memory for the audio ring");
    double frame_frames = (double)MEDIA_AUDIO_RATE / (double)(fps ? fps : 60);
    uint32_t slow = (uint32_t)(frame_frames * 1.5) + AUDIO_DEVICE_FRAMES;
    a->target = slow > AUDIO_LATENCY_FRAMES ? slow : AUDIO_LATENCY_FRAMES;
    if (a->target > MEDIA_AUDIO_FRAMES_MAX) a->target = MEDIA_AUDIO_FRAMES_MAX;
    a->frame_frames = frame_frames;
    a->backend = backend;
    if (backend->open(a, err)) return true;
    free(a->ring);
    a->ring = NULL;
    return false;
}

uint32_t audio_request(audio *a)
{
    a->backend->frame(a);
    a->backend->lock(a);
    uint32_t n = audio_plan(audio_ring_queued(a->ring), a->target + a->lead);
    a->read_at_request = a->ring->read;
    a->backend->unlock(a);
    return n;
}

void audio_submit(audio *a, const float *samples, uint32_t frames)
{
    a->backend->lock(a);
    uint64_t played = a->ring->read - a->read_at_request; /* in whole device buffers: smoothed */
    a->lead = (uint32_t)(((uint64_t)a->lead * 7 + (played < MEDIA_AUDIO_FRAMES_MAX ? played : MEDIA_AUDIO_FRAMES_MAX)) / 8);
    audio_ring_push(a->ring, samples, frames);
    a->backend->unlock(a);
}

void audio_stop(audio *a)
{
    a->backend->lock(a);
    a->ring->read = a->ring->written;
    a->ring->playing = false;
    a->backend->unlock(a);
}

uint64_t audio_underruns(audio *a, uint64_t *silent_frames)
{
    a->backend->lock(a);
    uint64_t n = a->ring->underruns;
    if (silent_frames) *silent_frames = a->ring->silent_frames;
    a->backend->unlock(a);
    return n;
}

void audio_close(audio *a)
{
    if (!a->ring) return;
    a->backend->close(a);
    free(a->ring);
    a->ring = NULL;
}
