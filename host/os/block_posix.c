/* block_posix.c - reserving the fixed block with mmap. */
#include "block_os.h"
#include "../base/units.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000 /* Linux 4.17; older kernels treat it as a hint, checked below */
#endif

const bool block_reserve_is_committed = true;

bool block_reserve(uint64_t base, uint64_t size, host_error *err)
{
    void *want = (void *)(uintptr_t)base;
    /* read/write + NORESERVE: nothing is committed until touched, and the block is never executable */
    void *got = mmap(want, (size_t)size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (got == want) return true;
    int e = errno;
    if (got != MAP_FAILED) {
        munmap(got, (size_t)size); /* a kernel that took the flag as a hint placed it elsewhere */
        e = EEXIST;
    }
    return host_fail(err, "cannot reserve the block of %s at 0x%llx: %s%s; choose another base with --base ADDR "
                          "(e.g. --base 0x300000000000) or a smaller --reserve",
                     units_bytes(size).s, (unsigned long long)base, strerror(e),
                     e == EEXIST ? " (the address range is taken)" : "");
}

void block_release(uint64_t base, uint64_t size) { munmap((void *)(uintptr_t)base, (size_t)size); }

bool block_prefault(uint64_t start, uint64_t size)
{
    if (!size || madvise((void *)(uintptr_t)start, (size_t)size, MADV_POPULATE_WRITE) == 0) return true;
    /* an older kernel: one write per page, of the byte already there */
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    for (uint64_t at = start & ~(page - 1); at < start + size; at += page) {
        volatile uint8_t *b = (volatile uint8_t *)(uintptr_t)at;
        *b = *b;
    }
    return true;
}

void block_advise_huge(uint64_t start, uint64_t size) { madvise((void *)(uintptr_t)start, (size_t)size, MADV_HUGEPAGE); }
