/* host.c - start, frame loop and stop of the host (host.h). */
#include "host.h"
#include "base/units.h"
#include "os/block_os.h"
#include "os/clock.h"
#include "os/dirty.h"
#include "os/signals.h"
#include "os/terminal.h"
#include "stats/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_PAUSED_SLEEP_NS 10000000ull /* a frame while the game is paused after a crash */

static uint64_t host_clock_start;

static double host_now_ms(void) { return (double)(clock_now_ns() - host_clock_start) / 1e6; }

/* ---- start and stop ---------------------------------------------------------------------- */

static bool host_open_events(host *h, host_error *err)
{
    h->events.now_ms = host_now_ms;
    h->events.frame = &h->frame;
    status_observe(&h->status, &h->events);
    if (!h->opts.events_path) return true;
    h->events_file = fopen(h->opts.events_path, "wb"); /* "b": JSON Lines end in \n on Windows too */
    if (!h->events_file)
        return host_fail(err, "cannot open the event log %s: %s; check that its folder exists", h->opts.events_path,
                         strerror(errno));
    h->events.file = h->events_file;
    return true;
}

static void host_event_start(host *h)
{
    const block_config *c = &h->opts.block;
    event e = event_begin(&h->events, "start");
    event_hex(&e, "base", c->base);
    event_uint(&e, "reserve", c->reserve);
    event_uint(&e, "heap", c->heap_size);
    event_uint(&e, "heap_offset", h->block->regions[BLOCK_REGION_HEAP].offset);
    event_str(&e, "dirty_pages", dirty_method_name(dirty_method_of(h->dirty)));
    if (*dirty_fallback_reason(h->dirty)) event_str(&e, "dirty_pages_fallback", dirty_fallback_reason(h->dirty));
    event_uint(&e, "abi", GAME_API_VERSION);
    event_str(&e, "host_version", HOST_VERSION);
    event_end(&h->events, &e);
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
    h->dirty = dirty_start(c->base, c->reserve, DIRTY_PAGEMAP_SCAN, err);
    if (!h->dirty) return false;
    heap_status hs = heap_region_init(&h->heap, block_region_start(h->block, BLOCK_REGION_HEAP), c->heap_size,
                                      block_reserve_is_committed, "heap");
    if (hs != HEAP_OK)
        return host_fail(err, "cannot set up the %s heap region at 0x%llx: %s; pass --heap with a multiple of 32M",
                         units_bytes(c->heap_size).s,
                         (unsigned long long)(c->base + h->block->regions[BLOCK_REGION_HEAP].offset),
                         heap_status_text(hs));
    host_event_start(h);
    return true;
}

static bool host_open_stats(host *h, host_error *err)
{
    const host_options *o = &h->opts;
    stats_config cfg = {o->stats_path, o->stats_csv_path, o->trace_path, o->report_path};
    return stats_start(&h->stats, &cfg, h->block, &h->heap, &h->events, err);
}

static bool host_open_library(host *h, host_error *err)
{
    const host_options *o = &h->opts;
    reload_config cfg = {o->library, (layout_policy)o->on_layout_change, o->no_stale_scan, o->poll, o->watchdog};
    reload_world world = {h->block, &h->heap, &h->events, host_services(h), &h->input};
    return reload_start(&h->reload, &cfg, &world, err);
}

/* The game's source folder: the library's folder, or the one above it when that is a build/ folder. */
static char *host_last_separator(char *path)
{
    char *last = NULL;
    for (char *p = path; *p; p++)
        if (*p == '/' || *p == '\\') last = p;
    return last;
}

static void host_source_folder(const char *library, char *out, size_t cap)
{
    snprintf(out, cap, "%s", library);
    char *sep = host_last_separator(out);
    if (!sep) snprintf(out, cap, ".");
    else *sep = 0;
    sep = host_last_separator(out);
    if (strcmp(sep ? sep + 1 : out, "build") != 0) return;
    if (sep) *sep = 0;
    else snprintf(out, cap, ".");
}

static bool host_open_rebuild(host *h, host_error *err)
{
    const host_options *o = &h->opts;
    if (!o->library) return true;
    host_source_folder(o->library, h->sources, sizeof(h->sources));
    if (o->build_command) snprintf(h->build_command, sizeof(h->build_command), "%s", o->build_command);
    else command_build_script(h->sources, h->build_command, sizeof(h->build_command));
    rebuild_config cfg = {o->library, o->watch ? h->sources : NULL, h->build_command, o->poll};
    return rebuild_start(&h->rebuild, &cfg, &h->events, err);
}

