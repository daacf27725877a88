/* recording.h - a recording: every frame's game_input, as bytes, from a starting point, so that a
 * run can be made again headless by anyone (--record FILE, --replay FILE --frames N).
 *
 *     recording_header   magic "HBRECRD1", format, ABI version and fingerprint, sizeof(game_input),
 *                        base, reserve, frames, the frame it starts at, the size of the state it
 *                        starts from (0: from init), the checksum at its end, the hash of the body
 *     body               the starting state file (state_file.h), then frames x sizeof(game_input)
 *
 * The input is recorded as the struct's bytes, so a recording is read only by a host with the same
 * game_input (the ABI in the header says so); a host that keeps pointers to its own buffers in
 * game_input refills them after copying a frame in. */
#ifndef RECORDING_H
#define RECORDING_H

#include "../base/block.h"

#define RECORDING_MAGIC "HBRECRD1"
#define RECORDING_FORMAT_VERSION 1

typedef struct recording_header {
    char magic[8];
    uint32_t format;
    uint32_t header_size;
    uint32_t game_abi;
    uint32_t input_size;
    uint64_t abi_fingerprint;
    uint64_t base;
    uint64_t reserve;
    uint64_t frames;
    uint64_t start_frame;
    uint64_t state_size;
    uint64_t checksum;  /* of the state at the end of the recorded frames */
    uint64_t body_hash;
} recording_header;

typedef struct recording {
    uint8_t *inputs;    /* frames x sizeof(game_input) */
    uint64_t frames;
    uint64_t capacity;  /* in frames */
    uint64_t start_frame;
    uint8_t *state;     /* the state file it starts from (NULL: init), owned */
    uint64_t state_size;
    uint64_t checksum;
    bool out_of_memory;
} recording;

/* One more frame's input. */
void recording_add(recording *r, const game_input *in);
/* Frame i's input (i < r->frames). */
void recording_get(const recording *r, uint64_t i, game_input *out);
void recording_free(recording *r);

bool recording_write(const char *path, const recording *r, uint64_t base, uint64_t reserve, host_error *err);
/* Reads and checks a recording (the state inside is checked when it is loaded). */
bool recording_decode(const uint8_t *data, uint64_t size, const block_config *cfg, recording *out, host_error *err);
bool recording_read(const char *path, const block_config *cfg, recording *out, host_error *err);

#endif
