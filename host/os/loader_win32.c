/* loader_win32.c - LoadLibrary of a library copy, and proof that FreeLibrary really unloaded it. */
#include "loader.h"
#include "util_win32.h"

#include <stdio.h>
#include <string.h>

#if defined(_M_X64) || defined(__x86_64__)
#define LOADER_PE_MACHINE IMAGE_FILE_MACHINE_AMD64
#elif defined(_M_ARM64) || defined(__aarch64__)
#define LOADER_PE_MACHINE IMAGE_FILE_MACHINE_ARM64
#elif defined(_M_IX86) || defined(__i386__)
#define LOADER_PE_MACHINE IMAGE_FILE_MACHINE_I386
#else
#error "add this architecture's PE machine number"
#endif

const char *const loader_library_suffix = ".dll";
const char *const loader_library_file = "game.dll";

static bool loader_truncated(uint64_t size, uint64_t need, const char *what, host_error *err)
{
    return host_fail(err, "truncated: %llu bytes, its %s need %llu; the build may have been interrupted, rebuild it",
                     (unsigned long long)size, what, (unsigned long long)need);
}

/* The sections' raw data must lie within the file: a cut-off file would fault inside LoadLibrary. */
static bool loader_check_sections(const unsigned char *bytes, uint64_t size, uint64_t at, unsigned count, host_error *err)
{
    uint64_t table_end = at + (uint64_t)count * sizeof(IMAGE_SECTION_HEADER);
    if (table_end > size) return loader_truncated(size, table_end, "section headers", err);
    uint64_t need = 0;
    for (unsigned i = 0; i < count; i++) {
        IMAGE_SECTION_HEADER sh;
        memcpy(&sh, bytes + at + (uint64_t)i * sizeof(sh), sizeof(sh));
        uint64_t end = (uint64_t)sh.PointerToRawData + sh.SizeOfRawData;
        if (sh.SizeOfRawData && end > need) need = end;
    }
    return need <= size || loader_truncated(size, need, "sections", err);
}

bool loader_check_image(const void *data, uint64_t size, host_error *err)
{
    const unsigned char *bytes = data;
    IMAGE_DOS_HEADER dos;
    if (size < sizeof(dos) || memcmp(bytes, "MZ", 2) != 0)
        return host_fail(err, "not a library (no MZ header, %llu bytes); is the build writing something else to "
                              "this path?", (unsigned long long)size);
    memcpy(&dos, bytes, sizeof(dos));
    IMAGE_FILE_HEADER fh;
    uint64_t nt = (uint64_t)(uint32_t)dos.e_lfanew, fh_end = nt + 4 + sizeof(fh);
    if (fh_end > size) return loader_truncated(size, fh_end, "PE headers", err);
    if (memcmp(bytes + nt, "PE\0\0", 4) != 0)
        return host_fail(err, "an MZ file but not a PE image (no PE signature); build it as a DLL");
    memcpy(&fh, bytes + nt + 4, sizeof(fh));
    if (fh.Machine != LOADER_PE_MACHINE)
        return host_fail(err, "a library for another architecture (PE machine 0x%04x, this host is 0x%04x); build it "
                              "with the same compiler target as the host", fh.Machine, LOADER_PE_MACHINE);
    if (!(fh.Characteristics & IMAGE_FILE_DLL))
        return host_fail(err, "a PE image but not a DLL (an executable?); build it with -shared (MinGW) or /LD (MSVC)");
    IMAGE_OPTIONAL_HEADER opt; /* the native flavour: PE32+ on 64-bit hosts */
    uint64_t opt_end = fh_end + fh.SizeOfOptionalHeader;
    if (fh.SizeOfOptionalHeader < offsetof(IMAGE_OPTIONAL_HEADER, DataDirectory) || opt_end > size)
        return loader_truncated(size, MAX(opt_end, fh_end + sizeof(opt)), "PE headers", err);
    memset(&opt, 0, sizeof(opt));
    memcpy(&opt, bytes + fh_end, MIN(sizeof(opt), (size_t)fh.SizeOfOptionalHeader));
    if (opt.Magic != IMAGE_NT_OPTIONAL_HDR_MAGIC)
        return host_fail(err, "a DLL of the wrong width (optional header magic 0x%x); build it for the host's "
                              "architecture", opt.Magic);
    if (opt.SizeOfHeaders > size) return loader_truncated(size, opt.SizeOfHeaders, "headers", err);
    return loader_check_sections(bytes, size, opt_end, fh.NumberOfSections, err);
}

/* Where the module is mapped, from its own headers in memory. */
static void loader_probe_image(HMODULE m, loader_lib *lib)
{
    const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *)m;
    const IMAGE_NT_HEADERS *nt = (const IMAGE_NT_HEADERS *)((const char *)m + dos->e_lfanew);
    lib->image_start = (uintptr_t)m;
    lib->image_end = lib->image_start + nt->OptionalHeader.SizeOfImage;
}

bool loader_open(const char *path, loader_lib *out, host_error *err)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->path, sizeof(out->path), "%s", path);
    for (char *c = out->path; *c; c++)
        if (*c == '/') *c = '\\'; /* LoadLibrary wants backslashes; GetModuleHandleEx compares the same string */
    DWORD old_mode;
    /* a missing dependency is an error value, never a dialog box waiting for a click */
    SetThreadErrorMode(SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX, &old_mode);
    HMODULE m = LoadLibraryA(out->path);
    DWORD code = GetLastError();
    SetThreadErrorMode(old_mode, NULL);
    if (!m) return host_fail(err, "LoadLibrary failed: %s", win32_error_text(code).s);
    /* through void (*)(void): a FARPROC is not a game_get_api_fn, and the compiler should not pretend */
    game_get_api_fn *entry = (game_get_api_fn *)(void (*)(void))GetProcAddress(m, GAME_ENTRY_NAME);
    if (!entry) {
        FreeLibrary(m);
        return host_fail(err, "no entry point '%s'; export it with GAME_EXPORT", GAME_ENTRY_NAME);
    }
    out->handle = m;
    loader_probe_image(m, out);
    out->entry = entry;
    return true;
}

bool loader_find_image(const char *path, uintptr_t *start, uintptr_t *end)
{
    char native[FS_PATH_MAX + 64];
    snprintf(native, sizeof(native), "%s", path);
    for (char *c = native; *c; c++)
        if (*c == '/') *c = '\\';
    HMODULE m;
    loader_lib found;
    memset(&found, 0, sizeof(found));
    if (GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, native, &m)) loader_probe_image(m, &found);
    *start = found.image_start;
    *end = found.image_end;
    return found.image_end > found.image_start;
}

void loader_close(loader_lib *lib)
{
    if (lib->handle) FreeLibrary((HMODULE)lib->handle);
    lib->handle = NULL;
}

bool loader_verify_unloaded(const loader_lib *lib, host_error *err)
{
    HMODULE again;
    if (!GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, lib->path, &again)) return true;
    return host_fail(err, "library copy %s is still loaded after FreeLibrary: something still holds it (another "
                          "LoadLibrary of the copy, or GetModuleHandleEx with the PIN flag); its old code and statics "
                          "stay in memory", lib->path);
}
