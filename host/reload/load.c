/* load.c - one build from its bytes to an opened, validated copy (load.h). */
#include "load.h"
#include "../os/crash.h"
#include "../os/symbols.h"
#include "layout.h"

#include <stdio.h>

static bool load_validate(const game_api *api, host_error *err)
{
    if (!api) return host_fail(err, "%s returned NULL instead of its game_api table", GAME_ENTRY_NAME);
    if (api->abi_version != GAME_API_VERSION)
        return host_fail(err, "library built against game ABI %u, this host speaks ABI %u; rebuild the game with "
                              "this engine's host/api/game_api.h", api->abi_version, GAME_API_VERSION);
    if (api->abi_fingerprint != GAME_ABI_FINGERPRINT)
        return host_fail(err, "library built against game ABI %u with other struct sizes (fingerprint 0x%llx, host "
                              "0x%llx); rebuild the game with this engine's headers", api->abi_version,
                         (unsigned long long)api->abi_fingerprint, (unsigned long long)GAME_ABI_FINGERPRINT);
    if (api->size != sizeof(game_api))
        return host_fail(err, "game_api table is %u bytes, host expects %u; rebuild the game", api->size,
                         (unsigned)sizeof(game_api));
    if (!api->init || !api->update) return host_fail(err, "game_api table has no %s hook", api->init ? "update" : "init");
    layout_library layouts;
    return layout_from_library(api, &layouts, err);
}

static void load_call_entry(void *ctx)
{
    loader_lib *lib = ctx;
    lib->api = lib->entry(GAME_API_VERSION);
}

/* Where in the library (its bytes `image`, NULL when linked in) the code at `pc` is, by name. */
static void load_describe_code(const loader_lib *lib, const void *image, uint64_t size, uintptr_t pc, char *out,
                               size_t cap)
{
    symbol_table t;
    host_error ignored;
    bool inside = image && pc >= lib->image_start && pc < lib->image_end;
    if (inside && symbols_read(image, size, &t, &ignored)) {
        symbols_format(&t, pc - lib->image_start + t.image_vaddr, out, cap);
        symbols_free(&t);
        return;
    }
    crash_describe_foreign(pc, out, cap);
}

/* Calls the library's entry point under the crash guard and checks the table it returns. */
static bool load_enter(loader_lib *lib, const void *image, uint64_t size, host_error *err)
{
    crash_info c;
    if (crash_guard_run(load_call_entry, lib, &c)) return load_validate(lib->api, err);
    char where[256];
    load_describe_code(lib, image, size, c.pc, where, sizeof(where));
    return host_fail(err, "%s crashed (%s: %s) in %s; fix it and rebuild", GAME_ENTRY_NAME, c.name, c.what, where);
}

bool load_bytes(const char *copy_dir, uint64_t number, const void *image, uint64_t size, loader_lib *out,
                host_error *err)
{
    char copy[FS_PATH_MAX + 64];
    snprintf(copy, sizeof(copy), "%s/game.%llu.%08llx%s", copy_dir, (unsigned long long)number,
             (unsigned long long)(fs_random() & 0xffffffffu), loader_library_suffix);
    bool written = loader_check_image(image, size, err) && fs_write_new(copy, image, size, err);
    bool opened = written && loader_open(copy, out, err);
    if (opened && load_enter(out, image, size, err)) return true;
    if (opened) loader_close(out);
    if (written) fs_remove(copy);
    return false;
}

bool load_linked(loader_lib *out, host_error *err) { return loader_open(NULL, out, err) && load_enter(out, NULL, 0, err); }
