/* timeline.c - state files, recordings and the exit checksum, for the host (timeline.h). */
#include "host.h"
#include "checkpoint/checksum.h"
#include "checkpoint/state_file.h"
#include "os/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A key option: one printable character. */
static bool timeline_key(const char *name, const char *value, int *out, host_error *err)
{
    if (strlen(value) != 1 || value[0] <= ' ' || value[0] > '~')
        return host_fail(err, "%s: '%s' is not one key; give one printable character, e.g. %s l", name, value, name);
    *out = value[0];
    return true;
}

bool timeline_begin(host *h, host_error *err)
{
    timeline *t = &h->timeline;
    const host_options *o = &h->opts;
    if (!timeline_key("--loop-key", o->loop_key, &t->keys[0], err) ||
        !timeline_key("--rewind-key", o->rewind_key, &t->keys[1], err) ||
        !timeline_key("--save-key", o->save_key, &t->keys[2], err))
        return false;
    epochs_start(&t->epochs, &h->heap);
    /* the log must see every call from the fresh region on: init's, or the loaded state's replayed */
    t->logging = o->save_state_path != NULL;
    if (t->logging && !o->load_state_path && !o->replay_path) epochs_log(&t->epochs, &t->log);
    if (!timeline_start_state(h, err)) return false;
    if (t->logging) epochs_log(&t->epochs, &t->log);
    if (o->record_path) {
        t->recording = true;
        t->record.start_frame = h->frame;
        t->record.state = t->loaded;
        t->record.state_size = t->loaded_size;
        t->loaded = NULL;
    }
    return true;
}

/* ---- frames -------------------------------------------------------------------------------------- */

bool timeline_input(host *h)
{
    timeline *t = &h->timeline;
    if (t->replaying) {
        if (t->replay_at >= t->replay.frames) return false;
        recording_get(&t->replay, t->replay_at++, &h->input);
    }
    if (t->recording) recording_add(&t->record, &h->input);
    return true;
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
    epochs_drain(&t->epochs);
    state_parts p = {h->block, &h->heap, &t->log, t->epochs.deferred, t->epochs.deferred_count, h->frame,
                     t->checksum, HOST_VERSION};
    if (!state_write(path, &p, &bytes, &err)) {
        event_warn(&h->events, "state not saved: %s", err.msg);
        return;
    }
    event e = event_begin(&h->events, "state_saved");
    event_str(&e, "path", path);
    event_uint(&e, "bytes", bytes);
    event_num(&e, "ms", (double)(clock_now_ns() - t0) / 1e6);
    event_uint(&e, "heap_calls", t->log.calls);
    event_end(&h->events, &e);
}

static void timeline_expect(host *h)
{
    const char *want = h->opts.expect_checksum;
    char have[20];
    snprintf(have, sizeof(have), "%016llx", (unsigned long long)h->timeline.checksum);
    if (!want || strcmp(want, have) == 0) return;
    fprintf(stderr, "host: the state ended with checksum %s, not the expected %s (frame %llu)\n", have, want,
            (unsigned long long)h->frame);
    h->exit_status = 3;
}

void timeline_end(host *h)
{
    timeline *t = &h->timeline;
    if (!h->block || !h->reload.initialized) return;
    epochs_drain(&t->epochs);
    t->checksum = checksum_state(h->block, &h->heap);
    t->has_checksum = true;
    if (h->opts.save_state_path) timeline_save(h, h->opts.save_state_path);
    if (t->recording) {
        host_error err;
        t->record.checksum = t->checksum;
        if (!recording_write(h->opts.record_path, &t->record, h->opts.block.base, h->opts.block.reserve, &err))
            event_warn(&h->events, "%s", err.msg);
    }
    timeline_expect(h);
}

void timeline_free(host *h)
{
    timeline *t = &h->timeline;
    epochs_stop(&t->epochs);
    heap_log_free_all(&t->log);
    recording_free(&t->record);
    recording_free(&t->replay);
    free(t->loaded);
}
