/* reload.c - the reload core: loads, hook calls under the crash policy, rebuild detection, the swap
 * and the rollback (reload.h). */
#include "reload.h"
#include "../os/clock.h"
#include "load.h"
#include "swap_layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RELOAD_LOCK_WAIT_NS (30ull * 1000000000ull) /* longest wait for a build that holds its lock */

/* ---- calls into game code --------------------------------------------------------------------- */

typedef struct reload_hook_call {
    reload *r;
    reload_hook hook;
    game_status status;
} reload_hook_call;

/* The migrate hook runs as the first part of after_reload (the crash guard names it so); taken once,
 * so that a rollback's after_reload is after_reload. */
static void reload_after_reload(reload *r, game_memory *m)
{
    const game_api *api = r->lib.api;
    if (!r->migration) {
        if (api->after_reload) api->after_reload(m, r->w.services);
        return;
    }
    layout_migration *migration = r->migration;
    r->migration = NULL;
    layout_migrate_hook(migration, api->migrate, m, r->w.services);
}

static void reload_dispatch(void *ctx)
{
    reload_hook_call *c = ctx;
    reload *r = c->r;
    const game_api *api = r->lib.api;
    game_memory *m = &r->w.block->memory;
    switch (c->hook) {
    case RELOAD_HOOK_INIT: api->init(m, r->w.services); break;
    case RELOAD_HOOK_UPDATE: c->status = api->update(m, r->w.services, r->w.input); break;
    case RELOAD_HOOK_BEFORE_RELOAD: if (api->before_reload) api->before_reload(m, r->w.services); break;
    case RELOAD_HOOK_AFTER_RELOAD: reload_after_reload(r, m); break;
    case RELOAD_HOOK_SHUTDOWN: if (api->shutdown) api->shutdown(m, r->w.services); break;
    }
}

/* A state whose init never returned has nothing to hand over: the hooks that expect a state are
 * skipped, and the next code to load starts with init on a fresh state. */
static bool reload_redirect(reload *r, reload_hook *hook)
{
    if (r->initialized) return true;
    if (*hook == RELOAD_HOOK_BEFORE_RELOAD || *hook == RELOAD_HOOK_SHUTDOWN) return false;
    if (*hook == RELOAD_HOOK_AFTER_RELOAD) {
        block_reset_state(r->w.block);
        *hook = RELOAD_HOOK_INIT;
    }
    return true;
}

static bool reload_rollback(reload *r);

/* The crash policy's verdict, carried out. */
static void reload_crashed(reload *r, reload_hook hook, guard_verdict verdict)
{
    r->versions.running.crashed = true;
    if (hook == RELOAD_HOOK_INIT) r->initialized = false;
    if (verdict == GUARD_PAUSE || (verdict == GUARD_ROLL_BACK && !reload_rollback(r))) r->paused = true;
}

bool reload_call(reload *r, reload_hook hook, game_status *status)
{
    if (status) *status = GAME_CONTINUE;
    if (!reload_redirect(r, &hook)) return true;
    if (hook == RELOAD_HOOK_INIT) r->initialized = false;
    reload_hook_call c = {r, hook, GAME_CONTINUE};
    guard_verdict verdict = guard_run(&r->guard, hook, reload_dispatch, &c);
    if (verdict != GUARD_RETURNED) {
        reload_crashed(r, hook, verdict);
        return false;
    }
    if (hook == RELOAD_HOOK_INIT) r->initialized = true;
    if (hook == RELOAD_HOOK_UPDATE) r->versions.running.ran = true;
    if (status) *status = c.status;
    return true;
}

/* ---- loading ------------------------------------------------------------------------------------ */

/* Reads the library once and loads it; the versions keep the bytes, to load this version again if a
 * newer one crashes. With no library path (the release build) the game linked in is used. */
