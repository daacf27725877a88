/* timeline.c - state files, recordings and the exit checksum, for the host (timeline.h). */
#include "host.h"
#include "checkpoint/checksum.h"
#include "checkpoint/state_file.h"
#include "os/clock.h"
#include "os/crash.h"
#include "platform/input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void timeline_save(host *h, const char *path);
static void timeline_on_event(void *ctx, const char *line, size_t len);
static void timeline_snap_start(host *h);

/* ---- loading ------------------------------------------------------------------------------------- */

static void timeline_free_deferred(void *p) { heap_free(p); }

/* The state's layouts into the host arena, then the running code adopts the state. */
static bool timeline_adopt(host *h, const state_image *img, host_error *err)
{
    block_header *b = h->block;
    b->layouts = NULL;
    if (img->layouts.count || img->layouts.root_size) {
        b->layouts = layout_store(b->host, &img->layouts, b->memory.root_size);
        if (!b->layouts) return host_fail(err, "the host arena has no room for the state's layouts");
    }
    return reload_adopt(&h->reload, err);
}

static void timeline_event_loaded(host *h, const char *path, uint64_t bytes, uint64_t t0)
{
    event e = event_begin(&h->events, "state_loaded");
    event_str(&e, "path", path);
    event_uint(&e, "bytes", bytes);
    event_num(&e, "ms", (double)(clock_now_ns() - t0) / 1e6);
    event_uint(&e, "to_frame", h->frame);
    event_uint(&e, "heap_calls", h->timeline.log.calls);
    event_end(&h->events, &e);
}

/* A state file's bytes (from a file or a recording) into the block; `data` is taken. */
static bool timeline_load(host *h, const char *path, uint8_t *data, uint64_t size, host_error *err)
{
    uint64_t t0 = clock_now_ns();
    state_image img;
    bool ok = state_decode(data, size, &h->opts.block, &img, err) &&
              state_apply(&img, h->block, &h->heap, timeline_free_deferred, err);
    if (ok) {
        h->frame = img.header->frame;
        heap_log_adopt(&h->timeline.log, img.sections[STATE_SEC_HEAP_LOG], img.section_sizes[STATE_SEC_HEAP_LOG]);
        ok = timeline_adopt(h, &img, err);
    }
    /* like a reload: the state goes on with this code, which starts what the saving code stopped */
    if (ok) reload_call(&h->reload, RELOAD_HOOK_AFTER_RELOAD, NULL);
    if (ok) {
        h->timeline.loaded = malloc((size_t)size);
        if (h->timeline.loaded) memcpy(h->timeline.loaded, data, (size_t)size), h->timeline.loaded_size = size;
        timeline_event_loaded(h, path, size, t0);
    }
    state_image_free(&img);
    if (ok) return true;
    char why[HOST_ERROR_MAX];
    snprintf(why, sizeof(why), "%s", err->msg);
    return host_fail(err, "state %s refused, nothing loaded: %s", path, why);
}

static bool timeline_start_state(host *h, host_error *err)
{
    const host_options *o = &h->opts;
    timeline *t = &h->timeline;
    if (o->replay_path) {
        if (!recording_read(o->replay_path, &o->block, &t->replay, err)) return false;
        if (!t->replay.frames) return host_fail(err, "recording %s has no frames to replay", o->replay_path);
        t->replaying = true;
        if (!t->replay.state_size) {
            reload_init(&h->reload);
            return true;
        }
        uint8_t *copy = malloc((size_t)t->replay.state_size);
        if (!copy) return host_fail(err, "out of memory loading the recording's state");
        memcpy(copy, t->replay.state, (size_t)t->replay.state_size);
        return timeline_load(h, o->replay_path, copy, t->replay.state_size, err);
    }
    if (!o->load_state_path) {
        reload_init(&h->reload);
        return true;
    }
    uint64_t size;
    uint8_t *data = fs_read_file(o->load_state_path, &size, err);
    return data && timeline_load(h, o->load_state_path, data, size, err);
}

