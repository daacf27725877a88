/* checksum.c - the state's checksum (checksum.h). */
#include "checksum.h"
#include "../../arena/arena_stats.h"
#include "../../arena/pool.h"

#include <stdlib.h>

#include <string.h>

#if defined(__GNUC__)
#define CHECKSUM_UNPOISONED __attribute__((no_sanitize_address))
#else
#define CHECKSUM_UNPOISONED
#endif

#define CHECKSUM_K 0x9e3779b97f4a7c15ull

static uint64_t checksum_mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * CHECKSUM_K;
    return h ^ (h >> 32);
}

/* Reads word by word through volatile-free loads the compiler cannot turn into an instrumented
 * memcpy: arena padding is poisoned under ASan. */
CHECKSUM_UNPOISONED uint64_t checksum_bytes(uint64_t h, const void *p, uint64_t size)
{
    const uint8_t *b = p;
    uint64_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t w;
        __builtin_memcpy(&w, b + i, 8);
        h = checksum_mix(h, w);
    }
    uint64_t tail = 0;
    for (uint64_t k = 0; i < size; i++, k += 8) tail |= (uint64_t)b[i] << k;
    return checksum_mix(h, tail ^ size);
}

static const block_region_id checksum_regions[CHECKSUM_ARENAS] = {
    BLOCK_REGION_PERSISTENT, BLOCK_REGION_FRAME0, BLOCK_REGION_FRAME1, BLOCK_REGION_SCRATCH0, BLOCK_REGION_SCRATCH1,
};

arena *checksum_arena(const block_header *b, int i) { return block_region_start(b, checksum_regions[i]); }

/* Blocks are visited in mimalloc's order, which two equal heaps need not share: each block's hash
 * is summed, so the order does not count. */
static bool checksum_block(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)size;
    if (!block) return true;
    uint64_t usable = mi_usable_size(block);
    uint64_t x = checksum_mix(checksum_mix(0, (uint64_t)(uintptr_t)block), usable);
    *(uint64_t *)arg += checksum_bytes(x, block, usable);
    (void)area;
    return true;
}

/* Words the host writes into the game's arenas that differ from process to process: each pool's
 * keys into the stats table, whose stamp is new in every process. */
typedef struct checksum_masks {
    const uint8_t **words; /* sorted */
    uint32_t count;
} checksum_masks;

static int checksum_order(const void *a, const void *b)
{
    const uint8_t *x = *(const uint8_t *const *)a, *y = *(const uint8_t *const *)b;
    return x < y ? -1 : x > y;
}

static checksum_masks checksum_masks_of(const block_header *b)
{
    checksum_masks m = {0};
    const arena_stats_table *t = checksum_arena(b, 0)->stats.table;
    if (!t || !t->pool_count || !(m.words = malloc(t->pool_count * 2 * sizeof(*m.words)))) return m;
    for (uint32_t i = 0; i < t->pool_count; i++) {
        const arena_pool *p = arena_stats_pool(t, i);
        if (!p) continue;
        m.words[m.count++] = (const uint8_t *)&p->site.key;
        m.words[m.count++] = (const uint8_t *)&p->stats_key;
    }
    qsort(m.words, m.count, sizeof(*m.words), checksum_order);
    return m;
}

/* The bytes of [p, p + size) with the masked words read as zero. */
static uint64_t checksum_masked(uint64_t h, const uint8_t *p, uint64_t size, const checksum_masks *m)
{
    const uint8_t *end = p + size;
    for (uint32_t i = 0; i < m->count; i++) {
        const uint8_t *w = m->words[i];
        if (w < p || w + 8 > end) continue;
        h = checksum_mix(checksum_bytes(h, p, (uint64_t)(w - p)), 0);
        p = w + 8;
    }
    return checksum_bytes(h, p, (uint64_t)(end - p));
}

uint64_t checksum_state(const block_header *b, const heap_region *heap)
{
    const game_memory *m = &b->memory;
    uint64_t h = checksum_mix(checksum_mix(checksum_mix(0, (uint64_t)(uintptr_t)m->root), m->root_size), m->frame_index);
    checksum_masks masks = checksum_masks_of(b);
    for (int i = 0; i < CHECKSUM_ARENAS; i++) {
        const arena *a = checksum_arena(b, i);
        h = checksum_masked(checksum_mix(h, a->pos), a->base, a->pos, &masks);
    }
    free(masks.words);
    uint64_t blocks = 0;
    heap_visit(heap, true, checksum_block, &blocks);
    return checksum_mix(h, blocks);
}