static bool reload_load(reload *r, loader_lib *out, host_error *err)
{
    if (!r->cfg.library) {
        if (!load_linked(out, err)) return false;
        versions_loaded(&r->versions, out, NULL, 0, r->w.events);
        return true;
    }
    uint64_t size = 0;
    void *image = fs_read_file(r->cfg.library, &size, err);
    if (image && load_bytes(r->copy_dir, ++r->copies, image, size, out, err)) {
        versions_loaded(&r->versions, out, image, size, r->w.events);
        return true;
    }
    free(image);
    char why[HOST_ERROR_MAX];
    snprintf(why, sizeof(why), "%s", err->msg);
    return host_fail(err, "%s: %s", r->cfg.library, why);
}

/* After a library was closed: warn if the OS kept it mapped, and delete its copy. Outside the swap,
 * because nothing here blocks the new code from running. */
static void reload_retire(reload *r, const loader_lib *lib)
{
    host_error err;
    if (!loader_verify_unloaded(lib, &err)) event_warn(r->w.events, "%s", err.msg);
    if (r->cfg.library) fs_remove(lib->path);
}

/* The pending version runs now. */
static void reload_swapped(reload *r, bool retire_running)
{
    versions_swapped(&r->versions, retire_running, r->cfg.library != NULL);
    r->version = r->versions.running.number;
    r->paused = false;
    functions_resolve(&r->functions);
}

/* After the old library was unloaded: the block scanned for pointers into it. */
static void reload_scan_stale(reload *r, const loader_lib *old)
{
    memset(&r->scan, 0, sizeof(r->scan));
    const lib_version *v = versions_at(&r->versions, old->image_start);
    if (r->cfg.no_stale_scan || !r->cfg.library || !v || v == &r->versions.running) return;
    stale_scan_block(&r->scan, r->w.block, r->w.heap, v, r->w.events);
}

/* ---- the swap ------------------------------------------------------------------------------------- */

static swap_layout_scene reload_layout_scene(const reload *r)
{
    return (swap_layout_scene){r->w.block, r->w.heap, r->w.events, r->cfg.on_layout_change, r->initialized,
                               r->version, r->versions.newest};
}

static void reload_event_restart(reload *r, const char *cause)
{
    event e = event_begin(r->w.events, "restart");
    event_uint(&e, "version", r->version);
    if (cause) event_str(&e, "cause", cause);
    event_end(r->w.events, &e);
}

/* before_reload on the running code, `next` in, the old code unloaded (returned in *old), the layout
 * step around it, after_reload on the new code; false when a hook crashed (rolled back or paused). */
static bool reload_swap(reload *r, loader_lib *next, loader_lib *old)
{
    reload_call(r, RELOAD_HOOK_BEFORE_RELOAD, NULL);
    swap_layout sw;
    swap_layout_scene scene = reload_layout_scene(r);
    swap_layout_begin(&scene, next->api, &sw);
    if (sw.restart) {
        reload_call(r, RELOAD_HOOK_SHUTDOWN, NULL);
        block_reset_state(r->w.block);
    }
    *old = r->lib;
    r->lib = *next;
    loader_close(old);
    reload_swapped(r, true);
    r->w.block->memory.reloads++;
    if (sw.restart) reload_call(r, RELOAD_HOOK_INIT, NULL);
    scene = reload_layout_scene(r);
    swap_layout_adopt(&scene, r->lib.api, &sw);
    if (sw.restart) reload_event_restart(r, "layout");
    bool migrated = true;
    if (sw.migration && r->lib.api->migrate) {
        r->migration = sw.migration;
        migrated = reload_call(r, RELOAD_HOOK_AFTER_RELOAD, NULL);
    }
    swap_layout_end(&scene, &sw, migrated);
    return migrated && reload_call(r, RELOAD_HOOK_AFTER_RELOAD, NULL);
}

