/* heap.c - the block's heap on top of a mimalloc exclusive arena. */
#include "heap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef ARENA_ABORT
#define ARENA_ABORT() abort()
#endif

_Thread_local heap_binding heap_this_thread;
heap_watch heap_watching;

/* mimalloc calls this where it is about to return NULL for want of memory (ENOMEM) or for an
 * impossible size (EOVERFLOW). On a bound thread outside a try_ call that is the fatal line. */
static void heap_on_error(int err, void *arg)
{
    (void)arg;
    heap_binding *t = &heap_this_thread;
    if ((err != ENOMEM && err != EOVERFLOW) || !t->region || t->quiet) return;
    uint64_t align = t->align;
    t->align = 0; /* the crash guard may catch the abort and jump past heap_call_end */
    heap_fail(t->region, t->request, align, HEAP_FATAL);
}

heap_status heap_region_init(heap_region *r, void *start, uint64_t size, bool committed, const char *name)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name ? name : "heap");
    if ((uintptr_t)start % HEAP_REGION_ALIGN) return HEAP_MISALIGNED;
    if (size == 0 || size % HEAP_REGION_ALIGN) return HEAP_BAD_SIZE;
    mi_arena_id_t id;
    /* is_zero: fresh reserved or NORESERVE pages read as zero */
    if (!mi_manage_os_memory_ex(start, (size_t)size, committed, false, true, -1, true, &id)) return HEAP_REFUSED;
    r->start = start;
    r->size = size;
    r->arena_id = id;
    mi_register_error(heap_on_error, NULL);
    r->main = heap_thread_bind(r);
    if (!r->main) return HEAP_REFUSED;
    r->heaps[r->heap_count++] = r->main;
    heap_this_thread.main = true;
    return HEAP_OK;
}

const char *heap_status_text(heap_status s)
{
    switch (s) {
    case HEAP_OK: return "ok";
    case HEAP_MISALIGNED: return "the heap region must start at a multiple of 32 MiB";
    case HEAP_BAD_SIZE: return "the heap region must be a non-zero multiple of 32 MiB";
    case HEAP_REFUSED: return "mimalloc refused the heap region";
    }
    return "unknown heap status";
}

struct mi_heap_s *heap_thread_bind(heap_region *r)
{
    mi_heap_t *h = mi_heap_new_in_arena(r->arena_id);
    if (!h) return NULL;
    if (heap_this_thread.main) {
        if (r->heap_count == HEAP_HEAPS_MAX) return mi_heap_destroy(h), NULL;
        r->heaps[r->heap_count++] = h;
    } else if (r->heaps[0]) { /* heaps[0] is set once the main thread is bound */
        atomic_store(&r->had_workers, true);
    }
    mi_heap_set_default(h);
    heap_this_thread.region = r;
    return h;
}

void heap_thread_unbind(void)
{
    mi_heap_set_default(mi_heap_get_backing());
    heap_this_thread.region = NULL; /* main stays: bound again, the thread's new heap is the region's newest */
}

struct mi_heap_s *heap_thread_pause(void) { return mi_heap_set_default(mi_heap_get_backing()); }

void heap_thread_resume(struct mi_heap_s *heap) { mi_heap_set_default(heap); }

BASE_NOINLINE void *heap_fail(heap_region *r, uint64_t size, uint64_t align, int flags)
{
    r->failure.count++;
    r->failure.request = size;
    r->failure.align = align;
    r->failure.capacity = r->size;
    if (!(flags & HEAP_FATAL)) return NULL;
    fprintf(stderr,
            "heap '%s' full: allocation of %llu bytes (align %llu) does not fit in the %llu-byte heap region; "
            "give it more with --heap SIZE or use the try_ variant where running out is expected\n",
            r->name, (unsigned long long)size, (unsigned long long)align, (unsigned long long)r->size);
    fflush(stderr);
    ARENA_ABORT();
    return NULL;
}

BASE_NOINLINE void heap_fail_unbound(void)
{
    fprintf(stderr, "heap: allocation on a thread that is not bound to a heap region; bind the thread first "
                    "(host->thread_begin(name) in a game, heap_thread_bind in host code)\n");
    fflush(stderr);
    abort();
}

/* Marks the call so the error handler knows what is being asked for and whether it may be NULL. */
static heap_binding *heap_call_begin(uint64_t size, uint64_t align, int flags)
{
    heap_binding *t = &heap_this_thread;
    if (!t->region) heap_fail_unbound();
    t->request = size;
    t->align = align;
    t->quiet = !(flags & HEAP_FATAL);
    return t;
}

static void *heap_call_end(heap_binding *t, void *p, int flags)
{
    uint64_t size = t->request, align = t->align;
    t->align = 0;
    t->quiet = false;
    /* mimalloc answers some impossible requests (an alignment that is not a power of two, a size
     * past PTRDIFF_MAX with an alignment) with a silent NULL */
    return p ? p : heap_fail(t->region, size, align, flags);
}

void *heap_alloc_checked(uint64_t size, uint64_t align, int flags)
{
    if (heap_watching.alloc) return heap_watching.alloc(size, align, flags);
    return heap_alloc_direct(size, align, flags);
}

void *heap_alloc_direct(uint64_t size, uint64_t align, int flags)
{
    heap_binding *t = heap_call_begin(size, align, flags);
    void *p;
    if (align)
        p = !size_is_pow2(align) ? NULL
            : (flags & HEAP_ZERO) ? mi_zalloc_aligned((size_t)size, (size_t)align)
                                  : mi_malloc_aligned((size_t)size, (size_t)align);
    else
        p = (flags & HEAP_ZERO) ? mi_zalloc((size_t)size) : mi_malloc((size_t)size);
    return heap_call_end(t, p, flags);
}

