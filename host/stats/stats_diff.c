/* stats_diff.c - host --stats-diff A.json B.json: two snapshots (--stats) compared row by row. A
 * site or tag is compared by its bytes per frame over the frames its snapshot kept (its series);
 * one that pushed in no kept frame, by its bytes in all; an arena by its high-water, the heap by
 * its bytes used. A site is the same site in both when its file, line, function, caller and
 * origin are. */
#include "json_read.h"
#include "report.h"
#include "stats.h"
#include "../os/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_ROWS 40 /* changes the table lists */

typedef struct diff_item {
    const char *kind;
    char name[200];
    bool per_frame; /* value is bytes per frame (a series), else bytes */
    double value, total;
} diff_item;

typedef struct diff_side {
    json_value *doc;
    diff_item *items;
    uint32_t count, cap;
} diff_side;

static diff_item *diff_push(diff_side *s)
{
    if (s->count == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 64;
        diff_item *items = realloc(s->items, sizeof(*items) * cap);
        if (!items) return NULL;
        s->items = items;
        s->cap = cap;
    }
    diff_item *it = &s->items[s->count++];
    memset(it, 0, sizeof(*it));
    return it;
}

/* A site or tag: its bytes per frame over its series, else its bytes in all. */
static void diff_counts(diff_item *it, const json_value *v)
{
    const json_value *series = json_get(v, "series");
    it->total = (double)json_u64(v, "bytes");
    it->value = it->total;
    if (!series || series->kind != JSON_ARRAY || !series->count) return;
    double sum = 0;
    for (uint32_t i = 0; i < series->count; i++) sum += series->items[i].number;
    it->per_frame = true;
    it->value = sum / series->count;
}

static void diff_site_name(const json_value *site, char *out, size_t cap)
{
    const char *file = json_str(site, "file"), *slash = strrchr(file, '/');
    const json_value *callers = json_get(site, "callers");
    const char *caller = callers && callers->count ? json_str(&callers->items[0], "function") : "";
    uint64_t line = json_u64(site, "line");
    if (line) snprintf(out, cap, "%s:%llu %s", slash ? slash + 1 : file, (unsigned long long)line, json_str(site, "function"));
    else snprintf(out, cap, "%s %s", file, json_str(site, "function"));
    size_t n = strlen(out);
    if (*caller && n < cap) snprintf(out + n, cap - n, " < %s", caller);
}

static bool diff_collect(diff_side *s)
{
    const json_value *list = json_get(s->doc, "arenas");
    for (uint32_t i = 0; list && i < list->count; i++) {
        diff_item *it = diff_push(s);
        if (!it) return false;
        it->kind = "arena";
        snprintf(it->name, sizeof(it->name), "%s high-water", json_str(&list->items[i], "name"));
        it->value = it->total = (double)json_u64(&list->items[i], "high_water");
    }
    const json_value *heap = json_get(s->doc, "heap");
    if (heap && heap->kind == JSON_OBJECT) {
        diff_item *it = diff_push(s);
        if (!it) return false;
        it->kind = "heap";
        snprintf(it->name, sizeof(it->name), "heap used");
        it->value = it->total = (double)json_u64(heap, "used");
    }
    list = json_get(s->doc, "tags");
    for (uint32_t i = 0; list && i < list->count; i++) {
        diff_item *it = diff_push(s);
        if (!it) return false;
        it->kind = "tag";
        snprintf(it->name, sizeof(it->name), "%s", json_str(&list->items[i], "name"));
        diff_counts(it, &list->items[i]);
    }
    list = json_get(s->doc, "sites");
    for (uint32_t i = 0; list && i < list->count; i++) {
        diff_item *it = diff_push(s);
        if (!it) return false;
        it->kind = strcmp(json_str(&list->items[i], "origin"), "host") == 0 ? "host site" : "site";
        diff_site_name(&list->items[i], it->name, sizeof(it->name));
        diff_counts(it, &list->items[i]);
    }
    return true;
}

static int diff_item_order(const void *pa, const void *pb)
{
    const diff_item *a = pa, *b = pb;
    int k = strcmp(a->kind, b->kind);
    return k ? k : strcmp(a->name, b->name);
}

/* Rows of both sides, matched by kind and name (both sorted). */
static void diff_merge(report_diff *d, diff_side *a, diff_side *b)
{
    qsort(a->items, a->count, sizeof(diff_item), diff_item_order);
    qsort(b->items, b->count, sizeof(diff_item), diff_item_order);
    uint32_t i = 0, j = 0;
    while (i < a->count || j < b->count) {
        int order = i == a->count ? 1 : j == b->count ? -1 : diff_item_order(&a->items[i], &b->items[j]);
        const diff_item *x = order <= 0 ? &a->items[i] : NULL, *y = order >= 0 ? &b->items[j] : NULL;
        /* per frame where either side counted per frame */
        bool per_frame = (x && x->per_frame) || (y && y->per_frame);
        double va = x ? (per_frame ? (x->per_frame ? x->value : 0) : x->total) : 0;
        double vb = y ? (per_frame ? (y->per_frame ? y->value : 0) : y->total) : 0;
        const diff_item *any = x ? x : y;
        report_diff_add(d, any->kind, any->name, per_frame ? "B/frame" : "B", x != NULL, va, y != NULL, vb);
        i += x != NULL;
        j += y != NULL;
    }
}

static bool diff_load(const char *path, diff_side *s, FILE *errs)
{
    host_error err;
    uint64_t size;
    char *text = fs_read_file(path, &size, &err);
    if (!text) {
        fprintf(errs, "host: --stats-diff: %s\n", err.msg);
        return false;
    }
    s->doc = json_parse(text, (size_t)size, &err);
    free(text);
    if (!s->doc) {
        fprintf(errs, "host: --stats-diff: %s is not JSON (%s); pass two files written by --stats\n", path, err.msg);
        return false;
    }
    if (strcmp(json_str(s->doc, "schema"), REPORT_SCHEMA) != 0) {
        fprintf(errs, "host: --stats-diff: %s is not a stats snapshot (no \"schema\":\"%s\"); pass files written by "
                      "--stats\n", path, REPORT_SCHEMA);
        return false;
    }
    if (!diff_collect(s)) {
        fprintf(errs, "host: --stats-diff: out of memory reading %s\n", path);
        return false;
    }
    return true;
}

int stats_diff_files(const char *a_path, const char *b_path, FILE *out, FILE *errs)
{
    diff_side a = {0}, b = {0};
    int rc = 1;
    if (diff_load(a_path, &a, errs) && diff_load(b_path, &b, errs)) {
        report_diff d = {0};
        diff_merge(&d, &a, &b);
        report_diff_sort(&d);
        report_buf text = {0};
        report_printf(&text, "stats diff: A %s (%llu frames, version %llu) -> B %s (%llu frames, version %llu)\n",
                      a_path, (unsigned long long)json_u64(a.doc, "frames"), (unsigned long long)json_u64(a.doc, "version"),
                      b_path, (unsigned long long)json_u64(b.doc, "frames"), (unsigned long long)json_u64(b.doc, "version"));
        report_diff_text(&text, &d, DIFF_ROWS);
        if (text.data && !d.failed && !text.failed) {
            fputs(text.data, out);
            rc = 0;
        } else {
            fprintf(errs, "host: --stats-diff: out of memory\n");
        }
        report_buf_free(&text);
        report_diff_free(&d);
    }
    json_free(a.doc);
    json_free(b.doc);
    free(a.items);
    free(b.items);
    return rc;
}
