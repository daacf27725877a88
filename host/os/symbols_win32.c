/* symbols_win32.c - reads the symbols of a PE library (game.dll) from its bytes. A MinGW build keeps
 * a COFF symbol table, which names static functions and static locals too; a library without one
 * (MSVC keeps its symbols in the PDB, or a stripped build) gives its exported functions only.
 * Addresses are RVAs: image_vaddr is 0 and an address minus the module's base is its vaddr. Every
 * offset and count in the file is checked before it is used. */
#include "symbols.h"
#include "fs.h"
#include "util_win32.h"

#include "../../arena/base.h"

#include <stdlib.h>
#include <string.h>

#define SYMBOLS_COFF_SIZE 18 /* IMAGE_SIZEOF_SYMBOL: the records are packed */
#define SYMBOLS_EMUTLS "__emutls_v." /* GCC's thread-locals on Windows: the control object of each */
/* In a MinGW link the C runtime's objects surround the game's: its start files come first, up to
 * this one, and its libraries begin with libmingw32's gccmain.c. */
#define SYMBOLS_RUNTIME_STARTS_END "cygming-crtbeg"
#define SYMBOLS_RUNTIME_LIBS_BEGIN "gccmain.c"

typedef struct pe_view {
    const uint8_t *bytes;
    uint64_t size;
    IMAGE_FILE_HEADER file;
    IMAGE_OPTIONAL_HEADER opt;
    IMAGE_SECTION_HEADER *sections; /* copies: the bytes need not be aligned */
    const char *strings;            /* the COFF string table, or NULL */
    uint64_t strings_size;
} pe_view;

static bool pe_in(const pe_view *v, uint64_t offset, uint64_t len) { return offset <= v->size && len <= v->size - offset; }

static bool pe_read_headers(pe_view *v, host_error *err)
{
    IMAGE_DOS_HEADER dos;
    if (!pe_in(v, 0, sizeof(dos)) || memcmp(v->bytes, "MZ", 2) != 0) return host_fail(err, "no MZ header");
    memcpy(&dos, v->bytes, sizeof(dos));
    uint64_t nt = (uint32_t)dos.e_lfanew;
    if (!pe_in(v, nt, 4 + sizeof(v->file)) || memcmp(v->bytes + nt, "PE\0\0", 4) != 0) return host_fail(err, "no PE header");
    memcpy(&v->file, v->bytes + nt + 4, sizeof(v->file));
    uint64_t opt_at = nt + 4 + sizeof(v->file), sections_at = opt_at + v->file.SizeOfOptionalHeader;
    if (!pe_in(v, opt_at, v->file.SizeOfOptionalHeader)) return host_fail(err, "truncated optional header");
    memcpy(&v->opt, v->bytes + opt_at, MIN(sizeof(v->opt), (size_t)v->file.SizeOfOptionalHeader));
    uint64_t n = v->file.NumberOfSections;
    if (!pe_in(v, sections_at, n * sizeof(IMAGE_SECTION_HEADER))) return host_fail(err, "truncated section table");
    v->sections = malloc(sizeof(IMAGE_SECTION_HEADER) * (n ? n : 1));
    if (!v->sections) return host_fail(err, "out of memory reading section headers");
    memcpy(v->sections, v->bytes + sections_at, n * sizeof(IMAGE_SECTION_HEADER));
    uint64_t table_end = (uint64_t)v->file.PointerToSymbolTable + (uint64_t)v->file.NumberOfSymbols * SYMBOLS_COFF_SIZE;
    if (!v->file.PointerToSymbolTable || table_end > v->size) v->file.NumberOfSymbols = 0; /* none, or cut off */
    if (v->file.NumberOfSymbols && pe_in(v, table_end, 4)) {
        uint32_t size;
        memcpy(&size, v->bytes + table_end, 4);
        if (size >= 4 && pe_in(v, table_end, size)) {
            v->strings = (const char *)v->bytes + table_end;
            v->strings_size = size;
        }
    }
    return true;
}

/* A NUL-terminated copy of a name that may be 8 bytes without a NUL or "/123" (string table). */
static size_t pe_copy_name(const pe_view *v, const BYTE raw[8], char *out, size_t cap)
{
    if (raw[0] == '/' && v->strings) { /* a long section name */
        uint64_t at = strtoull((const char *)raw + 1, NULL, 10);
        if (at < v->strings_size) return symbols_append(out, cap, 0, v->strings + at); /* the table ends in NUL */
    }
    size_t n = strnlen((const char *)raw, 8);
    n = MIN(n, cap - 1);
    memcpy(out, raw, n);
    out[n] = 0;
    return n;
}

