/* lines_posix.c - source lines from a library's DWARF, read from its bytes through elfutils' libdw
 * (lines.h). Nothing is read at open (a load stays as fast as without debug information); the first
 * look-up opens the DWARF, and only the unit that holds the address is read. */
#include "lines.h"

#include <elfutils/libdw.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lines {
    const void *image;
    uint64_t size;
    uintptr_t start;
    uint64_t image_vaddr;
    bool tried; /* the DWARF was looked for */
    Elf *elf;
    Dwarf *dwarf; /* NULL: the library has none */
};

lines *lines_open(const char *path, const void *image, uint64_t size, uintptr_t start, uint64_t image_vaddr)
{
    (void)path;
    lines *l = image ? calloc(1, sizeof(*l)) : NULL;
    if (l) *l = (lines){.image = image, .size = size, .start = start, .image_vaddr = image_vaddr};
    return l;
}

static bool lines_load(lines *l)
{
    if (l->tried) return l->dwarf != NULL;
    l->tried = true;
    if (elf_version(EV_CURRENT) == EV_NONE) return false;
    l->elf = elf_memory((char *)l->image, (size_t)l->size); /* read only: the bytes are never written */
    l->dwarf = l->elf ? dwarf_begin_elf(l->elf, DWARF_C_READ, NULL) : NULL;
    return l->dwarf != NULL;
}

bool lines_find(lines *l, uintptr_t addr, char *out, size_t cap)
{
    if (!l || addr < l->start || !lines_load(l)) return false;
    Dwarf_Addr vaddr = addr - l->start + l->image_vaddr;
    Dwarf_Die unit;
    Dwarf_Line *line = dwarf_addrdie(l->dwarf, vaddr, &unit) ? dwarf_getsrc_die(&unit, vaddr) : NULL;
    int number = 0;
    const char *file = line ? dwarf_linesrc(line, NULL, NULL) : NULL;
    if (!file || dwarf_lineno(line, &number) != 0 || number <= 0) return false;
    const char *slash = strrchr(file, '/');
    snprintf(out, cap, "%s:%d", slash ? slash + 1 : file, number);
    return true;
}

void lines_release_file(lines *l) { (void)l; } /* the DWARF is read from the bytes, not the file */

void lines_close(lines *l)
{
    if (!l) return;
    if (l->dwarf) dwarf_end(l->dwarf);
    if (l->elf) elf_end(l->elf);
    free(l);
}
