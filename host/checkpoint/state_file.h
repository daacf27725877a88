/* state_file.h - a state file: the whole state of the block, to continue the game in a new host
 * process, every pointer valid (the block is at the same base there).
 *
 *     host --save-state game.state ...   written at exit (and on the save key)
 *     host --load-state game.state ...   read at the start, instead of init
 *
 * Layout (all integers in the host's byte order; the header names the ABI, so a file is read only
 * by a host of the same ABI):
 *     state_file_header   magic "HBSTATE1", format, ABI version and fingerprint, sizeof(game_input),
 *                         base, reserve, region table, mimalloc version, frame, checksum, the size
 *                         and hash of everything after the header
 *     sections            {kind, size} then the payload, zeros up to a multiple of 8 bytes:
 *       HEADER            the block header (game_memory with the root)
 *       ARENA             one per game arena: its header and committed bytes, as runs of pages
 *                         (all-zero pages left out)
 *       HEAP_LOG          the main thread's heap calls since the region was fresh (heap_log.h)
 *       HEAP_PAGES        the bytes of every page of the main thread's heaps, as runs
 *       DEFERRED          blocks the game freed that checkpoints kept: freed after the load
 *       POOLS             the arena pools the stats table listed: listed in the new host's table
 *       LAYOUTS           the state's struct layouts (game_layout.h), to compare with the new build's
 *
 * A load makes the heap calls again in the new process, which puts every block at its address,
 * then writes the pages back: a live block gets all its bytes, a free one all but its first word
 * (mimalloc's link). The log holds every walk and settle of the heap too (they change mimalloc's
 * free lists), and the save settles the heap first, its last logged call: mimalloc's free lists are
 * then the same in both hosts, and the loaded game's next blocks land where the saving host's do. Heap memory that held no page at the save is not in the file: a block the game
 * allocates there later and does not initialise holds different bytes than in the saving process.
 *
 * Reading checks everything before anything is touched: a truncated, foreign, corrupted, wrong-base
 * or wrong-ABI file is one line in err. Writing goes through a temporary name and a rename, so a
 * failed save leaves the previous file whole. */
#ifndef STATE_FILE_H
#define STATE_FILE_H

#include "../base/block.h"
#include "../reload/layout.h"
#include "heap_log.h"

#define STATE_MAGIC "HBSTATE1"
#define STATE_FORMAT_VERSION 1

enum { STATE_SEC_HEADER = 1, STATE_SEC_ARENAS, STATE_SEC_HEAP_LOG, STATE_SEC_HEAP_PAGES, STATE_SEC_DEFERRED,
       STATE_SEC_POOLS, STATE_SEC_LAYOUTS, STATE_SEC_KINDS };

typedef struct state_file_header {
    char magic[8];
    uint32_t format;
    uint32_t header_size;
    uint32_t game_abi;        /* GAME_API_VERSION */
    uint32_t input_size;      /* sizeof(game_input): recordings share this header */
    uint64_t abi_fingerprint; /* GAME_ABI_FINGERPRINT */
    uint64_t base;
    uint64_t reserve;
    block_region regions[BLOCK_REGION_COUNT];
    uint32_t mimalloc_version;
    uint32_t section_count;
    uint64_t frame;           /* frames the saving host had run */
    uint64_t checksum;        /* checksum_state when saved */
    uint64_t body_size;       /* bytes after this header */
    uint64_t body_hash;
    char host_version[16];
} state_file_header;

/* What a save takes from the running host. */
typedef struct state_parts {
    const block_header *block;
    heap_region *heap;   /* settled by the encoding (heap_epoch_settle: the log's last call) */
    const heap_log *log;
    void *const *deferred;
    uint64_t deferred_count;
    uint64_t frame;
    uint64_t checksum;
    const char *host_version;
} state_parts;

/* A file read and checked, ready to apply. */
typedef struct state_image {
    uint8_t *data;
    uint64_t size;
    const state_file_header *header;
    const uint8_t *sections[STATE_SEC_KINDS]; /* by kind: the payload, or NULL */
    uint64_t section_sizes[STATE_SEC_KINDS];
    layout_set layouts;         /* decoded from LAYOUTS (count 0: none) */
    void *layout_memory;
} state_image;

/* The bytes of a state file in memory (malloc'd in *out); false with err when out of memory. */
bool state_encode(const state_parts *p, uint8_t **out, uint64_t *size, host_error *err);
/* Checks the bytes against this host (cfg: its block) and fills img, taking ownership of data. */
bool state_decode(uint8_t *data, uint64_t size, const block_config *cfg, state_image *img, host_error *err);
bool state_read(const char *path, const block_config *cfg, state_image *img, host_error *err);
bool state_write(const char *path, const state_parts *p, uint64_t *bytes, host_error *err);

/* Puts the state into a fresh block and region: the heap calls made again (false with err when a
 * block lands elsewhere; then nothing of the block was touched), the header and arenas written
 * (the arenas' links to the host's stats table kept), the heap's pages written, the deferred frees
 * carried out by `free_fn`. The layouts are the caller's to store. */
bool state_apply(const state_image *img, block_header *block, heap_region *heap, void (*free_fn)(void *p),
                 host_error *err);
void state_image_free(state_image *img);

/* LAYOUTS, in and out (state_layouts.c). */
bool state_layouts_encode(const layout_set *set, uint8_t **out, uint64_t *size);
bool state_layouts_decode(const uint8_t *data, uint64_t size, layout_set *set, void **memory);

#endif
