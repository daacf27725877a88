/* heap_log.c - the heap's call log and its replay (heap_log.h). */
#include "heap_log.h"
#include "blockset.h"

#include <stdlib.h>
#include <string.h>

/* ---- writing ------------------------------------------------------------------------------------ */

static bool heap_log_reserve(heap_log *l, uint64_t more)
{
    if (l->out_of_memory) return false;
    if (l->size + more <= l->capacity) return true;
    uint64_t cap = l->capacity ? l->capacity * 2 : KB(64);
    while (cap < l->size + more) cap *= 2;
    uint8_t *d = realloc(l->data, (size_t)cap);
    if (!d) {
        l->out_of_memory = l->broken = true;
        return false;
    }
    l->data = d;
    l->capacity = cap;
    return true;
}

static void heap_log_put(heap_log *l, uint64_t v)
{
    do {
        uint8_t b = (uint8_t)(v & 0x7f);
        v >>= 7;
        l->data[l->size++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
}

/* An op and up to three values; 31 bytes at most. */
static void heap_log_call(heap_log *l, heap_log_op op, int n, uint64_t a, uint64_t b, uint64_t c)
{
    if (!heap_log_reserve(l, 32)) return;
    l->data[l->size++] = (uint8_t)op;
    uint64_t v[3] = {a, b, c};
    for (int i = 0; i < n; i++) heap_log_put(l, v[i]);
    l->calls++;
}

static uint64_t heap_log_offset(const heap_region *r, const void *p)
{
    return p ? (uint64_t)((const uint8_t *)p - r->start) + 1 : 0;
}

void heap_log_alloc(heap_log *l, const heap_region *r, uint64_t size, uint64_t align, const void *result)
{
    heap_log_call(l, HEAP_LOG_ALLOC, 3, size, align, heap_log_offset(r, result));
}

void heap_log_realloc(heap_log *l, const heap_region *r, const void *p, uint64_t size, const void *result)
{
    heap_log_call(l, HEAP_LOG_REALLOC, 3, heap_log_offset(r, p), size, heap_log_offset(r, result));
}

void heap_log_free(heap_log *l, const heap_region *r, const void *p)
{
    heap_log_call(l, HEAP_LOG_FREE, 1, heap_log_offset(r, p), 0, 0);
}

void heap_log_epoch(heap_log *l, heap_log_op op, uint32_t index)
{
    heap_log_call(l, op, op == HEAP_LOG_EPOCH_DESTROY ? 1 : 0, index, 0, 0);
}

bool heap_log_adopt(heap_log *l, const uint8_t *data, uint64_t size)
{
    l->size = 0;
    if (!heap_log_reserve(l, size)) return false;
    if (size) memcpy(l->data, data, (size_t)size);
    l->size = size;
    return true;
}

void heap_log_free_all(heap_log *l)
{
    free(l->data);
    memset(l, 0, sizeof(*l));
}

/* ---- replaying ---------------------------------------------------------------------------------- */

typedef struct heap_log_reader {
    const uint8_t *at, *end;
    heap_region *r;
    blockset live; /* the blocks the replay made so far, so that a free or a realloc names a live one */
    uint64_t call;
} heap_log_reader;

static bool heap_log_get(heap_log_reader *rd, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && rd->at < rd->end; shift += 7) {
        uint8_t b = *rd->at++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return *out = v, true;
    }
    return false;
}

static void *heap_log_pointer(heap_log_reader *rd, uint64_t offset)
{
    return offset ? rd->r->start + (offset - 1) : NULL;
}

/* The call's result against the log's; a block the replay made is remembered. */
static bool heap_log_landed(heap_log_reader *rd, const void *got, uint64_t want, host_error *err)
{
    uint64_t off = heap_log_offset(rd->r, got);
    if (off != want)
        return host_fail(err, "heap call %llu placed a block at offset %llu where the state had %llu",
                         (unsigned long long)rd->call, (unsigned long long)off, (unsigned long long)want);
    return !off || blockset_add(&rd->live, got) || host_fail(err, "out of memory replaying the heap");
}

static bool heap_log_replay_alloc(heap_log_reader *rd, host_error *err)
{
    uint64_t size, align, want;
    if (!heap_log_get(rd, &size) || !heap_log_get(rd, &align) || !heap_log_get(rd, &want) ||
        (align && !size_is_pow2(align)) || size > rd->r->size)
        return host_fail(err, "heap call %llu is malformed", (unsigned long long)rd->call);
    heap_this_thread.quiet = true; /* a failed allocation is part of the log, not a fatal error */
    void *p = align ? mi_malloc_aligned((size_t)size, (size_t)align) : mi_malloc((size_t)size);
    heap_this_thread.quiet = false;
    return heap_log_landed(rd, p, want, err);
}

static bool heap_log_replay_block(heap_log_reader *rd, heap_log_op op, host_error *err)
{
    uint64_t block, size = 0, want = 0;
    if (!heap_log_get(rd, &block) || (op == HEAP_LOG_REALLOC && (!heap_log_get(rd, &size) || !heap_log_get(rd, &want))) ||
        !block || block > rd->r->size || !blockset_remove(&rd->live, heap_log_pointer(rd, block)) || size > rd->r->size)
        return host_fail(err, "heap call %llu names no live block", (unsigned long long)rd->call);
    void *p = heap_log_pointer(rd, block);
    if (op == HEAP_LOG_FREE) {
        mi_free(p);
        return true;
    }
    heap_this_thread.quiet = true;
    void *q = mi_realloc(p, (size_t)size);
    heap_this_thread.quiet = false;
    if (!q && !blockset_add(&rd->live, p)) return host_fail(err, "out of memory replaying the heap");
    return heap_log_landed(rd, q, want, err);
}

static bool heap_log_forget(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)area;
    (void)size;
    if (block) blockset_remove(arg, block);
    return true;
}