static const char *pe_symbol_name(const pe_view *v, const IMAGE_SYMBOL *s, char *buf, size_t cap)
{
    if (s->N.Name.Short) {
        pe_copy_name(v, s->N.ShortName, buf, cap);
        return buf;
    }
    uint32_t at = s->N.Name.Long;
    if (!v->strings || at >= v->strings_size || !memchr(v->strings + at, 0, v->strings_size - at)) return "";
    return v->strings + at;
}

/* ---- the table ------------------------------------------------------------------------------- */

typedef struct pe_builder {
    symbol_table *t;
    uint64_t strings_used, strings_cap;
    uint32_t symbols_cap;
    uint64_t *starts; /* where every defined symbol starts, kept or not: where the one before ends */
    uint32_t start_count;
} pe_builder;

static const char *pe_keep_string(pe_builder *b, const char *s)
{
    size_t n = strlen(s) + 1;
    if (b->strings_used + n > b->strings_cap) return NULL; /* sized for every name up front */
    char *at = b->t->strings + b->strings_used;
    memcpy(at, s, n);
    b->strings_used += n;
    return at;
}

static void pe_add(pe_builder *b, uint64_t vaddr, const char *name, const char *section, symbol_kind kind)
{
    const char *kept = pe_keep_string(b, name);
    if (!kept || b->t->count >= b->symbols_cap) return;
    b->t->symbols[b->t->count++] = (symbol){vaddr, 0, kept, section, kind};
}

/* The loaded sections (not the debug ones, which are discardable), for addresses no symbol covers. */
static bool pe_read_sections(const pe_view *v, pe_builder *b)
{
    symbol_table *t = b->t;
    t->sections = malloc(sizeof(symbol_section) * (v->file.NumberOfSections ? v->file.NumberOfSections : 1));
    if (!t->sections) return false;
    for (unsigned i = 0; i < v->file.NumberOfSections; i++) {
        const IMAGE_SECTION_HEADER *s = &v->sections[i];
        char name[64];
        pe_copy_name(v, s->Name, name, sizeof(name));
        const char *kept = pe_keep_string(b, name);
        if (!kept || (s->Characteristics & IMAGE_SCN_MEM_DISCARDABLE) || !s->Misc.VirtualSize) continue;
        t->sections[t->section_count++] = (symbol_section){s->VirtualAddress, s->Misc.VirtualSize, kept};
    }
    return true;
}

static const char *pe_section_name(const symbol_table *t, uint64_t rva)
{
    for (uint32_t i = 0; i < t->section_count; i++)
        if (rva >= t->sections[i].vaddr && rva - t->sections[i].vaddr < t->sections[i].size) return t->sections[i].name;
    return "";
}

/* What a data symbol is. Writable names that begin with '_' are the C runtime's (C reserves them
 * for it) and are left out, as symbols_posix.c leaves out crtstuff.c's; so are the writable
 * globals of the runtime's objects (pe_game_objects). */
static bool pe_kind(const IMAGE_SECTION_HEADER *sec, const char **name, symbol_kind *kind)
{
    if (sec->Characteristics & IMAGE_SCN_CNT_CODE) {
        *kind = SYMBOL_CODE;
        return true;
    }
    if (!(sec->Characteristics & IMAGE_SCN_MEM_WRITE)) {
        *kind = SYMBOL_CONST;
        return true;
    }
    if (strncmp(*name, SYMBOLS_EMUTLS, strlen(SYMBOLS_EMUTLS)) == 0) {
        *name += strlen(SYMBOLS_EMUTLS);
        *kind = SYMBOL_THREAD;
        return **name != 0;
    }
    *kind = strncmp((const char *)sec->Name, ".tls", 4) == 0 ? SYMBOL_THREAD : SYMBOL_WRITABLE;
    return (*name)[0] != '_';
}

static IMAGE_SYMBOL pe_symbol(const pe_view *v, uint64_t i)
{
    IMAGE_SYMBOL s;
    memcpy(&s, v->bytes + v->file.PointerToSymbolTable + i * SYMBOLS_COFF_SIZE, SYMBOLS_COFF_SIZE);
    return s;
}

/* The range of symbol indices that belong to the game's own objects (and the libraries it links
 * itself), between the runtime's start files and its libraries; everything when the runtime's
 * files are not found (another toolchain). A .file symbol's aux records hold the file name. */
