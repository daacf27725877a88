/* checkpoint_util.h - a real block, its heap region and the dirty-page tracker, set up the way the
 * host sets them up, for the checkpoint tests (header only: build.sh compiles one .c per test).
 * mimalloc cannot give an arena back, so a test file makes one block for all its tests; the
 * region's main thread is the test's thread. */
#ifndef CHECKPOINT_UTIL_H
#define CHECKPOINT_UTIL_H

#include "../test_util.h"

#include "host/base/block.h"
#include "host/os/block_os.h"
#include "host/os/dirty.h"
#include "arena/heap.h"

static block_header *ck_block;
static heap_region ck_heap;
static dirty_tracker *ck_dirty;
static block_config ck_config;

/* Small regions (frame and scratch 1 MiB, heap 64 MiB, host 4 MiB: room for a stats table) in a
 * 512 MiB reserve at base. */
static inline block_config ck_config_at(uint64_t base)
{
    block_config c = {.base = base, .reserve = MB(512), .frame_size = MB(1), .scratch_size = MB(1),
                      .heap_size = MB(64), .host_size = MB(4), .media_size = MB(1)};
    return c;
}

static inline bool ck_open(uint64_t base)
{
    host_error err = {{0}};
    block_region regions[BLOCK_REGION_COUNT];
    ck_config = ck_config_at(base);
    if (!block_plan(&ck_config, regions, &err) || !block_reserve(base, ck_config.reserve, &err) ||
        !(ck_block = block_init(&ck_config, regions, &err))) {
        print_error("%s\n", err.msg);
        return false;
    }
    ck_dirty = dirty_start(base, ck_config.reserve, DIRTY_PAGEMAP_SCAN, &err);
    return ck_dirty && heap_region_init(&ck_heap, block_region_start(ck_block, BLOCK_REGION_HEAP),
                                        ck_config.heap_size, block_reserve_is_committed, "test heap") == HEAP_OK;
}

static inline int ck_setup_at(uint64_t base) { return ck_open(base) ? 0 : -1; }

/* The tracker goes; the block and the region stay, as mimalloc keeps the arena. */
static inline void ck_close(void) { dirty_stop(ck_dirty); }

/* The number of live blocks of the main thread's heaps. */
static inline bool ck_count_block(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)area;
    (void)size;
    if (block) (*(uint64_t *)arg)++;
    return true;
}

static inline uint64_t ck_blocks(void)
{
    uint64_t n = 0;
    heap_visit(&ck_heap, true, ck_count_block, &n);
    return n;
}

/* p is a live block of the main thread's heaps. */
typedef struct ck_find {
    const void *p;
    bool found;
} ck_find;

static inline bool ck_find_block(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)area;
    (void)size;
    ck_find *f = arg;
    if (block == f->p) f->found = true;
    return !f->found;
}

static inline bool ck_live(const void *p)
{
    ck_find f = {p, false};
    heap_visit(&ck_heap, true, ck_find_block, &f);
    return f.found;
}

#endif
