/* arena_os.h - the one OS service arenas need: committing reserved pages as they grow.
 *
 * Linux reserves the block with MAP_NORESERVE and read/write access, so a page is committed by
 * touching it and commit has nothing to do. Windows reserves with MEM_RESERVE and commits each
 * step with MEM_COMMIT. Decommit gives the pages back to the OS; the range stays reserved. */
#ifndef ARENA_OS_H
#define ARENA_OS_H

#include "base.h"

bool arena_os_commit(void *p, uint64_t size);
void arena_os_decommit(void *p, uint64_t size);

#endif
