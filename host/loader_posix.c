/* loader_posix.c - dlopen of a library copy, and proof that dlclose really unloaded it. */
#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__x86_64__)
#define LOADER_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define LOADER_ELF_MACHINE EM_AARCH64
#elif defined(__i386__)
#define LOADER_ELF_MACHINE EM_386
#else
#error "add this architecture's ELF machine number"
#endif

const char *const loader_library_suffix = ".so";

typedef struct loader_probe {
    const char *path;
    loader_lib *lib;
} loader_probe;

/* Records the image range and the flags that keep a library mapped after dlclose. */
static int loader_probe_image(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    loader_probe *p = data;
    if (!info->dlpi_name || strcmp(info->dlpi_name, p->path) != 0) return 0;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_TLS) p->lib->has_tls = true;
        if (ph->p_type == PT_LOAD) {
            uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
            if (start < lo) lo = start;
            if (end > hi) hi = end;
        }
        if (ph->p_type == PT_DYNAMIC) {
            for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr); d->d_tag != DT_NULL; d++)
                if (d->d_tag == DT_FLAGS_1 && (d->d_un.d_val & DF_1_NODELETE)) p->lib->no_delete = true;
        }
    }
    p->lib->image_start = lo;
    p->lib->image_end = hi;
    return 1;
}

/* dlopen of a truncated library dies with SIGBUS inside ld.so, so the file is checked first: a
 * complete ELF shared object for this machine whose segments and section table lie within it. */
static bool loader_check_elf(const char *path, host_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return host_fail(err, "cannot open %s: %s", path, strerror(errno));
    ElfW(Ehdr) eh;
    struct stat st;
    uint64_t size = fstat(fileno(f), &st) == 0 ? (uint64_t)st.st_size : 0;
    bool ok = fread(&eh, sizeof(eh), 1, f) == 1;
    if (!ok || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
        fclose(f);
        return host_fail(err, "not a library (no ELF header, %llu bytes); is the build writing something else "
                              "to this path?", (unsigned long long)size);
    }
    if (eh.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) || eh.e_machine != LOADER_ELF_MACHINE) {
        fclose(f);
        return host_fail(err, "a library for another architecture (ELF machine %u, class %u); build it with "
                              "the same compiler target as the host", eh.e_machine, eh.e_ident[EI_CLASS]);
    }
    if (eh.e_type != ET_DYN) {
        fclose(f);
        return host_fail(err, "an ELF file but not a shared library (type %u); build it with -shared -fPIC",
                         eh.e_type);
    }
    uint64_t need = (uint64_t)eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize;
    for (int i = 0; ok && i < eh.e_phnum; i++) {
        ElfW(Phdr) ph;
        ok = fseek(f, (long)(eh.e_phoff + (uint64_t)i * eh.e_phentsize), SEEK_SET) == 0 && fread(&ph, sizeof(ph), 1, f) == 1;
        if (ok && ph.p_type == PT_LOAD && (uint64_t)ph.p_offset + ph.p_filesz > need) need = ph.p_offset + ph.p_filesz;
    }
    fclose(f);
    if (!ok || need > size)
        return host_fail(err, "truncated: %llu bytes, its headers need %llu; the build may have been "
                              "interrupted, rebuild it", (unsigned long long)size, (unsigned long long)need);
    return true;
}

bool loader_open(const char *path, loader_lib *out, host_error *err)
{
    if (path && !loader_check_elf(path, err)) return false;
    memset(out, 0, sizeof(*out));
    snprintf(out->path, sizeof(out->path), "%s", path);
    dlerror();
    /* RTLD_LOCAL: the new copy binds to its own symbols, never to the old copy's */
    out->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!out->handle) return host_fail(err, "dlopen failed: %s", dlerror());
    game_get_api_fn *entry = (game_get_api_fn *)dlsym(out->handle, GAME_ENTRY_NAME);
    if (!entry) {
        host_fail(err, "no entry point '%s'; export it with GAME_EXPORT", GAME_ENTRY_NAME);
        dlclose(out->handle);
        out->handle = NULL;
        return false;
    }
    loader_probe probe = {path, out};
    dl_iterate_phdr(loader_probe_image, &probe);
    out->api = entry(GAME_API_VERSION);
    return true;
}

bool loader_close(loader_lib *lib, host_error *err)
{
    if (!lib->handle) return true;
    dlclose(lib->handle);
    lib->handle = NULL;
    void *again = dlopen(lib->path, RTLD_NOW | RTLD_NOLOAD);
    if (!again) return true;
    dlclose(again);
    const char *cause = lib->no_delete ? "it was linked with -z nodelete (or uses RTLD_NODELETE)"
                        : lib->has_tls ? "it has thread-local variables still in use by a thread"
                                       : "something still holds it (another dlopen, a unique C++ symbol, or a "
                                         "thread-local destructor)";
    return host_fail(err, "library copy %s is still mapped after unloading: %s; its old code and statics stay in "
                          "memory", lib->path, cause);
}