/* Loads the fallback again from its bytes and swaps it in, like a reload; the block is left alone. */
static bool reload_rollback(reload *r)
{
    versions *vs = &r->versions;
    uint64_t from = vs->running.number;
    loader_lib next, old;
    host_error err;
    if (!load_bytes(r->copy_dir, ++r->copies, vs->fallback.image, vs->fallback.image_size, &next, &err)) {
        event_warn(r->w.events, "cannot load version %llu again to roll back: %s", (unsigned long long)vs->fallback.number,
                   err.msg);
        return false;
    }
    versions_reloaded_fallback(vs, &next, r->w.events);
    reload_swap(r, &next, &old);
    reload_retire(r, &old);
    reload_scan_stale(r, &old);
    event e = event_begin(r->w.events, "rollback");
    event_uint(&e, "from", from);
    event_uint(&e, "version", r->version);
    event_bool(&e, "paused", r->paused);
    stale_event(&r->scan, &e);
    event_end(r->w.events, &e);
    return true;
}

/* ---- reloading ------------------------------------------------------------------------------------ */

static void reload_event_failed(reload *r, uint64_t version, const char *reason)
{
    event e = event_begin(r->w.events, "reload_failed");
    event_uint(&e, "version", version);
    event_str(&e, "reason", reason);
    event_uint(&e, "running_version", r->version);
    event_end(r->w.events, &e);
}

/* A build whose layouts the state refuses: `next` is closed, the old code runs on. */
static bool reload_refuse(reload *r, loader_lib *next, const char *why)
{
    loader_close(next);
    reload_retire(r, next);
    reload_event_failed(r, r->versions.newest, why);
    fprintf(stderr, "host: reload refused, still running version %llu: %s\n", (unsigned long long)r->version, why);
    return false;
}

static void reload_event_done(reload *r, const watch_change *change, uint64_t stale_frames, double swap_ms)
{
    event e = event_begin(r->w.events, "reload");
    event_uint(&e, "version", r->version);
    event_str(&e, "path", r->cfg.library);
    if (change) event_num(&e, "detect_ms", change->detect_ms);
    event_num(&e, "swap_ms", swap_ms);
    if (change) event_uint(&e, "stale_frames", stale_frames);
    event_str(&e, "cause", change ? "rebuild" : "request");
    stale_event(&r->scan, &e);
    event_end(r->w.events, &e);
}

bool reload_now(reload *r, const watch_change *change, uint64_t stale_frames)
{
    uint64_t t0 = clock_now_ns();
    loader_lib next;
    host_error err;
    if (!reload_load(r, &next, &err)) {
        reload_event_failed(r, r->versions.newest + 1, err.msg);
        fprintf(stderr, "host: reload failed, still running version %llu: %s\n", (unsigned long long)r->version, err.msg);
        return false;
    }
    swap_layout_scene scene = reload_layout_scene(r);
    if (!swap_layout_admit(&scene, next.api, &err)) return reload_refuse(r, &next, err.msg);
    loader_lib old;
    bool swapped = reload_swap(r, &next, &old);
    double swap_ms = (double)(clock_now_ns() - t0) / 1e6;
    reload_retire(r, &old);
    reload_scan_stale(r, &old);
    if (!swapped) { /* after_reload crashed; the guard said so and the core rolled back or paused */
        reload_event_failed(r, r->versions.newest, r->guard.crash_line);
        return false;
    }
    reload_event_done(r, change, stale_frames, swap_ms);
    return true;
}

void reload_restart(reload *r)
{
    reload_call(r, RELOAD_HOOK_SHUTDOWN, NULL);
    block_reset_state(r->w.block);
    reload_call(r, RELOAD_HOOK_INIT, NULL);
    swap_layout_scene scene = reload_layout_scene(r);
    swap_layout_store(&scene, r->lib.api, false);
    reload_event_restart(r, NULL);
}

bool reload_adopt(reload *r, host_error *err)
{
    r->initialized = true;
    swap_layout_scene scene = reload_layout_scene(r);
    if (!swap_layout_admit(&scene, r->lib.api, err)) return false;
    swap_layout sw;
    swap_layout_begin(&scene, r->lib.api, &sw);
    if (sw.restart) {
        block_reset_state(r->w.block);
        reload_call(r, RELOAD_HOOK_INIT, NULL);
    }
    scene = reload_layout_scene(r);
    swap_layout_adopt(&scene, r->lib.api, &sw);
    bool migrated = true;
    if (sw.migration && r->lib.api->migrate) {
        r->migration = sw.migration;
        migrated = reload_call(r, RELOAD_HOOK_AFTER_RELOAD, NULL);
    }
    swap_layout_end(&scene, &sw, migrated);
    return true;
}

