/* stale.c - the stale-pointer pass after a swap: the written pages of the block scanned, each word
 * into the old build repaired or reported; and the watch that does most of the scanning between
 * reloads (stale.h). */
#include "stale.h"
#include "../os/clock.h"
#include "declared.h"
#include "scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STALE_WATCH_PERIOD_MS 16 /* about a frame: what is left for a pass is about a frame's writes */
#define STALE_BATCH 1024 /* repairs written together, their pages unprotected in runs first */
#define STALE_HUGE_PAGE MB(2) /* a full batch is written up to a huge page's edge (see stale_add) */

/* ---- the block's used parts ------------------------------------------------------------------ */

/* An arena with its header, up to its position (read while the game runs, for the watch). */
static dirty_range stale_arena_used(const block_header *b, block_region_id id)
{
    const arena *a = block_region_start(b, id);
    uint64_t pos = *(volatile const uint64_t *)&a->pos;
    return (dirty_range){(uintptr_t)a, (uint64_t)(a->base + pos - (const uint8_t *)a)};
}

/* The used parts whose written pages are tracked: the header, the host and persistent arenas and
 * the heap region (mimalloc touches what it uses; the tracker reports no page never touched). The
 * frame and scratch arenas are not: they are rewritten every frame, so every used page of theirs
 * would be written at every pass anyway, and tracking would only cost the game a fault per page. */
static uint32_t stale_tracked(const stale *s, dirty_range *out, bool with_heap)
{
    uint32_t n = 0;
    out[n++] = (dirty_range){(uintptr_t)s->block, sizeof(*s->block)};
    out[n++] = stale_arena_used(s->block, BLOCK_REGION_HOST);
    out[n++] = stale_arena_used(s->block, BLOCK_REGION_PERSISTENT);
    if (with_heap) out[n++] = (dirty_range){(uintptr_t)s->heap->start, s->heap->size};
    return n;
}

#define STALE_TRACKED_MAX 4

static const block_region_id stale_untracked[] = {BLOCK_REGION_FRAME0, BLOCK_REGION_FRAME1, BLOCK_REGION_SCRATCH0,
                                                  BLOCK_REGION_SCRATCH1};

/* ---- the watch: words inside the running build, found between reloads ------------------------ */

static int stale_compare_addr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return (x > y) - (x < y);
}

/* Sorted, each address once, and only those that still hold a word inside the running build. */
static void stale_hits_compact(stale *s)
{
    stale_hits *h = &s->hits;
    if (h->count) qsort(h->at, h->count, sizeof(uintptr_t), stale_compare_addr);
    uint64_t n = 0;
    for (uint64_t i = 0; i < h->count; i++) {
        if (n && h->at[n - 1] == h->at[i]) continue;
        if (scan_load(h->at[i]) - s->target_lo < s->target_hi - s->target_lo) h->at[n++] = h->at[i];
    }
    h->count = h->kept = n;
}

typedef struct stale_watch_run {
    stale *s;
    uintptr_t start;
} stale_watch_run;

static bool stale_watch_hit(void *ctx, uint64_t offset, uint64_t value)
{
    (void)value;
    stale_watch_run *r = ctx;
    stale_hits *h = &r->s->hits;
    if (h->count == h->cap) {
        uint64_t cap = h->cap ? h->cap * 2 : 1024;
        uintptr_t *at = realloc(h->at, cap * sizeof(uintptr_t));
        if (!at) {
            h->lost = true;
            return false;
        }
        h->at = at;
        h->cap = cap;
    }
    h->at[h->count++] = r->start + offset;
    return true;
}

static void stale_watch_scan(void *ctx, uintptr_t start, uint64_t size)
{
    stale *s = ctx;
    stale_watch_run r = {s, start};
    scan_words((const void *)start, size, s->target_lo, s->target_hi, stale_watch_hit, &r);
    if (s->hits.count > 2 * s->hits.kept + 4096) stale_hits_compact(s);
}

static uint32_t stale_watch_ranges(void *ctx, dirty_range *out, uint32_t max)
{
    return max >= STALE_TRACKED_MAX ? stale_tracked(ctx, out, true) : 0;
}

void stale_follow(stale *s, const lib_version *running)
{
    s->target_lo = running->start;
    s->target_hi = running->end;
    if (s->mode == STALE_OFF || s->watching) return;
    dirty_watcher w = {stale_watch_ranges, stale_watch_scan, s, STALE_WATCH_PERIOD_MS};
    s->watching = dirty_watch_start(s->dirty, s->consumer, &w);
}