bool host_start(host *h, const host_options *opts, host_error *err)
{
    memset(h, 0, sizeof(*h));
    h->opts = *opts;
    host_clock_start = clock_now_ns();
    if (!host_open_events(h, err) || !host_open_block(h, err) || !host_open_stats(h, err) ||
        !host_open_library(h, err) || !host_open_rebuild(h, err))
        return false;
    if (!timeline_begin(h, err)) return false;
    h->terminal = !opts->headless && terminal_open();
    h->start_ns = clock_now_ns();
    return true;
}

void host_stop(host *h)
{
    stats_stop(h->stats, h->frame, h->reload.version); /* the last frame's counts and the exit snapshot, before shutdown frees anything */
    h->stats = NULL;
    timeline_end(h); /* the checksum and the saved state are of the last frame's state, not shutdown's */
    if (h->reload.lib.api) reload_call(&h->reload, RELOAD_HOOK_SHUTDOWN, NULL);
    terminal_restore();
    event e = event_begin(&h->events, "exit");
    event_uint(&e, "frames", h->frame);
    event_uint(&e, "version", h->reload.version);
    if (h->timeline.has_checksum) timeline_event_checksum(&e, "checksum", h->timeline.checksum);
    event_end(&h->events, &e);
    rebuild_stop(&h->rebuild);
    reload_stop(&h->reload);
    timeline_free(h);
    dirty_stop(h->dirty);
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

/* The stats summary over the game's screen, while it is toggled on. */
static void host_draw_stats(host *h)
{
    const char *text = stats_overlay(h->stats, h->frame, h->reload.version, h->input.width - 2, h->input.height - 2);
    if (!text) return;
    report_buf out = {0};
    int row = 1;
    for (const char *line = text; *line; row++) {
        const char *end = strchr(line, '\n');
        int len = end ? (int)(end - line) : (int)strlen(line);
        report_printf(&out, "\x1b[%d;1H\x1b[0;30;47m %-*.*s\x1b[0m", row, MAX(h->input.width - 2, 1), len, line);
        line = end ? end + 1 : line + len;
    }
    if (out.data) terminal_write(out.data, out.len);
    report_buf_free(&out);
}

static void host_pace(host *h)
{
    if (!h->opts.fps) return;
    uint64_t period = 1000000000ull / h->opts.fps;
    uint64_t deadline = h->start_ns + h->frames_run * period;
    uint64_t now = clock_now_ns();
    if (deadline + 4 * period < now) h->start_ns = now - h->frames_run * period; /* fell far behind: do not sprint */
    else clock_sleep_until(deadline);
}

bool host_frame(host *h)
{
    if (signals_quit_requested()) return false;
    /* a build that landed while the last frame slept runs in this frame, not the next */
    rebuild_poll(&h->rebuild);
    reload_poll(&h->reload, h->frame_start_wall_ns, h->reload_requested);
    h->reload_requested = false;
    if (h->restart_requested) {
        h->restart_requested = false;
        reload_restart(&h->reload);
    }
    timeline_frame(h); /* after a reload: a loop's pass starts on the newest code */
    h->frame_start_wall_ns = clock_wall_ns();
    stats_frame(h->stats, h->frame, h->reload.version, h->terminal); /* ends the last frame's counts while its frame arena still holds them */
    block_frame_begin(h->block);
    host_gather_input(h);
    timeline_input(h);
    game_status status = GAME_CONTINUE;
    if (h->reload.paused) clock_sleep_until(clock_now_ns() + HOST_PAUSED_SLEEP_NS); /* no update to run: do not spin */
    else reload_call(&h->reload, RELOAD_HOOK_UPDATE, &status);
    if (h->terminal) {
        host_draw_stats(h);
        status_draw(&h->status, h->reload.version, h->input.width, h->input.height);
    }
    h->frame++;
    h->frames_run++;
    if (status == GAME_QUIT || (h->opts.frames && h->frames_run >= h->opts.frames) || timeline_replayed(h)) return false;
    host_pace(h);
    return true;
}
