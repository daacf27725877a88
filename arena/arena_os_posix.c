/* arena_os_posix.c - commit/decommit for a block mapped with MAP_NORESERVE (touch commits). */
#include "arena_os.h"

#include <sys/mman.h>

bool arena_os_commit(void *p, uint64_t size)
{
    (void)p;
    (void)size;
    return true;
}

void arena_os_decommit(void *p, uint64_t size)
{
    /* MADV_DONTNEED drops the pages at once; the next touch brings back zeroed ones. */
    madvise(p, size, MADV_DONTNEED);
}
