/* test_audio.c - the sound's accounting from the game's buffer to the device (audio.h): the host's
 * frames ask for what keeps the ring at its target, a simulated device drains it the way SDL's
 * audio thread does (AUDIO_DEVICE_FRAMES every 10 ms), and the game writes a ramp (each sample one
 * more than the last) so the device can tell a gap, a repeat or a lost sample. Across a reload's
 * stall, a crash (its sound dropped), a rollback and a pause: no gap, no overrun, the queue within
 * its target, also when updates take half a frame; and a stall longer than the target is counted
 * as the gap it is. */
#include "../test_util.h"

#include "host/platform/audio.h"

static bool sim_open(audio *a, host_error *err)
{
    (void)a;
    (void)err;
    return true;
}

static void sim_nothing(audio *a) { (void)a; }

/* The device's thread is simulated in step with the frames, so no lock is needed. */
static const audio_backend sim_backend = {"simulated", sim_open, sim_nothing, sim_nothing, sim_nothing, sim_nothing};

typedef enum sim_frame_kind { SIM_PLAY, SIM_CRASH, SIM_PAUSED } sim_frame_kind;

typedef struct sim {
    audio a;
    uint64_t now_us, next_pull_us, next_frame_us;
    uint64_t work_us;    /* how long an update runs between asking for sound and handing it over */
    bool working;        /* an update is running: its sound goes in at submit_us */
    uint64_t submit_us;
    uint32_t asked;
    sim_frame_kind kind;
    float ramp;          /* the next sample value the game writes */
    float heard;         /* the last value the device played */
    uint64_t played;     /* frames of sound the device played */
    uint64_t jumps;      /* times the ramp skipped ahead (what a dropped frame wrote) */
    uint64_t repeats;    /* times it went back: a sample played twice or out of order */
    uint32_t max_queued; /* right after a frame's sound was queued */
    uint32_t min_queued; /* the same, the least, from the second second on */
    float scratch[AUDIO_DEVICE_FRAMES * MEDIA_AUDIO_CHANNELS];
    float game[MEDIA_AUDIO_FRAMES_MAX * MEDIA_AUDIO_CHANNELS];
} sim;

static sim *sim_start(uint64_t fps)
{
    sim *s = calloc(1, sizeof(*s));
    host_error err;
    assert_true(audio_open(&s->a, &sim_backend, fps, &err));
    s->ramp = 1;
    return s;
}

static void sim_stop(sim *s)
{
    audio_close(&s->a);
    free(s);
}

/* The device takes one buffer, as SDL's callback does, and checks what it got. */
static void sim_pull(sim *s)
{
    audio_ring_pull(s->a.ring, s->scratch, AUDIO_DEVICE_FRAMES);
    for (int i = 0; i < AUDIO_DEVICE_FRAMES; i++) {
        float v = s->scratch[i * MEDIA_AUDIO_CHANNELS];
        assert_true(s->scratch[i * MEDIA_AUDIO_CHANNELS + 1] == -v); /* the right channel kept its own */
        if (v == 0) continue;
        if (v < s->heard + 1) s->repeats++;
        if (v > s->heard + 1) s->jumps++;
        s->heard = v;
        s->played++;
    }
}

/* The end of an update: its sound goes in, unless it crashed. */
static void sim_submit(sim *s)
{
    s->working = false;
    if (s->kind == SIM_PLAY) audio_submit(&s->a, s->game, s->asked);
    uint32_t queued = audio_ring_queued(s->a.ring);
    if (s->kind == SIM_PLAY && queued > s->max_queued) s->max_queued = queued;
    if (s->kind == SIM_PLAY && s->now_us > 1000000 && (queued < s->min_queued || !s->min_queued)) s->min_queued = queued;
}

/* The start of a host frame: the request, and the game's ramp written during the update. */
static void sim_frame(sim *s, sim_frame_kind kind)
{
    if (kind == SIM_PAUSED) {
        audio_stop(&s->a);
        return;
    }
    s->asked = audio_request(&s->a);
    assert_true(s->asked <= MEDIA_AUDIO_FRAMES_MAX);
    for (uint32_t i = 0; i < s->asked; i++) {
        s->game[i * 2] = s->ramp;
        s->game[i * 2 + 1] = -s->ramp;
        s->ramp++;
    }
    s->kind = kind;
    s->working = true;
    s->submit_us = s->now_us + s->work_us;
    if (!s->work_us) sim_submit(s);
}

