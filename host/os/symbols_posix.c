/* symbols_posix.c - reads the symbol table of an ELF library from its bytes (the host already holds
 * them: it reads the whole file before writing the copy it loads). Prefers .symtab, which also names
 * static functions and static locals; falls back to .dynsym in a stripped library. Every offset and
 * size in the file is checked before it is used. */
#include "symbols.h"

#include "fs.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Marks intended writable globals (game_api.h's GAME_TRANSIENT puts them in this section). */
#define SYMBOLS_TRANSIENT_SECTION "game_transient"

typedef struct elf_view {
    const uint8_t *bytes;
    uint64_t size;
    ElfW(Shdr) *shdr; /* copies of the section headers (the bytes need not be aligned) */
    uint32_t shnum;
    uint64_t relro_start, relro_end;
} elf_view;

static bool elf_in(const elf_view *v, uint64_t offset, uint64_t len)
{
    return offset <= v->size && len <= v->size - offset;
}

static bool elf_read_headers(elf_view *v, symbol_table *t, host_error *err)
{
    ElfW(Ehdr) eh;
    if (v->size < sizeof(eh) || memcmp(v->bytes, ELFMAG, SELFMAG) != 0)
        return host_fail(err, "no ELF header");
    memcpy(&eh, v->bytes, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32))
        return host_fail(err, "ELF class %u is not this machine's", eh.e_ident[EI_CLASS]);
    uint64_t lowest = UINT64_MAX;
    if (eh.e_phentsize >= sizeof(ElfW(Phdr)) && elf_in(v, eh.e_phoff, (uint64_t)eh.e_phnum * eh.e_phentsize)) {
        for (uint32_t i = 0; i < eh.e_phnum; i++) {
            ElfW(Phdr) ph;
            memcpy(&ph, v->bytes + eh.e_phoff + (uint64_t)i * eh.e_phentsize, sizeof(ph));
            if (ph.p_type == PT_LOAD && ph.p_vaddr < lowest) lowest = ph.p_vaddr;
            if (ph.p_type == PT_GNU_RELRO) {
                v->relro_start = ph.p_vaddr;
                v->relro_end = ph.p_vaddr + ph.p_memsz;
            }
        }
    }
    t->image_vaddr = lowest == UINT64_MAX ? 0 : lowest;
    if (eh.e_shentsize < sizeof(ElfW(Shdr)) || eh.e_shnum == 0 ||
        !elf_in(v, eh.e_shoff, (uint64_t)eh.e_shnum * eh.e_shentsize))
        return host_fail(err, "no readable section headers");
    v->shnum = eh.e_shnum;
    v->shdr = malloc(sizeof(ElfW(Shdr)) * v->shnum);
    if (!v->shdr) return host_fail(err, "out of memory reading section headers");
    for (uint32_t i = 0; i < v->shnum; i++)
        memcpy(&v->shdr[i], v->bytes + eh.e_shoff + (uint64_t)i * eh.e_shentsize, sizeof(ElfW(Shdr)));
    if (eh.e_shstrndx >= v->shnum) return host_fail(err, "no section name table");
    return true;
}

/* Copies a string table into `dst` (with a NUL after it) and returns where it went, or NULL. */
static bool elf_is_strings(const elf_view *v, uint32_t index)
{
    return index < v->shnum && v->shdr[index].sh_type == SHT_STRTAB &&
           elf_in(v, v->shdr[index].sh_offset, v->shdr[index].sh_size);
}

static const char *elf_copy_strings(const elf_view *v, uint32_t index, char *dst, uint64_t *used)
{
    if (!elf_is_strings(v, index)) return NULL;
    const ElfW(Shdr) *s = &v->shdr[index];
    char *at = dst + *used;
    memcpy(at, v->bytes + s->sh_offset, s->sh_size);
    at[s->sh_size] = 0;
    *used += s->sh_size + 1;
    return at;
}

static uint64_t elf_strings_size(const elf_view *v, uint32_t index)
{
    return elf_is_strings(v, index) ? v->shdr[index].sh_size + 1 : 1;
}

static const char *elf_name(const char *strings, uint64_t strings_size, uint64_t offset)
{
    return strings && offset < strings_size ? strings + offset : "";
}

/* The symbol table to read: .symtab when present, else .dynsym; UINT32_MAX if neither. */
static uint32_t elf_pick_symtab(const elf_view *v)
{
    uint32_t dyn = UINT32_MAX;
    for (uint32_t i = 0; i < v->shnum; i++) {
        if (v->shdr[i].sh_type == SHT_SYMTAB) return i;
        if (v->shdr[i].sh_type == SHT_DYNSYM) dyn = i;
    }
    return dyn;
}

static bool elf_read_sections(const elf_view *v, symbol_table *t, const char *shstr, uint64_t shstr_size)
{
    t->sections = malloc(sizeof(symbol_section) * v->shnum);
    if (!t->sections) return false;
    for (uint32_t i = 0; i < v->shnum; i++) {
        const ElfW(Shdr) *s = &v->shdr[i];
        if (!(s->sh_flags & SHF_ALLOC) || (s->sh_flags & SHF_TLS) || s->sh_size == 0) continue;
        t->sections[t->section_count++] = (symbol_section){s->sh_addr, s->sh_size, elf_name(shstr, shstr_size, s->sh_name)};
    }
    return true;
}

static bool elf_name_starts(const char *name, const char *prefix) { return strncmp(name, prefix, strlen(prefix)) == 0; }

