/* snapshot.c - checkpoints through a shadow copy and undo records (snapshot.h). */
#include "snapshot.h"
#include "../os/block_os.h"
#include "../../arena/arena_os.h"
#include "bytes.h"
#include "checksum.h"

#include <stdlib.h>
#include <string.h>

#define SNAPSHOT_SHADOW_DISTANCE 0x100000000000ull /* the shadow sits this far above the block */
#define SNAPSHOT_RANGES (2 + CHECKSUM_ARENAS)

/* ---- what is covered ------------------------------------------------------------------------- */

static uint32_t snapshot_ranges(const snapshot *s, dirty_range *out)
{
    const block_header *b = s->block;
    uint32_t n = 0;
    out[n++] = (dirty_range){(uintptr_t)b->base, BLOCK_HEADER_SIZE, false};
    for (int i = 0; i < CHECKSUM_ARENAS; i++) {
        const arena *a = checksum_arena(b, i);
        out[n++] = (dirty_range){(uintptr_t)a, (uint64_t)(a->base - (const uint8_t *)a) + a->committed, false};
    }
    out[n++] = (dirty_range){(uintptr_t)s->heap->start, s->heap->size, true};
    return n;
}

static bool snapshot_in_heap(const snapshot *s, uintptr_t at)
{
    return at >= (uintptr_t)s->heap->start && at < (uintptr_t)s->heap->start + s->heap->size;
}

static bool snapshot_heap_page(const uint8_t *bits, const snapshot *s, uintptr_t at)
{
    uint64_t i = (at - (uintptr_t)s->heap->start) / s->page;
    return bits && (bits[i / 8] >> (i % 8)) & 1;
}

typedef struct snapshot_pages_ctx {
    const snapshot *s;
    uint8_t *bits;
} snapshot_pages_ctx;

static bool snapshot_mark_area(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)block;
    (void)size;
    snapshot_pages_ctx *c = arg;
    uintptr_t start = (uintptr_t)area->blocks - (uintptr_t)c->s->heap->start;
    for (uint64_t i = start / c->s->page; i * c->s->page < start + area->reserved; i++) c->bits[i / 8] |= (uint8_t)(1u << (i % 8));
    return true;
}

/* The pages of the main thread's heaps now (all frozen: the newest epoch has no page yet). */
static uint8_t *snapshot_heap_pages(snapshot *s)
{
    uint64_t pages = s->heap->size / s->page;
    snapshot_pages_ctx c = {s, calloc((size_t)(pages + 7) / 8, 1)};
    if (!c.bits) return NULL;
    heap_visit(s->heap, false, snapshot_mark_area, &c);
    return c.bits;
}

/* ---- copying pages ---------------------------------------------------------------------------- */

static uint8_t *snapshot_shadow_of(const snapshot *s, uintptr_t at) { return s->shadow + (at - (uintptr_t)s->block->base); }

/* A page into the block, leaving out the holes that a restore to checkpoint `seq` must not touch. */
static void snapshot_put(snapshot *s, uint8_t *dst, const uint8_t *src, uint64_t seq)
{
    uint64_t off = (uint64_t)(dst - (uint8_t *)(uintptr_t)s->block->base);
    if (!s->hole_count || !snapshot_in_heap(s, (uintptr_t)dst)) {
        bytes_copy(dst, src, s->page);
        return;
    }
    for (uint64_t at = 0; at < s->page; at += 8) {
        bool hole = false;
        for (uint64_t k = 0; k < s->hole_count && !hole; k++) {
            const snapshot_hole *h = &s->holes[k];
            hole = seq < h->seq && off + at >= h->offset && off + at < h->offset + h->size;
        }
        if (!hole) bytes_copy(dst + at, src + at, 8);
    }
}

static void snapshot_undo_push(snapshot *s, snapshot_point *p, uintptr_t at)
{
    uint64_t rec = 8 + s->page;
    if (p->undo_pages == p->undo_cap) {
        uint64_t cap = p->undo_cap ? p->undo_cap * 2 : 256;
        uint8_t *grown = realloc(p->undo, (size_t)(cap * rec));
        if (!grown) {
            s->out_of_memory = true;
            return;
        }
        p->undo = grown;
        p->undo_cap = cap;
    }
    uint8_t *r = p->undo + p->undo_pages++ * rec;
    uint64_t off = at - (uintptr_t)s->block->base;
    memcpy(r, &off, 8);
    memcpy(r + 8, snapshot_shadow_of(s, at), (size_t)s->page);
}

