/* swap_layout.c - the state's layouts at every swap (swap_layout.h). */
#include "swap_layout.h"

#include <stdio.h>
#include <string.h>

static void *swap_layout_heap_alloc(void *ctx, uint64_t size, uint64_t align)
{
    (void)ctx;
    return heap_alloc(size, align, HEAP_ZERO);
}

static void swap_layout_heap_free(void *ctx, void *p)
{
    (void)ctx;
    heap_free(p);
}

static layout_heap swap_layout_heap(const swap_layout_scene *s)
{
    return (layout_heap){s->heap->start, s->heap->size, swap_layout_heap_alloc, swap_layout_heap_free, s->heap};
}

void swap_layout_store(const swap_layout_scene *s, const game_api *api, bool migrated)
{
    layout_library lib;
    host_error err;
    block_header *b = s->block;
    const layout_record *previous = b->layouts;
    layout_record *r = NULL;
    if (layout_from_library(api, &lib, &err)) /* checked at load: this cannot fail */
        r = layout_store(b->host, &lib.set, b->memory.root_size);
    if (!r) {
        event_warn(s->events, "the host arena is full, so the state's layouts were not stored and the next reload "
                              "cannot compare them; give the host arena more room (BLOCK_DEFAULT_HOST_SIZE)");
        return;
    }
    if (previous && migrated) *r = (layout_record){r->set, previous->migrations, previous->unused_bytes};
    b->layouts = r;
}

/* Compares the state's layouts with `next`'s on the scratch arena (NULL when there is nothing to
 * compare: no layouts stored, or a state whose init never returned, which is reset anyway). */
static layout_diff *swap_layout_compare(const swap_layout_scene *s, const game_api *next, layout_library *lib,
                                        arena *scratch)
{
    host_error err;
    if (!s->block->layouts || !s->initialized || !layout_from_library(next, lib, &err)) return NULL;
    return layout_compare(&s->block->layouts->set, &lib->set, scratch);
}

/* A change that was not migrated: the reload refused, or the state restarted. */
static void swap_layout_event(const swap_layout_scene *s, const layout_diff *d, const char *action, const char *why,
                              arena *scratch)
{
    layout_report r;
    layout_diff_report(d, scratch, &r);
    char list[2048];
    event e = event_begin(s->events, "layout");
    event_str(&e, "action", action);
    event_uint(&e, "version", s->incoming);
    event_str(&e, "summary", layout_diff_summary(d));
    if (why[0]) event_str(&e, "reason", why);
    event_raw(&e, "changed", layout_names_format(&r.changed, true, list, sizeof(list)));
    event_end(s->events, &e);
}

/* A migration: what was kept, zeroed, dropped and converted; a warning names changed fields that
 * nothing converted. */
static void swap_layout_event_migrated(const swap_layout_scene *s, const layout_diff *d, const layout_report *r)
{
    char list[2048];
    event e = event_begin(s->events, "layout");
    event_str(&e, "action", "migrate");
    event_uint(&e, "version", s->running);
    event_str(&e, "summary", layout_diff_summary(d));
    const layout_names *lists[] = {&r->changed, &r->kept, &r->zeroed, &r->dropped, &r->converted};
    const char *keys[] = {"changed", "kept", "zeroed", "dropped", "converted"};
    for (size_t i = 0; i < ARRAY_COUNT(lists); i++)
        event_raw(&e, keys[i], layout_names_format(lists[i], true, list, sizeof(list)));
    event_uint(&e, "objects", r->objects);
    event_uint(&e, "updated", r->updated);
    event_uint(&e, "unused_bytes", r->unused_bytes);
    event_uint(&e, "heap_freed", r->heap_freed);
    event_uint(&e, "migrations", s->block->layouts->migrations); /* since the state was created */
    event_uint(&e, "unused_total", s->block->layouts->unused_bytes);
    event_end(s->events, &e);
    if (!r->lost.count) return;
    event_warn(s->events, "layout: %s changed type and no migrate rule converted it, so it starts at zero; convert it "
                          "in game_api.migrate (host/api/game_layout.h)", layout_names_format(&r->lost, false, list, 400));
}

/* True, with the reason, when `next` must not run on this state: the policy refuses a changed
 * layout, or the state cannot be migrated, which is tried on throwaway copies so that the swap
 * itself does not fail. */
