/* epochs.c - epochs, deferred frees and the watch calls (epochs.h). */
#include "epochs.h"

#include <stdlib.h>
#include <string.h>

static epochs *epochs_active; /* the watch calls take no context */

/* ---- the lists ---------------------------------------------------------------------------------- */

static bool epochs_push(void ***list, uint64_t *count, uint64_t *cap, void *p)
{
    if (*count == *cap) {
        uint64_t n = *cap ? *cap * 2 : 4096;
        void **grown = realloc(*list, (size_t)n * sizeof(void *));
        if (!grown) return false;
        *list = grown;
        *cap = n;
    }
    (*list)[(*count)++] = p;
    return true;
}

static void epochs_defer(epochs *e, void *p)
{
    if (!epochs_push(&e->deferred, &e->deferred_count, &e->deferred_cap, p)) e->out_of_memory = true;
}

static void epochs_lock(epochs *e)
{
    while (atomic_flag_test_and_set_explicit(&e->lock, memory_order_acquire)) {
    }
}

static void epochs_unlock(epochs *e) { atomic_flag_clear_explicit(&e->lock, memory_order_release); }

/* ---- the main thread's calls ------------------------------------------------------------------ */

/* A block of the newest epoch, which no checkpoint needs. */
static bool epochs_young(const epochs *e, const void *p)
{
    const heap_region *r = e->region;
    return r->heap_count && mi_heap_contains_block(r->heaps[r->heap_count - 1], p);
}

static void epochs_free_now(epochs *e, void *p)
{
    mi_free(p);
    if (e->log) heap_log_free(e->log, e->region, p);
}

static void epochs_free_main(epochs *e, void *p)
{
    if (e->live && !epochs_young(e, p)) epochs_defer(e, p);
    else epochs_free_now(e, p);
}

static void epochs_watch_free(void *p)
{
    epochs *e = epochs_active;
    if (!p) return;
    if (heap_this_thread.main) {
        epochs_free_main(e, p);
        return;
    }
    epochs_lock(e);
    bool queued = epochs_push(&e->queued, &e->queued_count, &e->queued_cap, p);
    epochs_unlock(e);
    if (!queued) e->out_of_memory = true; /* a leak, never a free the log or a checkpoint misses */
}

static void *epochs_watch_alloc(uint64_t size, uint64_t align, int flags)
{
    epochs *e = epochs_active;
    void *p = heap_alloc_direct(size, align, flags);
    if (!heap_this_thread.main) {
        atomic_fetch_add(&e->worker_allocs, 1);
        if (e->log) e->log->broken = true;
    } else if (e->log) {
        heap_log_alloc(e->log, e->region, size, align, p);
    }
    return p;
}

/* mimalloc's realloc keeps a block in place when the new size is between half its usable size and
 * all of it; an older block elsewhere moves, so that its epoch's pages do not change. */
static void *epochs_watch_realloc(void *p, uint64_t size, int flags)
{
    epochs *e = epochs_active;
    bool main = heap_this_thread.main;
    if (main && !(e->live && !epochs_young(e, p))) {
        void *q = heap_realloc_direct(p, size, flags);
        if (e->log) heap_log_realloc(e->log, e->region, p, size, q);
        return q;
    }
    uint64_t usable = mi_usable_size(p);
    if (size <= usable && size >= usable / 2) return p;
    void *q = epochs_watch_alloc(size, 0, flags);
    if (!q) return NULL;
    memcpy(q, p, (size_t)MIN(usable, size));
    epochs_watch_free(p);
    return q;
}

static void epochs_watch_update(epochs *e)
{
    bool on = e->live || e->log;
    heap_watching.alloc = e->log ? epochs_watch_alloc : NULL;
    heap_watching.realloc = on ? epochs_watch_realloc : NULL;
    heap_watching.free = on ? epochs_watch_free : NULL;
}

/* ---- start and stop ----------------------------------------------------------------------------- */

void epochs_start(epochs *e, heap_region *r)
{
    memset(e, 0, sizeof(*e));
    atomic_flag_clear(&e->lock);
    e->region = r;
    epochs_active = e;
}

void epochs_stop(epochs *e)
{
    memset(&heap_watching, 0, sizeof(heap_watching));
    free(e->deferred);
    free(e->queued);
    epochs_active = NULL;
    memset(e, 0, sizeof(*e));
}

void epochs_log(epochs *e, heap_log *log)
{
    e->log = log;
    epochs_watch_update(e);
}

void epochs_drain(epochs *e)
{
    epochs_lock(e);
    uint64_t n = e->queued_count;
    for (uint64_t i = 0; i < n; i++) epochs_free_main(e, e->queued[i]);
    e->queued_count = 0;
    epochs_unlock(e);
}

/* ---- checkpoints -------------------------------------------------------------------------------- */

bool epochs_checkpoint(epochs *e, epochs_mark *m, host_error *err)
{
    epochs_drain(e);
    if (!heap_epoch_begin(e->region))
        return host_fail(err, "mimalloc cannot start another heap (%u alive); drop checkpoints or rewind less far",
                         e->region->heap_count);
    if (e->log) heap_log_epoch(e->log, HEAP_LOG_EPOCH_BEGIN, 0);
    m->heap = e->region->heap_count - 1;
    m->deferred = e->deferred_count;
    e->live++;
    epochs_watch_update(e);
    return true;
}

void epochs_restore(epochs *e, epochs_mark m)
{
    epochs_drain(e);
    heap_epoch_destroy_from(e->region, m.heap);
    if (e->log) heap_log_epoch(e->log, HEAP_LOG_EPOCH_DESTROY_FROM, m.heap);
    e->deferred_count = m.deferred;
}

void epochs_release_newest(epochs *e)
{
    e->live--;
    epochs_watch_update(e);
}

/* Heap i holds no block (its pages, not its blocks, are walked). */
static bool epochs_heap_used(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)block;
    (void)size;
    *(bool *)arg = area->used > 0;
    return area->used == 0;
}

static bool epochs_heap_empty(const heap_region *r, uint32_t i)
{
    bool used = false;
    mi_heap_visit_blocks(r->heaps[i], false, epochs_heap_used, &used);
    return !used;
}

uint32_t epochs_release(epochs *e, const epochs_mark *next, epochs_freed_fn *fn, void *ctx)
{
    epochs_drain(e);
    uint64_t upto = next ? next->deferred : e->deferred_count;
    for (uint64_t i = 0; i < upto; i++) {
        void *p = e->deferred[i];
        uint64_t size = mi_usable_size(p);
        epochs_free_now(e, p);
        if (fn) fn(ctx, p, size);
    }
    memmove(e->deferred, e->deferred + upto, (size_t)(e->deferred_count - upto) * sizeof(void *));
    e->deferred_count -= upto;
    e->live--;
    uint32_t below = next ? next->heap : e->region->heap_count - 1, dropped = 0;
    for (uint32_t i = 0; i + dropped < below;) {
        if (!epochs_heap_empty(e->region, i)) {
            i++;
            continue;
        }
        heap_epoch_drop(e->region, i);
        if (e->log) heap_log_epoch(e->log, HEAP_LOG_EPOCH_DROP, i);
        dropped++;
    }
    epochs_watch_update(e);
    return dropped;
}
