/* snapshot.c - checkpoints through a shadow copy and undo records (snapshot.h). */
#include "snapshot.h"
#include "../os/block_os.h"
#include "bytes.h"
#include "checksum.h"

#include <stdlib.h>
#include <string.h>

#define SNAPSHOT_SHADOW_DISTANCE 0x100000000000ull /* the shadow sits this far above the block, the ring twice */
#define SNAPSHOT_MEDIA_RANGE (SNAPSHOT_RANGES - 2)
#define SNAPSHOT_HEAP_RANGE (SNAPSHOT_RANGES - 1)
#define SNAPSHOT_RING_AHEAD 1024 /* records touched past the ring's head, at least */
#define SNAPSHOT_HEAP_AHEAD_EVERY 64 /* snapshot_ahead calls between two walks of the heap's pages */
#define SNAPSHOT_PAGE_MAX 65536 /* the largest page checkpoints copy (snapshot_put maps its words) */

_Static_assert(SNAPSHOT_RANGES == 3 + CHECKSUM_ARENAS, "the header, the arenas, the media region, the heap");

/* ---- what is covered ------------------------------------------------------------------------- */

static void snapshot_ranges(const snapshot *s, dirty_range out[SNAPSHOT_RANGES])
{
    const block_header *b = s->block;
    out[0] = (dirty_range){(uintptr_t)b->base, BLOCK_HEADER_SIZE};
    for (int i = 0; i < CHECKSUM_ARENAS; i++) {
        const arena *a = checksum_arena(b, i);
        out[1 + i] = (dirty_range){(uintptr_t)a, (uint64_t)(a->base - (const uint8_t *)a) + a->committed};
    }
    out[SNAPSHOT_MEDIA_RANGE] = (dirty_range){s->media_start, s->media_committed ? *s->media_committed : 0};
    out[SNAPSHOT_HEAP_RANGE] = (dirty_range){(uintptr_t)s->heap->start, s->heap->size};
}

static bool snapshot_in_heap(const snapshot *s, uintptr_t at)
{
    return at >= (uintptr_t)s->heap->start && at < (uintptr_t)s->heap->start + s->heap->size;
}

static uint64_t snapshot_heap_index(const snapshot *s, uintptr_t at) { return (at - (uintptr_t)s->heap->start) / s->page; }

static bool snapshot_bit(const uint8_t *bits, uint64_t i) { return bits && (bits[i / 8] >> (i % 8)) & 1; }

static uint64_t snapshot_bitmap_size(const snapshot *s) { return (s->heap->size / s->page + 7) / 8; }

typedef struct snapshot_pages_ctx {
    const snapshot *s;
    uint8_t *bits;
    uint64_t end; /* the highest page end, as an offset in the region */
} snapshot_pages_ctx;

static bool snapshot_mark_area(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)block;
    (void)size;
    snapshot_pages_ctx *c = arg;
    uint64_t page = c->s->page, start = (uint64_t)((uintptr_t)area->blocks - (uintptr_t)c->s->heap->start);
    uint64_t end = (start + area->reserved + page - 1) / page * page;
    for (uint64_t i = start / page; c->bits && i * page < end; i++) c->bits[i / 8] |= (uint8_t)(1u << (i % 8));
    c->end = MAX(c->end, end);
    return true;
}

static bool snapshot_mark_used_area(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    return area->used == 0 || snapshot_mark_area(h, area, block, size, arg);
}

/* The pages of the main thread's heaps now that `mark` marks (NULL when out of memory), and where
 * the last one ends. */
static uint8_t *snapshot_pages_now(snapshot *s, mi_block_visit_fun *mark, uint64_t *end)
{
    snapshot_pages_ctx c = {s, calloc((size_t)snapshot_bitmap_size(s), 1), 0};
    if (c.bits) heap_visit(s->heap, false, mark, &c);
    *end = c.end;
    return c.bits;
}

/* Every page of the main thread's heaps. */
static uint8_t *snapshot_heap_pages(snapshot *s, uint64_t *end) { return snapshot_pages_now(s, snapshot_mark_area, end); }

