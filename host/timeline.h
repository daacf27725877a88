/* timeline.h - the host's side of state over time: state files (--save-state, --load-state),
 * recordings (--record, --replay, --expect-checksum), the state's checksum at exit, and the keys
 * that act on them. The mechanisms are in host/checkpoint/; this decides when they run.
 *
 *     timeline_begin    (host_start) the heap watched, a state or recording loaded, or init
 *     timeline_frame    (top of every frame, after a reload) what the keys asked for last frame
 *                       (host.c's host_keys: loop_asked, save_asked, timeline_request_rewind): the
 *                       live loop's steps, a rewind, a save; the rewind ring's checkpoint
 *     timeline_input    (every frame, after the host's keys) the input update gets: the live one
 *                       without the loop, rewind and save keys, or a recording's frame; recorded
 *
 * The live loop (the loop key): a checkpoint and every frame's input recorded; again: the
 * checkpoint restored and the input replayed in a loop, each pass on the newest code, with a `loop`
 * event per pass (its checksum; `divergence` when two passes on the same code end differently);
 * again: play goes on from where the loop is. The rewind ring (--rewind): a checkpoint every
 * --rewind-every frames for the last SECONDS; the rewind key, or host->request_rewind, goes back.
 *
 *     timeline_end      (host_stop, before shutdown) the checksum, the state saved, the recording
 *                       written, the checksum compared; the checkpoints dropped
 *
 * Sound: a replayed frame asks the game for the recorded number of sample frames, so a loop's
 * passes make the same sound and it plays in step (the sound buffer is the host's, zeroed). */
#ifndef TIMELINE_H
#define TIMELINE_H

#include "checkpoint/epochs.h"
#include "checkpoint/recording.h"
#include "checkpoint/snapshot.h"

#include <stdio.h>

typedef struct timeline {
    epochs epochs;
    heap_log log;           /* on with --save-state: a state file needs every heap call */
    bool logging;
    recording record;       /* --record */
    bool recording;
    recording replay;       /* --replay */
    bool replaying;
    uint64_t replay_at;     /* the next recorded frame */
    uint8_t *loaded;        /* the state file the run started from (for --record), owned */
    uint64_t loaded_size;
    uint64_t checksum;      /* at exit */
    bool has_checksum;
    bool unexpected;        /* it is not --expect-checksum's */
    snapshot snap;          /* checkpoints of this process: the loop's, or the rewind ring */
    bool snap_on;
    int loop;               /* TIMELINE_LOOP_... */
    recording loop_input;   /* the loop's frames */
    uint64_t loop_at;       /* the next frame of a pass */
    uint64_t pass;          /* passes begun */
    uint64_t pass_checksum; /* at the end of the last pass */
    uint64_t start_checksum; /* at the start of this pass: the checkpoint's */
    uint64_t pass_version;  /* the code this pass started on */
    uint64_t clean_version; /* the code the last pass ran on wholly (0: a reload happened during it) */
    bool loop_asked, save_asked; /* by the keys (host_keys), for the next frame */
    uint64_t rewind_frames; /* asked for by the key (1: one checkpoint) or host->request_rewind */
    bool rewind_asked;
    uint64_t ring;          /* checkpoints the ring keeps */
    bool offered;           /* a crash offered a checkpoint: the rewind key takes it */
    uint64_t offered_frame;
} timeline;

enum { TIMELINE_LOOP_OFF, TIMELINE_LOOP_RECORDING, TIMELINE_LOOP_PLAYING };

struct host;
bool timeline_begin(struct host *h, host_error *err);
void timeline_frame(struct host *h);
void timeline_input(struct host *h);
/* A replay's last frame has run: the run ends. */
bool timeline_replayed(const struct host *h);
/* host->request_rewind: back `frames` frames (to the newest checkpoint at or before), next frame. */
void timeline_request_rewind(struct host *h, uint64_t frames);
void timeline_end(struct host *h);
/* False when the state ended with another checksum than --expect-checksum's (exit status 5). */
bool timeline_checksum_expected(const struct host *h);
/* That difference in one line, after the window or terminal is closed. */
void timeline_report(const struct host *h, FILE *out);
/* A checksum as events carry it: 16 hex digits. */
void timeline_event_checksum(event *e, const char *key, uint64_t sum);
void timeline_free(struct host *h);

#endif
