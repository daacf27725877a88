/* dirty.c - the OS-independent half of the dirty-page tracker: the method order, the consumers'
 * page sets (one bit per page of the block) and taking runs out of them (dirty.h). */
#include "dirty.h"
#include "../../arena/base.h"

#if defined(_MSC_VER)
#include <intrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dirty_tracker {
    uintptr_t base;
    uint64_t size;
    uint64_t page;
    uint32_t page_shift;
    uint64_t words; /* of each set */
    dirty_method method;
    dirty_os *os;   /* NULL for DIRTY_EVERYTHING */
    uint32_t consumers;
    uint64_t *sets[DIRTY_CONSUMERS_MAX];
    char why[HOST_ERROR_MAX];
};

static const char *const dirty_names[DIRTY_METHOD_COUNT] = {"pagemap_scan", "soft_dirty", "write_watch", "everything"};

const char *dirty_method_name(dirty_method m) { return m < DIRTY_METHOD_COUNT ? dirty_names[m] : "unknown"; }
dirty_method dirty_method_of(const dirty_tracker *t) { return t->method; }
const char *dirty_fallback_reason(const dirty_tracker *t) { return t->why; }
uint64_t dirty_page_size(const dirty_tracker *t) { return t->page; }
dirty_os *dirty_os_of(const dirty_tracker *t) { return t->os; }

void dirty_before_write(dirty_tracker *t, uintptr_t start, uint64_t size)
{
    if (t->os && size) dirty_os_before_write(t->os, start & ~(uintptr_t)(t->page - 1), size + (start & (t->page - 1)));
}

/* Adds "name: reason" to the tracker's list of methods it could not use. */
static void dirty_note_failure(dirty_tracker *t, dirty_method m, const char *reason)
{
    size_t len = strlen(t->why);
    snprintf(t->why + len, sizeof(t->why) - len, "%s%s: %s", len ? "; " : "", dirty_method_name(m), reason);
}

dirty_tracker *dirty_start(uintptr_t base, uint64_t size, dirty_method first, host_error *err)
{
    dirty_tracker *t = calloc(1, sizeof(*t));
    if (!t) return host_fail(err, "out of memory for the dirty-page tracker"), NULL;
    t->base = base;
    t->size = size;
    t->page = dirty_os_page_size();
    while ((1ull << t->page_shift) < t->page) t->page_shift++;
    t->words = (size / t->page + 63) / 64;
    t->method = DIRTY_EVERYTHING;
    for (dirty_method m = first; m < DIRTY_EVERYTHING && !t->os; m++) {
        host_error why = {{0}};
        t->os = dirty_os_start(m, base, size, &why);
        if (t->os) t->method = m;
        else if (why.msg[0]) dirty_note_failure(t, m, why.msg);
    }
    return t;
}

void dirty_stop(dirty_tracker *t)
{
    if (!t) return;
    dirty_watch_stop(t);
    if (t->os) dirty_os_stop(t->os);
    for (uint32_t i = 0; i < t->consumers; i++) free(t->sets[i]);
    free(t);
}

bool dirty_consumer_add(dirty_tracker *t, dirty_consumer *out, host_error *err)
{
    if (t->consumers == DIRTY_CONSUMERS_MAX)
        return host_fail(err, "the dirty-page tracker has room for %d consumers", DIRTY_CONSUMERS_MAX);
    /* calloc'd: the OS hands out zero pages on first touch, so a set costs what it marks */
    uint64_t *set = calloc(t->words ? t->words : 1, sizeof(uint64_t));
    if (!set) return host_fail(err, "out of memory for a dirty-page set of %llu bytes", (unsigned long long)(t->words * 8));
    t->sets[t->consumers] = set;
    *out = t->consumers++;
    return true;
}

/* ---- marking ---------------------------------------------------------------------------------- */

