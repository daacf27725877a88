/* code_posix.c - code_write with mprotect (code.h). */
#include "code.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

bool code_write(uintptr_t at, const void *bytes, size_t n)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = at & ~(page - 1), end = (at + n + page - 1) & ~(page - 1);
    if (mprotect((void *)start, end - start, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) return false;
    memcpy((void *)at, bytes, n);
    __builtin___clear_cache((char *)at, (char *)at + n);
    return mprotect((void *)start, end - start, PROT_READ | PROT_EXEC) == 0;
}
