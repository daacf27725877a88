/* block.c - layout and initialisation of the fixed block (no OS calls). */
#include "block.h"
#include "units.h"
#include "../../arena/arena_os.h"

#include <string.h>

block_config block_config_default(void)
{
    block_config c = {
        .base = BLOCK_DEFAULT_BASE,
        .reserve = BLOCK_DEFAULT_RESERVE,
        .frame_size = BLOCK_DEFAULT_FRAME_SIZE,
        .scratch_size = BLOCK_DEFAULT_SCRATCH_SIZE,
        .heap_size = BLOCK_DEFAULT_HEAP_SIZE,
        .host_size = BLOCK_DEFAULT_HOST_SIZE,
        .media_size = BLOCK_DEFAULT_MEDIA_SIZE,
    };
    return c;
}

static const char *const block_region_names[BLOCK_REGION_COUNT] = {
    "header", "host", "frame0", "frame1", "scratch0", "scratch1", "media", "heap", "persistent",
};

static void block_region_set(block_region *r, block_region_id id, uint64_t offset, uint64_t size)
{
    memset(r, 0, sizeof(*r));
    strncpy(r->name, block_region_names[id], sizeof(r->name) - 1);
    r->offset = offset;
    r->size = size;
}

static bool block_overflow(host_error *err)
{
    return host_fail(err, "the block's regions add up past 64-bit sizes; lower --heap, --frame-arena or --scratch-arena "
                          "(e.g. --frame-arena 256M)");
}

bool block_plan(const block_config *c, block_region regions[BLOCK_REGION_COUNT], host_error *err)
{
    const uint64_t page = KB(64); /* Windows reserves and aligns in 64 KiB units */
    if (c->base == 0 || c->base % BLOCK_HEAP_ALIGN)
        return host_fail(err, "block base 0x%llx is not a multiple of 32 MiB; pass --base with an address "
                              "like 0x200000000000", (unsigned long long)c->base);
    if (c->heap_size % BLOCK_HEAP_ALIGN)
        return host_fail(err, "heap size %s is not a multiple of 32 MiB (mimalloc needs that); pass --heap "
                              "with a multiple of 32M, e.g. --heap 1G", units_bytes(c->heap_size).s);
    const struct {
        uint64_t size;
        const char *flag; /* NULL: not an option, a host constant */
    } arenas[] = {{c->host_size, NULL}, {c->frame_size, "--frame-arena"}, {c->scratch_size, "--scratch-arena"},
                  {c->media_size, NULL}};
    for (size_t i = 0; i < ARRAY_COUNT(arenas); i++) {
        if (arenas[i].size >= page && arenas[i].size % page == 0) continue;
        if (!arenas[i].flag) return host_fail(err, "the host and media regions must be multiples of 64 KiB, at least 64 KiB");
        return host_fail(err, "%s %s: arenas are multiples of 64 KiB, at least 64 KiB; e.g. %s 256M", arenas[i].flag,
                         units_bytes(arenas[i].size).s, arenas[i].flag);
    }

    uint64_t at = 0;
    uint64_t sizes[] = {BLOCK_HEADER_SIZE, c->host_size,    c->frame_size, c->frame_size,
                        c->scratch_size,   c->scratch_size, c->media_size};
    for (int id = 0; id <= BLOCK_REGION_MEDIA; id++) {
        block_region_set(&regions[id], (block_region_id)id, at, sizes[id]);
        if (!size_add(at, sizes[id], &at)) return block_overflow(err);
    }
    if (!size_align_up(at, BLOCK_HEAP_ALIGN, &at)) return block_overflow(err);
    block_region_set(&regions[BLOCK_REGION_HEAP], BLOCK_REGION_HEAP, at, c->heap_size);
    if (!size_add(at, c->heap_size, &at)) return block_overflow(err);

    uint64_t need = at + MB(1); /* at least a little persistent memory */
    if (c->reserve < need || c->reserve % page)
        return host_fail(err, "reserve %s is too small or not a multiple of 64 KiB: the regions need at least %s; "
                              "raise --reserve (e.g. --reserve 64G) or lower --heap", units_bytes(c->reserve).s,
                         units_bytes(need).s);
    block_region_set(&regions[BLOCK_REGION_PERSISTENT], BLOCK_REGION_PERSISTENT, at, c->reserve - at);
    return true;
}

void *block_region_start(const block_header *h, block_region_id id)
{
    return (uint8_t *)(uintptr_t)h->base + h->regions[id].offset;
}

static arena *block_arena_create(block_header *h, block_region_id id)
{
    return arena_create(block_region_start(h, id), h->regions[id].size,
                        (arena_params){.name = block_region_names[id]});
}

block_header *block_init(const block_config *c, const block_region regions[BLOCK_REGION_COUNT], host_error *err)
{
    block_header *h = (block_header *)(uintptr_t)c->base;
    if (!arena_os_commit(h, BLOCK_HEADER_SIZE))
        return host_fail(err, "cannot commit the block header at 0x%llx", (unsigned long long)c->base), NULL;
    memset(h, 0, sizeof(*h));
    h->magic = BLOCK_MAGIC;
    h->format_version = BLOCK_FORMAT_VERSION;
    h->header_size = (uint32_t)sizeof(*h);
    h->base = c->base;
    h->reserve = c->reserve;
    memcpy(h->regions, regions, sizeof(h->regions));

    game_memory *m = &h->memory;
    h->host = block_arena_create(h, BLOCK_REGION_HOST);
    m->persistent = block_arena_create(h, BLOCK_REGION_PERSISTENT);
    h->frames[0] = block_arena_create(h, BLOCK_REGION_FRAME0);
    h->frames[1] = block_arena_create(h, BLOCK_REGION_FRAME1);
    m->scratch[0] = block_arena_create(h, BLOCK_REGION_SCRATCH0);
    m->scratch[1] = block_arena_create(h, BLOCK_REGION_SCRATCH1);
    if (!h->host || !m->persistent || !h->frames[0] || !h->frames[1] || !m->scratch[0] || !m->scratch[1])
        return host_fail(err, "cannot create the arenas in the block at 0x%llx (commit failed)",
                         (unsigned long long)c->base), NULL;
    m->frame = h->frames[0];
    m->frame_prev = h->frames[1];
    return h;
}

void block_frame_begin(block_header *h)
{
    game_memory *m = &h->memory;
    m->frame_index++;
    m->frame_prev = m->frame;
    m->frame = h->frames[m->frame_index & 1];
    arena_clear(m->frame);
    arena_stats_frame_begin(m->frame);
    arena_stats_frame_begin(m->persistent);
    for (int i = 0; i < GAME_SCRATCH_COUNT; i++) arena_stats_frame_begin(m->scratch[i]);
}

void block_reset_state(block_header *h)
{
    game_memory *m = &h->memory;
    arena_clear(m->persistent);
    arena_clear(h->frames[0]);
    arena_clear(h->frames[1]);
    for (int i = 0; i < GAME_SCRATCH_COUNT; i++) arena_clear(m->scratch[i]);
    m->root = NULL;
    m->root_size = 0;
    m->reloads = 0;
}

const block_region_id block_arena_regions[BLOCK_ARENA_COUNT] = {
    BLOCK_REGION_PERSISTENT, BLOCK_REGION_FRAME0,   BLOCK_REGION_FRAME1,
    BLOCK_REGION_SCRATCH0,   BLOCK_REGION_SCRATCH1, BLOCK_REGION_HOST,
};

arena *block_arena(const block_header *h, int i) { return block_region_start(h, block_arena_regions[i]); }
