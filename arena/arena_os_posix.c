/* arena_os_posix.c - commit/decommit for a block mapped with MAP_NORESERVE (touch commits). */
#include "arena_os.h"

#include <sys/mman.h>
#include <unistd.h>

bool arena_os_commit(void *p, uint64_t size)
{
    (void)p;
    (void)size;
    return true;
}

void arena_os_decommit(void *p, uint64_t size)
{
    /* only whole pages inside the range: the page holding live bytes before p must stay */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1), end = ((uintptr_t)p + size) & ~(page - 1);
    /* MADV_DONTNEED drops the pages at once; the next touch brings back zeroed ones. */
    if (end > start) madvise((void *)start, end - start, MADV_DONTNEED);
}
