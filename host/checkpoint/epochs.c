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
    e->deferred_changes++;
}

/* ---- which blocks are held (heap_held_fn): asked only by walks that count live blocks, so the
 * deferred frees are sorted then, not kept in a set on every free ------------------------------ */

static int epochs_order(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return (x > y) - (x < y);
}

static bool epochs_held_sort(epochs *e)
{
    if (e->held_cap < e->deferred_count) {
        void **grown = realloc(e->held, (size_t)e->deferred_count * sizeof(void *));
        if (!grown) return false;
        e->held = grown;
        e->held_cap = e->deferred_count;
    }
    if (e->deferred_count) memcpy(e->held, e->deferred, (size_t)e->deferred_count * sizeof(void *));
    qsort(e->held, (size_t)e->deferred_count, sizeof(void *), epochs_order);
    e->held_count = e->deferred_count;
    e->held_changes = e->deferred_changes;
    return true;
}

static void epochs_lock(epochs *e)
{
    while (atomic_flag_test_and_set_explicit(&e->lock, memory_order_acquire)) {
    }
}

static void epochs_unlock(epochs *e) { atomic_flag_clear_explicit(&e->lock, memory_order_release); }

/* ---- the main thread's calls ------------------------------------------------------------------ */

/* Only a worker thread's heap leaves pages for the main thread's heaps to adopt: until one was
 * bound, every block of a heap born since a checkpoint is one the main thread allocated since. */
static bool epochs_adoption_possible(const epochs *e) { return atomic_load(&e->region->had_workers); }

/* A block the main thread allocated in the newest epoch, which no checkpoint needs. */
static bool epochs_young(const epochs *e, const void *p)
{
    const heap_region *r = e->region;
    return mi_heap_contains_block(r->heaps[r->heap_count - 1], p) &&
           (!epochs_adoption_possible(e) || blockset_has(&e->young, p));
}

static void epochs_free_now(epochs *e, void *p)
{
    blockset_remove(&e->young, p);
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
    bool main = heap_this_thread.main;
    void *p = heap_alloc_direct(size, align, flags);
    if (p && main && e->zero_slack) heap_zero_slack(p, size);
    if (!main) {
        atomic_fetch_add(&e->worker_allocs, 1);
        if (e->log) e->log->broken = true;
        return p;
    }
    /* not remembered (out of memory): the block counts as older, so it is never taken back */
    if (p && e->live && epochs_adoption_possible(e) && !blockset_add(&e->young, p)) e->out_of_memory = true;
    if (e->log) heap_log_alloc(e->log, e->region, size, align, p);
    return p;
}

/* mimalloc's realloc keeps a block in place when the new size is between half its usable size and
 * all of it, and otherwise allocates, copies and frees: the same here, through the watch calls, so
 * that an older block's free is deferred and a new block is zeroed and remembered. */
static void *epochs_watch_realloc(void *p, uint64_t size, int flags)
{
    epochs *e = epochs_active;
    if (heap_this_thread.main && !e->live) {
        void *q = heap_realloc_direct(p, size, flags);
        if (e->log) heap_log_realloc(e->log, e->region, p, size, q);
        return q;
    }
    uint64_t usable = mi_usable_size(p);
    if (size <= usable && size >= usable / 2) return p;
    void *q = epochs_watch_alloc(size, 0, flags);
    if (!q) return NULL;
    memcpy(q, p, (size_t)MIN(usable, size));
    heap_zero_slack(q, MIN(usable, size)); /* as heap_realloc does */
    epochs_watch_free(p);
    return q;
}

static bool epochs_watch_held(const void *p)
{
    epochs *e = epochs_active;
    if (e->held_changes != e->deferred_changes && !epochs_held_sort(e)) return false; /* out of memory: counted live */
    return e->held_count && bsearch(&p, e->held, (size_t)e->held_count, sizeof(void *), epochs_order) != NULL;
}

static void epochs_watch_event(const heap_region *r, heap_event what)
{
    epochs *e = epochs_active;
    if (r == e->region && e->log) heap_log_epoch(e->log, what == HEAP_EVENT_WALK ? HEAP_LOG_WALK : HEAP_LOG_SETTLE, 0);
}