static void pe_game_objects(const pe_view *v, uint64_t *from, uint64_t *to)
{
    *from = 0;
    *to = v->file.NumberOfSymbols;
    uint64_t starts_end = 0, libs_begin = 0;
    for (uint64_t i = 0; i < v->file.NumberOfSymbols; i++) {
        IMAGE_SYMBOL s = pe_symbol(v, i);
        uint64_t aux = MIN((uint64_t)s.NumberOfAuxSymbols, v->file.NumberOfSymbols - i - 1);
        if (s.StorageClass == IMAGE_SYM_CLASS_FILE && aux) {
            char name[64];
            size_t n = MIN(sizeof(name) - 1, aux * SYMBOLS_COFF_SIZE);
            memcpy(name, v->bytes + v->file.PointerToSymbolTable + (i + 1) * SYMBOLS_COFF_SIZE, n);
            name[n] = 0;
            if (!starts_end && strncmp(name, SYMBOLS_RUNTIME_STARTS_END, strlen(SYMBOLS_RUNTIME_STARTS_END)) == 0)
                starts_end = i + 1;
            if (starts_end && !libs_begin && strcmp(name, SYMBOLS_RUNTIME_LIBS_BEGIN) == 0) libs_begin = i;
        }
        i += aux;
    }
    if (!starts_end || !libs_begin) return;
    *from = starts_end;
    *to = libs_begin;
}

static void pe_read_coff_symbols(const pe_view *v, pe_builder *b)
{
    uint64_t game_from, game_to;
    pe_game_objects(v, &game_from, &game_to);
    for (uint64_t i = 0; i < v->file.NumberOfSymbols; i++) {
        uint64_t index = i;
        IMAGE_SYMBOL s = pe_symbol(v, i);
        i += s.NumberOfAuxSymbols;
        bool defined = s.SectionNumber >= 1 && s.SectionNumber <= v->file.NumberOfSections;
        if (!defined || (s.StorageClass != IMAGE_SYM_CLASS_EXTERNAL && s.StorageClass != IMAGE_SYM_CLASS_STATIC)) continue;
        char buf[9];
        const char *name = pe_symbol_name(v, &s, buf, sizeof(buf));
        if (!name[0] || name[0] == '.') continue; /* sections and local labels */
        const IMAGE_SECTION_HEADER *sec = &v->sections[s.SectionNumber - 1];
        if (b->start_count < b->symbols_cap) b->starts[b->start_count++] = (uint64_t)sec->VirtualAddress + s.Value;
        symbol_kind kind;
        if (!pe_kind(sec, &name, &kind)) continue;
        bool runtime = index < game_from || index >= game_to;
        if (runtime && (kind == SYMBOL_WRITABLE || kind == SYMBOL_THREAD)) continue;
        uint64_t rva = (uint64_t)sec->VirtualAddress + s.Value;
        pe_add(b, rva, name, pe_section_name(b->t, rva), kind);
    }
}

/* The file offset of an RVA, through the section that holds it; 0 when none does. */
static uint64_t pe_offset_of(const pe_view *v, uint64_t rva)
{
    for (unsigned i = 0; i < v->file.NumberOfSections; i++) {
        const IMAGE_SECTION_HEADER *s = &v->sections[i];
        if (rva >= s->VirtualAddress && rva - s->VirtualAddress < s->SizeOfRawData)
            return s->PointerToRawData + (rva - s->VirtualAddress);
    }
    return 0;
}

static void pe_read_exports(const pe_view *v, pe_builder *b)
{
    const IMAGE_DATA_DIRECTORY *d = &v->opt.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
    uint64_t at = d->Size ? pe_offset_of(v, d->VirtualAddress) : 0;
    IMAGE_EXPORT_DIRECTORY e;
    if (!at || !pe_in(v, at, sizeof(e))) return;
    memcpy(&e, v->bytes + at, sizeof(e));
    uint64_t names = pe_offset_of(v, e.AddressOfNames), ordinals = pe_offset_of(v, e.AddressOfNameOrdinals);
    uint64_t functions = pe_offset_of(v, e.AddressOfFunctions);
    if (!names || !ordinals || !functions || !pe_in(v, names, (uint64_t)e.NumberOfNames * 4) ||
        !pe_in(v, ordinals, (uint64_t)e.NumberOfNames * 2) || !pe_in(v, functions, (uint64_t)e.NumberOfFunctions * 4))
        return;
    for (uint32_t i = 0; i < e.NumberOfNames; i++) {
        uint32_t name_rva, fn_rva;
        uint16_t ordinal;
        memcpy(&name_rva, v->bytes + names + i * 4ull, 4);
        memcpy(&ordinal, v->bytes + ordinals + i * 2ull, 2);
        uint64_t name_at = pe_offset_of(v, name_rva);
        if (ordinal >= e.NumberOfFunctions || !name_at || !memchr(v->bytes + name_at, 0, v->size - name_at)) continue;
        memcpy(&fn_rva, v->bytes + functions + ordinal * 4ull, 4);
        if (b->start_count < b->symbols_cap) b->starts[b->start_count++] = fn_rva;
        pe_add(b, fn_rva, (const char *)v->bytes + name_at, pe_section_name(b->t, fn_rva), SYMBOL_CODE);
    }
}