static bool swap_layout_refuses(const swap_layout_scene *s, layout_diff *d, arena *scratch, host_error *err)
{
    layout_verdict verdict = layout_diff_verdict(d);
    if (verdict == LAYOUT_SAME || s->policy == LAYOUT_RESTART) return false;
    if (s->policy == LAYOUT_REFUSE) {
        host_fail(err, "the state's layout changed (%s) and --on-layout-change=refuse keeps version %llu running; "
                       "undo the change, or pass --on-layout-change=migrate", layout_diff_summary(d),
                  (unsigned long long)s->running);
        return true;
    }
    if (verdict == LAYOUT_RESIZED) {
        host_fail(err, "%s and the library declares no layouts, so its fields cannot be matched; declare the state "
                       "with GAME_STRUCT and list it in game_api.layouts (host/api/game_layout.h), or pass "
                       "--on-layout-change=restart", layout_diff_summary(d));
        return true;
    }
    layout_heap heap = swap_layout_heap(s);
    layout_migration *m = layout_migrate_begin(d, &s->block->memory, &heap, false, scratch, err);
    if (m) layout_migrate_cancel(m);
    return m == NULL;
}

bool swap_layout_admit(const swap_layout_scene *s, const game_api *next, host_error *err)
{
    layout_library lib;
    arena_temp scratch = arena_temp_begin(s->block->memory.scratch[0]);
    layout_diff *d = swap_layout_compare(s, next, &lib, scratch.arena);
    bool refused = d && swap_layout_refuses(s, d, scratch.arena, err);
    if (refused) swap_layout_event(s, d, "refuse", err->msg, scratch.arena);
    arena_temp_end(scratch);
    return !refused;
}

/* A migration, or the state thrown away when the policy says restart or it cannot be migrated (a
 * rollback to older code, or a state that before_reload changed since swap_layout_admit tried). A
 * restart reports before the core's reset, which also clears the scratch arena the comparison
 * lives on. */
void swap_layout_begin(const swap_layout_scene *s, const game_api *next, swap_layout *sw)
{
    memset(sw, 0, sizeof(*sw));
    sw->scratch = arena_temp_begin(s->block->memory.scratch[0]);
    sw->diff = swap_layout_compare(s, next, &sw->next, sw->scratch.arena);
    layout_verdict verdict = sw->diff ? layout_diff_verdict(sw->diff) : LAYOUT_SAME;
    /* also a library that starts (or stops) declaring layouts on a state of the same size */
    sw->store = !sw->diff || s->block->layouts->set.count != sw->next.set.count;
    if (verdict == LAYOUT_SAME) return;
    host_error err = {{0}};
    if (verdict == LAYOUT_RESIZED && s->policy != LAYOUT_RESTART)
        host_fail(&err, "%s and a side declares no layouts", layout_diff_summary(sw->diff));
    if (verdict == LAYOUT_CHANGED && s->policy != LAYOUT_RESTART) {
        layout_heap heap = swap_layout_heap(s);
        sw->migration = layout_migrate_begin(sw->diff, &s->block->memory, &heap, next->migrate != NULL,
                                             sw->scratch.arena, &err);
        if (sw->migration) {
            layout_migrate_commit(sw->migration);
            sw->store = true;
            return;
        }
    }
    swap_layout_event(s, sw->diff, "restart", err.msg, sw->scratch.arena);
    if (err.msg[0]) event_warn(s->events, "the state could not be migrated, so it starts over: %s", err.msg);
    arena_temp_end(sw->scratch);
    sw->diff = NULL;
    sw->restart = sw->store = true;
}

void swap_layout_adopt(const swap_layout_scene *s, const game_api *api, swap_layout *sw)
{
    if (sw->store) swap_layout_store(s, api, sw->migration != NULL);
}

void swap_layout_end(const swap_layout_scene *s, swap_layout *sw, bool migrated)
{
    if (migrated && sw->migration) {
        layout_report r;
        layout_migrate_end(sw->migration, &r);
        s->block->layouts->migrations++;
        s->block->layouts->unused_bytes += r.unused_bytes;
        swap_layout_event_migrated(s, sw->diff, &r);
    }
    if (!sw->restart) arena_temp_end(sw->scratch);
}
