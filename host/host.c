/* host.c - start, frame loop, reload and restart of the game library. */
#include "host.h"
#include "clock.h"
#include "crash.h"
#include "signals.h"
#include "stats.h"
#include "symbols.h"
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

game_status host_call(host *h, host_hook hook)
{
    game_status status;
    guard_call(h, hook, &status);
    return status;
}

void host_warn(host *h, const char *msg)
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

static void host_call_entry(void *ctx)
{
    loader_lib *lib = ctx;
    lib->api = lib->entry(GAME_API_VERSION);
}

/* Where in the library (its bytes `image`, NULL when linked in) the code at `pc` is, by name. */
static void host_describe_code(const loader_lib *lib, const void *image, uint64_t size, uintptr_t pc, char *out,
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

/* Calls the library's entry point under the crash guard and checks the table it returns: a build
 * whose game_get_api crashes is refused like any other bad build. */
static bool host_enter(loader_lib *lib, const void *image, uint64_t size, host_error *err)
{
    crash_info c;
    if (crash_guard_run(host_call_entry, lib, &c)) return host_validate(lib->api, err);
    char where[256];
    host_describe_code(lib, image, size, c.pc, where, sizeof(where));
    return host_fail(err, "%s crashed (%s: %s) in %s; fix it and rebuild", GAME_ENTRY_NAME, c.name, c.what, where);
}

/* Checks the image, writes it to a fresh name in the private folder and opens that copy. */
bool host_load_bytes(host *h, const void *image, uint64_t size, loader_lib *out, host_error *err)
{
    char copy[FS_PATH_MAX + 64];
    snprintf(copy, sizeof(copy), "%s/game.%llu.%08llx%s", h->copy_dir, (unsigned long long)++h->copies,
             (unsigned long long)(fs_random() & 0xffffffffu), loader_library_suffix);
    bool written = loader_check_image(image, size, err) && fs_write_new(copy, image, size, err);
    bool opened = written && loader_open(copy, out, err);
    if (opened && host_enter(out, image, size, err)) return true;
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
        if (!loader_open(NULL, out, err) || !host_enter(out, NULL, 0, err)) return false;
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