bool timeline_begin(host *h, host_error *err)
{
    timeline *t = &h->timeline;
    const host_options *o = &h->opts;
    epochs_start(&t->epochs, &h->heap);
    /* the log must see every call from the fresh region on: init's, or the loaded state's replayed */
    t->logging = o->save_state_path != NULL;
    if (t->logging && !o->load_state_path && !o->replay_path) epochs_log(&t->epochs, &t->log);
    if (!timeline_start_state(h, err)) return false;
    if (t->logging) epochs_log(&t->epochs, &t->log);
    uint64_t fps = o->fps ? o->fps : 60;
    t->ring = o->rewind_seconds && o->rewind_every ? MAX(1, o->rewind_seconds * fps / o->rewind_every) : 0;
    event_observe(&h->events, timeline_on_event, h);
    /* headless, only a rewind ring takes checkpoints (no loop key): otherwise the shadow would double
     * the memory of a run that never uses it, and touching it stall the first frame */
    if (h->platform.cfg.mode != GAME_MODE_HEADLESS || t->ring) timeline_snap_start(h);
    if (o->record_path) {
        t->recording = true;
        t->record.start_frame = h->frame;
        t->record.state = t->loaded;
        t->record.state_size = t->loaded_size;
        t->loaded = NULL;
    }
    return true;
}


/* ---- the game's threads ---------------------------------------------------------------------------- */

/* A checkpoint, a restore and a save happen with the game's threads stopped the way a reload stops
 * them: before_reload on the running code first, after_reload when done. Only while the game has
 * threads running (announced with thread_begin, os/crash.h) and code to call. */
static bool timeline_threads_stop(host *h)
{
    reload *r = &h->reload;
    return crash_thread_count() > 0 && r->initialized && !r->paused && reload_stop_threads(r);
}

static void timeline_threads_start(host *h, bool stopped)
{
    if (stopped) reload_start_threads(&h->reload);
}

void timeline_event_checksum(event *e, const char *key, uint64_t sum)
{
    char text[20];
    snprintf(text, sizeof(text), "%016llx", (unsigned long long)sum);
    event_str(e, key, text);
}

static uint64_t timeline_checksum(host *h)
{
    return checksum_state(h->block, &h->heap, h->timeline.epochs.deferred, h->timeline.epochs.deferred_count);
}

/* ---- checkpoints ---------------------------------------------------------------------------------- */

/* The checkpoints' buffers from the start, so that they are touched ahead of the first one. */
static void timeline_snap_start(host *h)
{
    timeline *t = &h->timeline;
    host_error err;
    if (snapshot_start(&t->snap, h->block, &h->heap, &t->epochs, h->dirty, &err)) {
        t->snap_on = true;
        snapshot_cover_media(&t->snap, (uintptr_t)h->platform.media.base, &h->platform.media.committed);
    } else {
        event_warn(&h->events, "checkpoints are off: %s", err.msg);
    }
}

static bool timeline_snap_on(host *h)
{
    if (!h->timeline.snap_on)
        event_warn(&h->events, "checkpoints are off (%s)", h->platform.cfg.mode == GAME_MODE_HEADLESS
                                                               ? "headless, they are kept for --rewind only"
                                                               : "see the warning at the start");
    return h->timeline.snap_on;
}

static void timeline_event_cost(host *h, const char *name, uint64_t to_frame, uint64_t t0, const char *why)
{
    const snapshot *s = &h->timeline.snap;
    event e = event_begin(&h->events, name);
    if (why) event_str(&e, "reason", why);
    event_uint(&e, "to_frame", to_frame);
    event_uint(&e, "bytes", s->last_bytes);
    event_uint(&e, "pages", s->last_pages);
    event_num(&e, "ms", (double)(clock_now_ns() - t0) / 1e6);
    event_uint(&e, "checkpoints", s->count);
    event_end(&h->events, &e);
}