typedef struct snapshot_pass {
    snapshot *s;
    snapshot_point *point; /* take: where undo records go; restore: NULL */
    const uint8_t *bits;   /* the heap pages covered */
    uint64_t seq;          /* restore: the target checkpoint's */
    uint64_t pages;
} snapshot_pass;

static void snapshot_run(void *ctx, uintptr_t start, uint64_t size)
{
    snapshot_pass *p = ctx;
    snapshot *s = p->s;
    uintptr_t first = start & ~(uintptr_t)(s->page - 1);
    for (uintptr_t at = first; at < start + size; at += s->page) {
        if (snapshot_in_heap(s, at) && !snapshot_heap_page(p->bits, s, at)) continue;
        uint8_t *shadow = snapshot_shadow_of(s, at);
        arena_os_commit(shadow, s->page);
        if (p->point) {
            snapshot_undo_push(s, p->point, at);
            bytes_copy(shadow, (const void *)at, s->page);
        } else {
            snapshot_put(s, (uint8_t *)at, shadow, p->seq);
        }
        p->pages++;
    }
}

static void snapshot_ignore(void *ctx, uintptr_t start, uint64_t size)
{
    (void)ctx;
    (void)start;
    (void)size;
}

/* Collects the tracker's record and hands this consumer's pages of every covered range to fn. */
static void snapshot_written(snapshot *s, dirty_run_fn *fn, void *ctx)
{
    dirty_range r[SNAPSHOT_RANGES];
    uint32_t n = snapshot_ranges(s, r);
    dirty_collect(s->dirty, r, n);
    for (uint32_t i = 0; i < n; i++) dirty_take(s->dirty, s->consumer, r[i].start, r[i].size, fn, ctx);
}

/* The first checkpoint: every covered byte into the shadow. */
static void snapshot_full(snapshot *s, const uint8_t *bits)
{
    dirty_range r[SNAPSHOT_RANGES];
    uint32_t n = snapshot_ranges(s, r);
    snapshot_pass p = {s, NULL, bits, 0, 0};
    for (uint32_t i = 0; i < n; i++) {
        for (uintptr_t at = r[i].start; at < r[i].start + r[i].size; at += s->page) {
            if (snapshot_in_heap(s, at) && !snapshot_heap_page(bits, s, at)) continue;
            uint8_t *shadow = snapshot_shadow_of(s, at);
            arena_os_commit(shadow, s->page);
            bytes_copy(shadow, (const void *)at, s->page);
            p.pages++;
        }
    }
    s->last_pages = p.pages;
    snapshot_written(s, snapshot_ignore, NULL); /* everything so far is in the shadow */
}

/* ---- checkpoints -------------------------------------------------------------------------------- */

bool snapshot_start(snapshot *s, block_header *block, heap_region *heap, epochs *e, dirty_tracker *dirty,
                    host_error *err)
{
    memset(s, 0, sizeof(*s));
    s->block = block;
    s->heap = heap;
    s->epochs = e;
    s->dirty = dirty;
    s->page = dirty_page_size(dirty);
    if (!dirty_consumer_add(dirty, &s->consumer, err)) return false;
    uint64_t at = block->base + SNAPSHOT_SHADOW_DISTANCE;
    if (!block_reserve(at, block->reserve, err)) return false;
    s->shadow = (uint8_t *)(uintptr_t)at;
    return true;
}

void snapshot_stop(snapshot *s)
{
    snapshot_drop_all(s);
    if (s->shadow) block_release((uint64_t)(uintptr_t)s->shadow, s->block->reserve);
    free(s->holes);
    s->shadow = NULL;
}

