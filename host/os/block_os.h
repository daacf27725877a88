/* block_os.h - reserving and releasing the fixed block's address range (block_posix.c,
 * block_win32.c). base/block.h lays the block out inside the range. */
#ifndef BLOCK_OS_H
#define BLOCK_OS_H

#include "../base/error.h"

#include <stdint.h>

/* Reserves [base, base + size) exactly at base, or fails naming base, size, the OS error and the
 * flag to pick another base. Never returns another address. */
bool block_reserve(uint64_t base, uint64_t size, host_error *err);
/* True when reserved pages are usable at once (Linux: MAP_NORESERVE, touch commits); false when
 * they must be committed first (Windows: MEM_RESERVE). mimalloc needs to know for the heap region. */
extern const bool block_reserve_is_committed;
void block_release(uint64_t base, uint64_t size);
/* Commits [start, start + size) of a reservation and touches every page of it, keeping its bytes,
 * so that writes there do not fault (checkpoints touch their buffers ahead: a first write to a
 * page costs several times the copy of it). False when the OS cannot commit it. */
bool block_prefault(uint64_t start, uint64_t size);
/* Asks for huge pages (2 MiB on x86-64) where the state grows large: fewer page faults, and the
 * dirty-page tracker walks one entry per 2 MiB until a write splits one (Linux: MADV_HUGEPAGE,
 * which the kernel honours unless transparent huge pages are "never"; Windows has no such hint
 * for ordinary pages, and nothing is done). */
void block_advise_huge(uint64_t start, uint64_t size);

#endif