static bool timeline_checkpoint(host *h)
{
    timeline *t = &h->timeline;
    host_error err;
    uint64_t t0 = clock_now_ns();
    if (!timeline_snap_on(h)) return false;
    bool stopped = timeline_threads_stop(h);
    bool ok = snapshot_take(&t->snap, h->frame, &err);
    timeline_threads_start(h, stopped);
    if (!ok) {
        event_warn(&h->events, "no checkpoint: %s", err.msg);
        return false;
    }
    timeline_event_cost(h, "checkpoint", h->frame, t0, NULL);
    return true;
}

/* A restore cannot be replayed from a recording: --record's recording ends before the first one. */
static void timeline_record_cut(host *h)
{
    timeline *t = &h->timeline;
    if (!t->recording) return;
    t->recording = false;
    t->record.checksum = timeline_checksum(h);
    event_warn(&h->events, "--record: the recording ends at frame %llu, before the state went back (a loop or a "
                           "rewind cannot be replayed)", (unsigned long long)h->frame);
}

/* Back to checkpoint i: the block as it was, the state adopted by the running code. `why`: "loop"
 * or "rewind", in the restore event. */
static void timeline_restore(host *h, uint32_t i, const char *why)
{
    timeline *t = &h->timeline;
    timeline_record_cut(h);
    uint64_t t0 = clock_now_ns(), adopted = t->epochs.adopted;
    bool stopped = timeline_threads_stop(h);
    snapshot_restore(&t->snap, i);
    h->frame = t->snap.points[i].frame;
    host_error err;
    if (!reload_adopt(&h->reload, &err)) event_warn(&h->events, "the restored state does not fit the running code: %s", err.msg);
    timeline_threads_start(h, stopped);
    if (t->epochs.adopted > adopted)
        event_warn(&h->events, "the restore kept %llu heap blocks of exited worker threads that mimalloc had moved into "
                               "the main thread's newer heaps",
                   (unsigned long long)(t->epochs.adopted - adopted));
    timeline_event_cost(h, "restore", h->frame, t0, why);
}

/* ---- the live loop ----------------------------------------------------------------------------- */

/* with_sum: the pass's checksums, at its end and (start) at its start. */
static void timeline_event_loop(host *h, const char *phase, bool with_sum)
{
    timeline *t = &h->timeline;
    uint64_t fps = h->opts.fps ? h->opts.fps : 60;
    event e = event_begin(&h->events, "loop");
    event_str(&e, "phase", phase);
    event_uint(&e, "pass", t->pass);
    event_uint(&e, "frames", t->loop_input.frames);
    event_num(&e, "seconds", (double)t->loop_input.frames / (double)fps);
    event_uint(&e, "version", h->reload.version);
    if (with_sum) timeline_event_checksum(&e, "checksum", t->pass_checksum);
    if (with_sum || t->loop == TIMELINE_LOOP_RECORDING) timeline_event_checksum(&e, "start", t->start_checksum);
    event_end(&h->events, &e);
}

static void timeline_loop_begin(host *h)
{
    timeline *t = &h->timeline;
    snapshot_drop_all(&t->snap);
    if (!timeline_checkpoint(h)) return;
    t->loop_input.frames = 0;
    t->pass = 0;
    t->pass_version = h->reload.version;
    t->clean_version = 0;
    t->start_checksum = timeline_checksum(h);
    t->loop = TIMELINE_LOOP_RECORDING;
    timeline_event_loop(h, "begin", false);
}

/* A pass ends (or the recording does): its checksum against the last pass when both were replays
 * that ran wholly on this code, then the next pass starts from the checkpoint on the newest code. */