/* Runs until `until_us`: the device pulls a buffer every 10 ms, frames start every `period_us`
 * (the first one `stall_us` late), each of the given kind, and hand their sound over `work_us`
 * after they ask for it. */
static void sim_run(sim *s, uint64_t until_us, uint64_t period_us, uint64_t stall_us, sim_frame_kind kind)
{
    s->next_frame_us += stall_us;
    while (s->now_us < until_us) {
        uint64_t frame_at = s->working ? s->submit_us : s->next_frame_us;
        if (s->next_pull_us <= frame_at) {
            s->now_us = s->next_pull_us;
            sim_pull(s);
            s->next_pull_us += 10000;
        } else if (s->working) {
            s->now_us = frame_at;
            sim_submit(s);
        } else {
            s->now_us = frame_at;
            sim_frame(s, kind);
            s->next_frame_us += period_us;
        }
    }
}

static void steady_frames_play_every_sample_once_in_order(void **state)
{
    sim *s = sim_start(60);
    sim_run(s, 10000000, 16667, 0, SIM_PLAY);
    assert_int_equal(s->a.ring->underruns, 0);
    assert_int_equal(s->a.ring->overruns, 0);
    assert_int_equal(s->repeats, 0);
    assert_int_equal(s->jumps, 0);
    assert_true(s->played > 470000 && s->played <= 480000); /* 10 s at 48 kHz, less what is still queued */
    assert_true(s->max_queued <= s->a.target);
    assert_true((s->a.target + AUDIO_DEVICE_FRAMES) * 1000 / MEDIA_AUDIO_RATE <= 50); /* update to speaker, in ms */
    sim_stop(s);
}

static void a_reload_stall_a_crash_and_a_rollback_leave_no_gap(void **state)
{
    sim *s = sim_start(60);
    sim_run(s, 1000000, 16667, 0, SIM_PLAY);
    sim_run(s, 2000000, 16667, 20000, SIM_PLAY); /* a reload: one frame 20 ms late */
    sim_run(s, 2017000, 16667, 0, SIM_CRASH);    /* a crash: that frame's sound is dropped */
    sim_run(s, 3000000, 16667, 0, SIM_PLAY);     /* the next frame plays on */
    sim_run(s, 3017000, 16667, 0, SIM_CRASH);    /* a crash, then the rollback's load of the old build */
    sim_run(s, 4000000, 16667, 5000, SIM_PLAY);
    assert_int_equal(s->a.ring->underruns, 0);
    assert_int_equal(s->a.ring->silent_frames, 0);
    assert_int_equal(s->a.ring->overruns, 0);
    assert_int_equal(s->repeats, 0);
    assert_true(s->jumps >= 2 && s->jumps <= 4); /* only where dropped sound was never played */
    assert_true(s->max_queued <= s->a.target);
    sim_stop(s);
}

static void a_pause_is_silence_at_once_and_no_gap(void **state)
{
    sim *s = sim_start(60);
    sim_run(s, 1000000, 16667, 0, SIM_PLAY);
    sim_run(s, 1017000, 16667, 0, SIM_PAUSED); /* paused after a crash: the queue is emptied */
    assert_int_equal(audio_ring_queued(s->a.ring), 0);
    uint64_t played = s->played;
    sim_run(s, 3000000, 16667, 0, SIM_PAUSED);
    assert_int_equal(s->played, played); /* not a sample more from the moment of the pause */
    sim_run(s, 5000000, 16667, 0, SIM_PLAY); /* a fixed build runs again */
    assert_int_equal(s->a.ring->underruns, 0);
    assert_int_equal(s->a.ring->overruns, 0);
    assert_int_equal(s->repeats, 0);
    sim_stop(s);
}

static void a_stall_longer_than_the_target_is_counted_as_a_gap(void **state)
{
    sim *s = sim_start(60);
    sim_run(s, 1000000, 16667, 0, SIM_PLAY);
    sim_run(s, 1200000, 16667, 100000, SIM_PLAY); /* 100 ms without a frame */
    assert_true(s->a.ring->underruns >= 1);
    assert_true(s->a.ring->silent_frames >= (uint64_t)MEDIA_AUDIO_RATE * 100 / 1000 - s->a.target);
    uint64_t silent = 0;
    assert_int_equal(audio_underruns(&s->a, &silent), s->a.ring->underruns);
    assert_int_equal(silent, s->a.ring->silent_frames);
    sim_stop(s);
}

