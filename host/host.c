/* host.c - start, frame loop, reload and restart of the game library. */
#include "host.h"
#include "clock.h"
#include "signals.h"
#include "stats.h"
#include "terminal.h"
#include "units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_LOCK_WAIT_NS (30ull * 1000000000ull) /* longest wait for a build that holds its lock */
#define HOST_PAUSED_SLEEP_NS 10000000ull          /* a frame while the game is paused after a crash */

static uint64_t host_clock_start;

double host_now_ms(void) { return (double)(clock_now_ns() - host_clock_start) / 1e6; }

/* ---- calls into game code ---------------------------------------------------------------- */

/* The migrate hook, called as the first part of after_reload (host_layout_adopt); taken once, so
 * that a rollback's after_reload is after_reload. */
static void host_call_migrate(host *h, game_memory *m, const host_api *services)
{
    layout_migration *migration = h->migration;
    h->migration = NULL;
    layout_migrate_hook(migration, h->lib.api->migrate, m, services);
}

game_status host_call_unguarded(host *h, host_hook hook)
{
    const game_api *api = h->lib.api;
    game_memory *m = &h->block->memory;
    const host_api *services = host_services(h);
    switch (hook) {
    case HOST_HOOK_INIT: api->init(m, services); break;
    case HOST_HOOK_UPDATE: return api->update(m, services, &h->input);
    case HOST_HOOK_BEFORE_RELOAD: if (api->before_reload) api->before_reload(m, services); break;
    case HOST_HOOK_AFTER_RELOAD:
        if (h->migration) host_call_migrate(h, m, services);
        else if (api->after_reload) api->after_reload(m, services);
        break;
    case HOST_HOOK_SHUTDOWN: if (api->shutdown) api->shutdown(m, services); break;
    }
    return GAME_CONTINUE;
}

/* Every call into the game goes through the crash guard (guard.c). */
static game_status host_call(host *h, host_hook hook)
{
    game_status status;
    guard_call(h, hook, &status);
    return status;
}

static void host_warn(host *h, const char *msg)
{
    event e = event_begin(&h->events, "warning");
    event_str(&e, "msg", msg);
    event_end(&h->events, &e);
    fprintf(stderr, "host: warning: %s\n", msg);
}

/* ---- loading ----------------------------------------------------------------------------- */