static void timeline_loop_pass(host *h)
{
    timeline *t = &h->timeline;
    uint64_t sum = timeline_checksum(h), previous = t->pass_checksum;
    bool replayed = t->loop == TIMELINE_LOOP_PLAYING && t->pass_version == h->reload.version;
    uint64_t clean = replayed ? h->reload.version : 0;
    bool compare = clean && clean == t->clean_version;
    t->pass_checksum = sum;
    t->clean_version = clean;
    bool recorded = t->loop == TIMELINE_LOOP_RECORDING;
    if (!recorded) timeline_event_loop(h, "pass", true);
    if (compare && sum != previous) timeline_event_loop(h, "divergence", true);
    t->loop = TIMELINE_LOOP_PLAYING;
    epochs_zero_slack(&t->epochs, true);
    timeline_restore(h, 0, "loop");
    t->start_checksum = timeline_checksum(h);
    t->loop_at = 0;
    t->pass++;
    t->pass_version = h->reload.version;
    if (recorded) timeline_event_loop(h, "play", false); /* the first pass begins */
}

static void timeline_loop_end(host *h)
{
    timeline *t = &h->timeline;
    t->loop = TIMELINE_LOOP_OFF;
    epochs_zero_slack(&t->epochs, false);
    snapshot_drop_all(&t->snap);
    timeline_event_loop(h, "end", false);
}

static void timeline_loop_key(host *h)
{
    switch (h->timeline.loop) {
    case TIMELINE_LOOP_OFF: timeline_loop_begin(h); break;
    case TIMELINE_LOOP_RECORDING: timeline_loop_pass(h); break;
    case TIMELINE_LOOP_PLAYING: timeline_loop_end(h); break;
    }
}

/* ---- the rewind ring ----------------------------------------------------------------------------- */

/* The newest checkpoint at or before `frame` (the oldest when none is). */
static uint32_t timeline_point_at(const snapshot *s, uint64_t frame)
{
    uint32_t i = s->count - 1;
    while (i > 0 && s->points[i].frame > frame) i--;
    return i;
}

/* The key: the checkpoint a crash offered, else one checkpoint back (the newest when it is older
 * than this frame); host->request_rewind: `rewind_frames` back. */
static void timeline_rewind(host *h)
{
    timeline *t = &h->timeline;
    snapshot *s = &t->snap;
    if (t->loop != TIMELINE_LOOP_OFF) {
        event_warn(&h->events, "no rewind during the live loop (each pass goes back to its start); leave it first");
        return;
    }
    if (!t->snap_on || !s->count) {
        event_warn(&h->events, "nothing to rewind to: run with --rewind SECONDS to keep checkpoints");
        return;
    }
    uint32_t i = s->count - 1;
    if (t->rewind_frames) i = timeline_point_at(s, h->frame > t->rewind_frames ? h->frame - t->rewind_frames : 0);
    else if (t->offered) i = timeline_point_at(s, t->offered_frame);
    else if (i > 0 && s->points[i].frame + 1 >= h->frame) i--;
    t->offered = false;
    timeline_restore(h, i, "rewind");
}

static void timeline_event_offer(host *h, uint64_t frame, bool lapsed)
{
    char msg[160], key[32];
    input_key_name(h->opts.rewind_key, key, sizeof(key));
    if (lapsed)
        snprintf(msg, sizeof(msg), "the checkpoint a crash offered (frame %llu) is gone: %s steps back one checkpoint",
                 (unsigned long long)frame, key);
    else
        snprintf(msg, sizeof(msg), "crash: press %s to rewind to frame %llu, the last checkpoint before it", key,
                 (unsigned long long)frame);
    event e = event_begin(&h->events, "rewind_offer");
    event_uint(&e, "to_frame", frame);
    if (lapsed) event_bool(&e, "lapsed", true);
    event_str(&e, "msg", msg);
    event_end(&h->events, &e);
}

/* The ring keeps the last --rewind SECONDS; a checkpoint a crash offered is kept one ring longer. */
static void timeline_ring(host *h)
{
    timeline *t = &h->timeline;
    if (!t->ring || t->loop != TIMELINE_LOOP_OFF || h->reload.paused || h->frame % h->opts.rewind_every) return;
    if (!timeline_checkpoint(h)) return;
    while (t->snap.count > t->ring) {
        bool held = t->offered && t->snap.points[0].frame == t->offered_frame && t->snap.count <= 2 * t->ring;
        if (held) break;
        snapshot_drop_oldest(&t->snap);
    }
}

