/* state_file.c - writing, checking and applying state files (state_file.h). */
#include "state_file.h"
#include "../../arena/arena_os.h"
#include "../os/fs.h"
#include "../../arena/arena_stats.h"
#include "../../arena/pool.h"
#include "bytes.h"
#include "checksum.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_PAGE KB(4)


typedef struct state_section {
    uint32_t kind;
    uint32_t reserved0;
    uint64_t size;
} state_section;

static void state_put_u64(bytes_buf *b, uint64_t v) { bytes_put(b, &v, 8); }

/* Opens a section; state_end fills in its size. */
static uint64_t state_begin(bytes_buf *b, uint32_t kind)
{
    state_section s = {kind, 0, 0};
    bytes_put(b, &s, sizeof(s));
    return b->size;
}

/* Sections start 8-byte aligned: their size is the payload's, zeros pad it up to a multiple of 8. */
static uint64_t state_padding(uint64_t size) { return (8 - size % 8) % 8; }

static void state_end(bytes_buf *b, uint64_t start)
{
    if (b->failed) return;
    uint64_t size = b->size - start;
    memcpy(b->data + start - sizeof(state_section) + offsetof(state_section, size), &size, 8);
    uint8_t *pad = bytes_room(b, state_padding(size));
    if (pad) memset(pad, 0, (size_t)state_padding(size));
}

/* ---- encoding --------------------------------------------------------------------------------- */

/* [start, start + size) as runs of pages that are not all zero: count, {offset, length}..., bytes. */
static void state_put_runs(bytes_buf *b, const uint8_t *start, uint64_t size)
{
    uint64_t count_at = b->size, count = 0;
    state_put_u64(b, 0);
    for (uint64_t at = 0; at < size;) {
        uint64_t n = MIN(STATE_PAGE, size - at);
        if (bytes_zero(start + at, n)) {
            at += n;
            continue;
        }
        uint64_t end = at + n;
        while (end < size && !bytes_zero(start + end, MIN(STATE_PAGE, size - end))) end += MIN(STATE_PAGE, size - end);
        state_put_u64(b, at);
        state_put_u64(b, end - at);
        bytes_put(b, start + at, end - at);
        count++;
        at = end;
    }
    if (!b->failed) memcpy(b->data + count_at, &count, 8);
}

static void state_put_arenas(bytes_buf *b, const block_header *block)
{
    uint64_t s = state_begin(b, STATE_SEC_ARENAS);
    for (int i = 0; i < CHECKSUM_ARENAS; i++) {
        const arena *a = checksum_arena(block, i);
        uint64_t size = (uint64_t)(a->base - (const uint8_t *)a) + a->committed;
        state_put_u64(b, size);
        state_put_runs(b, (const uint8_t *)a, size);
    }
    state_end(b, s);
}

typedef struct state_area_writer {
    bytes_buf *b;
    const heap_region *heap;
    uint64_t count;
} state_area_writer;

static bool state_put_area(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)block;
    (void)size;
    state_area_writer *w = arg;
    uint64_t head[4] = {(uint64_t)((uint8_t *)area->blocks - w->heap->start), area->reserved, area->block_size,
                        area->full_block_size};
    bytes_put(w->b, head, sizeof(head));
    bytes_put(w->b, area->blocks, area->reserved);
    w->count++;
    return true;
}

static void state_put_heap(bytes_buf *b, const state_parts *p)
{
    uint64_t s = state_begin(b, STATE_SEC_HEAP_LOG);
    bytes_put(b, p->log->data, p->log->size);
    state_end(b, s);
    s = state_begin(b, STATE_SEC_HEAP_PAGES);
    uint64_t count_at = b->size;
    state_put_u64(b, 0);
    state_area_writer w = {b, p->heap, 0};
    heap_visit(p->heap, false, state_put_area, &w);
    if (!b->failed) memcpy(b->data + count_at, &w.count, 8);
    state_end(b, s);
    s = state_begin(b, STATE_SEC_DEFERRED);
    for (uint64_t i = 0; i < p->deferred_count; i++) state_put_u64(b, (uint64_t)((uint8_t *)p->deferred[i] - p->heap->start));
    state_end(b, s);
}