static int pe_compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* COFF gives no sizes: a symbol reaches to the next symbol of any kind, or to its section's end. */
static void pe_size_symbols(pe_builder *b)
{
    symbol_table *t = b->t;
    t->sizes_guessed = true;
    qsort(b->starts, b->start_count, sizeof(uint64_t), pe_compare_u64);
    for (uint32_t i = 0; i < t->count; i++) {
        symbol *s = &t->symbols[i];
        uint64_t end = s->vaddr + 1;
        for (uint32_t k = 0; k < t->section_count; k++)
            if (s->vaddr >= t->sections[k].vaddr && s->vaddr - t->sections[k].vaddr < t->sections[k].size)
                end = t->sections[k].vaddr + t->sections[k].size;
        uint32_t lo = 0, hi = b->start_count; /* the first start after the symbol's own */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (b->starts[mid] <= s->vaddr) lo = mid + 1;
            else hi = mid;
        }
        if (lo < b->start_count) end = MIN(end, b->starts[lo]);
        s->size = MAX(end, s->vaddr + 1) - s->vaddr;
    }
}

bool symbols_read(const void *image, uint64_t size, symbol_table *out, host_error *err)
{
    memset(out, 0, sizeof(*out));
    pe_view v = {.bytes = image, .size = size};
    if (!pe_read_headers(&v, err)) {
        free(v.sections);
        return false;
    }
    /* room for every name: the string table, the short names and the section names */
    pe_builder b = {.t = out,
                    .strings_cap = v.strings_size + (uint64_t)v.file.NumberOfSymbols * 9 + v.file.NumberOfSections * 65ull,
                    .symbols_cap = v.file.NumberOfSymbols};
    uint64_t exports_at = pe_offset_of(&v, v.opt.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT].VirtualAddress);
    if (!v.file.NumberOfSymbols && exports_at) { /* export names live in the image: room for all of it */
        b.strings_cap += size;
        b.symbols_cap = (uint32_t)MIN(size / 4, UINT32_MAX);
    }
    out->strings = malloc(b.strings_cap ? b.strings_cap : 1);
    out->symbols = malloc(sizeof(symbol) * (b.symbols_cap ? b.symbols_cap : 1));
    b.starts = malloc(sizeof(uint64_t) * (b.symbols_cap ? b.symbols_cap : 1));
    bool ok = out->strings && out->symbols && b.starts && pe_read_sections(&v, &b);
    if (ok && v.file.NumberOfSymbols) pe_read_coff_symbols(&v, &b);
    else if (ok) pe_read_exports(&v, &b);
    if (ok) pe_size_symbols(&b);
    ok = ok && symbols_finish(out);
    free(b.starts);
    free(v.sections);
    if (!ok) {
        symbols_free(out);
        return host_fail(err, "out of memory reading the symbol table");
    }
    return true;
}

/* ---- the host's own executable ---------------------------------------------------------------- */

bool symbols_self(symbols_self_image *out, host_error *err)
{
    memset(out, 0, sizeof(*out));
    DWORD n = GetModuleFileNameA(NULL, out->path, (DWORD)sizeof(out->path));
    if (n == 0 || n >= sizeof(out->path)) return host_fail(err, "cannot find the host's own executable");
    out->image = fs_read_file(out->path, &out->size, err);
    if (!out->image) return false;
    const uint8_t *base = (const uint8_t *)GetModuleHandleA(NULL);
    const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)base;
    const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)(base + dos->e_lfanew); /* mapped: the loader checked it */
    out->start = (uintptr_t)base;
    out->end = out->start + nt->OptionalHeader.SizeOfImage;
    return true;
}
