/* fuzz_state.c - the state file reader (host/checkpoint/state_file.c, state_layouts.c) on
 * arbitrary bytes: never a crash or an out-of-bounds read, every refusal one line. Each input is
 * read twice: as it is, and with the header's body size and hash made right, so that the sections,
 * the heap's pages, the pools and the layouts behind the hash are fuzzed too. The seed is a real
 * state file written by the host (build.sh). */
#include "host/checkpoint/checksum.h"
#include "host/checkpoint/state_file.h"

#include <stdlib.h>
#include <string.h>

static void fuzz_state_decode(uint8_t *data, size_t size)
{
    block_config cfg = block_config_default();
    state_image img;
    host_error err = {{0}};
    bool ok = state_decode(data, size, &cfg, &img, &err);
    img.data = NULL; /* the caller's */
    state_image_free(&img);
    if (!ok && (!err.msg[0] || strchr(err.msg, '\n'))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size + 1);
    memcpy(copy, data, size);
    fuzz_state_decode(copy, size);
    if (size >= sizeof(state_file_header)) {
        memcpy(copy, data, size);
        state_file_header h;
        memcpy(&h, copy, sizeof(h));
        h.body_size = size - sizeof(h);
        h.body_hash = checksum_bytes(0, copy + sizeof(h), h.body_size);
        memcpy(copy, &h, sizeof(h));
        fuzz_state_decode(copy, size);
    }
    free(copy);
    return 0;
}
