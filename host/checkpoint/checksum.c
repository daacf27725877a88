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
#define CHECKSUM_REACHED 0x5245414348454421ull   /* tags a pointer to a numbered block */
#define CHECKSUM_UNREACHED 0x554e524541434821ull /* tags a pointer to a block nothing reaches */

static uint64_t checksum_mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * CHECKSUM_K;
    return h ^ (h >> 32);
}

/* Word by word through loads the compiler cannot turn into an instrumented memcpy: arena padding
 * is poisoned under ASan. */
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

/* ---- the heap's blocks, by address -------------------------------------------------------------- */

typedef struct checksum_block {
    uintptr_t start;
    uint64_t size;
    uint64_t number; /* 0: not reached (yet) */
} checksum_block;

typedef struct checksum_walk {
    checksum_block *blocks; /* sorted by start */
    uint64_t count, cap;
    uint64_t *queue;        /* indices of reached blocks, in number order */
    uint64_t reached;
    uintptr_t heap_start, heap_end;
    bool numbering;         /* false once every reachable block has its number */
    bool failed;            /* out of memory: the checksum falls back to raw addresses */
} checksum_walk;

static bool checksum_collect(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)area;
    (void)size;
    checksum_walk *w = arg;
    if (!block) return true;
    if (w->count == w->cap) {
        uint64_t cap = w->cap ? w->cap * 2 : 1024;
        checksum_block *grown = realloc(w->blocks, (size_t)cap * sizeof(*grown));
        if (!grown) return w->failed = true, false;
        w->blocks = grown;
        w->cap = cap;
    }
    w->blocks[w->count++] = (checksum_block){(uintptr_t)block, mi_usable_size(block), 0};
    return true;
}

static int checksum_block_order(const void *a, const void *b)
{
    uintptr_t x = ((const checksum_block *)a)->start, y = ((const checksum_block *)b)->start;
    return x < y ? -1 : x > y;
}

static int checksum_pointer_order(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return x < y ? -1 : x > y;
}

/* Leaves out the deferred blocks (both lists sorted: one merge). */
static void checksum_drop_deferred(checksum_walk *w, void *const *deferred, uint64_t n)
{
    void **sorted = n ? malloc((size_t)n * sizeof(void *)) : NULL;
    if (!sorted) return;
    memcpy(sorted, deferred, (size_t)n * sizeof(void *));
    qsort(sorted, (size_t)n, sizeof(void *), checksum_pointer_order);
    uint64_t keep = 0, d = 0;
    for (uint64_t i = 0; i < w->count; i++) {
        while (d < n && (uintptr_t)sorted[d] < w->blocks[i].start) d++;
        if (d < n && (uintptr_t)sorted[d] == w->blocks[i].start) continue;
        w->blocks[keep++] = w->blocks[i];
    }
    w->count = keep;
    free(sorted);
}

static bool checksum_walk_start(checksum_walk *w, const heap_region *heap, void *const *deferred, uint64_t n)
{
    memset(w, 0, sizeof(*w));
    w->heap_start = (uintptr_t)heap->start;
    w->heap_end = w->heap_start + heap->size;
    w->numbering = true;
    heap_visit(heap, true, checksum_collect, w);
    if (w->count) qsort(w->blocks, (size_t)w->count, sizeof(*w->blocks), checksum_block_order);
    checksum_drop_deferred(w, deferred, n);
    w->queue = malloc((size_t)(w->count + 1) * sizeof(uint64_t));
    return !w->failed && w->queue;
}

/* The block holding address a, or NULL. */
static checksum_block *checksum_find(const checksum_walk *w, uintptr_t a)
{
    if (a < w->heap_start || a >= w->heap_end) return NULL;
    uint64_t lo = 0, hi = w->count;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (w->blocks[mid].start <= a) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return NULL;
    checksum_block *b = &w->blocks[lo - 1];
    return a < b->start + b->size ? b : NULL;
}

/* A word as it counts: a pointer into a heap block as its number and offset (numbering the block
 * when it is the first pointer to it), anything else as itself. */
