/* block.h - the fixed block: its layout, its header, and its reservation.
 *
 * One virtual range at a fixed base address holds everything the game keeps: a header at the base,
 * then the regions. Pointers into the block stay valid for the life of the process and across
 * every reload because the block never moves.
 *
 *     base + 0          header (magic, version, region table, game_memory with the root)
 *     + 64 KiB          host arena: the host's own tables (stats, layouts, function names)
 *                       frame arena 0, frame arena 1   (alternate every frame)
 *                       scratch arena 0, scratch arena 1
 *                       media: the game's picture and its sound for the frame (platform/media.h)
 *     32 MiB aligned    heap region (handed to mimalloc)
 *                       persistent arena: the rest of the reserve
 *
 * block.c lays out and initialises (pure); os/block_os.h reserves and releases. */
#ifndef BLOCK_H
#define BLOCK_H

#include "error.h"
#include "../api/game_api.h"

#define BLOCK_MAGIC 0x4b434f4c42544f48ull /* "HOTBLOCK" */
#define BLOCK_FORMAT_VERSION 1
#define BLOCK_HEADER_SIZE KB(64)
#define BLOCK_HEAP_ALIGN MB(32) /* mimalloc 2.0.9 arenas: 32 MiB aligned, 32 MiB multiples */

#define BLOCK_DEFAULT_BASE 0x200000000000ull
#define BLOCK_DEFAULT_RESERVE GB(64)
#define BLOCK_DEFAULT_FRAME_SIZE MB(256)
#define BLOCK_DEFAULT_SCRATCH_SIZE MB(256)
#define BLOCK_DEFAULT_HEAP_SIZE GB(1)
#define BLOCK_DEFAULT_HOST_SIZE MB(64)
#define BLOCK_DEFAULT_MEDIA_SIZE MB(256) /* a picture of up to 8192 x 8184 pixels, and the audio buffer */

typedef enum block_region_id {
    BLOCK_REGION_HEADER,
    BLOCK_REGION_HOST,
    BLOCK_REGION_FRAME0,
    BLOCK_REGION_FRAME1,
    BLOCK_REGION_SCRATCH0,
    BLOCK_REGION_SCRATCH1,
    BLOCK_REGION_MEDIA,
    BLOCK_REGION_HEAP,
    BLOCK_REGION_PERSISTENT,
    BLOCK_REGION_COUNT
} block_region_id;

typedef struct block_config {
    uint64_t base;
    uint64_t reserve;
    uint64_t frame_size;   /* each of the two frame arenas */
    uint64_t scratch_size; /* each scratch arena */
    uint64_t heap_size;    /* multiple of 32 MiB */
    uint64_t host_size;    /* the host's own arena */
    uint64_t media_size;   /* the framebuffer and the audio buffer, committed as they are used */
} block_config;

typedef struct block_region {
    char name[16];
    uint64_t offset;
    uint64_t size;
} block_region;

typedef struct block_header {
    uint64_t magic;
    uint32_t format_version;
    uint32_t header_size;
    uint64_t base;
    uint64_t reserve;
    block_region regions[BLOCK_REGION_COUNT];
    arena *host;        /* the host's own data in the block; never reset by a restart */
    arena *frames[2];   /* frames[frame_index & 1] is this frame's arena */
    game_memory memory; /* handed to the game on every call */
    struct layout_record *layouts; /* the layouts the state was built with (layout.h), in the host arena */
} block_header;

block_config block_config_default(void);

/* Checks the config and computes the region table; false with a message when it does not fit. */
bool block_plan(const block_config *cfg, block_region regions[BLOCK_REGION_COUNT], host_error *err);

/* Writes the header and creates the arenas in reserved memory at cfg->base. */
block_header *block_init(const block_config *cfg, const block_region regions[BLOCK_REGION_COUNT], host_error *err);

/* The start of the next frame: the other frame arena becomes current and is cleared; the one
 * just used stays readable as frame_prev. */
void block_frame_begin(block_header *h);

/* Throws the game's state away (persistent, frames, scratch cleared, root dropped): a restart. */
void block_reset_state(block_header *h);

/* The address of a region's first byte. */
void *block_region_start(const block_header *h, block_region_id id);

/* The block's arenas, each at the start of its region, in the order reports list them:
 * persistent, frame0, frame1, scratch0, scratch1, host. */
#define BLOCK_ARENA_COUNT 6
extern const block_region_id block_arena_regions[BLOCK_ARENA_COUNT];
arena *block_arena(const block_header *h, int i);

#endif