static void epochs_watch_update(epochs *e)
{
    bool on = e->live || e->log;
    heap_watching.alloc = on ? epochs_watch_alloc : NULL;
    heap_watching.realloc = on ? epochs_watch_realloc : NULL;
    heap_watching.free = on ? epochs_watch_free : NULL;
    heap_watching.event = e->log ? epochs_watch_event : NULL;
    heap_watching.held = e->live ? epochs_watch_held : NULL;
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
    blockset_free(&e->young);
    free(e->held);
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

void epochs_zero_slack(epochs *e, bool on) { e->zero_slack = on; }

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
    m->deferred = e->deferred_done + e->deferred_count;
    e->live++;
    epochs_watch_update(e);
    return true;
}

/* The blocks of one heap. */
typedef struct epochs_blocks {
    void **p;
    uint64_t count, cap;
    bool failed;
} epochs_blocks;

static bool epochs_collect(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)area;
    (void)size;
    epochs_blocks *b = arg;
    if (block && !epochs_push(&b->p, &b->count, &b->cap, block)) b->failed = true;
    return !b->failed;
}

/* Heap i, born since the checkpoint a restore goes back to: every block allocated since is freed,
 * the whole heap at once when that is all it holds (and it is not the default), else one by one. */
static void epochs_take_back(epochs *e, uint32_t i)
{
    heap_region *r = e->region;
    epochs_blocks b = {0};
    mi_heap_visit_blocks(r->heaps[i], true, epochs_collect, &b);
    uint64_t adopted = 0;
    bool possible = epochs_adoption_possible(e);
    for (uint64_t k = 0; possible && k < b.count; k++) adopted += !blockset_has(&e->young, b.p[k]);
    if (!b.failed && !adopted && i + 1 < r->heap_count) {
        for (uint64_t k = 0; k < b.count; k++) blockset_remove(&e->young, b.p[k]);
        heap_epoch_destroy(r, i);
        if (e->log) heap_log_epoch(e->log, HEAP_LOG_EPOCH_DESTROY, i);
    } else {
        for (uint64_t k = 0; k < b.count; k++)
            if (!possible || blockset_has(&e->young, b.p[k])) epochs_free_now(e, b.p[k]);
        e->adopted += adopted;
    }
    free(b.p);
}

void epochs_restore(epochs *e, epochs_mark m)
{
    heap_region *r = e->region;
    epochs_drain(e);
    e->deferred_count = m.deferred - e->deferred_done;
    e->deferred_changes++;
    for (uint32_t i = r->heap_count - 1; i-- > m.heap;) epochs_take_back(e, i);
    /* the default last: a heap is destroyed only once another one is the default */
    bool fresh = heap_epoch_begin(r);
    if (fresh && e->log) heap_log_epoch(e->log, HEAP_LOG_EPOCH_BEGIN, 0);
    epochs_take_back(e, r->heap_count - (fresh ? 2 : 1));
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

uint64_t epochs_frees_at_release(epochs *e, const epochs_mark *next)
{
    epochs_drain(e);
    return next ? next->deferred - e->deferred_done : e->deferred_count;
}

uint32_t epochs_release(epochs *e, const epochs_mark *next, epochs_freed_fn *fn, void *ctx)
{
    uint64_t upto = epochs_frees_at_release(e, next);
    for (uint64_t i = 0; i < upto; i++) {
        void *p = e->deferred[i];
        uint64_t size = mi_usable_size(p);
        epochs_free_now(e, p);
        if (fn) fn(ctx, p, size);
    }
    if (upto) memmove(e->deferred, e->deferred + upto, (size_t)(e->deferred_count - upto) * sizeof(void *));
    e->deferred_count -= upto;
    e->deferred_done += upto;
    e->deferred_changes++;
    if (--e->live == 0) blockset_clear(&e->young); /* every block is older than any checkpoint to come */
    uint32_t below = next ? next->heap : e->region->heap_count - 1, dropped = 0;
    for (uint32_t i = 0; i + dropped < below;) {
        if (!epochs_heap_empty(e->region, i)) {
            i++;
            continue;
        }
        heap_epoch_destroy(e->region, i);
        if (e->log) heap_log_epoch(e->log, HEAP_LOG_EPOCH_DESTROY, i);
        dropped++;
    }
    epochs_watch_update(e);
    return dropped;
}
