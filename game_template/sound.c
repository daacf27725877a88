/* sound.c - the sound effects, synthesized sample by sample into input->audio.
 *
 * The host asks each frame for in->audio.frames stereo frames (about one frame's worth at 48 kHz)
 * and has zeroed them; this adds every playing voice into them. A voice is an oscillator whose
 * pitch glides (or steps) from one note to another while its volume fades out. Voices live in the
 * state, so a sound that started before a reload finishes after it, in tune. */
#include "snake.h"

typedef enum sound_wave { SOUND_SQUARE, SOUND_TRIANGLE, SOUND_SAW } sound_wave;

typedef struct sound_shape {
    float from_hz, to_hz;
    double seconds;
    int steps;   /* 0: the pitch glides; n: it jumps through n notes (an arpeggio) */
    int wave;    /* sound_wave */
    float gain;
} sound_shape;

/* Tweak these too: they are read while the sound plays. */
static const sound_shape sound_shapes[] = {
    [SNAKE_SOUND_EAT] = {520, 1040, 0.09, 0, SOUND_SQUARE, 0.5f},
    [SNAKE_SOUND_BONUS] = {660, 1320, 0.24, 3, SOUND_TRIANGLE, 0.8f},
    [SNAKE_SOUND_TURN] = {1400, 1400, 0.02, 0, SOUND_SQUARE, 0.12f},
    [SNAKE_SOUND_OVER] = {330, 55, 0.7, 0, SOUND_SAW, 0.6f},
    [SNAKE_SOUND_START] = {440, 880, 0.2, 2, SOUND_TRIANGLE, 0.6f},
};

void sound_play(snake_state *s, snake_sound sound, float pan)
{
    snake_voice *v = &s->voices[0]; /* a free voice, else the one that has played longest */
    for (int i = 0; i < s->voice_count; i++) {
        if (s->voices[i].sound == SNAKE_SOUND_NONE) {
            v = &s->voices[i];
            break;
        }
        if (s->voices[i].time > v->time) v = &s->voices[i];
    }
    *v = (snake_voice){.sound = sound, .pan = pan < -1 ? -1 : pan > 1 ? 1 : pan};
}

static float sound_wave_at(int wave, double phase)
{
    switch (wave) {
    case SOUND_SQUARE: return phase < 0.5 ? 1.0f : -1.0f;
    case SOUND_TRIANGLE: return (float)(4.0 * (phase < 0.5 ? phase : 1.0 - phase) - 1.0);
    default: return (float)(2.0 * phase - 1.0);
    }
}

/* One sample of a voice, and the voice one sample further on. */
static float sound_voice_next(snake_voice *v, int rate)
{
    const sound_shape *sh = &sound_shapes[v->sound];
    double t = v->time / sh->seconds;
    double glide = sh->steps > 1 ? (double)(int)(t * sh->steps) / (sh->steps - 1) : t;
    if (glide > 1) glide = 1;
    double hz = sh->from_hz + (sh->to_hz - sh->from_hz) * glide;
    float fade = (float)(1.0 - t) * (v->time < 0.002 ? (float)(v->time / 0.002) : 1.0f); /* no click at the start */
    float sample = sound_wave_at(sh->wave, v->phase) * sh->gain * fade;
    v->phase += hz / rate;
    v->phase -= (int)v->phase;
    v->time += 1.0 / rate;
    if (v->time >= sh->seconds) v->sound = SNAKE_SOUND_NONE;
    return sample;
}

void sound_mix(snake_state *s, const game_input *in)
{
    const game_audio *a = &in->audio;
    if (a->channels != 2) return;
    for (int i = 0; i < s->voice_count; i++) {
        snake_voice *v = &s->voices[i];
        if (v->sound <= SNAKE_SOUND_NONE || v->sound >= (int)(sizeof(sound_shapes) / sizeof(sound_shapes[0]))) {
            v->sound = SNAKE_SOUND_NONE; /* an effect this build no longer has */
            continue;
        }
        float left = SNAKE_VOLUME * (v->pan > 0 ? 1 - v->pan : 1), right = SNAKE_VOLUME * (v->pan < 0 ? 1 + v->pan : 1);
        for (int f = 0; f < a->frames && v->sound != SNAKE_SOUND_NONE; f++) {
            float sample = sound_voice_next(v, a->rate);
            a->samples[2 * f] += sample * left;
            a->samples[2 * f + 1] += sample * right;
        }
    }
}