static bool host_validate(const game_api *api, host_error *err)
{
    if (!api) return host_fail(err, "%s returned NULL instead of its game_api table", GAME_ENTRY_NAME);
    if (api->abi_version != GAME_API_VERSION)
        return host_fail(err, "library built against game ABI %u, this host speaks ABI %u; rebuild the game with "
                              "this engine's host/game_api.h", api->abi_version, GAME_API_VERSION);
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

/* Checks the image, writes it to a fresh name in the private folder and opens that copy. */
bool host_load_bytes(host *h, const void *image, uint64_t size, loader_lib *out, host_error *err)
{
    char copy[FS_PATH_MAX + 64];
    snprintf(copy, sizeof(copy), "%s/game.%llu.%08llx%s", h->copy_dir, (unsigned long long)++h->copies,
             (unsigned long long)(fs_random() & 0xffffffffu), loader_library_suffix);
    bool written = loader_check_image(image, size, err) && fs_write_new(copy, image, size, err);
    bool opened = written && loader_open(copy, out, err);
    if (opened && host_validate(out->api, err)) return true;
    if (opened) loader_close(out);
    if (written) fs_remove(copy);
    return false;
}

/* Reads the library once and loads it; the crash guard keeps the bytes, to load this version again
 * if a newer one crashes. With no library path (the release build) the game linked into the
 * executable is used. */
static bool host_load(host *h, loader_lib *out, host_error *err)
{
    if (!h->opts.library) {
        if (!loader_open(NULL, out, err) || !host_validate(out->api, err)) return false;
        guard_loaded(h, out, NULL, 0);
        return true;
    }
    uint64_t size = 0;
    void *image = fs_read_file(h->opts.library, &size, err);
    if (image && host_load_bytes(h, image, size, out, err)) {
        guard_loaded(h, out, image, size);
        return true;
    }
    free(image);
    char why[HOST_ERROR_MAX];
    snprintf(why, sizeof(why), "%s", err->msg);
    return host_fail(err, "%s: %s", h->opts.library, why);
}

/* After a library was closed: warn if the OS kept it mapped, and delete its copy. Outside the swap,
 * because nothing here blocks the new code from running. */
void host_retire(host *h, const loader_lib *lib)
{
    host_error err;
    if (!loader_verify_unloaded(lib, &err)) host_warn(h, err.msg);
    if (h->opts.library) fs_remove(lib->path);
}

static void host_event_load(host *h, const char *name)
{
    event e = event_begin(&h->events, name);
    event_str(&e, "path", h->opts.library ? h->opts.library : "(linked in)");
    event_uint(&e, "version", h->version);
    event_hex(&e, "image", h->lib.image_start);
    event_uint(&e, "image_size", h->lib.image_end - h->lib.image_start);
    event_end(&h->events, &e);
}

/* ---- state layouts (layout.h): compared at every swap, the state migrated or thrown away --------- */

/* One swap's layout step, from before the swap to after after_reload. On host_swap's stack: a
 * rollback's swap inside after_reload has its own. */
typedef struct host_layout_swap {
    layout_library next;         /* the incoming library's layouts */
    layout_diff *diff;           /* NULL: nothing to compare (no state yet, or none stored) */
    layout_migration *migration; /* the state was migrated */
    bool restart;                /* the state was thrown away: init runs on the new code */
    bool store;                  /* the new layouts become the state's */
    arena_temp scratch;          /* holds diff and migration */
} host_layout_swap;

static layout_policy host_layout_policy(const host *h) { return (layout_policy)h->opts.on_layout_change; }

static void *host_layout_heap_alloc(void *ctx, uint64_t size, uint64_t align)
{
    (void)ctx;
    return heap_alloc(size, align, HEAP_ZERO);
}

static void host_layout_heap_free(void *ctx, void *p)
{
    (void)ctx;
    heap_free(p);
}

static layout_heap host_layout_heap(host *h)
{
    return (layout_heap){h->heap.start, h->heap.size, host_layout_heap_alloc, host_layout_heap_free, &h->heap};
}

/* The running library's layouts, copied into the block: the layouts of the state from now on.
 * `migrated`: the same state, so the counts of past migrations carry over. */
static void host_layout_store(host *h, bool migrated)
{
    layout_library lib;
    host_error err;
    const layout_record *previous = h->block->layouts;
    layout_record *r = NULL;
    if (layout_from_library(h->lib.api, &lib, &err)) /* checked at load: this cannot fail */
        r = layout_store(h->block->host, &lib.set, h->block->memory.root_size);
    if (!r) {
        host_warn(h, "the host arena is full, so the state's layouts were not stored and the next reload cannot "
                     "compare them; give the host arena more room (BLOCK_DEFAULT_HOST_SIZE)");
        return;
    }
    if (previous && migrated) *r = (layout_record){r->set, previous->migrations, previous->unused_bytes};
    h->block->layouts = r;
}

/* Compares the state's layouts with `next`'s on the scratch arena (NULL when there is nothing to
 * compare: no layouts stored, or a state whose init never returned, which is reset anyway). */
static layout_diff *host_layout_compare(host *h, const game_api *next, layout_library *lib, arena *scratch)
{
    host_error err;
    if (!h->block->layouts || !h->guard.initialized || !layout_from_library(next, lib, &err)) return NULL;
    return layout_compare(&h->block->layouts->set, &lib->set, scratch);
}

/* A change that was not migrated: the reload refused, or the state restarted. */
static void host_event_layout(host *h, const layout_diff *d, const char *action, const char *why, uint64_t version,
                              arena *scratch)
{
    layout_report r;
    layout_diff_report(d, scratch, &r);
    char list[2048];
    event e = event_begin(&h->events, "layout");
    event_str(&e, "action", action);
    event_uint(&e, "version", version);
    event_str(&e, "summary", layout_diff_summary(d));
    if (why[0]) event_str(&e, "reason", why);
    event_raw(&e, "changed", layout_names_format(&r.changed, true, list, sizeof(list)));
    event_end(&h->events, &e);
}

/* A migration: what was kept, zeroed, dropped and converted; a warning names changed fields that
 * nothing converted. */
static void host_event_migrated(host *h, const layout_diff *d, const layout_report *r)
{
    char list[2048];
    event e = event_begin(&h->events, "layout");
    event_str(&e, "action", "migrate");
    event_uint(&e, "version", h->version);
    event_str(&e, "summary", layout_diff_summary(d));
    const layout_names *lists[] = {&r->changed, &r->kept, &r->zeroed, &r->dropped, &r->converted};
    const char *keys[] = {"changed", "kept", "zeroed", "dropped", "converted"};
    for (size_t i = 0; i < ARRAY_COUNT(lists); i++)
        event_raw(&e, keys[i], layout_names_format(lists[i], true, list, sizeof(list)));
    event_uint(&e, "objects", r->objects);
    event_uint(&e, "updated", r->updated);
    event_uint(&e, "unused_bytes", r->unused_bytes);
    event_uint(&e, "heap_freed", r->heap_freed);
    event_uint(&e, "migrations", h->block->layouts->migrations); /* since the state was created */
    event_uint(&e, "unused_total", h->block->layouts->unused_bytes);
    event_end(&h->events, &e);
    if (!r->lost.count) return;
    char msg[HOST_ERROR_MAX + 256];
    snprintf(msg, sizeof(msg), "layout: %s changed type and no migrate rule converted it, so it starts at zero; "
                               "convert it in game_api.migrate (host/game_layout.h)",
             layout_names_format(&r->lost, false, list, 400));
    host_warn(h, msg);
}

/* True, with the reason, when `next` must not run on this state: the policy refuses a changed
 * layout, or the state cannot be migrated, which is tried on throwaway copies so that the swap
 * itself does not fail. */
static bool host_layout_refuses(host *h, layout_diff *d, arena *scratch, host_error *err)
{
    layout_verdict verdict = layout_diff_verdict(d);
    layout_policy policy = host_layout_policy(h);
    if (verdict == LAYOUT_SAME || policy == LAYOUT_RESTART) return false;
    if (policy == LAYOUT_REFUSE) {
        host_fail(err, "the state's layout changed (%s) and --on-layout-change=refuse keeps version %llu running; "
                       "undo the change, or pass --on-layout-change=migrate", layout_diff_summary(d),
                  (unsigned long long)h->version);
        return true;
    }
    if (verdict == LAYOUT_RESIZED) {
        host_fail(err, "%s and the library declares no layouts, so its fields cannot be matched; declare the state "
                       "with GAME_STRUCT and list it in game_api.layouts (host/game_layout.h), or pass "
                       "--on-layout-change=restart", layout_diff_summary(d));
        return true;
    }
    layout_heap heap = host_layout_heap(h);
    layout_migration *m = layout_migrate_begin(d, &h->block->memory, &heap, false, scratch, err);
    if (m) layout_migrate_cancel(m);
    return m == NULL;
}

/* Before a reload touches anything: false, with the reason, when `next` is refused. */
static bool host_layout_admit(host *h, const loader_lib *next, host_error *err)
{
    layout_library lib;
    arena_temp scratch = arena_temp_begin(h->block->memory.scratch[0]);
    layout_diff *d = host_layout_compare(h, next->api, &lib, scratch.arena);
    bool refused = d && host_layout_refuses(h, d, scratch.arena, err);
    if (refused) host_event_layout(h, d, "refuse", err->msg, h->guard.newest, scratch.arena);
    arena_temp_end(scratch);
    return !refused;
}

/* The reload stops before the swap: `next` is closed, the old code runs on. */
static bool host_layout_refused(host *h, loader_lib *next, const char *why)
{
    loader_close(next);
    host_retire(h, next);
    event e = event_begin(&h->events, "reload_failed");
    event_uint(&e, "version", h->guard.newest);
    event_str(&e, "reason", why);
    event_uint(&e, "running_version", h->version);
    event_end(&h->events, &e);
    fprintf(stderr, "host: reload refused, still running version %llu: %s\n", (unsigned long long)h->version, why);
    snprintf(h->status, sizeof(h->status), "reload refused: the state's layout changed (see the event log)");
    return false;
}

/* After before_reload, before the swap: the state takes `next`'s layouts, migrated, or thrown away
 * when the policy says restart or it cannot be migrated (a rollback to older code, or a state that
 * before_reload changed since host_layout_admit tried). A restart reports before the reset, which
 * also clears the scratch arena the comparison lives on. */
static void host_layout_begin(host *h, const loader_lib *next, host_layout_swap *sw)
{
    memset(sw, 0, sizeof(*sw));
    sw->scratch = arena_temp_begin(h->block->memory.scratch[0]);
    sw->diff = host_layout_compare(h, next->api, &sw->next, sw->scratch.arena);
    layout_verdict verdict = sw->diff ? layout_diff_verdict(sw->diff) : LAYOUT_SAME;
    /* also a library that starts (or stops) declaring layouts on a state of the same size */
    sw->store = !sw->diff || h->block->layouts->set.count != sw->next.set.count;
    if (verdict == LAYOUT_SAME) return;
    host_error err = {{0}};
    if (verdict == LAYOUT_RESIZED && host_layout_policy(h) != LAYOUT_RESTART)
        host_fail(&err, "%s and a side declares no layouts", layout_diff_summary(sw->diff));
    if (verdict == LAYOUT_CHANGED && host_layout_policy(h) != LAYOUT_RESTART) {
        layout_heap heap = host_layout_heap(h);
        sw->migration = layout_migrate_begin(sw->diff, &h->block->memory, &heap, next->api->migrate != NULL,
                                             sw->scratch.arena, &err);
        if (sw->migration) {
            layout_migrate_commit(sw->migration);
            sw->store = true;
            return;
        }
    }
    host_event_layout(h, sw->diff, "restart", err.msg, h->guard.newest, sw->scratch.arena);
    if (err.msg[0]) {
        char msg[HOST_ERROR_MAX + 64];
        snprintf(msg, sizeof(msg), "the state could not be migrated, so it starts over: %s", err.msg);
        host_warn(h, msg);
    }
    arena_temp_end(sw->scratch);
    sw->diff = NULL;
    sw->restart = sw->store = true;
    host_call(h, HOST_HOOK_SHUTDOWN);
    block_reset_state(h->block);
}

/* The `layout` event of a migration; old heap copies freed. */
static void host_layout_end(host *h, host_layout_swap *sw)
{
    layout_report r;
    layout_migrate_end(sw->migration, &r);
    h->block->layouts->migrations++;
    h->block->layouts->unused_bytes += r.unused_bytes;
    host_event_migrated(h, sw->diff, &r);
    snprintf(h->status, sizeof(h->status), "version %llu: state migrated (%.200s)", (unsigned long long)h->version,
             layout_diff_summary(sw->diff));
}

/* After the swap, before after_reload: the new layouts become the state's (so that a rollback from a
 * crash from here on migrates back), after init on a restarted state; then the migrate hook runs
 * under the crash guard as the first part of after_reload. False when it crashed: the guard rolled
 * back or paused, and the migration is not reported. */
static bool host_layout_adopt(host *h, host_layout_swap *sw)
{
    if (sw->restart) host_call(h, HOST_HOOK_INIT);
    if (sw->store) host_layout_store(h, sw->migration != NULL);
    if (sw->restart) {
        event e = event_begin(&h->events, "restart");
        event_uint(&e, "version", h->version);
        event_str(&e, "cause", "layout");
        event_end(&h->events, &e);
    }
    bool ok = true;
    if (sw->migration && h->lib.api->migrate) {
        h->migration = sw->migration;
        ok = guard_call(h, HOST_HOOK_AFTER_RELOAD, NULL);
    }
    if (ok && sw->migration) host_layout_end(h, sw);
    if (!sw->restart) arena_temp_end(sw->scratch);
    return ok;
}

/* `stale_frames`: frames that began after the new library landed but still ran the old code. */
static bool host_reload_now(host *h, const watch_change *change, uint64_t stale_frames)
{
    uint64_t t0 = clock_now_ns();
    loader_lib next;
    host_error err;
    if (!host_load(h, &next, &err)) {
        event e = event_begin(&h->events, "reload_failed");
        event_uint(&e, "version", h->guard.newest + 1);
        event_str(&e, "reason", err.msg);
        event_uint(&e, "running_version", h->version);
        event_end(&h->events, &e);
        fprintf(stderr, "host: reload failed, still running version %llu: %s\n", (unsigned long long)h->version, err.msg);
        return false;
    }
    if (!host_layout_admit(h, &next, &err)) return host_layout_refused(h, &next, err.msg);
    loader_lib old;
    bool swapped = host_swap(h, &next, &old);
    double swap_ms = (double)(clock_now_ns() - t0) / 1e6;
    host_retire(h, &old);
    guard_scan_stale(h, &old);
    if (!swapped) { /* after_reload crashed; the guard said so and rolled back or paused */
        event e = event_begin(&h->events, "reload_failed");
        event_uint(&e, "version", h->guard.newest);
        event_str(&e, "reason", h->guard.crash_line);
        event_uint(&e, "running_version", h->version);
        event_end(&h->events, &e);
        return false;
    }

    event e = event_begin(&h->events, "reload");
    event_uint(&e, "version", h->version);
    event_str(&e, "path", h->opts.library);
    if (change) event_num(&e, "detect_ms", change->detect_ms);
    event_num(&e, "swap_ms", swap_ms);
    if (change) event_uint(&e, "stale_frames", stale_frames);
    event_str(&e, "cause", change ? "rebuild" : "request");
    guard_event_scan(h, &e);
    event_end(&h->events, &e);
    snprintf(h->status, sizeof(h->status), "reloaded version %llu in %.2f ms", (unsigned long long)h->version, swap_ms);
    return true;
}

bool host_reload(host *h, const watch_change *change) { return host_reload_now(h, change, 0); }

bool host_swap(host *h, loader_lib *next, loader_lib *old)
{
    host_call(h, HOST_HOOK_BEFORE_RELOAD);
    host_layout_swap layouts;
    host_layout_begin(h, next, &layouts);
    *old = h->lib;
    h->lib = *next;
    loader_close(old);
    guard_swapped(h, true);
    h->block->memory.reloads++;
    return host_layout_adopt(h, &layouts) && guard_call(h, HOST_HOOK_AFTER_RELOAD, NULL);
}

void host_restart(host *h)
{
    host_call(h, HOST_HOOK_SHUTDOWN);
    block_reset_state(h->block);
    host_call(h, HOST_HOOK_INIT);
    host_layout_store(h, false);
    event e = event_begin(&h->events, "restart");
    event_uint(&e, "version", h->version);
    event_end(&h->events, &e);
    snprintf(h->status, sizeof(h->status), "restarted: state re-initialised");
}

/* A change is loaded once the build has released its lock (or held it too long). */
static void host_check_reload(host *h)
{
    watch_change change;
    if (h->watch && watch_take(h->watch, &change)) {
        if (!h->has_pending) {
            h->pending_since_ns = clock_now_ns();
            h->pending_stale_frames = h->frame_start_wall_ns > change.identity.mtime_ns;
        }
        h->pending = change;
        h->has_pending = true;
    }
    if (h->has_pending) {
        bool locked = fs_exists(h->lock_path);
        bool waited_too_long = clock_now_ns() - h->pending_since_ns > HOST_LOCK_WAIT_NS;
        if (locked && !waited_too_long) {
            h->pending_stale_frames++;
            return;
        }
        if (locked) {
            char msg[FS_PATH_MAX + 128];
            snprintf(msg, sizeof(msg), "build lock %s held for 30 s; loading the library anyway (delete the lock "
                                       "if no build is running)", h->lock_path);
            host_warn(h, msg);
        }
        h->has_pending = false;
        h->reload_requested = false;
        host_reload_now(h, &h->pending, h->pending_stale_frames);
    } else if (h->reload_requested) {
        h->reload_requested = false;
        host_reload(h, NULL);
    }
}

/* ---- start and stop ---------------------------------------------------------------------- */

static bool host_open_events(host *h, host_error *err)
{
    h->events.now_ms = host_now_ms;
    h->events.frame = &h->frame;
    if (!h->opts.events_path) return true;
    h->events_file = fopen(h->opts.events_path, "wb"); /* "b": JSON Lines end in \n on Windows too */
    if (!h->events_file)
        return host_fail(err, "cannot open the event log %s: %s; check that its folder exists", h->opts.events_path,
                         strerror(errno));
    h->events.file = h->events_file;
    return true;
}

static bool host_open_block(host *h, host_error *err)
{
    block_region regions[BLOCK_REGION_COUNT];
    const block_config *c = &h->opts.block;
    if (!block_plan(c, regions, err) || !block_reserve(c->base, c->reserve, err)) return false;
    h->block = block_init(c, regions, err);
    if (!h->block) {
        block_release(c->base, c->reserve);
        return false;
    }
    heap_status hs = heap_region_init(&h->heap, block_region_start(h->block, BLOCK_REGION_HEAP), c->heap_size,
                                      block_reserve_is_committed, "heap");
    if (hs != HEAP_OK)
        return host_fail(err, "cannot set up the %s heap region at 0x%llx: %s; pass --heap with a multiple of 32M",
                         units_bytes(c->heap_size).s,
                         (unsigned long long)(c->base + h->block->regions[BLOCK_REGION_HEAP].offset),
                         heap_status_text(hs));
    event e = event_begin(&h->events, "start");
    event_hex(&e, "base", c->base);
    event_uint(&e, "reserve", c->reserve);
    event_uint(&e, "heap", c->heap_size);
    event_uint(&e, "heap_offset", h->block->regions[BLOCK_REGION_HEAP].offset);
    event_uint(&e, "abi", GAME_API_VERSION);
    event_str(&e, "host_version", HOST_VERSION);
    event_end(&h->events, &e);
    return true;
}

static bool host_open_library(host *h, host_error *err)
{
    if (h->opts.library) {
        if (!fs_exists(h->opts.library))
            return host_fail(err, "game library %s does not exist; build it first (./build.sh game GAME_DIR)",
                             h->opts.library);
        if (!fs_private_dir_create(h->copy_dir, sizeof(h->copy_dir), err)) return false;
        snprintf(h->lock_path, sizeof(h->lock_path), "%s.lock", h->opts.library);
        for (uint64_t t0 = clock_now_ns(); fs_exists(h->lock_path) && clock_now_ns() - t0 < HOST_LOCK_WAIT_NS;)
            clock_sleep_until(clock_now_ns() + 50000000ull);
    }
    if (!host_load(h, &h->lib, err)) return false;
    guard_swapped(h, false);
    host_event_load(h, "load");
    if (h->opts.library) {
        h->watch = watch_start(h->opts.library, h->opts.poll, err);
        if (!h->watch) return false;
    }
    return true;
}

bool host_start(host *h, const host_options *opts, host_error *err)
{
    memset(h, 0, sizeof(*h));
    h->opts = *opts;
    host_clock_start = clock_now_ns();
    if (!host_open_events(h, err) || !host_open_block(h, err) || !stats_start(h, err) || !guard_start(h, err) ||
        !host_open_library(h, err))
        return false;
    h->terminal = !opts->headless && terminal_open();
    if (guard_call(h, HOST_HOOK_INIT, NULL) && !h->block->memory.root)
        host_warn(h, "init did not set mem->root; keep the game state in mem->persistent");
    host_layout_store(h, false);
    h->start_ns = clock_now_ns();
    return true;
}

void host_stop(host *h)
{
    stats_stop(h); /* the last frame's counts and the exit snapshot, before shutdown frees anything */
    if (h->lib.api) host_call(h, HOST_HOOK_SHUTDOWN);
    terminal_restore();
    event e = event_begin(&h->events, "exit");
    event_uint(&e, "frames", h->frame);
    event_uint(&e, "version", h->version);
    event_end(&h->events, &e);
    watch_stop(h->watch);
    if (h->lib.handle) {
        loader_close(&h->lib);
        host_retire(h, &h->lib);
    }
    guard_stop(h);
    if (h->copy_dir[0]) fs_private_dir_remove(h->copy_dir);
    if (h->block) block_release(h->opts.block.base, h->opts.block.reserve);
    if (h->events_file) fclose(h->events_file);
}

/* ---- the frame --------------------------------------------------------------------------- */

static void host_gather_input(host *h)
{
    game_input *in = &h->input;
    double now = host_now_ms() / 1000.0;
    in->dt = h->frame ? now - in->time : 0.0;
    in->time = now;
    in->frame = h->frame;
    in->headless = !h->terminal;
    in->width = 80;
    in->height = 24;
    in->key_count = 0;
    if (h->terminal) {
        terminal_size(&in->width, &in->height);
        in->key_count = terminal_read_keys(in->keys, GAME_INPUT_MAX_KEYS);
    }
}

/* The bottom row: the running version and the latest news, cut to the width (a wrapped line would
 * scroll the game's screen). */
static void host_draw_status(host *h)
{
    char text[300], line[400];
    int len = snprintf(text, sizeof(text), " v%llu | %s ", (unsigned long long)h->version,
                       h->status[0] ? h->status : "watching for rebuilds");
    int width = MIN(MAX(h->input.width - 1, 0), MIN(len, (int)sizeof(text) - 1));
    int n = snprintf(line, sizeof(line), "\x1b[%d;1H\x1b[0;7m%.*s\x1b[0m\x1b[K", h->input.height, width, text);
    terminal_write(line, (size_t)MIN(n, (int)sizeof(line) - 1));
}

static void host_pace(host *h)
{
    if (!h->opts.fps) return;
    uint64_t period = 1000000000ull / h->opts.fps;
    uint64_t deadline = h->start_ns + h->frame * period;
    uint64_t now = clock_now_ns();
    if (deadline + 4 * period < now) h->start_ns = now - h->frame * period; /* fell far behind: do not sprint */
    else clock_sleep_until(deadline);
}

bool host_frame(host *h)
{
    if (signals_quit_requested()) return false;
    /* a build that landed while the last frame slept runs in this frame, not the next */
    host_check_reload(h);
    if (h->restart_requested) {
        h->restart_requested = false;
        host_restart(h);
    }
    h->frame_start_wall_ns = clock_wall_ns();
    stats_frame(h); /* ends the last frame's counts while its frame arena still holds them */
    block_frame_begin(h->block);
    host_gather_input(h);
    game_status status = GAME_CONTINUE;
    if (h->guard.paused) clock_sleep_until(clock_now_ns() + HOST_PAUSED_SLEEP_NS); /* no update to run: do not spin */
    else status = host_call(h, HOST_HOOK_UPDATE);
    stats_draw(h);
    if (h->terminal) host_draw_status(h);
    h->frame++;
    if (status == GAME_QUIT || (h->opts.frames && h->frame >= h->opts.frames)) return false;
    host_pace(h);
    return true;
}
