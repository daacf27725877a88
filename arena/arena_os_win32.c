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
    VirtualFree(p, (SIZE_T)size, MEM_DECOMMIT);
}
