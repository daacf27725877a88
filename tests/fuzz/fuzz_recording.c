/* fuzz_recording.c - the recording reader (host/checkpoint/recording.c) on arbitrary bytes: never a
 * crash or an out-of-bounds read, every refusal one line, every accepted recording's frames
 * readable. Each input is read twice: as it is, and with the body's hash made right. The seed is a
 * real recording written by the host (build.sh). */
#include "host/checkpoint/checksum.h"
#include "host/checkpoint/recording.h"

#include <stdlib.h>
#include <string.h>

static void fuzz_recording_decode(const uint8_t *data, size_t size)
{
    block_config cfg = block_config_default();
    recording r;
    host_error err = {{0}};
    if (recording_decode(data, size, &cfg, &r, &err)) {
        game_input in;
        for (uint64_t i = 0; i < r.frames; i++) recording_get(&r, i, &in);
        recording_free(&r);
        return;
    }
    if (!err.msg[0] || strchr(err.msg, '\n')) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_recording_decode(data, size);
    if (size < sizeof(recording_header)) return 0;
    uint8_t *copy = malloc(size);
    memcpy(copy, data, size);
    recording_header h;
    memcpy(&h, copy, sizeof(h));
    h.body_hash = checksum_bytes(0, copy + sizeof(h), size - sizeof(h));
    memcpy(copy, &h, sizeof(h));
    fuzz_recording_decode(copy, size);
    free(copy);
    return 0;
}