/* A change is loaded once the build has released its lock (or held it too long). */
void reload_poll(reload *r, int64_t last_frame_wall_ns, bool requested)
{
    watch_change change;
    if (r->watch && watch_take(r->watch, &change)) {
        if (!r->has_pending) {
            r->pending_since_ns = clock_now_ns();
            r->pending_stale_frames = last_frame_wall_ns > change.identity.mtime_ns;
        }
        r->pending = change;
        r->has_pending = true;
    }
    if (!r->has_pending) {
        if (requested) reload_now(r, NULL, 0);
        return;
    }
    bool locked = fs_exists(r->lock_path);
    bool waited_too_long = clock_now_ns() - r->pending_since_ns > RELOAD_LOCK_WAIT_NS;
    if (locked && !waited_too_long) {
        r->pending_stale_frames++;
        return;
    }
    if (locked)
        event_warn(r->w.events, "build lock %s held for 30 s; loading the library anyway (delete the lock if no build "
                                "is running)", r->lock_path);
    r->has_pending = false;
    reload_now(r, &r->pending, r->pending_stale_frames);
}

/* ---- start and stop --------------------------------------------------------------------------------- */

static void reload_event_load(reload *r)
{
    event e = event_begin(r->w.events, "load");
    event_str(&e, "path", r->cfg.library ? r->cfg.library : "(linked in)");
    event_uint(&e, "version", r->version);
    event_hex(&e, "image", r->lib.image_start);
    event_uint(&e, "image_size", r->lib.image_end - r->lib.image_start);
    event_end(r->w.events, &e);
}

/* The copy folder, and the first build once its lock is gone. */
static bool reload_prepare(reload *r, host_error *err)
{
    const char *lib = r->cfg.library;
    if (!fs_exists(lib))
        return host_fail(err, "game library %s does not exist; build it first (./build.sh game GAME_DIR)", lib);
    if (!fs_private_dir_create(r->copy_dir, sizeof(r->copy_dir), err)) return false;
    snprintf(r->lock_path, sizeof(r->lock_path), "%s.lock", lib);
    for (uint64_t t0 = clock_now_ns(); fs_exists(r->lock_path) && clock_now_ns() - t0 < RELOAD_LOCK_WAIT_NS;)
        clock_sleep_until(clock_now_ns() + 50000000ull);
    return true;
}

bool reload_start(reload *r, const reload_config *cfg, const reload_world *w, host_error *err)
{
    memset(r, 0, sizeof(*r));
    r->cfg = *cfg;
    r->w = *w;
    functions_start(&r->functions, &r->versions, w->events);
    guard_scene scene = {&r->versions, w->block, w->heap, w->events};
    if (!guard_start(&r->guard, &scene, cfg->watchdog, err)) return false;
    if (cfg->library && !reload_prepare(r, err)) return false;
    if (!reload_load(r, &r->lib, err)) return false;
    reload_swapped(r, false);
    reload_event_load(r);
    if (!cfg->library) return true;
    r->watch = watch_start(cfg->library, cfg->poll, err);
    return r->watch != NULL;
}

void reload_init(reload *r)
{
    if (reload_call(r, RELOAD_HOOK_INIT, NULL) && !r->w.block->memory.root)
        event_warn(r->w.events, "init did not set mem->root; keep the game state in mem->persistent");
    swap_layout_scene scene = reload_layout_scene(r);
    swap_layout_store(&scene, r->lib.api, false);
}

void reload_stop(reload *r)
{
    watch_stop(r->watch);
    r->watch = NULL;
    if (r->lib.handle) {
        loader_close(&r->lib);
        reload_retire(r, &r->lib);
    }
    guard_stop(&r->guard);
    versions_free(&r->versions);
    functions_stop(&r->functions);
    if (r->copy_dir[0]) fs_private_dir_remove(r->copy_dir);
}
