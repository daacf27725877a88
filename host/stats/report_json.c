/* report_json.c - the stats snapshot as one JSON document (--stats; schema in README.md). */
#include "report.h"

#include <stddef.h>

static void json_key_str(report_buf *b, const char *key, const char *value)
{
    report_printf(b, "\"%s\":\"", key);
    report_escape_json(b, value);
    report_printf(b, "\"");
}

static void json_u64(report_buf *b, const char *key, uint64_t v)
{
    report_printf(b, ",\"%s\":%llu", key, (unsigned long long)v);
}

typedef struct json_column {
    const char *key;
    size_t offset; /* of a uint64_t in arena_history_entry */
} json_column;

static const json_column json_history_columns[] = {
    {"frame", offsetof(arena_history_entry, frame)},
    {"used", offsetof(arena_history_entry, used)},
    {"high_water", offsetof(arena_history_entry, high_water)},
    {"pushes", offsetof(arena_history_entry, pushes)},
    {"bytes", offsetof(arena_history_entry, bytes)},
};

/* One column of the history, oldest first. */
static void json_history_column(report_buf *b, const arena_stats_table *t, uint32_t tracked, const json_column *c)
{
    report_printf(b, "\"%s\":[", c->key);
    uint64_t n = arena_stats_history_count(t, tracked);
    for (uint64_t back = n; back-- > 0;) {
        const char *e = (const char *)arena_stats_history(t, tracked, back);
        report_printf(b, "%s%llu", back + 1 == n ? "" : ",", (unsigned long long)*(const uint64_t *)(e + c->offset));
    }
    report_printf(b, "]");
}

/* Columns rather than rows: half the size, and each plots as it is. */
static void json_history(report_buf *b, const arena_stats_table *t, int tracked)
{
    report_printf(b, ",\"history\":{");
    for (size_t i = 0; t && tracked >= 0 && i < ARRAY_COUNT(json_history_columns); i++) {
        if (i) report_printf(b, ",");
        json_history_column(b, t, (uint32_t)tracked, &json_history_columns[i]);
    }
    report_printf(b, "}");
}

static void json_arena(report_buf *b, const report_snapshot *s, const report_arena *a)
{
    report_printf(b, "{");
    json_key_str(b, "name", a->name);
    report_printf(b, ",");
    json_key_str(b, "kind", a->kind);
    json_u64(b, "reserved", a->reserved);
    json_u64(b, "committed", a->committed);
    json_u64(b, "used", a->used);
    json_u64(b, "high_water", a->high_water);
    json_u64(b, "frame_high_water", a->frame_high_water);
    json_u64(b, "pushes", a->pushes);
    json_u64(b, "bytes", a->bytes);
    json_u64(b, "frame_pushes", a->frame_pushes);
    json_u64(b, "frame_bytes", a->frame_bytes);
    json_u64(b, "bytes_popped", a->bytes_popped);
    json_u64(b, "resets", a->resets);
    json_u64(b, "padding", a->padding);
    json_u64(b, "failures", a->failures);
    json_history(b, s->table, a->tracked);
    report_printf(b, "}");
}

static void json_pool(report_buf *b, const report_pool *p)
{
    report_printf(b, "{");
    json_key_str(b, "name", p->name);
    report_printf(b, ",");
    json_key_str(b, "arena", p->arena);
    json_u64(b, "slot_size", p->slot_size);
    json_u64(b, "live", p->live);
    json_u64(b, "slots", p->slots);
    json_u64(b, "high_water", p->high_water);
    json_u64(b, "allocs", p->allocs);
    json_u64(b, "frees", p->frees);
    json_u64(b, "bytes", p->slots * p->slot_size);
    json_u64(b, "live_bytes", p->live * p->slot_size);
    report_printf(b, "}");
}

static void json_heap(report_buf *b, const heap_stats *h)
{
    report_printf(b, "{\"name\":\"heap\"");
    json_u64(b, "reserved", h->reserved);
    json_u64(b, "committed", h->committed);
    json_u64(b, "used", h->used);
    json_u64(b, "blocks", h->blocks);
    json_u64(b, "pages", h->pages);
    report_printf(b, ",\"fragmentation\":%.4f}", h->fragmentation);
}

/* The figures sites and tags share. */
static void json_counts(report_buf *b, uint64_t pushes, uint64_t bytes, uint64_t frame_pushes, uint64_t frame_bytes,
                        uint64_t peak_bytes, uint64_t peak_frame)
{
    json_u64(b, "pushes", pushes);
    json_u64(b, "bytes", bytes);
    json_u64(b, "frame_pushes", frame_pushes);
    json_u64(b, "frame_bytes", frame_bytes);
    json_u64(b, "peak_bytes", peak_bytes);
    json_u64(b, "peak_frame", peak_frame);
}

