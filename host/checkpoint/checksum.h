/* checksum.h - one 64-bit number for the state of the block: what `exit` events carry, what
 * --expect-checksum compares and what the live loop compares between passes.
 *
 * It covers what the game can reach: the root and its size, the frame index, the bytes of every
 * arena of the game up to its position (padding included: it is read unpoisoned), and every live
 * block of the main thread's heaps (its usable size and bytes; blocks the game freed that a
 * checkpoint keeps allocated are left out). It leaves out what legitimately differs between two
 * runs of the same state: the host's arena (stats, names, layouts), the arenas' headers (counters,
 * stats links), each pool's keys into the stats table (new in every process), the frame arenas'
 * bytes past their positions, the reload count.
 *
 * It does not depend on where mimalloc put the heap's blocks (after a restore mimalloc may place
 * the blocks of a pass elsewhere than in the pass before): a word that points into a live heap
 * block counts as (that block's number, the offset), blocks numbered in the order the state reaches
 * them: the root, the arenas' words in address order, then each reached block's words in number
 * order. Blocks nothing reaches count by their contents alone, in any order. So two states are equal
 * when their bytes are equal up to where each heap block sits. A word that is not a pointer but
 * holds an address inside a heap block counts as a pointer (in both states alike). */
#ifndef CHECKSUM_H
#define CHECKSUM_H

#include "../base/block.h"
#include "../../arena/heap.h"

/* deferred: blocks the game freed that live checkpoints keep allocated (epochs.h), in any order. */
uint64_t checksum_state(const block_header *b, const heap_region *heap, void *const *deferred, uint64_t deferred_count);

/* The arenas a checksum (and a state) covers, in a fixed order: persistent, frame0, frame1,
 * scratch0, scratch1. */
#define CHECKSUM_ARENAS 5
arena *checksum_arena(const block_header *b, int i);

/* The hash the checksum is built from, for bytes read past ASan's poisoning. */
uint64_t checksum_bytes(uint64_t h, const void *p, uint64_t size);

#endif