void stale_prepare(stale *s)
{
    if (s->watching) dirty_watch_kick(s->dirty);
}

bool stale_start(stale *s, stale_mode mode, dirty_tracker *dirty, block_header *block, const heap_region *heap,
                 host_error *err)
{
    memset(s, 0, sizeof(*s));
    s->mode = mode;
    s->dirty = dirty;
    s->block = block;
    s->heap = heap;
    return mode == STALE_OFF || dirty_consumer_add(dirty, &s->consumer, err);
}

void stale_stop(stale *s)
{
    if (s->watching) dirty_watch_stop(s->dirty);
    s->watching = false;
    free(s->hits.at);
    memset(&s->hits, 0, sizeof(s->hits));
}

/* ---- skipped ranges ------------------------------------------------------------------------- */

bool stale_skip(stale *s, const void *start, uint64_t size)
{
    uintptr_t at = (uintptr_t)start;
    for (uint32_t i = 0; i < s->skip_count; i++) {
        if (s->skips[i].start != at) continue;
        if (size) s->skips[i].size = size;
        else s->skips[i] = s->skips[--s->skip_count];
        return true;
    }
    if (!size) return true;
    if (s->skip_count == STALE_SKIP_MAX) return false;
    s->skips[s->skip_count++] = (stale_range){at, size};
    return true;
}

void stale_skip_clear(stale *s) { s->skip_count = 0; }

static bool stale_skipped(const stale *s, uintptr_t addr)
{
    for (uint32_t i = 0; i < s->skip_count; i++)
        if (addr - s->skips[i].start < s->skips[i].size) return true;
    return false;
}

/* ---- one pass ------------------------------------------------------------------------------- */

typedef struct stale_finding {
    uintptr_t addr;
    uint64_t value;
    char why[sizeof(((repair_answer *)0)->why)];
} stale_finding;

typedef struct stale_write {
    uintptr_t addr;
    uint64_t value;
} stale_write;

typedef struct stale_walk {
    stale *s;
    const stale_scene *scene;
    repair_pass repair;
    uintptr_t run_start;     /* of the run being scanned */
    bool defer_heap;         /* heap words not repaired wait for the owner check */
    uint32_t reported;
    uint32_t pending_count;
    stale_finding pending[STALE_PENDING_MAX];
    uint32_t batch_count;
    stale_write batch[STALE_BATCH];
    stale_range *runs;       /* the runs this pass scanned, for the watch's remembered words */
    uint64_t run_count, run_cap;
    uintptr_t *declared_left; /* declared fields reported not repaired, sorted */
    uint64_t declared_count, declared_cap;
} stale_walk;

/* The region that holds addr, and addr's offset in it. */
static const block_region *stale_region_of(const block_header *b, uintptr_t addr, uint64_t *offset)
{
    for (int i = 0; i < BLOCK_REGION_COUNT; i++) {
        const block_region *r = &b->regions[i];
        uintptr_t start = (uintptr_t)block_region_start(b, (block_region_id)i);
        if (addr - start < r->size) {
            *offset = addr - start;
            return r;
        }
    }
    *offset = addr - (uintptr_t)b;
    return &b->regions[BLOCK_REGION_HEADER];
}

static void stale_report(stale_walk *w, uintptr_t addr, uint64_t value, const char *why)
{
    w->s->last.left++;
    if (w->reported++ >= STALE_REPORT_MAX) return;
    const stale_scene *sc = w->scene;
    uint64_t offset;
    const block_region *r = stale_region_of(w->s->block, addr, &offset);
    char symbol_text[160], msg[1024];
    lib_version_name(sc->old_version, (uintptr_t)value, symbol_text, sizeof(symbol_text));
    snprintf(msg, sizeof(msg), "stale pointer after the reload: %.16s+0x%llx holds 0x%llx, inside game library version "
                               "%llu (%s), not repaired: %s; a use of it is the stale-pointer crash (keep a function "
                               "registry handle or a copy made with arena_push_str, or declare the field X_FN / X_STR)",
             r->name, (unsigned long long)offset, (unsigned long long)value,
             (unsigned long long)sc->old_version->number, symbol_text, why);
    event e = event_begin(sc->log, "warning");
    event_str(&e, "msg", msg);
    event_str(&e, "region", r->name);
    event_uint(&e, "offset", offset);
    event_hex(&e, "value", value);
    event_uint(&e, "version", sc->old_version->number);
    event_str(&e, "symbol", symbol_text);
    event_str(&e, "why", why);
    event_end(sc->log, &e);
}