/* Bytes per frame over the history, oldest first: the last is the snapshot's frame. */
static void json_series(report_buf *b, const arena_stats_table *t, const arena_stats_series *series)
{
    report_printf(b, ",\"series\":[");
    uint64_t n = t ? arena_stats_series_count(t, series) : 0;
    for (uint64_t back = n; back-- > 0;)
        report_printf(b, "%s%llu", back + 1 == n ? "" : ",", (unsigned long long)arena_stats_series_at(t, series, back));
    report_printf(b, "]");
}

static void json_callers(report_buf *b, const report_site *s)
{
    report_printf(b, ",\"callers\":[");
    for (uint32_t k = 0; k < s->depth; k++) {
        report_printf(b, "%s{", k ? "," : "");
        json_key_str(b, "function", s->frames[k].func);
        report_printf(b, ",");
        json_key_str(b, "line", s->frames[k].where);
        report_printf(b, "}");
    }
    report_printf(b, "]");
}

static void json_site(report_buf *b, const report_snapshot *snap, const report_site *s)
{
    report_printf(b, "{");
    json_key_str(b, "file", s->file);
    report_printf(b, ",\"line\":%u,", s->line);
    json_key_str(b, "function", s->func);
    report_printf(b, ",\"origin\":\"%s\"", s->host ? "host" : "game");
    json_callers(b, s);
    report_printf(b, ",");
    json_key_str(b, "arena", s->arena);
    json_counts(b, s->pushes, s->bytes, s->frame_pushes, s->frame_bytes, s->peak_bytes, s->peak_frame);
    json_u64(b, "live", s->live);
    json_u64(b, "live_bytes", s->live_bytes);
    json_series(b, snap->table, snap->table ? &snap->table->sites[s->id].series : NULL);
    report_printf(b, "}");
}

static void json_tag(report_buf *b, const report_snapshot *snap, const report_tag *t)
{
    report_printf(b, "{");
    json_key_str(b, "name", t->name);
    json_counts(b, t->pushes, t->bytes, t->frame_pushes, t->frame_bytes, t->peak_bytes, t->peak_frame);
    json_series(b, snap->table, snap->table ? &snap->table->tags[t->id].series : NULL);
    report_printf(b, "}");
}

#define JSON_MARK_CHANGES 40

/* What changed since the last mark: bytes per frame before it against since. */
static void json_since_mark(report_buf *b, const report_snapshot *s)
{
    report_printf(b, ",\n\"since_mark\":");
    if (!s->mark_name) {
        report_printf(b, "null");
        return;
    }
    report_printf(b, "{");
    json_key_str(b, "name", s->mark_name);
    json_u64(b, "frame", s->mark_frame);
    report_printf(b, ",\"changes\":[");
    for (uint32_t i = 0, n = 0; i < s->since_mark.count && n < JSON_MARK_CHANGES; i++) {
        const report_diff_row *r = &s->since_mark.rows[i];
        if (r->change == REPORT_SAME) continue;
        report_printf(b, "%s{", n++ ? "," : "");
        json_key_str(b, "kind", r->kind);
        report_printf(b, ",");
        json_key_str(b, "name", r->name);
        report_printf(b, ",\"unit\":\"%s\",\"before\":%.1f,\"since\":%.1f,\"change\":\"%s\"}", r->unit, r->a, r->b,
                      report_change_names[r->change]);
    }
    report_printf(b, "]}");
}

void report_json(report_buf *b, const report_snapshot *s)
{
    report_printf(b, "{\"schema\":\"%s\",", REPORT_SCHEMA);
    json_key_str(b, "reason", s->reason);
    json_u64(b, "frame", s->frame);
    json_u64(b, "frames", s->frames);
    report_printf(b, ",\"t_ms\":%.3f", s->t_ms);
    json_u64(b, "version", s->version);
    json_u64(b, "reloads", s->reloads);
    json_u64(b, "refused", s->refused);
    report_printf(b, ",\n\"arenas\":[");
    for (uint32_t i = 0; i < s->arena_count; i++) {
        report_printf(b, i ? ",\n" : "\n");
        json_arena(b, s, &s->arenas[i]);
    }
    report_printf(b, "],\n\"pools\":[");
    for (uint32_t i = 0; i < s->pool_count; i++) {
        report_printf(b, i ? ",\n" : "\n");
        json_pool(b, &s->pools[i]);
    }
    report_printf(b, "],\n\"heap\":");
    if (s->has_heap) json_heap(b, &s->heap);
    else report_printf(b, "null");
    report_printf(b, ",\n\"sites\":[");
    for (uint32_t i = 0; i < s->site_count; i++) {
        report_printf(b, i ? ",\n" : "\n");
        json_site(b, s, &s->sites[i]);
    }
    report_printf(b, "],\n\"tags\":[");
    for (uint32_t i = 0; i < s->tag_count; i++) {
        report_printf(b, i ? ",\n" : "\n");
        json_tag(b, s, &s->tags[i]);
    }
    report_printf(b, "]");
    json_since_mark(b, s);
    report_printf(b, "}\n");
}
