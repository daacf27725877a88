/* host.c - start, frame loop and stop of the host (host.h). */
#include "host.h"
#include "base/units.h"
#include "os/block_os.h"
#include "os/clock.h"
#include "os/dirty.h"
#include "os/signals.h"
#include "platform/screenshot.h"

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
    status_observe(&h->status, &h->events, !h->opts.library);
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
    block_advise_huge((uint64_t)(uintptr_t)h->block->memory.persistent, h->block->regions[BLOCK_REGION_PERSISTENT].size);
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

/* The stats' stats_code: the source line of code in a game build the reload core knows. */
static bool host_code_line(void *ctx, uint32_t version, uint64_t offset, char *out, size_t cap)
{
    const lib_version *v = versions_numbered(ctx, version);
    return v && v->lines && lines_find(v->lines, v->start + offset, out, cap);
}

static bool host_open_stats(host *h, host_error *err)
{
    const host_options *o = &h->opts;
    stats_config cfg = {o->stats_path, o->stats_csv_path, o->trace_path, o->report_path, o->profile_path, o->leaks,
                        {&h->reload.versions, host_code_line}};
    return stats_start(&h->stats, &cfg, h->block, &h->heap, &h->events, err);
}

static bool host_open_library(host *h, host_error *err)
{
    const host_options *o = &h->opts;
    reload_config cfg = {o->library, (layout_policy)o->on_layout_change, (stale_mode)o->stale_pointers,
                         (reload_old_code)o->old_code, o->poll, o->watchdog, o->no_probe, o->probe_timeout * 1000};
    reload_world world = {h->block, &h->heap, h->dirty, &h->events, host_services(h), &h->update_input,
                          stats_table(h->stats)};
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

static void host_window_title(const char *library, char *out, size_t cap)
{
    char folder[FS_PATH_MAX];
    host_source_folder(library, folder, sizeof(folder));
    char *sep = host_last_separator(folder);
    snprintf(out, cap, "%s - hotblock", sep ? sep + 1 : folder);
}

static bool host_open_platform(host *h, host_error *err)
{
    const host_options *o = &h->opts;
    char title[FS_PATH_MAX + 16] = "hotblock"; /* SDL copies it when it opens the window */
    if (o->library) host_window_title(o->library, title, sizeof(title));
    platform_config cfg = {
        .mode = o->headless ? GAME_MODE_HEADLESS : o->terminal ? GAME_MODE_TERMINAL : GAME_MODE_WINDOW,
        .video = {(int)o->resolution.width, (int)o->resolution.height, o->fullscreen, !o->no_vsync, title},
        .fps = o->fps,
        .media = block_region_start(h->block, BLOCK_REGION_MEDIA),
        .media_size = h->block->regions[BLOCK_REGION_MEDIA].size,
    };
    if (!platform_open(&h->platform, &cfg, &h->events, err)) return false;
    h->events.quiet = cfg.mode == GAME_MODE_TERMINAL; /* the status line shows each line, the summary lists them */
    return true;
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

/* Every output file the options name, checked before anything starts: a bad path is one line now,
 * not a warning after the whole session. */
static bool host_check_outputs(const host_options *o, host_error *err)
{
    cli_output outputs[16];
    int n = cli_outputs(o, outputs, (int)ARRAY_COUNT(outputs));
    for (int i = 0; i < n; i++) {
        host_error why;
        if (!fs_check_output(outputs[i].path, &why))
            return host_fail(err, "%s %s: %s", outputs[i].flag, outputs[i].path, why.msg);
    }
    return true;
}

bool host_start(host *h, const host_options *opts, host_error *err)
{
    memset(h, 0, sizeof(*h));
    h->opts = *opts;
    host_clock_start = clock_now_ns();
    /* the builds are watched before the library loads: a save right after the load event is seen */
    if (!host_check_outputs(opts, err) || !host_open_events(h, err) || !host_open_block(h, err) ||
        !host_open_platform(h, err) || !host_open_stats(h, err) || !host_open_rebuild(h, err) ||
        !host_open_library(h, err) || !timeline_begin(h, err)) /* init, or a state file or recording's state */
        return false;
    h->start_ns = clock_now_ns();
    return true;
}

/* Crashes first (--keep-going forgives them), then a checksum other than --expect-checksum's, then
 * leaks that --leaks=fail counts. */
static int host_exit_status(const host *h, bool leaks_failed)
{
    if (!h->opts.keep_going && h->reload.paused) return HOST_EXIT_PAUSED;
    if (!h->opts.keep_going && h->status.tally.crashes) return HOST_EXIT_CRASHED;
    if (!timeline_checksum_expected(h)) return HOST_EXIT_CHECKSUM;
    return leaks_failed ? STATS_EXIT_LEAKS : HOST_EXIT_OK;
}

/* --screenshot: the picture the last frame left in the block. */
static void host_save_screenshot(host *h)
{
    host_error err;
    if (!h->opts.screenshot_path || !h->frame) return;
    if (!platform_screenshot(&h->platform, h->opts.screenshot_path, &err)) event_warn(&h->events, "%s", err.msg);
}

int host_stop(host *h)
{
    host_save_screenshot(h);
    stats_stop(h->stats, h->frame, h->reload.version); /* the last frame's counts and the exit snapshot, before shutdown frees anything */
    timeline_end(h); /* the checksum and the saved state are of the last frame's state, not shutdown's */
    if (h->reload.lib.api) reload_call(&h->reload, RELOAD_HOOK_SHUTDOWN, NULL);
    bool terminal = h->platform.cfg.mode == GAME_MODE_TERMINAL;
    uint64_t silent = 0, underruns = platform_audio_underruns(&h->platform, &silent);
    platform_close(&h->platform); /* the lines from here on (leaks, the summary) go to a normal screen */
    h->events.quiet = false;
    stats_leaks(h->stats, "shutdown", h->reload.version); /* what shutdown did not free */
    int status = host_exit_status(h, stats_leaks_failed(h->stats));
    stats_free(h->stats);
    h->stats = NULL;
    if (terminal) status_summary(&h->status, stderr);
    timeline_report(h, stderr);
    event e = event_begin(&h->events, "exit");
    event_uint(&e, "frames", h->frame);
    event_uint(&e, "version", h->reload.version);
    event_uint(&e, "audio_underruns", underruns);
    event_uint(&e, "audio_silent_frames", silent);
    if (h->timeline.has_checksum) timeline_event_checksum(&e, "checksum", h->timeline.checksum);
    event_end(&h->events, &e);
    rebuild_stop(&h->rebuild);
    reload_stop(&h->reload);
    timeline_free(h);
    dirty_stop(h->dirty);
    if (h->block) block_release(h->opts.block.base, h->opts.block.reserve);
    if (h->events_file) fclose(h->events_file);
    return status;
}

/* ---- the frame --------------------------------------------------------------------------- */

static void host_gather_input(host *h)
{
    game_input *in = &h->input;
    platform_begin(&h->platform, in);
    double now = host_now_ms() / 1000.0;
    in->dt = h->frame ? now - in->time : 0.0;
    in->time = now;
    in->frame = h->frame;
}

/* The host's keys, seen before the game's update: they work whatever the game does. While the game
 * is paused after a crash, q quits too (the status line says so). The loop, rewind and save keys
 * act at the top of the next frame (timeline_frame), and the game never sees them (timeline_input). */
/* F2: a stats mark named after its frame, so the reports say "since frame N" (the moment the user
 * pressed it, before the thing they want measured). */
static void host_mark_key(host *h)
{
    char name[32];
    snprintf(name, sizeof(name), "frame %llu", (unsigned long long)h->frame);
    stats_mark(h->stats, name);
}

static void host_keys(host *h)
{
    game_input *in = &h->input;
    if (in->mode == GAME_MODE_HEADLESS) return;
    bool paused_quit = h->reload.paused && game_key_pressed(in, 'q');
    if (game_key_pressed(in, GAME_KEY_ESCAPE) || paused_quit) in->quit_requested = 1; /* the game's last update sees it */
    if (game_key_pressed(in, GAME_KEY_F1)) stats_request(h->stats);
    if (game_key_pressed(in, GAME_KEY_F2)) host_mark_key(h);
    if (game_key_pressed(in, GAME_KEY_F5)) h->reload_requested = true;
    if (game_key_pressed(in, GAME_KEY_F6)) h->restart_requested = true;
    if (game_key_pressed(in, h->opts.loop_key)) h->timeline.loop_asked = true;
    if (game_key_pressed(in, h->opts.rewind_key)) timeline_request_rewind(h, 0);
    if (game_key_pressed(in, h->opts.save_key)) h->timeline.save_asked = true;
}

/* F12: the picture as the next free screenshot-NNNN.png, written on a thread; a `screenshot` event
 * when it is on disk. */
static void host_screenshot_key(host *h)
{
    char path[64];
    host_error err;
    screenshot_next_name(path, sizeof(path));
    if (!platform_screenshot_begin(&h->platform, path, &err)) event_warn(&h->events, "%s", err.msg);
}

static void host_screenshot_poll(host *h)
{
    char path[256];
    bool ok;
    host_error err;
    if (!platform_screenshot_done(&h->platform, path, sizeof(path), &ok, &err)) return;
    if (!ok) {
        event_warn(&h->events, "%s", err.msg);
        return;
    }
    event e = event_begin(&h->events, "screenshot");
    event_str(&e, "path", path);
    event_end(&h->events, &e);
}

/* The overlay (the stats and their graph, the status line, notices, the banner), the picture, the sound. */
static void host_present(host *h, platform_sound sound)
{
    overlay_view view = {0};
    int columns, rows;
    platform_overlay_cells(&h->platform, &columns, &rows);
    view.stats = stats_overlay(h->stats, h->frame, h->reload.version, columns, rows);
    float graph[OVERLAY_GRAPH_MAX];
    char label[160], line[STATUS_MAX + 32];
    if (h->input.mode == GAME_MODE_WINDOW)
        view.graph_count = stats_frame_graph(h->stats, graph, OVERLAY_GRAPH_MAX, label, sizeof(label));
    view.graph = graph;
    view.graph_label = label;
    status_view(&h->status, h->reload.version, h->input.mode == GAME_MODE_TERMINAL || view.stats, &view, line,
                sizeof(line));
    view.redraw = h->status.redraw;
    h->status.redraw = false;
    platform_end(&h->platform, &h->update_input, sound, &view); /* the sound the update wrote */
}

static void host_pace(host *h)
{
    if (!h->opts.fps || platform_paced(&h->platform)) return;
    uint64_t period = 1000000000ull / h->opts.fps;
    uint64_t deadline = h->start_ns + h->frames_run * period;
    uint64_t now = clock_now_ns();
    if (deadline + 4 * period < now) h->start_ns = now - h->frames_run * period; /* fell far behind: do not sprint */
    else reload_wait(&h->reload, deadline, h->frame_start_wall_ns);
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
        stats_leaks(h->stats, "restart", h->reload.version); /* what the state about to go still holds */
        reload_restart(&h->reload);
    }
    timeline_frame(h); /* after a reload: a loop's pass starts on the newest code */
    h->frame_start_wall_ns = clock_wall_ns();
    /* ends the last frame's counts while its frame arena still holds them */
    stats_frame(h->stats, h->frame, h->reload.version, h->platform.cfg.mode != GAME_MODE_HEADLESS);
    block_frame_begin(h->block);
    host_gather_input(h);
    host_keys(h);
    timeline_input(h); /* the game's input: this frame's, or a recording's */
    game_status status = GAME_CONTINUE;
    platform_sound sound = PLATFORM_SOUND_STOP; /* paused: no update to run */
    if (!h->reload.paused) /* a crashed update's sound (and text) is never shown */
        sound = reload_call(&h->reload, RELOAD_HOOK_UPDATE, &status) ? PLATFORM_SOUND_PLAY : PLATFORM_SOUND_DROP;
    else if (!h->opts.fps) /* do not spin */
        reload_wait(&h->reload, clock_now_ns() + HOST_PAUSED_SLEEP_NS, h->frame_start_wall_ns);
    host_present(h, sound);
    host_screenshot_poll(h);
    if (game_key_pressed(&h->input, GAME_KEY_F12) && h->input.mode != GAME_MODE_HEADLESS) host_screenshot_key(h);
    h->frame++;
    h->frames_run++;
    if (status == GAME_QUIT || h->input.quit_requested || (h->opts.frames && h->frames_run >= h->opts.frames) ||
        timeline_replayed(h))
        return false;
    host_pace(h);
    return true;
}
