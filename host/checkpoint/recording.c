/* recording.c - recordings of game input (recording.h). */
#include "recording.h"
#include "../os/fs.h"
#include "checksum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void recording_add(recording *r, const game_input *in)
{
    if (r->out_of_memory) return;
    if (r->frames == r->capacity) {
        uint64_t cap = r->capacity ? r->capacity * 2 : 4096;
        uint8_t *grown = realloc(r->inputs, (size_t)(cap * sizeof(game_input)));
        if (!grown) {
            r->out_of_memory = true;
            return;
        }
        r->inputs = grown;
        r->capacity = cap;
    }
    memcpy(r->inputs + r->frames++ * sizeof(game_input), in, sizeof(game_input));
}

void recording_get(const recording *r, uint64_t i, game_input *out)
{
    memcpy(out, r->inputs + i * sizeof(game_input), sizeof(game_input));
}

void recording_free(recording *r)
{
    free(r->inputs);
    free(r->state);
    memset(r, 0, sizeof(*r));
}

bool recording_write(const char *path, const recording *r, uint64_t base, uint64_t reserve, host_error *err)
{
    if (r->out_of_memory) return host_fail(err, "recording %s not written: the host ran out of memory for it", path);
    uint64_t inputs = r->frames * sizeof(game_input), size = sizeof(recording_header) + r->state_size + inputs;
    uint8_t *data = malloc((size_t)size);
    if (!data) return host_fail(err, "out of memory writing the recording %s", path);
    recording_header h = {.format = RECORDING_FORMAT_VERSION, .header_size = sizeof(h), .game_abi = GAME_API_VERSION,
                          .input_size = sizeof(game_input), .abi_fingerprint = GAME_ABI_FINGERPRINT, .base = base,
                          .reserve = reserve, .frames = r->frames, .start_frame = r->start_frame,
                          .state_size = r->state_size, .checksum = r->checksum};
    memcpy(h.magic, RECORDING_MAGIC, 8);
    uint8_t *body = data + sizeof(h);
    if (r->state_size) memcpy(body, r->state, (size_t)r->state_size);
    if (inputs) memcpy(body + r->state_size, r->inputs, (size_t)inputs);
    h.body_hash = checksum_bytes(0, body, size - sizeof(h));
    memcpy(data, &h, sizeof(h));
    bool ok = fs_write_atomic(path, data, size, err);
    free(data);
    return ok;
}

static bool recording_check(const recording_header *h, uint64_t size, const block_config *cfg, host_error *err)
{
    if (size < 8 || memcmp(h->magic, RECORDING_MAGIC, 8) != 0) return host_fail(err, "not a hotblock recording");
    if (size < sizeof(*h)) return host_fail(err, "truncated (%llu bytes)", (unsigned long long)size);
    if (h->format != RECORDING_FORMAT_VERSION || h->header_size != sizeof(*h))
        return host_fail(err, "format %u; this host reads format %u", h->format, RECORDING_FORMAT_VERSION);
    if (h->game_abi != GAME_API_VERSION || h->abi_fingerprint != GAME_ABI_FINGERPRINT || h->input_size != sizeof(game_input))
        return host_fail(err, "recorded by a host of game ABI %u with a %u-byte game_input; this host has ABI %u and %u",
                         h->game_abi, h->input_size, GAME_API_VERSION, (unsigned)sizeof(game_input));
    if (h->base != cfg->base || h->reserve != cfg->reserve)
        return host_fail(err, "recorded with the block at 0x%llx (%llu bytes); run with --base 0x%llx --reserve %llu",
                         (unsigned long long)h->base, (unsigned long long)h->reserve, (unsigned long long)h->base,
                         (unsigned long long)h->reserve);
    uint64_t inputs;
    if (!size_mul(h->frames, sizeof(game_input), &inputs) || size - sizeof(*h) < h->state_size ||
        size - sizeof(*h) - h->state_size != inputs)
        return host_fail(err, "truncated or padded (%llu bytes for %llu frames)", (unsigned long long)size,
                         (unsigned long long)h->frames);
    return true;
}

bool recording_decode(const uint8_t *data, uint64_t size, const block_config *cfg, recording *out, host_error *err)
{
    memset(out, 0, sizeof(*out));
    const recording_header *h = (const recording_header *)data;
    if (!recording_check(h, size, cfg, err)) return false;
    const uint8_t *body = data + sizeof(*h);
    if (checksum_bytes(0, body, size - sizeof(*h)) != h->body_hash)
        return host_fail(err, "corrupted (its hash does not match its bytes)");
    uint64_t inputs = h->frames * sizeof(game_input);
    out->state = h->state_size ? malloc((size_t)h->state_size) : NULL;
    out->inputs = malloc((size_t)inputs + 1);
    if ((h->state_size && !out->state) || !out->inputs) {
        recording_free(out);
        return host_fail(err, "out of memory reading it");
    }
    if (h->state_size) memcpy(out->state, body, (size_t)h->state_size);
    memcpy(out->inputs, body + h->state_size, (size_t)inputs);
    out->frames = out->capacity = h->frames;
    out->start_frame = h->start_frame;
    out->state_size = h->state_size;
    out->checksum = h->checksum;
    return true;
}

bool recording_read(const char *path, const block_config *cfg, recording *out, host_error *err)
{
    uint64_t size;
    uint8_t *data = fs_read_file(path, &size, err);
    if (!data) return false;
    bool ok = recording_decode(data, size, cfg, out, err);
    free(data);
    if (ok) return true;
    char why[HOST_ERROR_MAX];
    snprintf(why, sizeof(why), "%s", err->msg);
    return host_fail(err, "recording %s refused, nothing loaded: %s", path, why);
}