static void state_put_pools(bytes_buf *b, const block_header *block)
{
    uint64_t s = state_begin(b, STATE_SEC_POOLS);
    const arena_stats_table *t = checksum_arena(block, 0)->stats.table;
    for (uint32_t i = 0; t && i < t->pool_count; i++) {
        const arena_pool *p = arena_stats_pool(t, i);
        if (p) state_put_u64(b, (uint64_t)(uintptr_t)p);
    }
    state_end(b, s);
}

static void state_put_layouts(bytes_buf *b, const block_header *block)
{
    if (!block->layouts) return;
    uint8_t *data;
    uint64_t size;
    if (!state_layouts_encode(&block->layouts->set, &data, &size)) {
        b->failed = true;
        return;
    }
    uint64_t s = state_begin(b, STATE_SEC_LAYOUTS);
    bytes_put(b, data, size);
    state_end(b, s);
    free(data);
}

static state_file_header state_header_of(const block_header *block)
{
    state_file_header h = {.format = STATE_FORMAT_VERSION, .header_size = sizeof(state_file_header),
                           .game_abi = GAME_API_VERSION, .input_size = sizeof(game_input),
                           .abi_fingerprint = GAME_ABI_FINGERPRINT, .base = block->base, .reserve = block->reserve,
                           .mimalloc_version = (uint32_t)mi_version()};
    memcpy(h.magic, STATE_MAGIC, 8);
    memcpy(h.regions, block->regions, sizeof(h.regions));
        return h;
}

bool state_encode(const state_parts *p, uint8_t **out, uint64_t *size, host_error *err)
{
    heap_epoch_settle(p->heap); /* the pages saved are those a loading host's replay and settle make */
    bytes_buf b = {0};
    state_file_header h = state_header_of(p->block);
    snprintf(h.host_version, sizeof(h.host_version), "%s", p->host_version);
    h.frame = p->frame;
    h.checksum = p->checksum;
    h.section_count = STATE_SEC_KINDS - 1;
    bytes_put(&b, &h, sizeof(h));
    uint64_t s = state_begin(&b, STATE_SEC_HEADER);
    bytes_put(&b, p->block, sizeof(block_header));
    state_end(&b, s);
    state_put_arenas(&b, p->block);
    state_put_heap(&b, p);
    state_put_pools(&b, p->block);
    state_put_layouts(&b, p->block);
    if (b.failed) {
        free(b.data);
        return host_fail(err, "out of memory writing the state (%s)", "the file would need more than the host has");
    }
    state_file_header *done = (state_file_header *)b.data;
    done->body_size = b.size - sizeof(h);
    done->body_hash = checksum_bytes(0, b.data + sizeof(h), done->body_size);
    *out = b.data;
    *size = b.size;
    return true;
}

bool state_write(const char *path, const state_parts *p, uint64_t *bytes, host_error *err)
{
    uint8_t *data;
    if (!state_encode(p, &data, bytes, err)) return false;
    bool ok = fs_write_atomic(path, data, *bytes, err);
    free(data);
    return ok;
}

/* ---- checking -------------------------------------------------------------------------------- */

/* Runs of [0, limit): sorted, inside, their bytes present. */
static bool state_check_runs(bytes_cursor *c, uint64_t limit)
{
    uint64_t count, end = 0;
    if (!bytes_get(c, &count, 8)) return false;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t run[2];
        if (!bytes_get(c, run, 16) || run[0] < end || run[1] == 0 || run[1] > limit || run[0] > limit - run[1] ||
            !bytes_skip(c, run[1]))
            return false;
        end = run[0] + run[1];
    }
    return true;
}

static bool state_check_arenas(const state_image *img, const block_config *cfg)
{
    bytes_cursor c = {img->sections[STATE_SEC_ARENAS], img->sections[STATE_SEC_ARENAS] + img->section_sizes[STATE_SEC_ARENAS]};
    const state_file_header *h = img->header;
    for (int i = 0; i < CHECKSUM_ARENAS; i++) {
        uint64_t size;
        const block_region *r = &h->regions[block_arena_regions[i]];
        if (!bytes_get(&c, &size, 8) || size < sizeof(arena) || size > r->size || !state_check_runs(&c, size)) return false;
    }
    (void)cfg;
    return c.at == c.end;
}