static void stale_not_repaired(stale_walk *w, uintptr_t addr, uint64_t value, const char *why)
{
    if (!w->defer_heap || !heap_contains(w->s->heap, (const void *)addr)) {
        stale_report(w, addr, value, why);
        return;
    }
    if (w->pending_count == STALE_PENDING_MAX) { /* too many to look up: counted, not named */
        w->s->last.left++;
        return;
    }
    stale_finding *f = &w->pending[w->pending_count++];
    f->addr = addr;
    f->value = value;
    snprintf(f->why, sizeof(f->why), "%s", why);
}

/* Writes the batched repairs, unprotecting their pages run by run first (dirty_before_write). */
static void stale_flush_first(stale_walk *w, uint32_t count)
{
    uintptr_t page = dirty_page_size(w->s->dirty);
    for (uint32_t i = 0, j; i < count; i = j) {
        uintptr_t start = w->batch[i].addr & ~(page - 1), end = start + page;
        for (j = i + 1; j < count && w->batch[j].addr >= start && w->batch[j].addr < end + page; j++)
            end = (w->batch[j].addr & ~(page - 1)) + page;
        dirty_before_write(w->s->dirty, start, end - start);
        for (uint32_t k = i; k < j; k++) scan_store(w->batch[k].addr, w->batch[k].value);
    }
    memmove(w->batch, w->batch + count, (w->batch_count - count) * sizeof(stale_write));
    w->batch_count -= count;
}

static void stale_flush(stale_walk *w) { stale_flush_first(w, w->batch_count); }

/* Batches a repair. A full batch is written up to the huge page its last repair is in, which the
 * next batch then writes from its start: unprotecting part of a 2 MiB page makes the kernel split
 * it into small ones, which every later walk and write of the tracker then pays for. */
static void stale_add(stale_walk *w, uintptr_t addr, uint64_t value)
{
    if (w->batch_count == STALE_BATCH) {
        uint32_t keep = w->batch_count;
        uintptr_t huge = w->batch[keep - 1].addr & ~(uintptr_t)(STALE_HUGE_PAGE - 1);
        while (keep && w->batch[keep - 1].addr >= huge && w->batch[keep - 1].addr - huge < STALE_HUGE_PAGE) keep--;
        stale_flush_first(w, keep ? keep : w->batch_count);
    }
    w->batch[w->batch_count++] = (stale_write){addr, value};
}

static bool stale_declared_reported(const stale_walk *w, uintptr_t addr);

/* One word inside the old build: repaired (batched) or reported. */
static void stale_word(stale_walk *w, uintptr_t addr, uint64_t value)
{
    stale *s = w->s;
    const repair_answer *a;
    if (stale_declared_reported(w, addr)) {
        s->last.found--; /* counted by the declared walk */
    } else if (s->mode == STALE_WARN) {
        stale_not_repaired(w, addr, value, "--stale-pointers warn");
    } else if (stale_skipped(s, addr)) {
        stale_not_repaired(w, addr, value, "the game turned the repair off for this range (host->stale_skip)");
    } else if ((a = repair_resolve(&w->repair, (uintptr_t)value, REPAIR_CONSERVATIVE))->repaired) {
        stale_add(w, addr, a->value);
        s->last.repaired[a->kind]++;
    } else {
        stale_not_repaired(w, addr, value, a->why);
    }
}

static bool stale_on_word(void *ctx, uint64_t offset, uint64_t value)
{
    stale_walk *w = ctx;
    stale_word(w, w->run_start + offset, value);
    return true;
}

static void stale_scan_run(void *ctx, uintptr_t start, uint64_t size)
{
    stale_walk *w = ctx;
    w->run_start = start;
    const lib_version *old = w->scene->old_version;
    scan_result r = scan_words((const void *)start, size, old->start, old->end, stale_on_word, w);
    stale_flush(w);
    w->s->last.bytes += r.scanned;
    w->s->last.found += r.hits;
}

/* A run of the pass, kept (when the watch remembered words) so those inside it are not looked at twice. */
static void stale_scan_kept_run(void *ctx, uintptr_t start, uint64_t size)
{
    stale_walk *w = ctx;
    if (w->run_count == w->run_cap) {
        uint64_t cap = w->run_cap ? w->run_cap * 2 : 256;
        stale_range *runs = realloc(w->runs, cap * sizeof(stale_range));
        if (runs) w->runs = runs, w->run_cap = cap;
    }
    if (w->run_count < w->run_cap) w->runs[w->run_count++] = (stale_range){start, size};
    stale_scan_run(ctx, start, size);
}