static bool heap_log_replay_epoch(heap_log_reader *rd, heap_log_op op, host_error *err)
{
    heap_region *r = rd->r;
    uint64_t i = 0;
    if (op == HEAP_LOG_EPOCH_BEGIN)
        return heap_epoch_begin(r) || host_fail(err, "heap call %llu: mimalloc could not make a heap", (unsigned long long)rd->call);
    if (!heap_log_get(rd, &i) || i + 1 >= r->heap_count)
        return host_fail(err, "heap call %llu names no heap it may destroy", (unsigned long long)rd->call);
    mi_heap_visit_blocks(r->heaps[i], true, heap_log_forget, &rd->live); /* their blocks go with it */
    heap_epoch_destroy(r, (uint32_t)i);
    return true;
}

static bool heap_log_walked(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)area;
    (void)block;
    (void)size;
    (void)arg;
    return true;
}

static bool heap_log_replay_one(heap_log_reader *rd, host_error *err)
{
    heap_log_op op = (heap_log_op)*rd->at++;
    switch (op) {
    case HEAP_LOG_ALLOC: return heap_log_replay_alloc(rd, err);
    case HEAP_LOG_REALLOC:
    case HEAP_LOG_FREE: return heap_log_replay_block(rd, op, err);
    case HEAP_LOG_EPOCH_BEGIN:
    case HEAP_LOG_EPOCH_DESTROY: return heap_log_replay_epoch(rd, op, err);
    case HEAP_LOG_WALK: return heap_visit(rd->r, true, heap_log_walked, NULL);
    case HEAP_LOG_SETTLE: heap_epoch_settle(rd->r); return true;
    }
    return host_fail(err, "heap call %llu has an unknown kind %u", (unsigned long long)rd->call, (unsigned)op);
}

bool heap_log_replay(const uint8_t *data, uint64_t size, heap_region *r, host_error *err)
{
    heap_log_reader rd = {data, data + size, r, {0}, 0};
    bool ok = true;
    for (; ok && rd.at < rd.end; rd.call++) ok = heap_log_replay_one(&rd, err);
    blockset_free(&rd.live);
    if (!ok) heap_epoch_destroy_from(r, 0);
    return ok;
}