static bool state_check_heap(const state_image *img, uint64_t heap_size)
{
    const uint8_t *p = img->sections[STATE_SEC_HEAP_PAGES];
    bytes_cursor c = {p, p + img->section_sizes[STATE_SEC_HEAP_PAGES]};
    uint64_t count;
    if (!bytes_get(&c, &count, 8)) return false;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t a[4];
        if (!bytes_get(&c, a, sizeof(a)) || a[1] > heap_size || a[0] > heap_size - a[1] || a[2] == 0 || a[3] < a[2] ||
            a[2] < 8 || !bytes_skip(&c, a[1]))
            return false;
    }
    uint64_t deferred = img->section_sizes[STATE_SEC_DEFERRED];
    return c.at == c.end && deferred % 8 == 0;
}

/* Each pool header lies inside a game arena's saved bytes, aligned. */
static bool state_check_pools(const state_image *img)
{
    const uint8_t *d = img->sections[STATE_SEC_POOLS];
    uint64_t n = img->section_sizes[STATE_SEC_POOLS];
    if (n % 8) return false;
    for (uint64_t i = 0; i < n / 8; i++) {
        uint64_t at;
        memcpy(&at, d + i * 8, 8);
        bool inside = false;
        for (int k = 0; k < CHECKSUM_ARENAS && !inside; k++) {
            const block_region *r = &img->header->regions[block_arena_regions[k]];
            uint64_t start = img->header->base + r->offset;
            inside = at >= start && at - start <= r->size - sizeof(arena_pool);
        }
        if (!inside || at % 8) return false;
    }
    return true;
}

static bool state_check_header(const state_file_header *h, uint64_t size, const block_config *cfg, host_error *err)
{
    if (size < 8 || memcmp(h, STATE_MAGIC, 8) != 0) return host_fail(err, "not a hotblock state file");
    if (size < sizeof(*h))
        return host_fail(err, "truncated (%llu bytes, the header alone is %u)", (unsigned long long)size, (unsigned)sizeof(*h));
    if (h->format != STATE_FORMAT_VERSION || h->header_size != sizeof(*h))
        return host_fail(err, "format %u; this host reads format %u", h->format, STATE_FORMAT_VERSION);
    if (h->game_abi != GAME_API_VERSION || h->abi_fingerprint != GAME_ABI_FINGERPRINT || h->input_size != sizeof(game_input))
        return host_fail(err, "saved by a host of game ABI %u (fingerprint %llx); this host has ABI %u (%llx)", h->game_abi,
                         (unsigned long long)h->abi_fingerprint, GAME_API_VERSION, (unsigned long long)GAME_ABI_FINGERPRINT);
    if (h->base != cfg->base || h->reserve != cfg->reserve)
        return host_fail(err, "saved with the block at 0x%llx (%llu bytes); run with --base 0x%llx --reserve %llu",
                         (unsigned long long)h->base, (unsigned long long)h->reserve, (unsigned long long)h->base,
                         (unsigned long long)h->reserve);
    block_region regions[BLOCK_REGION_COUNT];
    host_error plan;
    if (!block_plan(cfg, regions, &plan) || memcmp(regions, h->regions, sizeof(regions)) != 0)
        return host_fail(err, "saved with other region sizes; run with the --heap, --frame-arena and --scratch-arena it "
                              "was saved with");
    if (h->mimalloc_version != (uint32_t)mi_version())
        return host_fail(err, "saved with mimalloc %u, this host has %d: its heap would be placed differently",
                         h->mimalloc_version, mi_version());
    if (h->body_size != size - sizeof(*h)) return host_fail(err, "truncated or padded (%llu bytes, the header says %llu)",
                                                            (unsigned long long)size,
                                                            (unsigned long long)(h->body_size + sizeof(*h)));
    return true;
}

static bool state_check_sections(state_image *img, uint64_t heap_size, const block_config *cfg, host_error *err)
{
    bytes_cursor c = {img->data + sizeof(state_file_header), img->data + img->size};
    while (c.at < c.end) {
        state_section s;
        if (!bytes_get(&c, &s, sizeof(s)) || s.kind == 0 || s.kind >= STATE_SEC_KINDS || img->sections[s.kind] ||
            (uint64_t)(c.end - c.at) < s.size || (uint64_t)(c.end - c.at) - s.size < state_padding(s.size))
            return host_fail(err, "a section is malformed");
        img->sections[s.kind] = c.at;
        img->section_sizes[s.kind] = s.size;
        c.at += s.size + state_padding(s.size);
    }
    for (int k = STATE_SEC_HEADER; k <= STATE_SEC_POOLS; k++)
        if (!img->sections[k]) return host_fail(err, "section %d is missing", k);
    const block_header *b = (const block_header *)img->sections[STATE_SEC_HEADER];
    if (img->section_sizes[STATE_SEC_HEADER] != sizeof(block_header) || b->magic != BLOCK_MAGIC || b->base != cfg->base)
        return host_fail(err, "its block header is not this host's");
    if (!state_check_arenas(img, cfg) || !state_check_heap(img, heap_size) || !state_check_pools(img))
        return host_fail(err, "its memory sections are malformed");
    if (img->sections[STATE_SEC_LAYOUTS] &&
        !state_layouts_decode(img->sections[STATE_SEC_LAYOUTS], img->section_sizes[STATE_SEC_LAYOUTS], &img->layouts,
                              &img->layout_memory))
        return host_fail(err, "its layouts are malformed");
    return true;
}