static symbol_kind elf_object_kind(const elf_view *v, const ElfW(Shdr) *sec, const char *sec_name, uint64_t vaddr)
{
    if (!(sec->sh_flags & SHF_WRITE)) return SYMBOL_CONST;
    if (vaddr >= v->relro_start && vaddr < v->relro_end) return SYMBOL_CONST; /* read-only once relocated */
    if (strcmp(sec_name, SYMBOLS_TRANSIENT_SECTION) == 0) return SYMBOL_TRANSIENT;
    if (elf_name_starts(sec_name, ".data") || elf_name_starts(sec_name, ".bss")) return SYMBOL_WRITABLE;
    return SYMBOL_CONST; /* .got, .dynamic and the like: the loader's, not the game's */
}

/* Symbols the C runtime and the linker put into every library (crtstuff.c's `completed.0`, _fini). */
static bool elf_is_runtime_file(const char *file)
{
    static const char *const runtime[] = {"", "crtstuff.c", "crti.S", "crtn.S", "crti.o", "crtn.o"};
    for (size_t i = 0; i < sizeof(runtime) / sizeof(runtime[0]); i++)
        if (strcmp(file, runtime[i]) == 0) return true;
    return false;
}

static void elf_read_symbols(const elf_view *v, symbol_table *t, uint32_t symtab, const char *names,
                             uint64_t names_size, const char *shstr, uint64_t shstr_size)
{
    const ElfW(Shdr) *st = &v->shdr[symtab];
    uint64_t count = st->sh_entsize >= sizeof(ElfW(Sym)) ? st->sh_size / st->sh_entsize : 0;
    if (!elf_in(v, st->sh_offset, count * (st->sh_entsize ? st->sh_entsize : 1))) count = 0;
    t->symbols = malloc(sizeof(symbol) * (count ? count : 1));
    if (!t->symbols) return;
    const char *file = NULL; /* the source file of the local symbols that follow (FILE entries) */
    for (uint64_t i = 1; i < count; i++) {
        ElfW(Sym) s;
        memcpy(&s, v->bytes + st->sh_offset + i * st->sh_entsize, sizeof(s));
        int type = ELF64_ST_TYPE(s.st_info);
        if (i == st->sh_info) file = NULL; /* globals start here */
        if (type == STT_FILE) {
            file = elf_name(names, names_size, s.st_name);
            continue;
        }
        if (type != STT_FUNC && type != STT_OBJECT && type != STT_TLS && type != STT_GNU_IFUNC) continue;
        if (s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE || s.st_shndx >= v->shnum) continue;
        if (file && elf_is_runtime_file(file)) continue;
        const char *name = elf_name(names, names_size, s.st_name);
        if (!*name) continue;
        const ElfW(Shdr) *sec = &v->shdr[s.st_shndx];
        const char *sec_name = elf_name(shstr, shstr_size, sec->sh_name);
        symbol_kind kind = type == STT_TLS ? SYMBOL_THREAD
                           : type == STT_OBJECT ? elf_object_kind(v, sec, sec_name, s.st_value)
                                                : SYMBOL_CODE;
        t->symbols[t->count++] = (symbol){s.st_value, s.st_size, name, sec_name, kind};
    }
}

bool symbols_read(const void *image, uint64_t size, symbol_table *out, host_error *err)
{
    memset(out, 0, sizeof(*out));
    elf_view v = {.bytes = image, .size = size};
    if (!elf_read_headers(&v, out, err)) {
        free(v.shdr);
        return false;
    }
    ElfW(Ehdr) eh;
    memcpy(&eh, v.bytes, sizeof(eh));
    uint32_t symtab = elf_pick_symtab(&v);
    uint32_t names_index = symtab < v.shnum ? v.shdr[symtab].sh_link : UINT32_MAX;
    uint64_t shstr_size = elf_strings_size(&v, eh.e_shstrndx), names_size = elf_strings_size(&v, names_index);
    out->strings = malloc(shstr_size + names_size);
    bool ok = out->strings != NULL;
    if (ok) {
        uint64_t used = 0;
        const char *shstr = elf_copy_strings(&v, eh.e_shstrndx, out->strings, &used);
        const char *names = elf_copy_strings(&v, names_index, out->strings, &used);
        ok = elf_read_sections(&v, out, shstr, shstr ? shstr_size - 1 : 0);
        if (ok && symtab < v.shnum)
            elf_read_symbols(&v, out, symtab, names, names ? names_size - 1 : 0, shstr, shstr ? shstr_size - 1 : 0);
        ok = ok && (symtab >= v.shnum || out->symbols) && symbols_finish(out);
    }
    free(v.shdr);
    if (!ok) {
        symbols_free(out);
        return host_fail(err, "out of memory reading the symbol table");
    }
    return true;
}

/* ---- the host's own executable ---------------------------------------------------------------- */

/* The first object dl_iterate_phdr lists is the executable: its mapped range. */
static int symbols_self_range(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    symbols_self_image *out = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        lo = MIN(lo, start & ~(uintptr_t)(ph->p_align > 1 ? ph->p_align - 1 : 0));
        hi = MAX(hi, end);
    }
    out->start = lo == UINTPTR_MAX ? 0 : lo;
    out->end = hi;
    return 1;
}

bool symbols_self(symbols_self_image *out, host_error *err)
{
    memset(out, 0, sizeof(*out));
    ssize_t n = readlink("/proc/self/exe", out->path, sizeof(out->path) - 1);
    if (n <= 0) return host_fail(err, "cannot find the host's own executable: %s", strerror(errno));
    out->path[n] = 0;
    out->image = fs_read_file(out->path, &out->size, err);
    if (!out->image) return false;
    dl_iterate_phdr(symbols_self_range, out);
    return out->end > out->start || host_fail(err, "the host's own executable has no mapped segment");
}
