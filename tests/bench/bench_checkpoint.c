/* bench_checkpoint.c - checkpoints and restores cost what changed: a state with 1 GiB used (the
 * persistent arena) and 1% of its pages written since the last checkpoint, against a full copy of
 * the used bytes; and the frame time of a game-like frame while the live loop records (a live
 * checkpoint: frees watched, input recorded) against plain play. */
#include "bench.h"
#include "host/base/block.h"
#include "host/checkpoint/recording.h"
#include "host/checkpoint/snapshot.h"
#include "host/os/block_os.h"

#include <stdlib.h>

#define USED GB(1)
#define ROUNDS 5
#define FRAMES 500
#define WARMUP 100
#define FRAME_ROUNDS 15

static block_header *block;
static heap_region heap;
static epochs ep;
static snapshot snap;
static uint8_t *data;

/* 1% of the used pages, spread out. */
static void bench_touch(uint64_t round)
{
    for (uint64_t at = (round * 4096 * 7) % (100 * 4096); at < USED; at += 100 * 4096) data[at] = (uint8_t)(data[at] + 1);
}

static double bench_full_copy(uint8_t *copy)
{
    uint64_t t0 = bench_now_ns();
    memcpy(copy, data, USED);
    return (double)(bench_now_ns() - t0);
}

static void bench_frame(void **live, uint64_t f)
{
    for (int i = 0; i < 20; i++) {
        uint32_t k = (uint32_t)((f * 20 + (uint64_t)i) * 2654435761u) % 4096;
        heap_free(live[k]);
        live[k] = heap_alloc(16 + k % 256, 0, HEAP_FATAL);
        memset(live[k], (int)k, 16);
    }
    uint8_t *frame = push_array_no_zero(block->memory.frame, uint8_t, MB(1));
    memset(frame, (int)f, MB(1));
}

/* WARMUP frames first, untimed: a checkpoint's copies leave the caches cold. */
static double bench_frames(void **live, recording *rec)
{
    game_input in = {0};
    uint64_t t0 = 0;
    for (uint64_t f = 0; f < WARMUP + FRAMES; f++) {
        if (f == WARMUP) t0 = bench_now_ns();
        block_frame_begin(block);
        in.frame = f;
        if (rec) recording_add(rec, &in);
        bench_frame(live, f);
    }
    return (double)(bench_now_ns() - t0) / FRAMES;
}

int main(void)
{
    block_config cfg = block_config_default();
    cfg.base = 0x340000000000ull;
    block_region regions[BLOCK_REGION_COUNT];
    host_error err;
    if (!block_plan(&cfg, regions, &err) || !block_reserve(cfg.base, cfg.reserve, &err) ||
        !(block = block_init(&cfg, regions, &err)) ||
        heap_region_init(&heap, block_region_start(block, BLOCK_REGION_HEAP), cfg.heap_size, true, "bench") != HEAP_OK) {
        fprintf(stderr, "bench_checkpoint: cannot set up the block: %s\n", err.msg);
        return 1;
    }
    dirty_tracker *dirty = dirty_start(cfg.base, cfg.reserve, DIRTY_PAGEMAP_SCAN, &err);
    epochs_start(&ep, &heap);
    if (!dirty || !snapshot_start(&snap, block, &heap, &ep, dirty, &err)) {
        fprintf(stderr, "bench_checkpoint: %s\n", err.msg);
        return 1;
    }
    data = push_array_no_zero(block->memory.persistent, uint8_t, USED);
    for (uint64_t i = 0; i < USED; i += 512) data[i] = (uint8_t)i;
    uint8_t *copy = malloc(USED);
    memset(copy, 1, USED);
    if (!snapshot_take(&snap, 0, &err)) return 1;

    double best[4] = {1e30, 1e30, 1e30, 1e30};
    for (int r = 0; r < ROUNDS; r++) {
        snapshot_ahead(&snap); /* the host's once-a-frame call: buffers touched ahead, outside the timing */
        bench_touch((uint64_t)r);
        uint64_t t0 = bench_now_ns();
        snapshot_take(&snap, (uint64_t)r + 1, &err);
        best[0] = MIN(best[0], (double)(bench_now_ns() - t0));
        best[1] = MIN(best[1], bench_full_copy(copy));
        while (snap.count > 1) snapshot_drop_oldest(&snap);
        bench_touch((uint64_t)r + 3);
        t0 = bench_now_ns();
        snapshot_restore(&snap, snap.count - 1);
        best[2] = MIN(best[2], (double)(bench_now_ns() - t0));
        best[3] = MIN(best[3], bench_full_copy(copy));
    }
    snapshot_drop_all(&snap);

    /* in the block, like a game's pointers: a restore puts them back with the blocks they name */
    void **live = push_array(block->memory.persistent, void *, 4096);
    for (int i = 0; i < 4096; i++) live[i] = heap_alloc(32, 0, HEAP_FATAL);
    recording rec = {0};
    double plain = 1e30, looping = 1e30;
    for (int r = 0; r < FRAME_ROUNDS; r++) {
        plain = MIN(plain, bench_frames(live, NULL));
        snapshot_take(&snap, 0, &err);
        rec.frames = 0;
        looping = MIN(looping, bench_frames(live, &rec));
        snapshot_restore(&snap, 0);
        snapshot_drop_all(&snap);
    }

    printf("bench_checkpoint: 1 GiB used, 1%% of its pages written between checkpoints (dirty pages: %s); "
           "best of %d rounds\n", dirty_method_name(dirty_method_of(dirty)), ROUNDS);
    bench_print_machine();
    printf("%-44s %12s\n", "operation", "ms");
    printf("%-44s %12.2f\n", "checkpoint (written pages)", best[0] / 1e6);
    printf("%-44s %12.2f\n", "full copy of the used bytes", best[1] / 1e6);
    printf("%-44s %12.2f\n", "restore (written pages)", best[2] / 1e6);
    printf("%-44s %12.2f\n", "full copy back", best[3] / 1e6);
    printf("%-44s %12.2f\n", "frame, plain (us)", plain / 1e3);
    printf("%-44s %12.2f\n", "frame, live loop recording (us)", looping / 1e3);
    bench_ratio("checkpoint_dirty_vs_full", best[1] / best[0]);
    bench_ratio("restore_dirty_vs_full", best[3] / best[2]);
    bench_ratio("loop_frame_overhead", looping / plain);
    free(copy);
    return 0;
}