bool state_decode(uint8_t *data, uint64_t size, const block_config *cfg, state_image *img, host_error *err)
{
    memset(img, 0, sizeof(*img));
    img->data = data;
    img->size = size;
    img->header = (const state_file_header *)data;
    if (!state_check_header(img->header, size, cfg, err)) return false;
    if (checksum_bytes(0, data + sizeof(state_file_header), img->header->body_size) != img->header->body_hash)
        return host_fail(err, "corrupted (its hash does not match its bytes)");
    return state_check_sections(img, cfg->heap_size, cfg, err);
}

bool state_read(const char *path, const block_config *cfg, state_image *img, host_error *err)
{
    uint64_t size;
    memset(img, 0, sizeof(*img));
    uint8_t *data = fs_read_file(path, &size, err);
    if (!data) return false;
    if (state_decode(data, size, cfg, img, err)) return true;
    char why[HOST_ERROR_MAX];
    snprintf(why, sizeof(why), "%s", err->msg);
    state_image_free(img);
    return host_fail(err, "state file %s refused, nothing loaded: %s", path, why);
}

void state_image_free(state_image *img)
{
    free(img->data);
    free(img->layout_memory);
    memset(img, 0, sizeof(*img));
}

/* ---- applying --------------------------------------------------------------------------------- */

typedef struct state_area {
    uint64_t offset, size, block_size, full_block_size;
    const uint8_t *bytes;
} state_area;

typedef struct state_heap_writer {
    const state_area *areas;
    uint64_t count;
    const heap_region *heap;
    const state_area *current; /* the area whose blocks the visit is in */
    uint8_t *live;             /* its slots: 1 for a live block */
    uint64_t slots;
    bool write;                /* false: only check that every area has its saved twin */
    uint64_t matched;
} state_heap_writer;

static const state_area *state_area_find(const state_heap_writer *w, uint64_t offset)
{
    uint64_t lo = 0, hi = w->count;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (w->areas[mid].offset < offset) lo = mid + 1;
        else hi = mid;
    }
    return lo < w->count && w->areas[lo].offset == offset ? &w->areas[lo] : NULL;
}

/* The saved bytes of the area just visited: a live block whole, a free slot but its first word. */
static void state_area_flush(state_heap_writer *w)
{
    const state_area *a = w->current;
    if (!a || !w->write) return;
    uint8_t *start = w->heap->start + a->offset;
    for (uint64_t i = 0; i < w->slots; i++) {
        uint64_t at = i * a->full_block_size, skip = w->live[i] ? 0 : 8;
        if (at + a->block_size > a->size) break;
        bytes_copy(start + at + skip, a->bytes + at + skip, a->block_size - skip);
    }
    w->current = NULL;
}

static bool state_heap_visit(const mi_heap_t *h, const mi_heap_area_t *area, void *block, size_t size, void *arg)
{
    (void)h;
    (void)size;
    state_heap_writer *w = arg;
    if (block) {
        uint64_t i = (uint64_t)((uint8_t *)block - (uint8_t *)area->blocks) / area->full_block_size;
        if (w->write && i < w->slots) w->live[i] = 1;
        return true;
    }
    state_area_flush(w);
    const state_area *a = state_area_find(w, (uint64_t)((uint8_t *)area->blocks - w->heap->start));
    if (!a || a->size != area->reserved || a->block_size != area->block_size || a->full_block_size != area->full_block_size)
        return false;
    w->matched++;
    w->current = a;
    w->slots = a->size / a->full_block_size;
    if (!w->write) return true;
    free(w->live);
    w->live = calloc((size_t)w->slots + 1, 1);
    return w->live != NULL;
}

