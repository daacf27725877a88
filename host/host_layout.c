/* host_layout.c - the state's layouts at every swap (layout.h): compared, then the state migrated,
 * refused or thrown away as --on-layout-change says; the layout events. */
#include "host.h"

#include <stdio.h>
#include <string.h>

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

void host_layout_store(host *h, bool migrated)
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

bool host_layout_admit(host *h, const loader_lib *next, host_error *err)
{
    layout_library lib;
    arena_temp scratch = arena_temp_begin(h->block->memory.scratch[0]);
    layout_diff *d = host_layout_compare(h, next->api, &lib, scratch.arena);
    bool refused = d && host_layout_refuses(h, d, scratch.arena, err);
    if (refused) host_event_layout(h, d, "refuse", err->msg, h->guard.newest, scratch.arena);
    arena_temp_end(scratch);
    return !refused;
}

bool host_layout_refused(host *h, loader_lib *next, const char *why)
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
void host_layout_begin(host *h, const loader_lib *next, host_layout_swap *sw)
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
bool host_layout_adopt(host *h, host_layout_swap *sw)
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
