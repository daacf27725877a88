/* symbols.h - the symbol table of one game library version, read from the library file's bytes.
 *
 * The host names code and data with it: the game frames of a crash, the function a stale pointer
 * pointed to, where a stuck update is spinning, which writable globals reset on a reload, and the
 * functions of the function registry. The table lives in host memory and outlives the library: the
 * host keeps the tables of unloaded versions to name stale pointers into them.
 *
 *     symbol_table t;
 *     symbols_read(image, size, &t, &err);               // symbols_posix.c: ELF (.symtab, else .dynsym)
 *     uint64_t off = address - load_start + t.image_vaddr; // an address as the file numbers it
 *     char where[128];
 *     symbols_format(&t, off, where, sizeof(where));      // "update_player+0x1c"
 *     symbols_free(&t);
 *
 * Offsets ("vaddr") are addresses as the library file numbers them: the address at run time minus
 * where its first segment was mapped, plus t.image_vaddr. Lookups and symbols_format use no locks and
 * no allocation, so a signal handler may call them. */
#ifndef SYMBOLS_H
#define SYMBOLS_H

#include "../base/error.h"

#include <stddef.h>
#include <stdint.h>

/* What a symbol is, for the questions the host asks. */
typedef enum symbol_kind {
    SYMBOL_CODE,      /* a function */
    SYMBOL_CONST,     /* read-only data, or data the loader makes read-only (RELRO) */
    SYMBOL_WRITABLE,  /* .data / .bss: reset to its initial value by every reload */
    SYMBOL_TRANSIENT, /* writable, but marked GAME_TRANSIENT: resetting it is intended */
    SYMBOL_THREAD,    /* thread-local (.tdata / .tbss): reset too; has no address of its own */
} symbol_kind;

typedef struct symbol {
    uint64_t vaddr;
    uint64_t size;
    const char *name; /* in the table's own string copy */
    const char *section;
    symbol_kind kind;
} symbol;

typedef struct symbol_section {
    uint64_t vaddr;
    uint64_t size;
    const char *name;
} symbol_section;

typedef struct symbol_table {
    symbol *symbols;       /* by vaddr */
    uint32_t count;
    uint32_t *by_name;     /* indices of symbols, by name */
    symbol_section *sections; /* allocated sections, by vaddr, for addresses no symbol covers */
    uint32_t section_count;
    char *strings;         /* the names, copied out of the file */
    uint64_t image_vaddr;  /* vaddr of the first loaded byte (the lowest segment) */
    bool sizes_guessed;    /* the format gives no sizes (COFF): each symbol reaches to the next one */
} symbol_table;

/* Reads the symbols of a library image (per OS format: symbols_posix.c reads ELF). Never trusts the
 * bytes: a corrupt file gives false with a message, or fewer symbols, never a read out of bounds. */
bool symbols_read(const void *image, uint64_t size, symbol_table *out, host_error *err);

void symbols_free(symbol_table *t);

/* The symbol that covers `vaddr` (a function's or an object's bytes), or NULL. */
const symbol *symbols_find(const symbol_table *t, uint64_t vaddr);

/* The host's own executable, to name the host's code like a game build's: where it is mapped, its
 * file and the file's bytes (malloc'd; free them after symbols_read and lines_close). */
typedef struct symbols_self_image {
    char path[4096];
    void *image;
    uint64_t size;
    uintptr_t start, end; /* the mapped image, from its lowest segment */
} symbols_self_image;

bool symbols_self(symbols_self_image *out, host_error *err);
/* The allocated section that holds `vaddr`, or NULL. */
const symbol_section *symbols_section_at(const symbol_table *t, uint64_t vaddr);

/* The one symbol named `name` of `kind`; NULL when there is none, or when `*matches` (if given)
 * says there are several (two static functions of the same name in different files). */
const symbol *symbols_lookup(const symbol_table *t, const char *name, symbol_kind kind, uint32_t *matches);

/* "name+0x1c", or "section+0x40" where no symbol covers the address, or "0x1234"; returns the
 * length written. Async-signal-safe. */
size_t symbols_format(const symbol_table *t, uint64_t vaddr, char *out, size_t cap);

/* ---- building a table (for symbols_read implementations) ------------------------------------- */

/* Sorts the symbols and sections and builds the name index; false when out of memory. */
bool symbols_finish(symbol_table *t);

/* Small async-signal-safe text appenders: they never write past cap - 1 and always terminate. */
size_t symbols_append(char *out, size_t cap, size_t len, const char *s);
size_t symbols_append_hex(char *out, size_t cap, size_t len, uint64_t v);

#endif
