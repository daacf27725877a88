/* reload.c - the reload core: loads, hook calls under the crash policy, rebuild detection, the swap
 * and the rollback (reload.h). */
#include "reload.h"
#include "../os/clock.h"
#include "candidate.h"
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

static candidate_scene reload_candidate_scene(const reload *r)
{
    return (candidate_scene){r->cfg.library, r->copy_dir, r->probe, r->cfg.probe_timeout_ms};
}

/* After a library was closed: warn if the OS kept it mapped, and delete its copy (a build kept by
 * --old-code forward is still open: only its copy goes, where the OS allows). Outside the swap,
 * because nothing here blocks the new code from running. */
static void reload_retire(reload *r, const loader_lib *lib)
{
    host_error err;
    if (!lib->handle && !loader_verify_unloaded(lib, &err)) event_warn(r->w.events, "%s", err.msg);
    if (r->cfg.library) fs_remove(lib->path);
}

/* The old copy is retired at the top of the next frame: the new code's first frame does not wait
 * for it. One at a time: an older one still waiting is retired now. */
static void reload_retire_later(reload *r, const loader_lib *lib)
{
    if (r->has_retiring) reload_retire(r, &r->retiring);
    r->retiring = *lib;
    r->has_retiring = true;
}

static void reload_retire_waiting(reload *r)
{
    if (r->has_retiring) reload_retire(r, &r->retiring);
    r->has_retiring = false;
}

/* The pending version runs now (its registered functions are looked up separately). */
static void reload_swapped(reload *r, bool retire_running)
{
    versions_swapped(&r->versions, retire_running);
    r->version = r->versions.running.number;
    r->paused = false;
}

/* Every kept build's functions jump to the running build's (forward.h). */
static void reload_forward(reload *r)
{
    memset(&r->forwarded, 0, sizeof(r->forwarded));
    for (uint32_t i = 0; i < VERSIONS_RETIRED_MAX; i++) {
        const lib_version *v = &r->versions.retired[i];
        if (!v->kept.handle) continue;
        forward_counts c = forward_patch(v, &r->versions.running);
        r->forwarded.forwarded += c.forwarded;
        r->forwarded.missing += c.missing;
        r->forwarded.unpatchable += c.unpatchable;
        r->forwarded.ambiguous += c.ambiguous;
    }
}

/* The swapped-out build, still mapped: pointers into it repaired or reported; then it is unloaded
 * and its range fenced, or kept (--old-code forward). */
/* The swapped-out build, still mapped: pointers into it repaired or reported; then it is unloaded
 * and its range fenced, or kept (--old-code forward). Each part's time goes to `b`. */
