/* scan.h - finds pointer-sized values that fall inside an address range: the host's check, after a
 * reload, that nothing in the block still points into the library it just unloaded (a function
 * pointer, a string literal, a table of the old code kept in the state).
 *
 *     scan_result r = scan_words(start, size, old_lo, old_hi, on_hit, ctx);
 *
 * Only 8-byte-aligned words are read (a pointer the compiler stored in a struct or an array is
 * aligned); `start` is rounded up and the end down to that. Pure: no OS, no allocation. The loop
 * tests eight words per branch, so memory bandwidth, not the compare, sets the speed. */
#ifndef SCAN_H
#define SCAN_H

#include <stdbool.h>
#include <stdint.h>

/* One word in [lo, hi): its offset from the `start` given to scan_words, and its value. Return false
 * to stop the scan. */
typedef bool scan_hit_fn(void *ctx, uint64_t offset, uint64_t value);

typedef struct scan_result {
    uint64_t hits;    /* words found (counted even after on_hit asked to stop reporting) */
    uint64_t scanned; /* bytes read */
} scan_result;

/* Calls on_hit (may be NULL) for every aligned 8-byte word of [start, start + size) whose value v
 * has lo <= v < hi. */
scan_result scan_words(const void *start, uint64_t size, uint64_t lo, uint64_t hi, scan_hit_fn *on_hit, void *ctx);

/* Writes a word the scan found (a repair): like the scan, it may lie in padding an arena poisons. */
void scan_store(uintptr_t addr, uint64_t value);
uint64_t scan_load(uintptr_t addr);

#endif