/* The pages of the main thread's heaps that hold a block. */
static uint8_t *snapshot_used_pages(snapshot *s)
{
    uint64_t end;
    return snapshot_pages_now(s, snapshot_mark_used_area, &end);
}

/* ---- touching ahead ---------------------------------------------------------------------------- */

static uint8_t *snapshot_shadow_of(const snapshot *s, uintptr_t at) { return s->shadow + (at - (uintptr_t)s->block->base); }

/* The shadow of range i from its start up to `extent` bytes. */
static void snapshot_touch(snapshot *s, int i, uintptr_t start, uint64_t extent)
{
    if (extent <= s->touched[i]) return;
    uint64_t from = s->touched[i] & ~(s->page - 1);
    if (block_prefault((uint64_t)(uintptr_t)snapshot_shadow_of(s, start + from), extent - from)) s->touched[i] = extent;
    else s->out_of_memory = true;
}

static uint64_t snapshot_record_size(const snapshot *s) { return 8 + s->page; }

static void snapshot_ring_ahead(snapshot *s, uint64_t records)
{
    uint64_t want = MIN(s->undo_head + records, s->undo_cap);
    if (want <= s->undo_touched) return;
    uint64_t rec = snapshot_record_size(s);
    if (block_prefault((uint64_t)(uintptr_t)(s->undo + s->undo_touched * rec), (want - s->undo_touched) * rec))
        s->undo_touched = want;
}

static void snapshot_heap_ahead(snapshot *s)
{
    snapshot_pages_ctx c = {s, NULL, 0};
    heap_visit(s->heap, false, snapshot_mark_area, &c);
    snapshot_touch(s, SNAPSHOT_HEAP_RANGE, (uintptr_t)s->heap->start, c.end);
}

/* The shadow of the header, the arenas and the media region, up to what they use now: a copy
 * writes it, and a restore reads it for every page written since, grown ones too (on Windows an
 * untouched shadow page is not even committed). */
static void snapshot_touch_ranges(snapshot *s)
{
    dirty_range r[SNAPSHOT_RANGES];
    snapshot_ranges(s, r);
    for (int i = 0; i < SNAPSHOT_HEAP_RANGE; i++) snapshot_touch(s, i, r[i].start, r[i].size);
}

void snapshot_ahead(snapshot *s)
{
    snapshot_touch_ranges(s);
    if (s->aheads++ % SNAPSHOT_HEAP_AHEAD_EVERY == 0) snapshot_heap_ahead(s);
    snapshot_ring_ahead(s, MAX(SNAPSHOT_RING_AHEAD, 2 * s->last_pages));
}

/* ---- the pages a checkpoint copies ------------------------------------------------------------- */

static void snapshot_pages_add(snapshot *s, snapshot_pages *l, uintptr_t at)
{
    if (l->count == l->cap) {
        uint64_t cap = l->cap ? l->cap * 2 : 4096;
        uintptr_t *grown = realloc(l->at, (size_t)cap * sizeof(*grown));
        if (!grown) {
            s->out_of_memory = true;
            return;
        }
        l->at = grown;
        l->cap = cap;
    }
    l->at[l->count++] = at;
}

typedef struct snapshot_lister {
    snapshot *s;
    const uint8_t *now; /* heap pages covered now */
} snapshot_lister;

/* A run of written pages: each covered then and now is `written`; heap pages covered now only are
 * listed with every other newly covered page (snapshot_list_fresh). */
static void snapshot_list_run(void *ctx, uintptr_t start, uint64_t size)
{
    snapshot_lister *l = ctx;
    snapshot *s = l->s;
    for (uintptr_t at = start & ~(uintptr_t)(s->page - 1); at < start + size; at += s->page) {
        if (snapshot_in_heap(s, at)) {
            uint64_t i = snapshot_heap_index(s, at);
            if (!snapshot_bit(l->now, i) || !snapshot_bit(s->covered, i)) continue;
        }
        snapshot_pages_add(s, &s->written, at);
    }
}

static void snapshot_ignore(void *ctx, uintptr_t start, uint64_t size)
{
    (void)ctx;
    (void)start;
    (void)size;
}

