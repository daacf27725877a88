/* load.c - one build from its bytes to an opened, validated copy (load.h). */
#include "load.h"
#include "../os/lines.h"
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

/* ---- naming the place of a crash in a library that never ran in the host ----------------------- */

/* Where a library's bytes were mapped, in whichever process ran them. */
typedef struct load_code {
    const char *path;
    const void *image; /* NULL when linked in */
    uint64_t size;
    uintptr_t start, end;
} load_code;

/* The innermost place of the crash inside the library: its pc, else the first caller inside. */
static uintptr_t load_crash_site(const load_code *code, const crash_info *c)
{
    if (c->pc >= code->start && c->pc < code->end) return c->pc;
    for (int i = 1; i < c->frame_count; i++)
        if (c->frames[i] - 1 >= code->start && c->frames[i] - 1 < code->end) return c->frames[i] - 1;
    return 0;
}

/* "boom+0x4 (boom.c:12)", from the library's own symbols and lines. */
static void load_describe_code(const load_code *code, const crash_info *c, char *out, size_t cap)
{
    uintptr_t at = load_crash_site(code, c);
    symbol_table t;
    host_error ignored;
    if (!at || !code->image || !symbols_read(code->image, code->size, &t, &ignored)) {
        snprintf(out, cap, "0x%llx, outside the library", (unsigned long long)c->pc);
        return;
    }
    size_t len = symbols_format(&t, at - code->start + t.image_vaddr, out, cap);
    lines *l = lines_open(code->path, code->image, code->size, code->start, t.image_vaddr);
    char line[160];
    if (l && len + 4 < cap && lines_find(l, at, line, sizeof(line))) snprintf(out + len, cap - len, " (%s)", line);
    lines_close(l);
    symbols_free(&t);
}

/* "<what> crashed: SIGSEGV (invalid memory access) in boom+0x4 (boom.c:12); fix it and rebuild" */
static bool load_crashed(const char *what, const load_code *code, const crash_info *c, host_error *err)
{
    char summary[CRASH_REASON_MAX + 64], where[256];
    crash_summary(c, summary, sizeof(summary));
    load_describe_code(code, c, where, sizeof(where));
    return host_fail(err, "%s crashed: %.200s in %s; fix it and rebuild", what, summary, where);
}

/* ---- in the host --------------------------------------------------------------------------------- */

static void load_call_entry(void *ctx)
{
    loader_lib *lib = ctx;
    lib->api = lib->entry(GAME_API_VERSION);
}

/* Calls the library's entry point under the crash guard and checks the table it returns. */
static bool load_enter(loader_lib *lib, const void *image, uint64_t size, host_error *err)
{
    crash_info c;
    if (crash_guard_run(load_call_entry, lib, &c)) return load_validate(lib->api, err);
    load_code code = {lib->path, image, size, lib->image_start, lib->image_end};
    return load_crashed(GAME_ENTRY_NAME, &code, &c, err);
}

bool load_copy(const char *copy_dir, uint64_t number, const void *image, uint64_t size, char *copy, size_t cap,
               host_error *err)
{
    snprintf(copy, cap, "%s/game.%llu.%08llx%s", copy_dir, (unsigned long long)number,
             (unsigned long long)(fs_random() & 0xffffffffu), loader_library_suffix);
    return loader_check_image(image, size, err) && fs_write_new(copy, image, size, err);
}

bool load_open(const char *path, const void *image, uint64_t size, loader_lib *out, host_error *err)
{
    if (!loader_open(path, out, err)) return false;
    if (load_enter(out, image, size, err)) return true;
    loader_close(out);
    return false;
}

bool load_bytes(const char *copy_dir, uint64_t number, const void *image, uint64_t size, loader_lib *out,
                host_error *err)
{
    char copy[FS_PATH_MAX + 64];
    bool written = load_copy(copy_dir, number, image, size, copy, sizeof(copy), err);
    if (written && load_open(copy, image, size, out, err)) return true;
    if (written) fs_remove(copy);
    return false;
}

bool load_linked(loader_lib *out, host_error *err) { return loader_open(NULL, out, err) && load_enter(out, NULL, 0, err); }

/* ---- in the probe -------------------------------------------------------------------------------- */

bool load_probe_check(const char *path, probe_progress *p, host_error *err)
{
    loader_lib lib; /* never closed: the probe ends right after the check */
    if (!loader_open(path, &lib, err)) return false;
    probe_progress_stage(p, PROBE_STAGE_ENTRY);
    lib.api = lib.entry(GAME_API_VERSION);
    probe_progress_stage(p, PROBE_STAGE_CHECK);
    return load_validate(lib.api, err);
}

static const char *load_stage_name(probe_stage stage)
{
    switch (stage) {
    case PROBE_STAGE_OPEN: return "library constructor";
    case PROBE_STAGE_ENTRY: return GAME_ENTRY_NAME;
    case PROBE_STAGE_CHECK: return "a layout function of the game_api table";
    }
    return "library code";
}

bool load_probe_reason(const probe_result *r, const char *path, const void *image, uint64_t size,
                       uint64_t timeout_ms, host_error *err)
{
    const char *what = load_stage_name(r->stage);
    load_code code = {path, image, size, r->image_start, r->image_end};
    switch (r->outcome) {
    case PROBE_PASSED: return false;
    case PROBE_REFUSED: return host_fail(err, "%s", r->message), true;
    case PROBE_CRASHED: return load_crashed(what, &code, &r->crash, err), true;
    case PROBE_EXITED:
        return host_fail(err, "%s ended the process (exit status %d) while the library was loading; a game library "
                              "must not call exit; fix it and rebuild", what, r->exit_status), true;
    case PROBE_TIMED_OUT:
        return host_fail(err, "%s did not finish in %.3g s (an endless loop or a deadlock?); fix it and rebuild, or "
                              "raise --probe-timeout", what, (double)timeout_ms / 1000.0), true;
    case PROBE_FAILED:
        return host_fail(err, "%s; pass --no-probe to load builds without the probe", r->message), true;
    }
    return false;
}
