/* timeline.h - the host's side of state over time: state files (--save-state, --load-state),
 * recordings (--record, --replay, --expect-checksum), the state's checksum at exit, and the keys
 * that act on them. The mechanisms are in host/checkpoint/; this decides when they run.
 *
 *     timeline_begin    (host_start) the heap watched, a state or recording loaded, or init
 *     timeline_input    (every frame, after the input is gathered) host keys taken out, the
 *                       recording's frame replayed or the live one recorded
 *     timeline_end      (host_stop, before shutdown) the checksum, the state saved, the recording
 *                       written, the checksum compared */
#ifndef TIMELINE_H
#define TIMELINE_H

#include "checkpoint/epochs.h"
#include "checkpoint/recording.h"

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
    int keys[3];            /* loop, rewind, save */
} timeline;

struct host;
bool timeline_begin(struct host *h, host_error *err);
/* False when a replay has run out of frames: the run ends. */
bool timeline_input(struct host *h);
void timeline_end(struct host *h);
void timeline_free(struct host *h);

#endif