/* Collects the tracker's record (or, `gather`, reads it and leaves it) and hands this consumer's
 * pages of every covered range to fn. Called with the tracker's watch paused (dirty.h). */
static void snapshot_pages_written(snapshot *s, bool gather, dirty_run_fn *fn, void *ctx)
{
    dirty_range r[SNAPSHOT_RANGES];
    snapshot_ranges(s, r);
    if (gather) dirty_gather(s->dirty, r, SNAPSHOT_RANGES);
    else dirty_collect(s->dirty, r, SNAPSHOT_RANGES);
    for (int i = 0; i < SNAPSHOT_RANGES; i++) dirty_take(s->dirty, s->consumer, r[i].start, r[i].size, fn, ctx);
}

static void snapshot_written(snapshot *s, dirty_run_fn *fn, void *ctx) { snapshot_pages_written(s, false, fn, ctx); }

/* Heap pages covered now and not at the newest checkpoint (all of them with no valid shadow). */
static void snapshot_list_fresh(snapshot *s, const uint8_t *now)
{
    uint64_t pages = s->heap->size / s->page;
    for (uint64_t i = 0; i < pages; i++)
        if (snapshot_bit(now, i) && !snapshot_bit(s->covered, i))
            snapshot_pages_add(s, &s->fresh, (uintptr_t)s->heap->start + i * s->page);
}

/* Every covered page of the header and the arenas, for the first checkpoint. */
static void snapshot_list_all(snapshot *s)
{
    dirty_range r[SNAPSHOT_RANGES];
    snapshot_ranges(s, r);
    for (int i = 0; i < SNAPSHOT_HEAP_RANGE; i++)
        for (uintptr_t at = r[i].start; at < r[i].start + r[i].size; at += s->page) snapshot_pages_add(s, &s->fresh, at);
}

static void snapshot_list(snapshot *s, const uint8_t *now)
{
    s->written.count = s->fresh.count = 0;
    if (!s->shadow_valid) {
        memset(s->covered, 0, (size_t)snapshot_bitmap_size(s));
        snapshot_written(s, snapshot_ignore, NULL); /* all of it goes into the shadow */
        snapshot_list_all(s);
    } else {
        snapshot_lister l = {s, now};
        snapshot_written(s, snapshot_list_run, &l);
    }
    snapshot_list_fresh(s, now);
}

/* ---- copying pages ---------------------------------------------------------------------------- */

static int snapshot_hole_order(const void *a, const void *b)
{
    uint64_t x = ((const snapshot_hole *)a)->offset, y = ((const snapshot_hole *)b)->offset;
    return (x > y) - (x < y);
}

/* The holes by offset, for snapshot_put's search: a game's worker can leave hundreds of thousands
 * (frees carried out as checkpoints drop), and a look at each for every word of a page froze a
 * restore. */
static void snapshot_holes_sort(snapshot *s)
{
    if (s->holes_sorted) return;
    if (s->hole_count) qsort(s->holes, (size_t)s->hole_count, sizeof(*s->holes), snapshot_hole_order);
    s->hole_max = 0;
    for (uint64_t k = 0; k < s->hole_count; k++) s->hole_max = MAX(s->hole_max, s->holes[k].size);
    s->holes_sorted = true;
}

