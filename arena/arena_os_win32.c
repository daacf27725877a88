/* arena_os_win32.c - commit/decommit pages of a block reserved with VirtualAlloc(MEM_RESERVE). */
#include "arena_os.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

bool arena_os_commit(void *p, uint64_t size)
{
    return VirtualAlloc(p, (SIZE_T)size, MEM_COMMIT, PAGE_READWRITE) != NULL;
}

void arena_os_decommit(void *p, uint64_t size)
{
    /* VirtualFree rounds outward to pages; round inward so the page holding live bytes stays */
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    uintptr_t page = info.dwPageSize;
    uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1), end = ((uintptr_t)p + size) & ~(page - 1);
    if (end > start) VirtualFree((void *)start, (SIZE_T)(end - start), MEM_DECOMMIT);
}