static uint64_t checksum_word(checksum_walk *w, uint64_t v)
{
    checksum_block *b = checksum_find(w, (uintptr_t)v);
    if (!b) return v;
    if (!b->number && w->numbering) {
        w->queue[w->reached++] = (uint64_t)(b - w->blocks);
        b->number = w->reached;
    }
    uint64_t tag = b->number ? checksum_mix(CHECKSUM_REACHED, b->number) : CHECKSUM_UNREACHED;
    return checksum_mix(tag, v - b->start);
}

CHECKSUM_UNPOISONED static uint64_t checksum_words(checksum_walk *w, uint64_t h, const uint8_t *p, uint64_t size)
{
    uint64_t i = 0;
    if ((uintptr_t)p % 8 == 0) {
        for (; i + 8 <= size; i += 8) {
            uint64_t v;
            __builtin_memcpy(&v, p + i, 8);
            h = checksum_mix(h, checksum_word(w, v));
        }
    }
    return checksum_bytes(h, p + i, size - i);
}

/* ---- the arenas ---------------------------------------------------------------------------------- */

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
    uint32_t per_pool = ARENA_SITE_WAYS + 1;
    if (!t || !t->pool_count || !(m.words = malloc(t->pool_count * per_pool * sizeof(*m.words)))) return m;
    for (uint32_t i = 0; i < t->pool_count; i++) {
        const arena_pool *p = arena_stats_pool(t, i);
        if (!p) continue;
        for (int k = 0; k < ARENA_SITE_WAYS; k++) m.words[m.count++] = (const uint8_t *)&p->site.key[k];
        m.words[m.count++] = (const uint8_t *)&p->stats_key;
    }
    qsort(m.words, m.count, sizeof(*m.words), checksum_order);
    return m;
}

/* The words of [p, p + size) with the masked words read as zero. */
static uint64_t checksum_masked(checksum_walk *w, uint64_t h, const uint8_t *p, uint64_t size, const checksum_masks *m)
{
    const uint8_t *end = p + size;
    for (uint32_t i = 0; i < m->count; i++) {
        const uint8_t *word = m->words[i];
        if (word < p || word + 8 > end) continue;
        h = checksum_mix(checksum_words(w, h, p, (uint64_t)(word - p)), 0);
        p = word + 8;
    }
    return checksum_words(w, h, p, (uint64_t)(end - p));
}

static uint64_t checksum_arenas(checksum_walk *w, uint64_t h, const block_header *b)
{
    checksum_masks masks = checksum_masks_of(b);
    for (int i = 0; i < CHECKSUM_ARENAS; i++) {
        const arena *a = checksum_arena(b, i);
        h = checksum_masked(w, checksum_mix(h, a->pos), a->base, a->pos, &masks);
    }
    free(masks.words);
    return h;
}

/* ---- the whole state ------------------------------------------------------------------------------ */

/* The reached blocks in number order (reading one numbers the blocks it points to), then the
 * others, each by its contents, summed so that their order does not count. */
static uint64_t checksum_heap(checksum_walk *w, uint64_t h)
{
    for (uint64_t q = 0; q < w->reached; q++) {
        const checksum_block *b = &w->blocks[w->queue[q]];
        h = checksum_words(w, checksum_mix(h, b->size), (const uint8_t *)b->start, b->size);
    }
    w->numbering = false;
    uint64_t others = 0;
    for (uint64_t i = 0; i < w->count; i++) {
        const checksum_block *b = &w->blocks[i];
        if (!b->number) others += checksum_words(w, checksum_mix(0, b->size), (const uint8_t *)b->start, b->size);
    }
    return checksum_mix(h, others);
}

uint64_t checksum_state(const block_header *b, const heap_region *heap, void *const *deferred, uint64_t deferred_count)
{
    const game_memory *m = &b->memory;
    checksum_walk w;
    bool canonical = checksum_walk_start(&w, heap, deferred, deferred_count);
    if (!canonical) w.count = 0; /* out of memory: heap blocks count as raw bytes of nothing */
    uint64_t h = checksum_mix(checksum_mix(checksum_mix(0, checksum_word(&w, (uint64_t)(uintptr_t)m->root)),
                                           m->root_size), m->frame_index);
    h = checksum_heap(&w, checksum_arenas(&w, h, b));
    free(w.blocks);
    free(w.queue);
    return checksum_mix(h, canonical);
}