/* The first sorted hole that can reach offset `off`: every one before it ends before `off`. */
static uint64_t snapshot_hole_first(const snapshot *s, uint64_t off)
{
    uint64_t from = off > s->hole_max ? off - s->hole_max : 0, lo = 0, hi = s->hole_count;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (s->holes[mid].offset < from) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* A page into the block, leaving out the holes that a restore to checkpoint `seq` must not touch. */
static void snapshot_put(snapshot *s, uint8_t *dst, const uint8_t *src, uint64_t seq)
{
    uint64_t off = (uint64_t)(dst - (uint8_t *)(uintptr_t)s->block->base);
    if (!s->hole_count || !snapshot_in_heap(s, (uintptr_t)dst)) {
        bytes_copy(dst, src, s->page);
        return;
    }
    snapshot_holes_sort(s);
    uint64_t skip[SNAPSHOT_PAGE_MAX / 512] = {0}; /* a bit per word of the page */
    for (uint64_t k = snapshot_hole_first(s, off); k < s->hole_count && s->holes[k].offset < off + s->page; k++) {
        const snapshot_hole *h = &s->holes[k];
        if (seq >= h->seq || h->offset + h->size <= off) continue;
        uint64_t from = MAX(h->offset, off) - off, to = MIN(h->offset + h->size, off + s->page) - off;
        for (uint64_t w = (from + 7) / 8; w * 8 < to; w++) skip[w / 64] |= 1ull << (w % 64);
    }
    for (uint64_t w = 0; w < s->page / 8; w++)
        if (!(skip[w / 64] >> (w % 64) & 1)) bytes_copy(dst + w * 8, src + w * 8, 8);
}

static uint8_t *snapshot_record(const snapshot *s, uint64_t k) { return s->undo + (k % s->undo_cap) * snapshot_record_size(s); }

/* The shadow's bytes of the page at `at` (the previous checkpoint's) into the ring's next record. */
static void snapshot_undo_push(snapshot *s, uintptr_t at)
{
    uint8_t *r = snapshot_record(s, s->undo_head++);
    uint64_t off = at - (uintptr_t)s->block->base;
    memcpy(r, &off, 8);
    memcpy(r + 8, snapshot_shadow_of(s, at), (size_t)s->page);
}

/* The checkpoint's copies, the shadow touched first (up to heap_end in the heap) so that none of
 * them faults. */
static void snapshot_copy(snapshot *s, snapshot_point *p, bool undo, uint64_t heap_end)
{
    snapshot_touch_ranges(s);
    snapshot_touch(s, SNAPSHOT_HEAP_RANGE, (uintptr_t)s->heap->start, heap_end);
    if (undo) snapshot_ring_ahead(s, s->written.count);
    for (uint64_t k = 0; k < s->written.count; k++) {
        uintptr_t at = s->written.at[k];
        if (undo) snapshot_undo_push(s, at);
        bytes_copy(snapshot_shadow_of(s, at), (const void *)at, s->page);
    }
    p->undo_pages = s->undo_head - p->undo_first;
    for (uint64_t k = 0; k < s->fresh.count; k++)
        bytes_copy(snapshot_shadow_of(s, s->fresh.at[k]), (const void *)s->fresh.at[k], s->page);
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
    if (s->page > SNAPSHOT_PAGE_MAX)
        return host_fail(err, "pages of %llu bytes are larger than checkpoints handle (%d)",
                         (unsigned long long)s->page, SNAPSHOT_PAGE_MAX);
    if (!dirty_consumer_add(dirty, &s->consumer, err)) return false;
    s->covered = calloc((size_t)snapshot_bitmap_size(s), 1);
    if (!s->covered) return host_fail(err, "out of memory for the checkpoints' page map");
    uint64_t at = block->base + SNAPSHOT_SHADOW_DISTANCE;
    if (!block_reserve(at, block->reserve, err)) return false;
    s->shadow = (uint8_t *)(uintptr_t)at;
    s->undo_cap = block->reserve / snapshot_record_size(s);
    if (!block_reserve(at + SNAPSHOT_SHADOW_DISTANCE, s->undo_cap * snapshot_record_size(s), err)) {
        block_release(at, block->reserve);
        s->shadow = NULL;
        return false;
    }
    s->undo = (uint8_t *)(uintptr_t)(at + SNAPSHOT_SHADOW_DISTANCE);
    return true;
}

void snapshot_cover_media(snapshot *s, uintptr_t start, const uint64_t *committed)
{
    s->media_start = start;
    s->media_committed = committed;
}

void snapshot_stop(snapshot *s)
{
    snapshot_drop_all(s);
    if (s->shadow) block_release((uint64_t)(uintptr_t)s->shadow, s->block->reserve);
    if (s->undo) block_release((uint64_t)(uintptr_t)s->undo, s->undo_cap * snapshot_record_size(s));
    free(s->holes);
    free(s->covered);
    free(s->written.at);
    free(s->fresh.at);
    memset(s, 0, sizeof(*s));
}

static uint64_t snapshot_ring_room(const snapshot *s) { return s->undo_cap - (s->undo_head - s->undo_tail); }

static bool snapshot_take_paused(snapshot *s, uint64_t frame, host_error *err)
{
    if (s->count == SNAPSHOT_MAX) snapshot_drop_oldest(s);
    epochs_drain(s->epochs);
    heap_epoch_settle(s->heap); /* the older heaps' pages change no more after this */
    uint64_t heap_end;
    uint8_t *now = snapshot_heap_pages(s, &heap_end);
    if (!now) return host_fail(err, "out of memory for a checkpoint's page map");
    snapshot_point *p = &s->points[s->count];
    memset(p, 0, sizeof(*p));
    p->undo_first = s->undo_head; /* where the ring's records end while older checkpoints are dropped */
    if (!epochs_checkpoint(s->epochs, &p->heap, err)) {
        free(now);
        return false;
    }
    p->frame = frame;
    p->seq = ++s->seq;
    p->heap_pages = now;
    s->count++;
    snapshot_list(s, now);
    while (s->count > 1 && snapshot_ring_room(s) < s->written.count) snapshot_drop_oldest(s);
    p = &s->points[s->count - 1]; /* moved down with every checkpoint dropped */
    snapshot_copy(s, p, s->count > 1, heap_end);
    memcpy(s->covered, now, (size_t)snapshot_bitmap_size(s));
    s->shadow_valid = true;
    s->last_pages = s->written.count + s->fresh.count;
    s->last_bytes = (s->last_pages + p->undo_pages) * s->page;
    return true;
}

bool snapshot_take(snapshot *s, uint64_t frame, host_error *err)
{
    dirty_watch_pause(s->dirty); /* its rounds collect too: none while this one does */
    bool ok = snapshot_take_paused(s, frame, err);
    dirty_watch_resume(s->dirty);
    return ok;
}

/* A newer checkpoint's undo records: the block (and the shadow) as they were before it. */
static uint64_t snapshot_undo_apply(snapshot *s, const snapshot_point *p, uint64_t seq)
{
    for (uint64_t k = p->undo_first; k < p->undo_first + p->undo_pages; k++) {
        const uint8_t *r = snapshot_record(s, k);
        uint64_t off;
        memcpy(&off, r, 8);
        snapshot_put(s, (uint8_t *)(uintptr_t)s->block->base + off, r + 8, seq);
        snapshot_put(s, s->shadow + off, r + 8, seq);
    }
    return p->undo_pages;
}

typedef struct snapshot_restorer {
    snapshot *s;
    uint64_t seq;   /* the target checkpoint's */
    uint64_t pages;
} snapshot_restorer;

/* A run written since the newest checkpoint: its pages covered then get the shadow's bytes back. */
static void snapshot_restore_run(void *ctx, uintptr_t start, uint64_t size)
{
    snapshot_restorer *r = ctx;
    snapshot *s = r->s;
    for (uintptr_t at = start & ~(uintptr_t)(s->page - 1); at < start + size; at += s->page) {
        if (snapshot_in_heap(s, at) && !snapshot_bit(s->covered, snapshot_heap_index(s, at))) continue;
        snapshot_put(s, (uint8_t *)at, snapshot_shadow_of(s, at), r->seq);
        r->pages++;
    }
}

static void snapshot_point_free(snapshot_point *p)
{
    free(p->heap_pages);
    memset(p, 0, sizeof(*p));
}

void snapshot_restore(snapshot *s, uint32_t i)
{
    dirty_watch_pause(s->dirty);
    snapshot_point *target = &s->points[i];
    snapshot_restorer r = {s, target->seq, 0};
    snapshot_touch_ranges(s); /* a range that grew since: its new pages get the shadow's zeros */
    /* the pages written since stay writable while the shadow goes back over them (no fault each);
     * the collection at the end protects them again */
    snapshot_pages_written(s, true, snapshot_restore_run, &r);
    uint64_t pages = r.pages;
    while (s->count > i + 1) {
        snapshot_point *p = &s->points[--s->count];
        pages += snapshot_undo_apply(s, p, target->seq);
        s->undo_head = p->undo_first;
        epochs_release_newest(s->epochs);
        snapshot_point_free(p);
    }
    epochs_restore(s->epochs, target->heap);
    snapshot_written(s, snapshot_ignore, NULL); /* what the restore wrote is the shadow already */
    memcpy(s->covered, target->heap_pages, (size_t)snapshot_bitmap_size(s));
    for (int k = 0; k < CHECKSUM_ARENAS; k++) bytes_repoison(checksum_arena(s->block, k));
    s->last_pages = pages;
    s->last_bytes = pages * s->page;
    dirty_watch_resume(s->dirty);
}

/* Bytes [off, off + size) of the block changed under every live checkpoint: restores leave them. */
static bool snapshot_hole_add(snapshot *s, uint64_t off, uint64_t size)
{
    if (s->hole_count == s->hole_cap) {
        uint64_t cap = s->hole_cap ? s->hole_cap * 2 : 256;
        snapshot_hole *grown = realloc(s->holes, (size_t)cap * sizeof(*grown));
        if (!grown) {
            s->out_of_memory = true;
            return false;
        }
        s->holes = grown;
        s->hole_cap = cap;
    }
    s->holes[s->hole_count++] = (snapshot_hole){s->seq + 1, off, size};
    s->holes_sorted = false;
    return true;
}

/* A deferred free was carried out: the block's bytes changed under every live checkpoint. */
static void snapshot_freed(void *ctx, void *block, uint64_t size)
{
    snapshot *s = ctx;
    uint64_t off = (uint64_t)((uint8_t *)block - (uint8_t *)(uintptr_t)s->block->base);
    if (snapshot_hole_add(s, off, size)) bytes_copy(s->shadow + off, block, size);
}

/* Pages that held blocks before a drop's frees and hold none after: mimalloc may hand them to the
 * newest heap, whose blocks and free lists no restore may write the old bytes over (the heap a
 * restore takes back would walk them). Each becomes a hole for every live checkpoint, and a page
 * the next checkpoint sees as new. */
static void snapshot_hole_emptied(snapshot *s, const uint8_t *before)
{
    uint8_t *after = snapshot_used_pages(s);
    if (!after) {
        s->out_of_memory = true;
        return;
    }
    uint64_t heap_off = (uint64_t)((uintptr_t)s->heap->start - (uintptr_t)s->block->base), bytes = snapshot_bitmap_size(s);
    for (uint64_t b = 0; b < bytes; b++) {
        uint8_t emptied = (uint8_t)(before[b] & ~after[b]);
        for (int k = 0; emptied && k < 8; k++)
            if (emptied >> k & 1) snapshot_hole_add(s, heap_off + (b * 8 + (uint64_t)k) * s->page, s->page);
        s->covered[b] &= (uint8_t)~emptied;
        for (uint32_t i = 0; emptied && i < s->count; i++) s->points[i].heap_pages[b] &= (uint8_t)~emptied;
    }
    free(after);
}

void snapshot_drop_oldest(snapshot *s)
{
    if (!s->count) return;
    const epochs_mark *next = s->count > 1 ? &s->points[1].heap : NULL;
    bool frees = epochs_frees_at_release(s->epochs, next) > 0;
    uint8_t *before = frees ? snapshot_used_pages(s) : NULL;
    if (frees && !before) s->out_of_memory = true;
    uint32_t dropped = epochs_release(s->epochs, next, snapshot_freed, s);
    if (before) snapshot_hole_emptied(s, before);
    free(before);
    snapshot_point_free(&s->points[0]);
    memmove(&s->points[0], &s->points[1], (s->count - 1) * sizeof(s->points[0]));
    s->count--;
    if (s->count) s->points[0].undo_pages = 0; /* the bytes as they were at the dropped checkpoint */
    s->undo_tail = s->count > 1 ? s->points[1].undo_first : s->undo_head;
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