/* An offer lapses once its checkpoint is gone, whichever way it went: the ring moved past it, the
 * checkpoints' room ran out, a live loop began. Checkpoints leave oldest first (a restore, which
 * leaves from the newest, takes the offer), so the oldest tells. */
static void timeline_offer_lapse(host *h)
{
    timeline *t = &h->timeline;
    if (!t->offered || (t->snap.count && t->snap.points[0].frame <= t->offered_frame)) return;
    t->offered = false;
    timeline_event_offer(h, t->offered_frame, true);
}

void timeline_request_rewind(host *h, uint64_t frames)
{
    h->timeline.rewind_asked = true;
    h->timeline.rewind_frames = frames;
}

/* A crash that rolled the code back (or paused the game) may have left the state half-updated:
 * the last checkpoint before the crashing frame is offered (the rewind key takes it). */
static bool timeline_crashed(const char *line)
{
    char name[32], action[32];
    if (!event_field(line, "event", name, sizeof(name))) return false;
    return strcmp(name, "rollback") == 0 ||
           (strcmp(name, "crash") == 0 && event_field(line, "action", action, sizeof(action)) && strcmp(action, "pause") == 0);
}

static void timeline_on_event(void *ctx, const char *line, size_t len)
{
    host *h = ctx;
    (void)len;
    timeline *t = &h->timeline;
    if (!t->snap.count || t->loop != TIMELINE_LOOP_OFF || !timeline_crashed(line)) return;
    timeline_event_offer(h, t->snap.points[t->snap.count - 1].frame, false);
    t->offered = true;
    t->offered_frame = t->snap.points[t->snap.count - 1].frame;
}

static void timeline_save_key(host *h)
{
    if (h->opts.save_state_path) timeline_save(h, h->opts.save_state_path);
    else event_warn(&h->events, "the save key writes the state to the file --save-state FILE names; none was given");
}

/* ---- frames -------------------------------------------------------------------------------------- */

void timeline_frame(host *h)
{
    timeline *t = &h->timeline;
    if (t->save_asked) timeline_save_key(h);
    if (t->loop_asked) timeline_loop_key(h);
    if (t->rewind_asked) timeline_rewind(h);
    t->save_asked = t->loop_asked = t->rewind_asked = false;
    if (t->loop == TIMELINE_LOOP_PLAYING && t->loop_at >= t->loop_input.frames) timeline_loop_pass(h);
    timeline_ring(h);
    timeline_offer_lapse(h);
    if (t->snap_on) snapshot_ahead(&t->snap);
}

bool timeline_replayed(const host *h) { return h->timeline.replaying && h->timeline.replay_at >= h->timeline.replay.frames; }

/* A recorded frame as update gets it: the recording's keys, mouse, pads, text, dt, time, frame and
 * the sound's frame count (so a replayed game makes the same sound), with what the host owns now:
 * the picture, the sound buffer (zeroed for the recorded count), the mode, the terminal's size and a
 * quit the user asked for. */
static void timeline_replay_frame(const recording *r, uint64_t i, const game_input *live, game_input *out)
{
    recording_get(r, i, out);
    int32_t frames = out->audio.frames < 0 ? 0 : MIN(out->audio.frames, MEDIA_AUDIO_FRAMES_MAX);
    out->audio = live->audio;
    if (frames > live->audio.frames)
        memset(out->audio.samples + live->audio.frames * MEDIA_AUDIO_CHANNELS, 0,
               sizeof(float) * MEDIA_AUDIO_CHANNELS * (size_t)(frames - live->audio.frames));
    out->audio.frames = frames;
    out->screen = live->screen;
    out->mode = live->mode;
    out->terminal_width = live->terminal_width;
    out->terminal_height = live->terminal_height;
    out->quit_requested = live->quit_requested;
}

