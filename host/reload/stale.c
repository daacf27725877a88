/* stale.c - the stale-pointer pass after a swap: the written pages of the block scanned, each word
 * into the old build repaired or reported (stale.h). */
#include "stale.h"
#include "../os/clock.h"
#include "scan.h"

#include <stdio.h>
#include <string.h>

bool stale_start(stale *s, stale_mode mode, dirty_tracker *dirty, host_error *err)
{
    memset(s, 0, sizeof(*s));
    s->mode = mode;
    s->dirty = dirty;
    return mode == STALE_OFF || dirty_consumer_add(dirty, &s->consumer, err);
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

typedef struct stale_walk {
    stale *s;
    const stale_scene *scene;
    repair_pass repair;
    uintptr_t run_start;     /* of the run being scanned */
    bool defer_heap;         /* heap words not repaired wait for the owner check */
    uint32_t reported;
    uint32_t pending_count;
    stale_finding pending[STALE_PENDING_MAX];
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
    const block_region *r = stale_region_of(sc->block, addr, &offset);
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

static bool stale_in_heap(const stale_walk *w, uintptr_t addr)
{
    return heap_contains(w->scene->heap, (const void *)addr);
}

static void stale_not_repaired(stale_walk *w, uintptr_t addr, uint64_t value, const char *why)
{
    if (!w->defer_heap || !stale_in_heap(w, addr)) {
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

static bool stale_on_word(void *ctx, uint64_t offset, uint64_t value)
{
    stale_walk *w = ctx;
    stale *s = w->s;
    uintptr_t addr = w->run_start + offset;
    repair_answer a;
    if (s->mode == STALE_WARN) {
        stale_not_repaired(w, addr, value, "--stale-pointers warn");
    } else if (stale_skipped(s, addr)) {
        stale_not_repaired(w, addr, value, "the game turned the repair off for this range (host->stale_skip)");
    } else if (repair_resolve(&w->repair, (uintptr_t)value, REPAIR_CONSERVATIVE, &a)) {
        scan_store(addr, a.value);
        s->last.repaired[a.kind]++;
    } else {
        stale_not_repaired(w, addr, value, a.why);
    }
    return true;
}

static void stale_scan_run(void *ctx, uintptr_t start, uint64_t size)
{
    stale_walk *w = ctx;
    w->run_start = start;
    const lib_version *old = w->scene->old_version;
    scan_result r = scan_words((const void *)start, size, old->start, old->end, stale_on_word, w);
    w->s->last.bytes += r.scanned;
    w->s->last.found += r.hits;
}

static bool stale_visit_live(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t size, void *ctx)
{
    (void)heap;
    (void)area;
    if (block) stale_scan_run(ctx, (uintptr_t)block, size);
    return true;
}

/* Names the pending heap words that lie in a live block of the main heap; the others are freed
 * memory (or a worker's heap) and only counted. */
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
    if (w->scene->heap->main) mi_heap_visit_blocks(w->scene->heap->main, true, stale_visit_owner, w);
    for (uint32_t i = 0; i < w->pending_count; i++) {
        if (!w->pending[i].addr) continue;
        w->s->last.unowned++;
        w->s->last.found--;
    }
}

/* The used parts of the block: the header, each arena with its header up to its position, and the
 * heap region (sparse: mimalloc touches what it uses). */
static uint32_t stale_used(const stale_walk *w, dirty_range out[BLOCK_ARENA_COUNT + 2], bool with_heap)
{
    const block_header *b = w->scene->block;
    uint32_t n = 0;
    out[n++] = (dirty_range){(uintptr_t)b, sizeof(*b), false};
    for (int i = 0; i < BLOCK_ARENA_COUNT; i++) {
        const arena *a = block_arena(b, i);
        out[n++] = (dirty_range){(uintptr_t)a, (uint64_t)(a->base + a->pos - (const uint8_t *)a), false};
    }
    if (with_heap) out[n++] = (dirty_range){(uintptr_t)w->scene->heap->start, w->scene->heap->size, true};
    return n;
}

static void stale_scan_written(stale_walk *w)
{
    stale *s = w->s;
    bool precise = dirty_method_of(s->dirty) != DIRTY_EVERYTHING;
    dirty_range used[BLOCK_ARENA_COUNT + 2];
    uint32_t n = stale_used(w, used, precise);
    dirty_collect(s->dirty, used, n);
    /* written heap pages hold freed blocks too: a word not repaired there waits for the owner check;
     * without written pages the live blocks are visited, each the main heap's */
    w->defer_heap = precise;
    for (uint32_t i = 0; i < n; i++) dirty_take(s->dirty, s->consumer, used[i].start, used[i].size, stale_scan_run, w);
    if (!precise && w->scene->heap->main) mi_heap_visit_blocks(w->scene->heap->main, true, stale_visit_live, w);
}

void stale_pass(stale *s, const stale_scene *scene)
{
    memset(&s->last, 0, sizeof(s->last));
    if (s->mode == STALE_OFF) return;
    uint64_t t0 = clock_now_ns();
    stale_walk w;
    memset(&w, 0, sizeof(w));
    w.s = s;
    w.scene = scene;
    repair_begin(&w.repair, scene->old_version, scene->new_version, scene->block->host);
    stale_scan_written(&w);
    stale_settle_heap(&w);
    repair_end(&w.repair);
    s->last.ms = (double)(clock_now_ns() - t0) / 1e6;
    s->last.done = true;
    if (s->last.left)
        fprintf(stderr, "host: warning: %llu stale pointer%s into game library version %llu left in the block, not "
                        "repaired (the warning events name each, up to %d)\n", (unsigned long long)s->last.left,
                s->last.left > 1 ? "s" : "", (unsigned long long)scene->old_version->number, STALE_REPORT_MAX);
}

void stale_event(const stale *s, event *e)
{
    const stale_figures *f = &s->last;
    if (!f->done) return;
    event_num(e, "scan_ms", f->ms);
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