/* [first, last) of page indices: bits set in one set. */
static void dirty_set_bits(uint64_t *set, uint64_t first, uint64_t last)
{
    while (first < last) {
        uint64_t word = first / 64, bit = first % 64, n = MIN(64 - bit, last - first);
        set[word] |= (n == 64 ? ~0ull : ((1ull << n) - 1)) << bit;
        first += n;
    }
}

/* The page indices of [start, end) clipped to the block: false when nothing is left. */
static bool dirty_pages(const dirty_tracker *t, uintptr_t start, uintptr_t end, uint64_t *first, uint64_t *last)
{
    uintptr_t block_end = t->base + t->size;
    if (start < t->base) start = t->base;
    if (end > block_end) end = block_end;
    if (end <= start) return false;
    *first = (start - t->base) >> t->page_shift;
    *last = (end - t->base + t->page - 1) >> t->page_shift;
    return true;
}

void dirty_mark(dirty_tracker *t, uintptr_t start, uintptr_t end)
{
    uint64_t first, last;
    if (!dirty_pages(t, start, end, &first, &last)) return;
    for (uint32_t i = 0; i < t->consumers; i++) dirty_set_bits(t->sets[i], first, last);
}

static void dirty_read(dirty_tracker *t, const dirty_range *ranges, uint32_t count, bool clear)
{
    for (uint32_t i = 0; i < count; i++) {
        const dirty_range *r = &ranges[i];
        if (!r->size) continue;
        if (!t->os || !dirty_os_collect(t->os, t, r, clear)) dirty_mark(t, r->start, r->start + r->size);
    }
    if (t->os && clear) dirty_os_collected(t->os);
}

void dirty_collect(dirty_tracker *t, const dirty_range *ranges, uint32_t count) { dirty_read(t, ranges, count, true); }

void dirty_gather(dirty_tracker *t, const dirty_range *ranges, uint32_t count) { dirty_read(t, ranges, count, false); }

/* ---- taking ----------------------------------------------------------------------------------- */

static inline uint64_t dirty_ctz(uint64_t word)
{
#if defined(_MSC_VER)
    unsigned long i;
    _BitScanForward64(&i, word);
    return i;
#else
    return (uint64_t)__builtin_ctzll(word);
#endif
}

/* The first bit equal to `want` at or after `from` and before `last`; `last` when there is none. */
static uint64_t dirty_next(const uint64_t *set, uint64_t from, uint64_t last, bool want)
{
    while (from < last) {
        uint64_t word = set[from / 64];
        if (!want) word = ~word;
        word &= ~0ull << (from % 64);
        if (word) return MIN(from - from % 64 + dirty_ctz(word), last);
        from = from - from % 64 + 64;
    }
    return last;
}

static void dirty_clear_bits(uint64_t *set, uint64_t first, uint64_t last)
{
    while (first < last) {
        uint64_t word = first / 64, bit = first % 64, n = MIN(64 - bit, last - first);
        set[word] &= ~((n == 64 ? ~0ull : ((1ull << n) - 1)) << bit);
        first += n;
    }
}

uint64_t dirty_take(dirty_tracker *t, dirty_consumer c, uintptr_t start, uint64_t size, dirty_run_fn *fn, void *ctx)
{
    uint64_t first, last, taken = 0;
    if (c >= t->consumers || !dirty_pages(t, start, start + size, &first, &last)) return 0;
    uint64_t *set = t->sets[c];
    uintptr_t end = start + size;
    for (uint64_t at = dirty_next(set, first, last, true); at < last; at = dirty_next(set, at, last, true)) {
        uint64_t stop = dirty_next(set, at, last, false);
        dirty_clear_bits(set, at, stop);
        uintptr_t run_start = MAX(t->base + (at << t->page_shift), start);
        uintptr_t run_end = MIN(t->base + (stop << t->page_shift), end);
        taken += run_end - run_start;
        if (fn) fn(ctx, run_start, run_end - run_start);
        at = stop;
    }
    return taken;
}
