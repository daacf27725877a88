/* lines_win32.c - source lines through DbgHelp (lines.h): the module is loaded into DbgHelp from
 * its copy's path at the address it was mapped. DbgHelp reads an MSVC build's PDB (found through the
 * copy's debug directory); Wine's DbgHelp also reads a MinGW build's DWARF. */
#include "lines.h"
#include "util_win32.h"

#include <dbghelp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lines {
    DWORD64 base;
};

static bool lines_ready(void)
{
    static int state; /* 0: not yet, 1: ready, -1: failed */
    if (!state) {
        SymSetOptions(SymGetOptions() | SYMOPT_LOAD_LINES | SYMOPT_FAIL_CRITICAL_ERRORS);
        state = SymInitialize(GetCurrentProcess(), NULL, FALSE) ? 1 : -1;
    }
    return state == 1;
}

lines *lines_open(const char *path, const void *image, uint64_t size, uintptr_t start, uint64_t image_vaddr)
{
    (void)image;
    (void)image_vaddr;
    if (!path || !lines_ready()) return NULL;
    DWORD64 base = SymLoadModuleEx(GetCurrentProcess(), NULL, path, NULL, (DWORD64)start, (DWORD)size, NULL, 0);
    if (!base) return NULL;
    lines *l = calloc(1, sizeof(*l));
    if (!l) {
        SymUnloadModule64(GetCurrentProcess(), base);
        return NULL;
    }
    l->base = base;
    return l;
}

bool lines_find(lines *l, uintptr_t addr, char *out, size_t cap)
{
    if (!l || !l->base) return false;
    IMAGEHLP_LINE64 line = {.SizeOfStruct = sizeof(line)};
    DWORD displacement = 0;
    if (!SymGetLineFromAddr64(GetCurrentProcess(), (DWORD64)addr, &displacement, &line) || !line.FileName) return false;
    const char *file = line.FileName;
    for (const char *p = line.FileName; *p; p++)
        if (*p == '/' || *p == '\\') file = p + 1;
    snprintf(out, cap, "%s:%lu", file, (unsigned long)line.LineNumber);
    return true;
}

void lines_release_file(lines *l)
{
    if (!l || !l->base) return;
    SymUnloadModule64(GetCurrentProcess(), l->base);
    l->base = 0;
}

void lines_close(lines *l)
{
    lines_release_file(l);
    free(l);
}