static void reload_leave(reload *r, loader_lib *old, candidate_budget *b)
{
    const lib_version *v = versions_at(&r->versions, old->image_start);
    r->stale.last.done = false;
    if (r->cfg.library && v && v != &r->versions.running) {
        stale_scene scene = {v, &r->versions.running, r->w.events};
        stale_pass(&r->stale, &scene);
    }
    candidate_lap(b, &b->scan_ms);
    if (!r->cfg.library) {
        loader_close(old);
    } else if (r->cfg.old_code == RELOAD_OLD_CODE_FORWARD) {
        versions_keep_retired(&r->versions, old);
        reload_forward(r);
    } else {
        loader_close(old);
        versions_fence_retired(&r->versions);
    }
    candidate_lap(b, &b->unload_ms);
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

bool reload_stop_threads(reload *r)
{
    if (r->threads_stopped) return false;
    reload_call(r, RELOAD_HOOK_BEFORE_RELOAD, NULL);
    r->threads_stopped = true;
    return true;
}

void reload_start_threads(reload *r)
{
    if (!r->threads_stopped) return;
    r->threads_stopped = false;
    reload_call(r, RELOAD_HOOK_AFTER_RELOAD, NULL);
}

/* before_reload on the running code, `next` in, the layout step around it, the old code left
 * (reload_leave: repaired, unloaded; returned in *old), after_reload on the new code; false when a
 * hook crashed (rolled back or paused). Each part's time goes to `b`. */
static bool reload_swap(reload *r, loader_lib *next, loader_lib *old, candidate_budget *b)
{
    reload_stop_threads(r);
    candidate_lap(b, &b->hooks_ms);
    swap_layout sw;
    swap_layout_scene scene = reload_layout_scene(r);
    swap_layout_begin(&scene, next->api, &sw);
    candidate_lap(b, &b->layout_ms);
    if (sw.restart) {
        reload_call(r, RELOAD_HOOK_SHUTDOWN, NULL);
        block_reset_state(r->w.block);
    }
    *old = r->lib;
    r->lib = *next;
    reload_swapped(r, true);
    r->threads_stopped = false; /* the new code's after_reload starts them */
    functions_resolve(&r->functions);
    candidate_lap(b, &b->registry_ms);
    r->w.block->memory.reloads++;
    if (sw.restart) reload_call(r, RELOAD_HOOK_INIT, NULL);
    scene = reload_layout_scene(r);
    swap_layout_adopt(&scene, r->lib.api, &sw);
    if (sw.restart) reload_event_restart(r, "layout");
    candidate_lap(b, &b->layout_ms);
    reload_leave(r, old, b);
    bool migrated = true;
    if (sw.migration && r->lib.api->migrate) {
        r->migration = sw.migration;
        migrated = reload_call(r, RELOAD_HOOK_AFTER_RELOAD, NULL);
    }
    swap_layout_end(&scene, &sw, migrated);
    bool done = migrated && reload_call(r, RELOAD_HOOK_AFTER_RELOAD, NULL);
    candidate_lap(b, &b->hooks_ms);
    return done;
}

/* A rollback event, its fields after these for the caller to add. */
static event reload_event_rollback(const reload *r, uint64_t from, bool paused)
{
    event e = event_begin(r->w.events, "rollback");
    event_uint(&e, "from", from);
    event_uint(&e, "version", r->version);
    event_bool(&e, "paused", paused);
    return e;
}

/* Loads the fallback again from its bytes and swaps it in, like a reload; the block is left alone.
 * It ran in this process before: it is not probed again. */
static bool reload_rollback(reload *r)
{
    versions *vs = &r->versions;
    uint64_t from = vs->running.number;
    loader_lib next, old;
    host_error err;
    if (!load_bytes(r->copy_dir, ++r->copies, vs->fallback.image, vs->fallback.image_size, &next, &err)) {
        /* the game pauses instead: the event says so, for the status line and the rewind offer */
        event e = reload_event_rollback(r, from, true);
        event_str(&e, "failed", err.msg);
        event_end(r->w.events, &e);
        event_say(r->w.events, "cannot load version %llu again to roll back (%s): game paused, the state is kept; fix "
                               "the game and rebuild", (unsigned long long)vs->fallback.number, err.msg);
        return false;
    }
    versions_reloaded_fallback(vs, &next, r->w.events);
    candidate_budget b = {.mark_ns = clock_now_ns()};
    reload_swap(r, &next, &old, &b);
    reload_retire(r, &old);
    event e = reload_event_rollback(r, from, r->paused);
    if (r->stale.last.done) event_num(&e, "scan_ms", b.scan_ms);
    stale_event(&r->stale, &e);
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
static void reload_refuse(reload *r, loader_lib *next, const char *why)
{
    loader_close(next);
    reload_retire(r, next);
    reload_event_failed(r, r->versions.newest, why);
    event_say(r->w.events, "reload refused, still running version %llu: %s", (unsigned long long)r->version, why);
}

/* Where the reload's time went, part by part (candidate.h): the parts add up to total_ms. */
static void reload_event_budget(const candidate_budget *b, event *e)
{
    const struct {
        const char *key;
        double ms;
    } parts[] = {{"detect_ms", b->detect_ms},     {"wait_ms", b->wait_ms},       {"copy_ms", b->copy_ms},
                 {"probe_ms", b->probe_ms},       {"load_ms", b->load_ms},       {"validate_ms", b->validate_ms},
                 {"layout_ms", b->layout_ms},     {"hooks_ms", b->hooks_ms},     {"registry_ms", b->registry_ms},
                 {"unload_ms", b->unload_ms},     {"scan_ms", b->scan_ms}};
    double total = 0;
    for (size_t i = 0; i < ARRAY_COUNT(parts); i++) {
        event_num(e, parts[i].key, parts[i].ms);
        total += parts[i].ms;
    }
    event_num(e, "total_ms", total);
    /* the host's own work on the frame path, for comparison with earlier versions: no waiting, no probe, no scan */
    event_num(e, "swap_ms", b->copy_ms + b->load_ms + b->validate_ms + b->layout_ms + b->hooks_ms + b->registry_ms +
                                b->unload_ms);
}

/* --old-code forward: the builds kept, what they cost, and what their entries do now. */
static void reload_event_old_code(const reload *r, event *e)
{
    if (r->cfg.old_code != RELOAD_OLD_CODE_FORWARD) return;
    uint64_t kept = 0, bytes = 0;
    for (uint32_t i = 0; i < VERSIONS_RETIRED_MAX; i++) {
        const lib_version *v = &r->versions.retired[i];
        if (!v->kept.handle) continue;
        kept++;
        bytes += v->end - v->start;
    }
    char json[256];
    snprintf(json, sizeof(json),
             "{\"kept\":%llu,\"bytes\":%llu,\"forwarded\":%u,\"missing\":%u,\"unpatchable\":%u,\"ambiguous\":%u}",
             (unsigned long long)kept, (unsigned long long)bytes, r->forwarded.forwarded, r->forwarded.missing,
             r->forwarded.unpatchable, r->forwarded.ambiguous);
    event_raw(e, "old_code", json);
}

static void reload_event_done(reload *r, const candidate_budget *b)
{
    event e = event_begin(r->w.events, "reload");
    event_uint(&e, "version", r->version);
    event_str(&e, "path", r->cfg.library);
    reload_event_budget(b, &e);
    if (r->next_has_change) event_uint(&e, "stale_frames", r->next_stale_frames);
    event_str(&e, "cause", r->next_has_change ? "rebuild" : "request");
    stale_event(&r->stale, &e);
    reload_event_old_code(r, &e);
    event_end(r->w.events, &e);
}

/* A ready candidate swapped in: the new code runs from this frame on. */
static void reload_swap_in(reload *r)
{
    candidate_budget b = r->next.budget;
    candidate_lap(&b, &b.wait_ms); /* ready since the probe answered: the frame boundary */
    loader_lib next, old;
    void *image;
    uint64_t size;
    versions_symbols symbols;
    candidate_take(&r->next, &next, &image, &size, &symbols);
    versions_loaded(&r->versions, &next, image, size, &symbols, r->w.events);
    candidate_lap(&b, &b.load_ms);
    host_error err;
    swap_layout_scene scene = reload_layout_scene(r);
    bool admitted = swap_layout_admit(&scene, next.api, &err);
    candidate_lap(&b, &b.validate_ms);
    if (!admitted) return reload_refuse(r, &next, err.msg);
    bool swapped = reload_swap(r, &next, &old, &b);
    reload_retire_later(r, &old);
    if (!swapped) { /* after_reload crashed; the guard said so and the core rolled back or paused */
        reload_event_failed(r, r->versions.newest, r->guard.crash_line);
        return;
    }
    reload_event_done(r, &b);
}

/* A candidate that is ready or refused is done with: swapped in, or reported. */
static void reload_settle(reload *r)
{
    if (r->next.probe_restarted)
        event_warn(r->w.events, "the probe process had died; it was started again and probed the build");
    r->next.probe_restarted = false;
    if (r->next.state == CANDIDATE_READY) return reload_swap_in(r);
    if (r->next.state != CANDIDATE_REFUSED) return;
    const char *why = r->next.reason.msg;
    reload_event_failed(r, r->versions.newest + 1, why);
    event_say(r->w.events, "reload failed, still running version %llu: %s", (unsigned long long)r->version, why);
    candidate_drop(&r->next);
}

/* Starts the library file on its way in (`change` NULL for a requested reload). */
static void reload_begin(reload *r, const watch_change *change, uint64_t stale_frames)
{
    candidate_scene scene = reload_candidate_scene(r);
    r->next_has_change = change != NULL;
    r->next_stale_frames = stale_frames;
    stale_prepare(&r->stale); /* the watch's last round runs while the build loads */
    candidate_begin(&r->next, &scene, ++r->copies, change ? change->noticed_ns : clock_now_ns(),
                    change ? change->detect_ms : 0);
}

void reload_restart(reload *r)
{
    reload_call(r, RELOAD_HOOK_SHUTDOWN, NULL);
    block_reset_state(r->w.block);
    reload_call(r, RELOAD_HOOK_INIT, NULL);
    swap_layout_scene scene = reload_layout_scene(r);
    swap_layout_store(&scene, r->lib.api, false);
    stale_skip_clear(&r->stale);
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

/* Crashes the game's threads reported since the last frame (os/crash.h; each such thread is gone):
 * one in the running code stops the other game threads through before_reload, then rolls back or
 * pauses as a crash in update does; one in an old build's code is only reported. */
static void reload_thread_crashes(reload *r)
{
    crash_thread_report t;
    while (crash_thread_take(&t)) {
        guard_verdict verdict = guard_thread_crash(&r->guard, &t);
        if (verdict == GUARD_GO_ON || r->paused) continue;
        reload_stop_threads(r);
        reload_crashed(r, RELOAD_HOOK_UPDATE, verdict);
    }
}

/* A change the watch saw: pending until its build releases the lock. `frame_wall_ns`: when the frame
 * running now (or the last one) began, to count the frames that began after the change landed. */
static void reload_take_change(reload *r, int64_t frame_wall_ns)
{
    watch_change change;
    if (!r->watch || !watch_take(r->watch, &change)) return;
    if (!r->has_pending) {
        r->pending_since_ns = clock_now_ns();
        r->pending_stale_frames = frame_wall_ns > change.identity.mtime_ns;
    }
    r->pending = change;
    r->has_pending = true;
}

/* A pending change whose build released its lock (or held it too long) is ready to load. */
static bool reload_change_ready(reload *r)
{
    if (!r->has_pending) return false;
    bool locked = fs_exists(r->lock_path);
    bool waited_too_long = clock_now_ns() - r->pending_since_ns > RELOAD_LOCK_WAIT_NS;
    if (locked && !waited_too_long) return false;
    if (locked)
        event_warn(r->w.events, "build lock %s held for 30 s; loading the library anyway (delete the lock if no build "
                                "is running)", r->lock_path);
    r->has_pending = false;
    return true;
}

/* The steps of a build's way in that need no frame boundary: a landed build copied and handed to the
 * probe (a newer build overtakes one in flight), the probe's answer taken and the copy opened. */
static void reload_advance(reload *r, int64_t frame_wall_ns)
{
    reload_take_change(r, frame_wall_ns);
    if (r->next.state == CANDIDATE_PROBING) {
        candidate_scene scene = reload_candidate_scene(r);
        candidate_advance(&r->next, &scene, false);
    }
    if (reload_change_ready(r)) reload_begin(r, &r->pending, r->pending_stale_frames);
}

void reload_poll(reload *r, int64_t last_frame_wall_ns, bool requested)
{
    reload_retire_waiting(r);
    reload_thread_crashes(r);
    reload_advance(r, last_frame_wall_ns);
    if (requested && r->next.state == CANDIDATE_NONE && !r->has_pending) reload_begin(r, NULL, 0);
    reload_settle(r);
    /* a build still on its way: this frame runs the old code after the build landed */
    r->pending_stale_frames += r->has_pending;
    r->next_stale_frames += r->next_has_change && r->next.state == CANDIDATE_PROBING;
}

void reload_wait(reload *r, uint64_t deadline_ns, int64_t frame_wall_ns)
{
    for (;;) {
        clock_wake wakes[2];
        int n = 0;
        if (r->watch) wakes[n++] = watch_wake(r->watch);
        if (r->next.state == CANDIDATE_PROBING) wakes[n++] = probe_wake(r->probe);
        if (!clock_sleep_until_woken(deadline_ns, wakes, n)) return;
        reload_advance(r, frame_wall_ns);
    }
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
    if (fs_is_folder(lib))
        return host_fail(err, "game library %s is a folder; did you mean %s/build/%s?", lib, lib, loader_library_file);
    if (!fs_exists(lib))
        return host_fail(err, "game library %s does not exist; build it first (./build.sh game GAME_DIR)", lib);
    if (!fs_private_dir_create(r->copy_dir, sizeof(r->copy_dir), err)) return false;
    snprintf(r->lock_path, sizeof(r->lock_path), "%s.lock", lib);
    for (uint64_t t0 = clock_now_ns(); fs_exists(r->lock_path) && clock_now_ns() - t0 < RELOAD_LOCK_WAIT_NS;)
        clock_sleep_until(clock_now_ns() + 50000000ull);
    return true;
}

/* Version 1: probed and opened like any later build, but waited for; refused, it is the host's one
 * line. With no library (the release build) the game linked in. */
static bool reload_load_first(reload *r, host_error *err)
{
    if (!r->cfg.library) {
        if (!load_linked(&r->lib, err)) return false;
        versions_loaded(&r->versions, &r->lib, NULL, 0, NULL, r->w.events);
        return true;
    }
    if (!r->cfg.no_probe && !(r->probe = probe_start(err))) return false;
    candidate_scene scene = reload_candidate_scene(r);
    candidate_begin(&r->next, &scene, ++r->copies, clock_now_ns(), 0);
    candidate_advance(&r->next, &scene, true);
    if (r->next.state != CANDIDATE_READY) {
        *err = r->next.reason;
        candidate_drop(&r->next);
        return false;
    }
    void *image;
    uint64_t size;
    versions_symbols symbols;
    candidate_take(&r->next, &r->lib, &image, &size, &symbols);
    versions_loaded(&r->versions, &r->lib, image, size, &symbols, r->w.events);
    return true;
}

bool reload_start(reload *r, const reload_config *cfg, const reload_world *w, host_error *err)
{
    memset(r, 0, sizeof(*r));
    r->cfg = *cfg;
    r->w = *w;
    r->versions.code_map = w->code_map;
    functions_start(&r->functions, &r->versions, w->events);
    guard_scene scene = {&r->versions, w->block, w->heap, w->events};
    if (!guard_start(&r->guard, &scene, cfg->watchdog, err)) return false;
    if (cfg->library && !reload_prepare(r, err)) return false;
    if (cfg->library && !stale_start(&r->stale, cfg->stale_pointers, w->dirty, w->block, w->heap, err)) return false;
    if (cfg->old_code == RELOAD_OLD_CODE_FORWARD && !forward_supported())
        return host_fail(err, "--old-code forward writes x86-64 jumps; this host is built for another CPU: use "
                              "--old-code fence");
    /* watched before the first load: a build that lands while it loads is the next reload */
    if (cfg->library && !(r->watch = watch_start(cfg->library, cfg->poll, err))) return false;
    if (!reload_load_first(r, err)) return false;
    reload_swapped(r, false);
    functions_resolve(&r->functions);
    if (cfg->library) stale_follow(&r->stale, &r->versions.running); /* a linked-in game is never swapped */
    reload_event_load(r);
    return true;
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
    candidate_drop(&r->next);
    probe_stop(r->probe);
    r->probe = NULL;
    reload_retire_waiting(r);
    if (r->lib.handle) {
        loader_close(&r->lib);
        reload_retire(r, &r->lib);
    }
    guard_stop(&r->guard);
    stale_stop(&r->stale);
    versions_free(&r->versions);
    functions_stop(&r->functions);
    if (r->copy_dir[0]) fs_private_dir_remove(r->copy_dir);
}
