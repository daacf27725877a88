/* loader_posix.c - dlopen of a library copy, and proof that dlclose really unloaded it. */
#include "loader.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

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
const char *const loader_library_file = "libgame.so";

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

bool loader_check_image(const void *data, uint64_t size, host_error *err)
{
    const unsigned char *bytes = data;
    ElfW(Ehdr) eh;
    if (size < sizeof(eh) || memcmp(bytes, ELFMAG, SELFMAG) != 0)
        return host_fail(err, "not a library (no ELF header, %llu bytes); is the build writing something else to "
                              "this path?", (unsigned long long)size);
    memcpy(&eh, bytes, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) || eh.e_machine != LOADER_ELF_MACHINE)
        return host_fail(err, "a library for another architecture (ELF machine %u, class %u); build it with the "
                              "same compiler target as the host", eh.e_machine, eh.e_ident[EI_CLASS]);
    if (eh.e_type != ET_DYN)
        return host_fail(err, "an ELF file but not a shared library (type %u); build it with -shared -fPIC", eh.e_type);
    /* every sum and product overflow-checked: the header is untrusted input */
    uint64_t need, ph_end, ph_bytes, sh_bytes;
    if (!size_mul(eh.e_shnum, eh.e_shentsize, &sh_bytes) || !size_add(eh.e_shoff, sh_bytes, &need) ||
        !size_mul(eh.e_phnum, eh.e_phentsize, &ph_bytes) || !size_add(eh.e_phoff, ph_bytes, &ph_end))
        return host_fail(err, "not a library (its ELF header points past any file size); rebuild it");
    if (eh.e_phentsize < sizeof(ElfW(Phdr)) || ph_end > size)
        return host_fail(err, "truncated: %llu bytes, its program headers need %llu; the build may have been "
                              "interrupted, rebuild it", (unsigned long long)size, (unsigned long long)ph_end);
    for (int i = 0; i < eh.e_phnum; i++) {
        ElfW(Phdr) ph;
        uint64_t seg_end;
        memcpy(&ph, bytes + eh.e_phoff + (uint64_t)i * eh.e_phentsize, sizeof(ph));
        if (ph.p_type != PT_LOAD) continue;
        if (!size_add(ph.p_offset, ph.p_filesz, &seg_end))
            return host_fail(err, "not a library (segment %d lies past any file size); rebuild it", i);
        if (seg_end > need) need = seg_end;
    }
    if (need > size)
        return host_fail(err, "truncated: %llu bytes, its headers need %llu; the build may have been interrupted, "
                              "rebuild it", (unsigned long long)size, (unsigned long long)need);
    return true;
}

bool loader_open(const char *path, loader_lib *out, host_error *err)
{
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
    out->entry = entry;
    return true;
}

bool loader_find_image(const char *path, uintptr_t *start, uintptr_t *end)
{
    loader_lib found;
    memset(&found, 0, sizeof(found));
    loader_probe probe = {path, &found};
    dl_iterate_phdr(loader_probe_image, &probe);
    *start = found.image_start;
    *end = found.image_end;
    return found.image_end > found.image_start;
}

void loader_close(loader_lib *lib)
{
    if (lib->handle) dlclose(lib->handle);
    lib->handle = NULL;
}

bool loader_verify_unloaded(const loader_lib *lib, host_error *err)
{
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
