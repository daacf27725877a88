/* code_win32.c - code_write with VirtualProtect (code.h). */
#include "code.h"
#include "util_win32.h"

#include <string.h>

bool code_write(uintptr_t at, const void *bytes, size_t n)
{
    DWORD was;
    if (!VirtualProtect((void *)at, n, PAGE_EXECUTE_READWRITE, &was)) return false;
    memcpy((void *)at, bytes, n);
    FlushInstructionCache(GetCurrentProcess(), (void *)at, n);
    DWORD ignored;
    return VirtualProtect((void *)at, n, was, &ignored) != 0;
}