void timeline_input(host *h)
{
    timeline *t = &h->timeline;
    game_input *in = &h->update_input;
    if (t->replaying) timeline_replay_frame(&t->replay, t->replay_at++, &h->input, in);
    else if (t->loop == TIMELINE_LOOP_PLAYING) timeline_replay_frame(&t->loop_input, t->loop_at++, &h->input, in);
    else {
        *in = h->input;
        const int32_t keys[] = {h->opts.loop_key, h->opts.rewind_key, h->opts.save_key};
        for (size_t k = 0; k < ARRAY_COUNT(keys); k++) in->keys[keys[k] & (GAME_KEY_COUNT - 1)] = (game_button){0, 0};
    }
    if (t->loop == TIMELINE_LOOP_RECORDING) recording_add(&t->loop_input, in);
    if (t->recording) recording_add(&t->record, in);
}

/* ---- the end ------------------------------------------------------------------------------------- */

static void timeline_save(host *h, const char *path)
{
    timeline *t = &h->timeline;
    uint64_t t0 = clock_now_ns(), bytes = 0;
    host_error err;
    if (t->log.broken) {
        event_warn(&h->events, "state not saved to %s: %s", path,
                   t->log.out_of_memory ? "the host ran out of memory for the heap's call log"
                                        : "worker threads allocated from the heap, and state files cover the main "
                                          "thread's heap only");
        return;
    }
    bool stopped = timeline_threads_stop(h);
    epochs_drain(&t->epochs);
    state_parts p = {h->block, &h->heap, &t->log, t->epochs.deferred, t->epochs.deferred_count, h->frame,
                     timeline_checksum(h), HOST_VERSION};
    bool ok = state_write(path, &p, &bytes, &err);
    timeline_threads_start(h, stopped);
    if (!ok) {
        event_warn(&h->events, "state not saved: %s", err.msg);
        return;
    }
    event e = event_begin(&h->events, "state_saved");
    event_str(&e, "path", path);
    event_uint(&e, "bytes", bytes);
    event_num(&e, "ms", (double)(clock_now_ns() - t0) / 1e6);
    event_uint(&e, "heap_calls", t->log.calls);
    timeline_event_checksum(&e, "checksum", p.checksum);
    event_end(&h->events, &e);
}

static void timeline_expect(host *h)
{
    const char *want = h->opts.expect_checksum;
    char have[20];
    snprintf(have, sizeof(have), "%016llx", (unsigned long long)h->timeline.checksum);
    h->timeline.unexpected = want && strcmp(want, have) != 0;
}

bool timeline_checksum_expected(const host *h) { return !h->timeline.unexpected; }

void timeline_report(const host *h, FILE *out)
{
    if (!h->timeline.unexpected) return;
    fprintf(out, "host: the state ended with checksum %016llx, not the expected %s (frame %llu)\n",
            (unsigned long long)h->timeline.checksum, h->opts.expect_checksum, (unsigned long long)h->frame);
}

void timeline_end(host *h)
{
    timeline *t = &h->timeline;
    if (!h->block || !h->reload.initialized) return;
    epochs_drain(&t->epochs);
    t->checksum = timeline_checksum(h);
    t->has_checksum = true;
    if (h->opts.save_state_path) timeline_save(h, h->opts.save_state_path);
    if (h->opts.record_path) {
        host_error err;
        if (t->recording) t->record.checksum = t->checksum; /* else: at the restore that ended it */
        if (!recording_write(h->opts.record_path, &t->record, h->opts.block.base, h->opts.block.reserve, &err))
            event_warn(&h->events, "%s", err.msg);
    }
    timeline_expect(h);
    /* shutdown frees without checkpoints: its frees happen, and a leak report sees what is left */
    t->loop = TIMELINE_LOOP_OFF;
    if (t->snap_on) snapshot_drop_all(&t->snap);
}

void timeline_free(host *h)
{
    timeline *t = &h->timeline;
    if (t->snap_on) snapshot_stop(&t->snap);
    recording_free(&t->loop_input);
    epochs_stop(&t->epochs);
    heap_log_free_all(&t->log);
    recording_free(&t->record);
    recording_free(&t->replay);
    free(t->loaded);
}