static state_area *state_areas_of(const state_image *img, uint64_t *count)
{
    bytes_cursor c = {img->sections[STATE_SEC_HEAP_PAGES], img->sections[STATE_SEC_HEAP_PAGES] + img->section_sizes[STATE_SEC_HEAP_PAGES]};
    bytes_get(&c, count, 8);
    state_area *areas = calloc((size_t)*count + 1, sizeof(state_area));
    for (uint64_t i = 0; areas && i < *count; i++) {
        bytes_get(&c, &areas[i], 32);
        areas[i].bytes = c.at;
        c.at += areas[i].size;
    }
    return areas;
}

static int state_area_order(const void *a, const void *b)
{
    uint64_t x = ((const state_area *)a)->offset, y = ((const state_area *)b)->offset;
    return x < y ? -1 : x > y;
}

/* Every page the replay made has its saved twin, and none is left over; then (write) their bytes. */
static bool state_apply_heap(const state_image *img, heap_region *heap, bool write)
{
    state_heap_writer w = {.heap = heap, .write = write};
    state_area *areas = state_areas_of(img, &w.count);
    if (!areas) return false;
    qsort(areas, (size_t)w.count, sizeof(*areas), state_area_order);
    w.areas = areas;
    bool ok = heap_visit(heap, write, state_heap_visit, &w);
    state_area_flush(&w);
    free(w.live);
    free(areas);
    return ok && w.matched == w.count;
}

static void state_apply_runs(bytes_cursor *c, uint8_t *start)
{
    uint64_t count = 0;
    bytes_get(c, &count, 8);
    for (uint64_t i = 0; i < count; i++) {
        uint64_t run[2];
        bytes_get(c, run, 16);
        bytes_copy(start + run[0], c->at, run[1]);
        c->at += run[1];
    }
}

/* The arenas' bytes, keeping what links each to this host's stats table. */
static bool state_apply_arenas(const state_image *img, block_header *block)
{
    bytes_cursor c = {img->sections[STATE_SEC_ARENAS], img->sections[STATE_SEC_ARENAS] + img->section_sizes[STATE_SEC_ARENAS]};
    for (int i = 0; i < CHECKSUM_ARENAS; i++) {
        arena *a = checksum_arena(block, i);
        arena keep = *a;
        uint64_t size = 0;
        bytes_get(&c, &size, 8);
        if (!arena_os_commit(a, size)) return false;
        state_apply_runs(&c, (uint8_t *)a);
        a->site_counters = a->site_stamp ? keep.site_counters : &a->stats.own;
        a->site_stamp = keep.site_stamp;
        a->stats.table = keep.stats.table;
        bytes_repoison(a);
    }
    return true;
}

bool state_apply(const state_image *img, block_header *block, heap_region *heap, void (*free_fn)(void *p),
                 host_error *err)
{
    if (!heap_log_replay(img->sections[STATE_SEC_HEAP_LOG], img->section_sizes[STATE_SEC_HEAP_LOG], heap, err))
        return false;
    if (!state_apply_heap(img, heap, false)) {
        heap_epoch_destroy_from(heap, 0);
        return host_fail(err, "its heap pages do not match the heap its calls rebuilt");
    }
    struct layout_record *layouts = block->layouts;
    memcpy(block, img->sections[STATE_SEC_HEADER], sizeof(block_header));
    block->layouts = layouts;
    if (!state_apply_arenas(img, block) || !state_apply_heap(img, heap, true))
        return host_fail(err, "out of memory putting the state in place");
    arena_stats_table *t = checksum_arena(block, 0)->stats.table;
    const uint8_t *pools = img->sections[STATE_SEC_POOLS];
    for (uint64_t i = 0; t && i < img->section_sizes[STATE_SEC_POOLS] / 8; i++) {
        uint64_t at;
        memcpy(&at, pools + i * 8, 8);
        arena_stats_pool_add(t, (arena_pool *)(uintptr_t)at, 0); /* its keys and site were the saving host's */
    }
    const uint8_t *d = img->sections[STATE_SEC_DEFERRED];
    for (uint64_t i = 0; i < img->section_sizes[STATE_SEC_DEFERRED] / 8; i++) {
        uint64_t off;
        memcpy(&off, d + i * 8, 8);
        if (heap_epoch_of(heap, heap->start + off) >= 0) free_fn(heap->start + off);
    }
    return true;
}
