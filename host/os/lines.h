/* lines.h - the source line of a code address, from a game library's debug information
 * (lines_posix.c: its DWARF through elfutils' libdw; lines_win32.c: DbgHelp, which reads a PDB, and
 * under Wine also a MinGW build's DWARF). What crash lines, the watchdog and stale-pointer warnings
 * print after the function: "snake_step+0x1a (snake.c:450)".
 *
 *     lines *l = lines_open(copy_path, image, size, start, image_vaddr);  // NULL: no debug info
 *     char where[128];
 *     if (l && lines_find(l, pc, where, sizeof(where))) ... "snake.c:450" ...
 *     lines_close(l);
 *
 * `image` is the library file's bytes, which the caller keeps until lines_close; `start` is where
 * its first segment was mapped and `image_vaddr` that segment's address in the file
 * (symbol_table.image_vaddr). Not async-signal-safe: call it after a crash has returned to the host,
 * never inside a signal handler. */
#ifndef LINES_H
#define LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lines lines;

lines *lines_open(const char *path, const void *image, uint64_t size, uintptr_t start, uint64_t image_vaddr);
/* "file.c:LINE" (the file without its folder) for the code at `addr`; false when unknown. */
bool lines_find(lines *l, uintptr_t addr, char *out, size_t cap);
/* The library's file is about to be deleted: on Windows DbgHelp holds it open, so it lets go (and
 * the lines of that build are no longer known there); elsewhere nothing changes. */
void lines_release_file(lines *l);
void lines_close(lines *l);

#endif
