/* report.c - what the report writers share: the text buffer, escaping, and the run's timeline. */
#include "report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- the buffer -------------------------------------------------------------------------- */

static bool report_reserve(report_buf *b, size_t more)
{
    if (b->failed) return false;
    if (b->len + more + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1) cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        b->failed = true;
        return false;
    }
    b->data = data;
    b->cap = cap;
    return true;
}

void report_printf(report_buf *b, const char *fmt, ...)
{
    va_list args, again;
    va_start(args, fmt);
    va_copy(again, args);
    int n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (n > 0 && report_reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void report_bytes(report_buf *b, const void *data, size_t size)
{
    if (!size || !report_reserve(b, size)) return;
    memcpy(b->data + b->len, data, size);
    b->len += size;
    b->data[b->len] = 0;
}

void report_site_label(const arena_stats_table *t, uint32_t id, char *out, size_t cap)
{
    const arena_site_info *s = &t->sites[id];
    const char *file = arena_stats_name(t, s->file), *slash = strrchr(file, '/');
    int n = s->line ? snprintf(out, cap, "%s:%u %s", slash ? slash + 1 : file, s->line, arena_stats_name(t, s->func))
                    : snprintf(out, cap, "%s %s", file, arena_stats_name(t, s->func)); /* "(pool) bullets" */
    if (s->caller && n > 0 && (size_t)n < cap) snprintf(out + n, cap - (size_t)n, " < %s", arena_stats_name(t, s->caller));
}

static void report_putc(report_buf *b, char c)
{
    if (!report_reserve(b, 1)) return;
    b->data[b->len++] = c;
    b->data[b->len] = 0;
}

void report_escape_json(report_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') report_printf(b, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&') report_printf(b, "\\u%04x", c); /* safe inside HTML too */
        else report_putc(b, (char)c);
    }
}

void report_escape_html(report_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': report_printf(b, "&lt;"); break;
        case '>': report_printf(b, "&gt;"); break;
        case '&': report_printf(b, "&amp;"); break;
        case '"': report_printf(b, "&quot;"); break;
        case '\'': report_printf(b, "&#39;"); break;
        default:
            if ((unsigned char)*s >= 0x20) report_putc(b, *s);
        }
    }
}

void report_buf_free(report_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* ---- the timeline ------------------------------------------------------------------------ */

void report_timeline_init(report_timeline *t) { memset(t, 0, sizeof(*t)); }

report_series *report_timeline_series(report_timeline *t, const char *name, uint64_t capacity)
{
    for (uint32_t i = 0; i < t->series_count; i++)
        if (strcmp(t->series[i].name, name) == 0) return &t->series[i];
    if (t->series_count == ARRAY_COUNT(t->series)) return NULL;
    report_series *s = &t->series[t->series_count++];
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->capacity = capacity;
    s->stride = 1;
    return s;
}

static report_point report_point_merge(report_point a, report_point b)
{
    report_point m = {a.first, b.last, MAX(a.high_water, b.high_water), a.bytes + b.bytes};
    return m;
}

/* Full: every two points become one, and each point covers twice the frames from now on. */
static void report_series_halve(report_series *s)
{
    for (uint32_t i = 0; i < s->count / 2; i++) s->points[i] = report_point_merge(s->points[2 * i], s->points[2 * i + 1]);
    s->count /= 2;
    s->stride *= 2;
}

void report_series_add(report_series *s, uint64_t frame, uint64_t high_water, uint64_t bytes)
{
    report_point p = {frame, frame, high_water, bytes};
    s->pending = s->pending_frames ? report_point_merge(s->pending, p) : p;
    if (++s->pending_frames < s->stride) return;
    if (s->count == REPORT_POINTS) report_series_halve(s);
    s->points[s->count++] = s->pending;
    s->pending_frames = 0;
}

report_mark *report_timeline_mark(report_timeline *t, uint64_t frame, const char *name, const char *text)
{
    if (t->mark_count == REPORT_MARKS) {
        t->marks_dropped++;
        return NULL;
    }
    report_mark *m = &t->marks[t->mark_count++];
    m->frame = frame;
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->text, sizeof(m->text), "%s", text);
    m->change = -1;
    return m;
}

report_change_set *report_timeline_changes(report_timeline *t, report_mark *m)
{
    if (!m || t->change_count == REPORT_MARKS) return NULL;
    m->change = (int)t->change_count;
    report_change_set *c = &t->changes[t->change_count++];
    memset(c, 0, sizeof(*c));
    c->frame = m->frame;
    return c;
}

void report_timeline_free(report_timeline *t)
{
    for (uint32_t i = 0; i < t->change_count; i++) report_diff_free(&t->changes[i].diff);
    t->change_count = 0;
}
