/* stats_marks.c - moments the reports compare with: the mark the game (host->stats_mark) or the
 * user ("mark NAME" on stdin when headless) sets last, and every reload. A moment puts aside the
 * bytes per frame of every site and tag over the frames kept before it, the arenas' mean
 * high-water and the heap's use; a diff against it compares them with the frames since (at most
 * the kept history). A reload's diff is taken STATS_RELOAD_FRAMES frames after it (or at exit),
 * and its biggest changes go to the HTML report, linked from the reload's marker. */
#include "stats_internal.h"
#include "../os/stats_input.h"

#include <stdlib.h>
#include <string.h>

#define STATS_RELOAD_FRAMES 60 /* frames after a reload its changes are measured over */
#define STATS_RELOAD_ROWS 8    /* changes kept per reload */
#define STATS_NONE (-1.0)      /* no frame kept to measure */

/* The mean of `count` entries of a series from `back` frames ago (0: the last frame) backwards. */
static double stats_series_mean(const arena_stats_table *t, const arena_stats_series *s, uint64_t count)
{
    count = MIN(count, arena_stats_series_count(t, s));
    if (!count) return STATS_NONE;
    double sum = 0;
    for (uint64_t back = 0; back < count; back++) sum += (double)arena_stats_series_at(t, s, back);
    return sum / (double)count;
}

static double stats_high_water_mean(const arena_stats_table *t, uint32_t tracked, uint64_t count)
{
    count = MIN(count, arena_stats_history_count(t, tracked));
    if (!count) return STATS_NONE;
    double sum = 0;
    for (uint64_t back = 0; back < count; back++) sum += (double)arena_stats_history(t, tracked, back)->high_water;
    return sum / (double)count;
}


void stats_moment_take(host_stats *st, stats_moment *m, const char *name)
{
    stats_moment_free(m);
    const arena_stats_table *t = st->table;
    snprintf(m->name, sizeof(m->name), "%s", name);
    m->frame = t->last_frame;
    m->frames_at = t->frames;
    m->sites = arena_stats_site_count(t);
    m->tags = arena_stats_tag_count(t);
    m->before = malloc(sizeof(double) * (m->sites + m->tags));
    for (uint32_t i = 0; m->before && i < m->sites; i++) m->before[i] = stats_series_mean(t, &t->sites[i].series, UINT64_MAX);
    for (uint32_t i = 0; m->before && i < m->tags; i++)
        m->before[m->sites + i] = stats_series_mean(t, &t->tags[i].series, UINT64_MAX);
    for (uint32_t i = 0; i < t->tracked_count; i++) m->arena_before[i] = stats_high_water_mean(t, i, UINT64_MAX);
    m->heap_before = heap_collect_stats(st->heap).used;
    m->taken = m->before != NULL;
}

void stats_moment_free(stats_moment *m)
{
    free(m->before);
    memset(m, 0, sizeof(*m));
}

/* A row unless neither side has bytes. */
static void stats_moment_row(report_diff *d, const char *kind, const char *name, const char *unit, double a, double b)
{
    if (a <= 0 && b <= 0) return;
    report_diff_add(d, kind, name, unit, a > 0, a, b > 0, b);
}

void stats_moment_diff(host_stats *st, const stats_moment *m, report_diff *d)
{
    const arena_stats_table *t = st->table;
    if (!m->taken) return;
    uint64_t since = t->frames - m->frames_at;
    for (uint32_t i = 0; i < arena_stats_site_count(t); i++) {
        char label[256];
        report_site_label(t, i, label, sizeof(label));
        double before = i < m->sites ? m->before[i] : STATS_NONE;
        stats_moment_row(d, t->sites[i].origin == ARENA_STATS_HOST ? "host site" : "site", label, "B/frame", before,
                         stats_series_mean(t, &t->sites[i].series, since));
    }
    for (uint32_t i = 0; i < arena_stats_tag_count(t); i++) {
        double before = i < m->tags ? m->before[m->sites + i] : STATS_NONE;
        stats_moment_row(d, "tag", arena_stats_name(t, t->tags[i].name), "B/frame", before,
                         stats_series_mean(t, &t->tags[i].series, since));
    }
    for (uint32_t i = 0; i < t->tracked_count; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s high-water", t->tracked[i].arena->name);
        stats_moment_row(d, "arena", name, "B", m->arena_before[i], stats_high_water_mean(t, i, since));
    }
    stats_moment_row(d, "heap", "heap used", "B", (double)m->heap_before, (double)heap_collect_stats(st->heap).used);
    report_diff_sort(d);
}

/* ---- marks and reloads --------------------------------------------------------------------- */

void stats_mark(host_stats *st, const char *name)
{
    if (!st || !name) return;
    snprintf((char *)st->mark_asked, sizeof(st->mark_asked), "%s", *name ? name : "mark");
    st->mark_wanted = 1;
}

/* A mark asked for since the last frame (by the game or on stdin): a moment and a `mark` event. */
void stats_marks_frame(host_stats *st, bool read_stdin)
{
    char name[sizeof(st->mark_asked)];
    bool typed = read_stdin && stats_input_mark(name, sizeof(name));
    if (!typed && !st->mark_wanted) return;
    if (!typed) snprintf(name, sizeof(name), "%s", (const char *)st->mark_asked);
    st->mark_wanted = 0;
    stats_moment_take(st, &st->mark, name);
    event e = event_begin(st->events, "mark");
    event_str(&e, "name", name);
    event_uint(&e, "last_frame", st->table->last_frame);
    event_end(st->events, &e);
}

/* The reload's biggest changes, into the change set its marker links to. */
static void stats_reload_measure(host_stats *st)
{
    report_diff all = {0};
    stats_moment_diff(st, &st->reload, &all);
    report_change_set *c = st->reload_changes;
    c->frames_before = MIN(st->reload.frames_at, (uint64_t)st->table->history_cap);
    c->frames_after = st->table->frames - st->reload.frames_at;
    for (uint32_t i = 0, kept = 0; i < all.count && kept < STATS_RELOAD_ROWS; i++) {
        const report_diff_row *r = &all.rows[i];
        if (r->change == REPORT_SAME || strcmp(r->kind, "arena") == 0 || strcmp(r->kind, "heap") == 0) continue;
        report_diff_add(&c->diff, r->kind, r->name, r->unit, r->change != REPORT_APPEARED, r->a,
                        r->change != REPORT_VANISHED, r->b);
        kept++;
    }
    report_diff_free(&all);
    stats_moment_free(&st->reload);
    st->reload_changes = NULL;
}

void stats_reload_begin(host_stats *st, report_change_set *changes)
{
    if (st->reload_changes) stats_reload_measure(st); /* reloads closer than the window: measured as they are */
    if (!changes) return;
    st->reload_changes = changes;
    stats_moment_take(st, &st->reload, changes->title);
}

void stats_reload_tick(host_stats *st, bool last)
{
    if (st->reload_changes && (last || st->table->frames - st->reload.frames_at >= STATS_RELOAD_FRAMES))
        stats_reload_measure(st);
}