void *heap_calloc(uint64_t count, uint64_t size, int flags)
{
    uint64_t total;
    if (!size_mul(count, size, &total)) return heap_call_end(heap_call_begin(UINT64_MAX, 0, flags), NULL, flags);
    return heap_alloc(total, 0, flags | HEAP_ZERO);
}

void *heap_realloc(void *p, uint64_t size, int flags)
{
    if (!p) return heap_alloc(size, 0, flags);
    if (size == 0) {
        heap_free(p);
        return NULL;
    }
    if (heap_watching.realloc) return heap_watching.realloc(p, size, flags);
    return heap_realloc_direct(p, size, flags);
}

void heap_zero_slack(void *p, uint64_t from)
{
    size_t usable = mi_usable_size(p);
    if (usable > from) memset((uint8_t *)p + from, 0, usable - (size_t)from);
}

void *heap_realloc_direct(void *p, uint64_t size, int flags)
{
    /* the bound thread's default heap is a region heap, so mi_realloc stays in the region */
    heap_binding *t = heap_call_begin(size, 0, flags);
    uint64_t kept = MIN(mi_usable_size(p), size); /* what a move copies */
    void *q = mi_realloc(p, (size_t)size);
    if (q) heap_zero_slack(q, q == p ? size : kept); /* zeros, not what the memory held before (heap.h) */
    return heap_call_end(t, q, flags);
}

uint64_t heap_usable_size(const void *p) { return p ? mi_usable_size(p) : 0; }

bool heap_contains(const heap_region *r, const void *p)
{
    const uint8_t *b = p;
    return b >= r->start && b < r->start + r->size;
}

static bool heap_stats_visit(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t block_size, void *arg)
{
    (void)h;
    (void)block_size;
    heap_stats *s = arg;
    if (!block) {
        /* once per area (page) before its blocks */
        s->pages++;
        s->committed += area->committed;
        return true;
    }
    s->blocks++;
    s->used += area->block_size;
    return true;
}

heap_stats heap_collect_stats(const heap_region *r)
{
    heap_stats s = {0};
    s.reserved = r->size;
    heap_visit_live(r, heap_stats_visit, &s);
    s.fragmentation = s.committed ? 1.0 - (double)s.used / (double)s.committed : 0.0;
    return s;
}

/* mimalloc's visit also answers false for a heap with no pages: the visitor's own answer is kept. */
typedef struct heap_visitor {
    mi_block_visit_fun *fn;
    void *arg;
    heap_held_fn *held; /* blocks to leave out, or NULL */
    bool stopped;
} heap_visitor;

static bool heap_visit_one(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    heap_visitor *v = arg;
    if (block && v->held && v->held(block)) return true;
    v->stopped = !v->fn(h, area, block, size, v->arg);
    return !v->stopped;
}

static bool heap_visit_with(const heap_region *r, bool all_blocks, heap_held_fn *held, mi_block_visit_fun *fn, void *arg)
{
    if (all_blocks && heap_watching.event) heap_watching.event(r, HEAP_EVENT_WALK);
    heap_visitor v = {fn, arg, held, false};
    for (uint32_t i = 0; i < r->heap_count && !v.stopped; i++) mi_heap_visit_blocks(r->heaps[i], all_blocks, heap_visit_one, &v);
    return !v.stopped;
}

bool heap_visit(const heap_region *r, bool all_blocks, mi_block_visit_fun *fn, void *arg)
{
    return heap_visit_with(r, all_blocks, NULL, fn, arg);
}

bool heap_visit_live(const heap_region *r, mi_block_visit_fun *fn, void *arg)
{
    return heap_visit_with(r, true, heap_watching.held, fn, arg);
}

/* ---- epochs ------------------------------------------------------------------------------------ */

bool heap_epoch_begin(heap_region *r)
{
    if (r->heap_count == HEAP_HEAPS_MAX) return false;
    mi_heap_t *h = mi_heap_new_in_arena(r->arena_id);
    if (!h) return false;
    mi_heap_set_default(h);
    r->heaps[r->heap_count++] = h;
    return true;
}

bool heap_epoch_destroy_from(heap_region *r, uint32_t i)
{
    while (r->heap_count > i) mi_heap_destroy(r->heaps[--r->heap_count]);
    bool ok = heap_epoch_begin(r);
    r->main = r->heaps[0];
    return ok;
}

void heap_epoch_settle(heap_region *r)
{
    if (heap_watching.event) heap_watching.event(r, HEAP_EVENT_SETTLE);
    for (uint32_t i = 0; i < r->heap_count; i++) mi_heap_collect(r->heaps[i], true);
}

void heap_epoch_destroy(heap_region *r, uint32_t i)
{
    if (i + 1 >= r->heap_count) return;
    mi_heap_destroy(r->heaps[i]);
    memmove(&r->heaps[i], &r->heaps[i + 1], (r->heap_count - i - 1) * sizeof(r->heaps[0]));
    r->heap_count--;
    r->main = r->heaps[0];
}

int heap_epoch_of(const heap_region *r, const void *p)
{
    if (!heap_contains(r, p)) return -1;
    for (uint32_t i = r->heap_count; i-- > 0;)
        if (mi_heap_contains_block(r->heaps[i], p)) return (int)i;
    return -1;
}
