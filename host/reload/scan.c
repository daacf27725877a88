/* scan.c - the stale-pointer scan: aligned words tested against a range, eight at a time. */
#include "scan.h"

#include "../../arena/base.h"

#define SCAN_WORD 8u
#define SCAN_BATCH 8u

/* Arenas poison the alignment padding between allocations under ASan; the scan reads it on purpose. */
#if defined(BASE_ASAN)
#define SCAN_UNPOISONED __attribute__((no_sanitize_address))
#else
#define SCAN_UNPOISONED
#endif

static inline bool scan_word(uint64_t v, uint64_t lo, uint64_t span) { return v - lo < span; }

/* Reports the hits of one batch that the fast test flagged. */
static BASE_NOINLINE SCAN_UNPOISONED void scan_report(const uint64_t *w, uint64_t count, const uint8_t *origin, uint64_t lo,
                                      uint64_t span, scan_hit_fn *on_hit, void *ctx, scan_result *r, bool *reporting)
{
    for (uint64_t i = 0; i < count; i++) {
        if (!scan_word(w[i], lo, span)) continue;
        r->hits++;
        if (*reporting && on_hit) *reporting = on_hit(ctx, (uint64_t)((const uint8_t *)&w[i] - origin), w[i]);
    }
}

SCAN_UNPOISONED scan_result scan_words(const void *start, uint64_t size, uint64_t lo, uint64_t hi, scan_hit_fn *on_hit, void *ctx)
{
    scan_result r = {0, 0};
    if (hi <= lo || size < SCAN_WORD) return r;
    const uint8_t *origin = start;
    uintptr_t first = ((uintptr_t)origin + SCAN_WORD - 1) & ~(uintptr_t)(SCAN_WORD - 1);
    uintptr_t end = ((uintptr_t)origin + size) & ~(uintptr_t)(SCAN_WORD - 1);
    if (end <= first) return r;
    const uint64_t *w = (const uint64_t *)first;
    uint64_t n = (uint64_t)(end - first) / SCAN_WORD, span = hi - lo, i = 0;
    bool reporting = true;
    for (; i + SCAN_BATCH <= n; i += SCAN_BATCH) {
        /* branch-free over the batch: the compiler keeps this in registers (or vectors) */
        uint64_t any = 0;
        for (unsigned k = 0; k < SCAN_BATCH; k++) any |= (uint64_t)scan_word(w[i + k], lo, span);
        if (BASE_UNLIKELY(any)) scan_report(w + i, SCAN_BATCH, origin, lo, span, on_hit, ctx, &r, &reporting);
    }
    scan_report(w + i, n - i, origin, lo, span, on_hit, ctx, &r, &reporting);
    r.scanned = n * SCAN_WORD;
    return r;
}

SCAN_UNPOISONED void scan_store(uintptr_t addr, uint64_t value) { *(uint64_t *)addr = value; }
SCAN_UNPOISONED uint64_t scan_load(uintptr_t addr) { return *(const volatile uint64_t *)addr; }
