/* stale.c - the stale-pointer scan of the block after a reload (stale.h). */
#include "stale.h"
#include "../os/clock.h"
#include "scan.h"

#include <stdio.h>
#include <string.h>

typedef struct stale_scanning {
    stale_scan *out;
    const block_header *block;
    const lib_version *old;
    const event_log *log;
    block_region_id region;
    uint64_t region_offset; /* of the scanned range's start within the region */
    uint32_t reported;      /* warnings written, up to STALE_REPORT_MAX */
} stale_scanning;

static bool stale_on_hit(void *ctx, uint64_t offset, uint64_t value)
{
    stale_scanning *s = ctx;
    if (s->reported++ >= STALE_REPORT_MAX) return false;
    const block_region *r = &s->block->regions[s->region];
    uint64_t at = s->region_offset + offset;
    char symbol_text[160];
    lib_version_name(s->old, (uintptr_t)value, symbol_text, sizeof(symbol_text));
    char msg[1024];
    snprintf(msg, sizeof(msg), "stale pointer after the reload: %.16s+0x%llx holds 0x%llx, inside unloaded game library "
                               "version %llu (%s); keep a function registry handle or a copy (arena_push_str) "
                               "in the state instead", r->name, (unsigned long long)at, (unsigned long long)value,
             (unsigned long long)s->old->number, symbol_text);
    event e = event_begin(s->log, "warning");
    event_str(&e, "msg", msg);
    event_str(&e, "region", r->name);
    event_uint(&e, "offset", at);
    event_hex(&e, "value", value);
    event_uint(&e, "version", s->old->number);
    event_str(&e, "symbol", symbol_text);
    event_end(s->log, &e);
    return true;
}

static void stale_scan_range(stale_scanning *s, const void *start, uint64_t size)
{
    const uint8_t *region_start = block_region_start(s->block, s->region);
    s->region_offset = (uint64_t)((const uint8_t *)start - region_start);
    scan_result r = scan_words(start, size, s->old->start, s->old->end, stale_on_hit, s);
    s->out->bytes += r.scanned;
    s->out->found += r.hits;
}

static bool stale_scan_heap_block(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t size, void *ctx)
{
    (void)heap;
    (void)area;
    if (block) stale_scan_range(ctx, block, size);
    return true;
}

void stale_scan_block(stale_scan *out, const block_header *block, const heap_region *heap, const lib_version *old,
                      const event_log *log)
{
    memset(out, 0, sizeof(*out));
    uint64_t t0 = clock_now_ns();
    stale_scanning s = {out, block, old, log, BLOCK_REGION_HEADER, 0, 0};
    stale_scan_range(&s, block, sizeof(*block));
    for (int i = 0; i < BLOCK_ARENA_COUNT; i++) {
        const arena *a = block_arena(block, i);
        s.region = block_arena_regions[i];
        stale_scan_range(&s, a->base, a->pos);
    }
    s.region = BLOCK_REGION_HEAP;
    heap_visit(heap, true, stale_scan_heap_block, &s);
    out->ms = (double)(clock_now_ns() - t0) / 1e6;
    out->done = true;
    if (out->found)
        fprintf(stderr, "host: warning: %llu stale pointer%s into unloaded game library version %llu left in the block "
                        "(the warning events name each, up to %d)\n", (unsigned long long)out->found,
                out->found > 1 ? "s" : "", (unsigned long long)old->number, STALE_REPORT_MAX);
}

void stale_event(const stale_scan *s, event *e)
{
    if (!s->done) return;
    event_num(e, "scan_ms", s->ms);
    event_uint(e, "scan_bytes", s->bytes);
    event_uint(e, "stale_pointers", s->found);
}