bool snapshot_take(snapshot *s, uint64_t frame, host_error *err)
{
    if (s->count == SNAPSHOT_MAX) snapshot_drop_oldest(s);
    snapshot_point *p = &s->points[s->count];
    memset(p, 0, sizeof(*p));
    if (!epochs_checkpoint(s->epochs, &p->heap, err)) return false;
    p->frame = frame;
    p->seq = ++s->seq;
    p->heap_pages = snapshot_heap_pages(s);
    s->count++;
    if (s->count == 1) {
        snapshot_full(s, p->heap_pages);
    } else {
        snapshot_pass pass = {s, p, p->heap_pages, 0, 0};
        snapshot_written(s, snapshot_run, &pass);
        s->last_pages = pass.pages;
    }
    s->last_bytes = s->last_pages * s->page * (s->count == 1 ? 1 : 2);
    return true;
}

static void snapshot_point_free(snapshot_point *p)
{
    free(p->undo);
    free(p->heap_pages);
    memset(p, 0, sizeof(*p));
}

/* A newer checkpoint's undo records: the block (and the shadow) as they were before it. */
static uint64_t snapshot_undo_apply(snapshot *s, const snapshot_point *p, uint64_t seq)
{
    uint64_t rec = 8 + s->page;
    for (uint64_t k = 0; k < p->undo_pages; k++) {
        const uint8_t *r = p->undo + k * rec;
        uint64_t off;
        memcpy(&off, r, 8);
        uint8_t *at = (uint8_t *)(uintptr_t)s->block->base + off;
        snapshot_put(s, at, r + 8, seq);
        snapshot_put(s, s->shadow + off, r + 8, seq);
    }
    return p->undo_pages;
}

void snapshot_restore(snapshot *s, uint32_t i)
{
    snapshot_point *target = &s->points[i];
    snapshot_pass pass = {s, NULL, s->points[s->count - 1].heap_pages, target->seq, 0};
    snapshot_written(s, snapshot_run, &pass);
    uint64_t pages = pass.pages;
    while (s->count > i + 1) {
        snapshot_point *p = &s->points[--s->count];
        pages += snapshot_undo_apply(s, p, target->seq);
        epochs_release_newest(s->epochs);
        snapshot_point_free(p);
    }
    epochs_restore(s->epochs, target->heap);
    snapshot_written(s, snapshot_ignore, NULL); /* what the restore wrote is the shadow already */
    for (int k = 0; k < CHECKSUM_ARENAS; k++) bytes_repoison(checksum_arena(s->block, k));
    s->last_pages = pages;
    s->last_bytes = pages * s->page;
}

/* A deferred free was carried out: the block's bytes changed under every live checkpoint. */
static void snapshot_freed(void *ctx, void *block, uint64_t size)
{
    snapshot *s = ctx;
    if (s->hole_count == s->hole_cap) {
        uint64_t cap = s->hole_cap ? s->hole_cap * 2 : 256;
        snapshot_hole *grown = realloc(s->holes, (size_t)cap * sizeof(*grown));
        if (!grown) {
            s->out_of_memory = true;
            return;
        }
        s->holes = grown;
        s->hole_cap = cap;
    }
    uint64_t off = (uint64_t)((uint8_t *)block - (uint8_t *)(uintptr_t)s->block->base);
    s->holes[s->hole_count++] = (snapshot_hole){s->seq + 1, off, size};
    arena_os_commit(s->shadow + off, size);
    bytes_copy(s->shadow + off, block, size);
}

void snapshot_drop_oldest(snapshot *s)
{
    if (!s->count) return;
    const epochs_mark *next = s->count > 1 ? &s->points[1].heap : NULL;
    uint32_t dropped = epochs_release(s->epochs, next, snapshot_freed, s);
    snapshot_point_free(&s->points[0]);
    memmove(&s->points[0], &s->points[1], (s->count - 1) * sizeof(s->points[0]));
    s->count--;
    if (s->count) {
        free(s->points[0].undo); /* the bytes as they were at the dropped checkpoint */
        s->points[0].undo = NULL;
        s->points[0].undo_pages = s->points[0].undo_cap = 0;
    }
    for (uint32_t k = 0; k < s->count; k++) s->points[k].heap.heap -= dropped;
    uint64_t keep = 0;
    for (uint64_t k = 0; k < s->hole_count; k++)
        if (s->count && s->holes[k].seq > s->points[0].seq) s->holes[keep++] = s->holes[k];
    s->hole_count = keep;
}

void snapshot_drop_all(snapshot *s)
{
    while (s->count) snapshot_drop_oldest(s);
}