static bool stale_visit_live(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t size, void *ctx)
{
    (void)heap;
    (void)area;
    if (block) stale_scan_run(ctx, (uintptr_t)block, size);
    return true;
}

/* Names the pending heap words that lie in a live block of the main thread's heaps; the others are
 * freed memory (or a worker's heap) and only counted. */
static bool stale_visit_owner(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t size, void *ctx)
{
    (void)heap;
    (void)area;
    stale_walk *w = ctx;
    for (uint32_t i = 0; block && i < w->pending_count; i++) {
        stale_finding *f = &w->pending[i];
        if (f->addr - (uintptr_t)block >= size) continue;
        stale_report(w, f->addr, f->value, f->why);
        f->addr = 0; /* reported */
    }
    return true;
}

static void stale_settle_heap(stale_walk *w)
{
    if (!w->pending_count) return;
    heap_visit(w->s->heap, true, stale_visit_owner, w);
    for (uint32_t i = 0; i < w->pending_count; i++) {
        if (!w->pending[i].addr) continue;
        w->s->last.unowned++;
        w->s->last.found--;
    }
}

static int stale_compare_run(const void *a, const void *b)
{
    const stale_range *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static bool stale_in_runs(const stale_walk *w, uintptr_t addr)
{
    uint64_t lo = 0, hi = w->run_count;
    while (lo < hi) { /* the first run that ends after addr */
        uint64_t mid = lo + (hi - lo) / 2;
        if (w->runs[mid].start + w->runs[mid].size <= addr) lo = mid + 1;
        else hi = mid;
    }
    return lo < w->run_count && addr >= w->runs[lo].start;
}

/* The words the watch found between reloads, outside the pages this pass scanned anyway. */
static void stale_remembered(stale_walk *w)
{
    stale *s = w->s;
    stale_hits *h = &s->hits;
    if (w->run_count) qsort(w->runs, w->run_count, sizeof(stale_range), stale_compare_run);
    uint64_t n = 0; /* first, without reading them, the words this pass scanned anyway go */
    for (uint64_t i = 0; i < h->count; i++)
        if (!stale_in_runs(w, h->at[i])) h->at[n++] = h->at[i];
    h->count = n;
    stale_hits_compact(s); /* still for the old build: only words inside it stay */
    for (uint64_t i = 0; i < h->count; i++) {
        s->last.found++;
        stale_word(w, h->at[i], scan_load(h->at[i]));
    }
    stale_flush(w);
    s->hits.count = s->hits.kept = 0;
}

/* ---- declared fields: X_FN, X_STR ------------------------------------------------------------- */

static bool stale_in_arena(const arena *a, const uint8_t *p, uint64_t size)
{
    return p >= a->base && size <= a->pos && (uint64_t)(p - a->base) <= a->pos - size;
}

static bool stale_holds(void *ctx, const void *p, uint64_t size)
{
    const stale_walk *w = ctx;
    const block_header *b = w->s->block;
    for (int i = 0; i < BLOCK_ARENA_COUNT; i++)
        if (stale_in_arena(block_arena(b, i), p, size)) return true;
    const heap_region *h = w->s->heap;
    return (const uint8_t *)p >= h->start && size <= h->size && (uint64_t)((const uint8_t *)p - h->start) <= h->size - size;
}

/* A declared field the walk reported: the conservative scan passes over it. */
static void stale_remember_declared(stale_walk *w, uintptr_t addr)
{
    if (w->declared_count == w->declared_cap) {
        uint64_t cap = w->declared_cap ? w->declared_cap * 2 : 64;
        uintptr_t *at = realloc(w->declared_left, cap * sizeof(uintptr_t));
        if (!at) return;
        w->declared_left = at;
        w->declared_cap = cap;
    }
    w->declared_left[w->declared_count++] = addr;
}

static bool stale_declared_reported(const stale_walk *w, uintptr_t addr)
{
    return w->declared_count && bsearch(&addr, w->declared_left, w->declared_count, sizeof(uintptr_t), stale_compare_addr);
}

static void stale_declared_field(void *ctx, void *field, game_field_kind kind)
{
    stale_walk *w = ctx;
    uintptr_t addr = (uintptr_t)field;
    uint64_t value = scan_load(addr);
    const lib_version *old = w->scene->old_version;
    if (value - old->start >= old->end - old->start) return;
    w->s->last.found++;
    const repair_answer *a = repair_resolve(&w->repair, value, kind == GAME_FIELD_FN ? REPAIR_FUNCTION : REPAIR_STRING);
    if (!a->repaired) {
        stale_not_repaired(w, addr, value, a->why);
        stale_remember_declared(w, addr);
        return;
    }
    stale_add(w, addr, a->value);
    w->s->last.repaired[a->kind]++;
}

/* Precisely, before the conservative scan: a declared field it would leave alone is repaired too. */
static void stale_declared(stale_walk *w)
{
    const block_header *b = w->s->block;
    if (w->s->mode != STALE_REPAIR || !b->layouts) return;
    declared_visitor v = {stale_holds, stale_declared_field, w};
    declared_walk(&b->layouts->set, b->memory.root, &v);
    stale_flush(w);
    if (w->declared_count) qsort(w->declared_left, w->declared_count, sizeof(uintptr_t), stale_compare_addr);
}

static void stale_scan_written(stale_walk *w)
{
    stale *s = w->s;
    bool precise = dirty_method_of(s->dirty) != DIRTY_EVERYTHING;
    dirty_range used[STALE_TRACKED_MAX];
    uint32_t n = stale_tracked(s, used, precise);
    dirty_collect(s->dirty, used, n);
    if (s->hits.lost) /* the watch lost words: every used byte is looked at */
        for (uint32_t i = 0; i < n; i++) dirty_mark(s->dirty, used[i].start, used[i].start + used[i].size);
    /* written heap pages hold freed blocks too: a word not repaired there waits for the owner check;
     * without written pages the live blocks are visited, each the main thread's */
    w->defer_heap = precise;
    stale_declared(w);
    for (uint32_t i = 0; i < n; i++)
        dirty_take(s->dirty, s->consumer, used[i].start, used[i].size, s->watching ? stale_scan_kept_run : stale_scan_run, w);
    for (size_t i = 0; i < ARRAY_COUNT(stale_untracked); i++) {
        dirty_range r = stale_arena_used(s->block, stale_untracked[i]);
        (s->watching ? stale_scan_kept_run : stale_scan_run)(w, r.start, r.size);
    }
    if (!precise) heap_visit(s->heap, true, stale_visit_live, w);
    if (s->watching) stale_remembered(w);
    s->hits.lost = false;
}

void stale_pass(stale *s, const stale_scene *scene)
{
    memset(&s->last, 0, sizeof(s->last));
    if (s->mode == STALE_OFF) return;
    uint64_t t0 = clock_now_ns();
    if (s->watching) dirty_watch_pause(s->dirty);
    uint64_t t1 = clock_now_ns();
    stale_walk *w = calloc(1, sizeof(*w)); /* the pending findings and the batch make it big */
    bool ran = w != NULL;
    if (w) {
        w->s = s;
        w->scene = scene;
        repair_begin(&w->repair, scene->old_version, scene->new_version, s->block->host);
        stale_scan_written(w);
        stale_settle_heap(w);
        repair_end(&w->repair);
        free(w->runs);
        free(w->declared_left);
        free(w);
    }
    stale_follow(s, scene->new_version);
    if (s->watching) dirty_watch_resume(s->dirty);
    s->last.wait_ms = (double)(t1 - t0) / 1e6;
    s->last.ms = (double)(clock_now_ns() - t1) / 1e6;
    s->last.done = ran;
    if (s->last.left)
        event_say(scene->log, "warning: %llu stale pointer%s into game library version %llu left in the block, not "
                              "repaired (the warning events name each, up to %d)", (unsigned long long)s->last.left,
                  s->last.left > 1 ? "s" : "", (unsigned long long)scene->old_version->number, STALE_REPORT_MAX);
}

void stale_event(const stale *s, event *e)
{
    const stale_figures *f = &s->last;
    if (!f->done) return;
    if (f->wait_ms > 0.001) event_num(e, "scan_wait_ms", f->wait_ms);
    event_uint(e, "scan_bytes", f->bytes);
    event_uint(e, "stale_pointers", f->found);
    event_uint(e, "stale_left", f->left);
    if (f->unowned) event_uint(e, "stale_unowned", f->unowned);
    if (s->mode != STALE_REPAIR) return;
    char json[256];
    size_t len = 0;
    for (int k = 0; k < REPAIR_KIND_COUNT; k++)
        len += (size_t)snprintf(json + len, sizeof(json) - len, "%s\"%s\":%llu", k ? "," : "{", repair_kind_names[k],
                                (unsigned long long)f->repaired[k]);
    snprintf(json + len, sizeof(json) - len, "}");
    event_raw(e, "repaired", json);
}