/* An update that works half a frame before its sound goes in: the queue still stands at the target
 * (less at most half a device buffer) right after each submit, and a frame 10 ms late
 * leaves no gap. Asked for from the queue at the request alone, the work would eat up to a whole
 * device buffer of the cushion every frame. */
static void heavy_updates_keep_the_whole_cushion(void **state)
{
    sim *s = sim_start(60);
    s->work_us = 8000;
    for (int i = 0; i < 30; i++) sim_run(s, 1000000 + (uint64_t)i * 100000, 16667, i >= 10 ? 10000 : 0, SIM_PLAY);
    assert_int_equal(s->a.ring->underruns, 0);
    assert_int_equal(s->a.ring->overruns, 0);
    assert_int_equal(s->jumps + s->repeats, 0);
    assert_true(s->min_queued >= s->a.target - AUDIO_DEVICE_FRAMES / 2);
    assert_true(s->max_queued <= s->a.target + AUDIO_DEVICE_FRAMES);
    sim_stop(s);
}

static void slow_frames_raise_the_target_to_keep_up(void **state)
{
    sim *s = sim_start(20);
    assert_true(s->a.target > AUDIO_LATENCY_FRAMES);
    sim_run(s, 5000000, 50000, 0, SIM_PLAY);
    assert_int_equal(s->a.ring->underruns, 0);
    assert_int_equal(s->jumps + s->repeats, 0);
    sim_stop(s);
}

static void the_ring_never_takes_more_than_it_holds(void **state)
{
    audio_ring *r = calloc(1, sizeof(*r));
    static float samples[(AUDIO_RING_FRAMES + 100) * MEDIA_AUDIO_CHANNELS];
    audio_ring_push(r, samples, AUDIO_RING_FRAMES + 100);
    assert_int_equal(audio_ring_queued(r), AUDIO_RING_FRAMES);
    assert_int_equal(r->overruns, 100);
    audio_ring_pull(r, NULL, AUDIO_RING_FRAMES + 10); /* 10 short: a gap, since it was playing */
    assert_int_equal(r->underruns, 1);
    assert_int_equal(r->silent_frames, 10);
    assert_int_equal(audio_plan(0, 1920), 1920);
    assert_int_equal(audio_plan(1000, 1920), 920);
    assert_int_equal(audio_plan(5000, 1920), 0);
    assert_int_equal(audio_plan(0, 100000), MEDIA_AUDIO_FRAMES_MAX);
    free(r);
}

static void headless_the_stand_in_drains_a_frame_s_worth_per_frame(void **state)
{
    audio a;
    host_error err;
    assert_true(audio_open(&a, &audio_headless_backend, 60, &err));
    static float samples[MEDIA_AUDIO_FRAMES_MAX * MEDIA_AUDIO_CHANNELS];
    assert_int_equal(audio_request(&a), a.target);
    audio_submit(&a, samples, a.target);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(audio_request(&a), MEDIA_AUDIO_RATE / 60); /* exactly what one frame drained */
        audio_submit(&a, samples, MEDIA_AUDIO_RATE / 60);
    }
    assert_int_equal(audio_underruns(&a, NULL), 0);
    audio_close(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(steady_frames_play_every_sample_once_in_order),
        cmocka_unit_test(a_reload_stall_a_crash_and_a_rollback_leave_no_gap),
        cmocka_unit_test(a_pause_is_silence_at_once_and_no_gap),
        cmocka_unit_test(a_stall_longer_than_the_target_is_counted_as_a_gap),
        cmocka_unit_test(heavy_updates_keep_the_whole_cushion),
        cmocka_unit_test(slow_frames_raise_the_target_to_keep_up),
        cmocka_unit_test(the_ring_never_takes_more_than_it_holds),
        cmocka_unit_test(headless_the_stand_in_drains_a_frame_s_worth_per_frame),
    };
    return cmocka_run_group_tests_name("platform: audio", tests, NULL, NULL);
}
