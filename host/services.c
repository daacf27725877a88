/* services.c - the services the game calls through its host_api table. The table is the host's,
 * outside the block, handed to the game on every call. */
#include "host.h"
#include "platform/font.h"
#include "stats/heap_sites.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static host *services_host; /* the one running host; the services take no context argument */

static void services_warn(const char *msg) { event_warn(&services_host->events, "%s", msg); }

static void services_log(const char *fmt, ...)
{
    char msg[2048];
    va_list args;
    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);
    event e = event_begin(&services_host->events, "log");
    event_str(&e, "msg", msg);
    event_end(&services_host->events, &e); /* the status line shows it in a terminal */
    if (services_host->platform.cfg.mode == GAME_MODE_TERMINAL) return;
    printf("[game] %s\n", msg);
    fflush(stdout);
}

static double services_time_now(void) { return services_host->events.now_ms() / 1000.0; } /* the host's clock */

static void *services_file_read(const char *path, arena *a, uint64_t *size)
{
    host_error err;
    void *data = fs_read_all(path, a, size, &err);
    if (!data) services_warn(err.msg);
    return data;
}

static bool services_file_write(const char *path, const void *data, uint64_t size)
{
    host_error err;
    bool ok = fs_write_atomic(path, data, size, &err);
    if (!ok) services_warn(err.msg);
    return ok;
}

static void services_request_reload(void) { services_host->reload_requested = true; }

static void services_request_restart(void) { services_host->restart_requested = true; }

/* ---- the heap: each thread allocates from its own mimalloc heap in the region ---- */

static void *services_heap_alloc(uint64_t size)
{
    return heap_alloc(size, 0, HEAP_FATAL);
}

static void *services_heap_alloc_aligned(uint64_t size, uint64_t align)
{
    return heap_alloc(size, align, HEAP_FATAL);
}

static void *services_heap_calloc(uint64_t count, uint64_t size)
{
    return heap_calloc(count, size, HEAP_FATAL);
}

static void *services_heap_realloc(void *p, uint64_t size)
{
    return heap_realloc(p, size, HEAP_FATAL);
}

static void services_heap_free(void *p) { heap_free(p); }

static void *services_heap_try_alloc(uint64_t size)
{
    return heap_alloc(size, 0, 0);
}

static void *services_heap_try_realloc(void *p, uint64_t size)
{
    return heap_realloc(p, size, 0);
}

/* ---- the heap with --leaks: each allocation noted with its caller (heap_sites.h) ---- */

static heap_sites *services_sites;

/* At least a grain, so two blocks never share an entry of the owner map (0 stays 0: a free). */
static uint64_t services_grain(uint64_t size) { return size && size < HEAP_SITES_GRAIN ? HEAP_SITES_GRAIN : size; }

static void *services_heap_alloc_noted(uint64_t size)
{
    void *p = heap_alloc(services_grain(size), 0, HEAP_FATAL);
    heap_sites_note(services_sites, p, ARENA_CALLER);
    return p;
}

static void *services_heap_alloc_aligned_noted(uint64_t size, uint64_t align)
{
    void *p = heap_alloc(services_grain(size), align, HEAP_FATAL);
    heap_sites_note(services_sites, p, ARENA_CALLER);
    return p;
}

static void *services_heap_calloc_noted(uint64_t count, uint64_t size)
{
    uint64_t total;
    void *p = size_mul(count, size, &total) && total < HEAP_SITES_GRAIN
                  ? heap_alloc(HEAP_SITES_GRAIN, 0, HEAP_FATAL | HEAP_ZERO)
                  : heap_calloc(count, size, HEAP_FATAL);
    heap_sites_note(services_sites, p, ARENA_CALLER);
    return p;
}

static void *services_heap_realloc_noted(void *p, uint64_t size)
{
    void *q = heap_realloc(p, services_grain(size), HEAP_FATAL);
    heap_sites_note(services_sites, q, ARENA_CALLER);
    return q;
}

static void *services_heap_try_alloc_noted(uint64_t size)
{
    void *p = heap_alloc(services_grain(size), 0, 0);
    heap_sites_note(services_sites, p, ARENA_CALLER);
    return p;
}

static void *services_heap_try_realloc_noted(void *p, uint64_t size)
{
    void *q = heap_realloc(p, services_grain(size), 0);
    heap_sites_note(services_sites, q, ARENA_CALLER);
    return q;
}

static void services_note_heap_sites(host_api *api, heap_sites *sites)
{
    services_sites = sites;
    if (!sites) return;
    api->heap_alloc = services_heap_alloc_noted;
    api->heap_alloc_aligned = services_heap_alloc_aligned_noted;
    api->heap_calloc = services_heap_calloc_noted;
    api->heap_realloc = services_heap_realloc_noted;
    api->heap_try_alloc = services_heap_try_alloc_noted;
    api->heap_try_realloc = services_heap_try_realloc_noted;
}

/* A game thread: its heap in the region, and its crashes the host's to report (os/crash.h). */
static bool services_thread_begin(const char *name)
{
    crash_thread_begin(name);
    return heap_thread_region() || heap_thread_bind(&services_host->heap);
}

static void services_thread_end(void)
{
    if (heap_thread_region() && !heap_this_thread.main) heap_thread_unbind();
    crash_thread_end();
}

static void services_draw(const char *text, uint64_t size) { platform_terminal_text(&services_host->platform, text, size); }

static int services_draw_text(const game_framebuffer *fb, int x, int y, int scale, uint32_t color, const char *text)
{
    return text ? font_draw(fb, x, y, scale, color, text, 0) : 0;
}

static uint32_t services_fn_register(const char *name, game_fn fn)
{
    return functions_register(&services_host->reload.functions, name, (registry_fn)fn);
}

static game_fn services_fn_get(uint32_t handle)
{
    return (game_fn)functions_get(&services_host->reload.functions, handle);
}

static uint32_t services_stats_tag(const char *name) { return stats_tag(services_host->stats, name); }

static void services_stats_request(void) { stats_request(services_host->stats); }

static void services_stats_mark(const char *name) { stats_mark(services_host->stats, name); }

static bool services_stale_skip(const void *start, uint64_t size)
{
    return stale_skip(&services_host->reload.stale, start, size);
}

static void services_request_rewind(uint64_t frames) { timeline_request_rewind(services_host, frames); }

const host_api *host_services(host *h)
{
    static host_api api;
    api = (host_api){
        .abi_version = GAME_API_VERSION,
        .size = sizeof(host_api),
        .log = services_log,
        .time_now = services_time_now,
        .file_read = services_file_read,
        .file_write = services_file_write,
        .request_reload = services_request_reload,
        .request_restart = services_request_restart,
        .draw = services_draw,
        .draw_text = services_draw_text,
        .heap_alloc = services_heap_alloc,
        .heap_alloc_aligned = services_heap_alloc_aligned,
        .heap_calloc = services_heap_calloc,
        .heap_realloc = services_heap_realloc,
        .heap_free = services_heap_free,
        .heap_try_alloc = services_heap_try_alloc,
        .heap_try_realloc = services_heap_try_realloc,
        .thread_begin = services_thread_begin,
        .thread_end = services_thread_end,
        .fn_register = services_fn_register,
        .fn_get = services_fn_get,
        .stats_tag = services_stats_tag,
        .stats_request = services_stats_request,
        .stats_mark = services_stats_mark,
        .stale_skip = services_stale_skip,
        .request_rewind = services_request_rewind,
    };
    services_note_heap_sites(&api, stats_heap_sites(h->stats));
    services_host = h;
    return &api;
}
