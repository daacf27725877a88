/* block_win32.c - reserving the fixed block with VirtualAlloc(MEM_RESERVE).
 *
 * Only address space is reserved; arenas commit it in steps as they grow (arena_os_win32.c,
 * 64 KiB at a time by default) and mimalloc commits the heap region itself, which is why
 * block_reserve_is_committed is false here. Windows reserves in 64 KiB units (the allocation
 * granularity), which block_plan already requires of every size. MEM_WRITE_WATCH makes Windows
 * record which pages are written, for the dirty-page tracker (dirty_win32.c); the heap region is
 * inside this one reservation, so mimalloc's pages are tracked too. */
#include "block_os.h"
#include "../base/units.h"
#include "util_win32.h"

const bool block_reserve_is_committed = false;

/* True when some page of [base, base + size) is already reserved or committed by someone. */
static bool block_range_taken(uint64_t base, uint64_t size)
{
    for (uint64_t at = base; at < base + size;) {
        MEMORY_BASIC_INFORMATION mbi;
        if (VirtualQuery((void *)(uintptr_t)at, &mbi, sizeof(mbi)) == 0) return false; /* beyond user space */
        if (mbi.State != MEM_FREE) return true;
        at = (uint64_t)(uintptr_t)mbi.BaseAddress + mbi.RegionSize;
    }
    return false;
}

bool block_reserve(uint64_t base, uint64_t size, host_error *err)
{
    void *want = (void *)(uintptr_t)base;
    /* read/write, never executable; VirtualAlloc at an explicit address fails rather than move */
    void *got = VirtualAlloc(want, (SIZE_T)size, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_READWRITE);
    if (got == want) return true;
    DWORD code = GetLastError();
    if (got) VirtualFree(got, 0, MEM_RELEASE); /* cannot happen for an aligned base; never keep another address */
    return host_fail(err, "cannot reserve the block of %s at 0x%llx: %s%s; choose another base with --base ADDR "
                          "(e.g. --base 0x300000000000) or a smaller --reserve",
                     units_bytes(size).s, (unsigned long long)base, win32_error_text(code).s,
                     block_range_taken(base, size) ? " (the address range is taken)" : "");
}

void block_advise_huge(uint64_t start, uint64_t size)
{
    (void)start, (void)size; /* large pages need a privilege and MEM_LARGE_PAGES at reservation */
}

void block_release(uint64_t base, uint64_t size)
{
    (void)size; /* MEM_RELEASE frees the whole reservation made at base */
    VirtualFree((void *)(uintptr_t)base, 0, MEM_RELEASE);
}

bool block_prefault(uint64_t start, uint64_t size)
{
    if (!size) return true;
    if (!VirtualAlloc((void *)(uintptr_t)start, (SIZE_T)size, MEM_COMMIT, PAGE_READWRITE)) return false;
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    uint64_t page = info.dwPageSize;
    for (uint64_t at = start & ~(page - 1); at < start + size; at += page) {
        volatile uint8_t *b = (volatile uint8_t *)(uintptr_t)at;
        *b = *b;
    }
    return true;
}
