/* checksum.h - one 64-bit number for the state of the block: what `exit` events carry and
 * --expect-checksum compares, so that two runs can be compared from their event logs.
 *
 * It covers what the game can reach: the root and its size, the frame index, the bytes of every
 * arena of the game up to its position (padding included: it is read unpoisoned), and every live
 * block of the main thread's heaps (address, usable size, bytes). It leaves out what legitimately
 * differs between two runs of the same state: the host's arena (stats, names, layouts), the arenas'
 * headers (counters, stats links), each pool's keys into the stats table (new in every process),
 * the frame arenas' bytes past their positions, the reload count. */
#ifndef CHECKSUM_H
#define CHECKSUM_H

#include "../base/block.h"
#include "../../arena/heap.h"

uint64_t checksum_state(const block_header *b, const heap_region *heap);

/* The arenas a checksum (and a state) covers, in a fixed order: persistent, frame0, frame1,
 * scratch0, scratch1. */
#define CHECKSUM_ARENAS 5
arena *checksum_arena(const block_header *b, int i);

/* The hash the checksum is built from, for bytes read past ASan's poisoning. */
uint64_t checksum_bytes(uint64_t h, const void *p, uint64_t size);

#endif
