/* report_html.c - the HTML report (--report): one file, no scripts, no network. Inline SVG charts
 * of each arena's use over the whole run and of the frame arena's high-water per frame, with the
 * reloads and crashes marked; tables of the top call sites, tags, arenas, pools and the heap. The
 * markup is well-formed XML (every element closed, every attribute quoted) so a strict parser can
 * check it. */
#include "report.h"
#include "../base/units.h"

#include <string.h>

#define HTML_TOP_SITES 20
#define HTML_TOP_TAGS 20
#define CHART_W 600
#define CHART_H 170
#define CHART_LEFT 70 /* room for the y labels */
#define CHART_BOTTOM 22
#define CHART_TOP 8
#define CHART_RIGHT 10

static const char html_style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d232b;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dde3}"
    ".meta{color:#5b6570;margin:0 0 8px}"
    ".charts{display:flex;flex-wrap:wrap;gap:12px}"
    "figure{margin:0;padding:8px;border:1px solid #e2e6ea;border-radius:6px}"
    "figcaption{font-weight:600;margin-bottom:4px}figcaption span{font-weight:400;color:#5b6570}"
    "svg text{font:11px system-ui,sans-serif;fill:#5b6570}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #eef0f2;white-space:nowrap}"
    "th{background:#f4f6f8;font-weight:600}td.l,th.l{text-align:left}"
    "code{font:12px ui-monospace,monospace}"
    ".legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:10px;height:10px;"
    "margin-right:4px;vertical-align:middle}";

/* Colours of the marker kinds, and what they are called in the legend. */
typedef struct html_mark_kind {
    const char *name;
    const char *color;
} html_mark_kind;

static const html_mark_kind html_mark_kinds[] = {
    {"reload", "#2f6fdf"}, {"rollback", "#8a4fd8"}, {"crash", "#d33a2c"}, {"restart", "#e08a1e"}, {"warning", "#c9a400"},
};

static const char *html_mark_color(const char *name)
{
    for (size_t i = 0; i < ARRAY_COUNT(html_mark_kinds); i++)
        if (strcmp(html_mark_kinds[i].name, name) == 0) return html_mark_kinds[i].color;
    return "#777";
}

static void html_text(report_buf *b, const char *s) { report_escape_html(b, s); }

/* ---- charts ------------------------------------------------------------------------------ */

/* The smallest 2^k bytes (k >= 10) at or above v: gridlines at quarters of it read well. */
static uint64_t html_nice_max(uint64_t v)
{
    uint64_t m = KB(1);
    while (m < v && m < (UINT64_MAX >> 1)) m <<= 1;
    return m;
}

typedef struct chart {
    uint64_t first, last; /* frames on the x axis */
    uint64_t ymax;
} chart;

static double chart_x(const chart *c, uint64_t frame)
{
    double span = c->last > c->first ? (double)(c->last - c->first) : 1.0;
    return CHART_LEFT + (double)(frame - c->first) / span * (CHART_W - CHART_LEFT - CHART_RIGHT);
}

static double chart_y(const chart *c, uint64_t v)
{
    return CHART_TOP + (1.0 - (double)v / (double)c->ymax) * (CHART_H - CHART_TOP - CHART_BOTTOM);
}

/* The points of a series, with the frames still gathering toward the next point as the last. */
static uint32_t html_points(const report_series *s, report_point *out)
{
    memcpy(out, s->points, sizeof(report_point) * s->count);
    uint32_t n = s->count;
    if (s->pending_frames) out[n++] = s->pending;
    return n;
}

static void html_axes(report_buf *b, const chart *c)
{
    for (int i = 0; i <= 4; i++) {
        uint64_t v = c->ymax / 4 * (uint64_t)i;
        double y = chart_y(c, v);
        report_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e6e9ec\"/>", CHART_LEFT, y,
                      CHART_W - CHART_RIGHT, y);
        report_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", CHART_LEFT - 6, y + 4,
                      units_bytes(v).s);
    }
    uint64_t mid = c->first + (c->last - c->first) / 2;
    uint64_t ticks[] = {c->first, mid, c->last};
    const char *anchors[] = {"start", "middle", "end"};
    for (int i = 0; i < 3; i++)
        report_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">frame %llu</text>", chart_x(c, ticks[i]),
                      CHART_H - 6, anchors[i], (unsigned long long)ticks[i]);
}

static void html_marks(report_buf *b, const chart *c, const report_timeline *t)
{
    for (uint32_t i = 0; i < t->mark_count; i++) {
        const report_mark *m = &t->marks[i];
        if (m->frame < c->first || m->frame > c->last) continue;
        double x = chart_x(c, m->frame);
        report_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-dasharray=\"4 3\">"
                         "<title>",
                      x, CHART_TOP, x, CHART_H - CHART_BOTTOM, html_mark_color(m->name));
        report_printf(b, "frame %llu: ", (unsigned long long)m->frame);
        html_text(b, m->text);
        report_printf(b, "</title></line>");
    }
}

/* A filled line of the high-water over the frames. */
static void html_line(report_buf *b, const chart *c, const report_point *p, uint32_t n, const char *color)
{
    report_printf(b, "<polygon fill=\"%s\" fill-opacity=\"0.15\" points=\"%.1f,%.1f", color, chart_x(c, p[0].first),
                  chart_y(c, 0));
    for (uint32_t i = 0; i < n; i++)
        report_printf(b, " %.1f,%.1f", chart_x(c, p[i].last), chart_y(c, p[i].high_water));
    report_printf(b, " %.1f,%.1f\"/>", chart_x(c, p[n - 1].last), chart_y(c, 0));
    report_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
    for (uint32_t i = 0; i < n; i++)
        report_printf(b, "%s%.1f,%.1f", i ? " " : "", chart_x(c, p[i].last), chart_y(c, p[i].high_water));
    report_printf(b, "\"/>");
}

/* A horizontal line at a level worth knowing (a capacity, a warning threshold). */
static void html_level(report_buf *b, const chart *c, uint64_t v, const char *color, const char *label)
{
    if (v > c->ymax) return;
    double y = chart_y(c, v);
    report_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"6 3\"/>",
                  CHART_LEFT, y, CHART_W - CHART_RIGHT, y, color);
    report_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" style=\"fill:%s\">%s</text>", CHART_W - CHART_RIGHT,
                  y - 3, color, label);
}

static void html_chart(report_buf *b, const report_series *s, const report_timeline *t, const char *title,
                       const char *color)
{
    report_point p[REPORT_POINTS + 1];
    uint32_t n = html_points(s, p);
    uint64_t peak = 0;
    for (uint32_t i = 0; i < n; i++) peak = MAX(peak, p[i].high_water);
    report_printf(b, "<figure><figcaption>");
    html_text(b, title);
    report_printf(b, " <span>peak %s", units_bytes(peak).s);
    if (s->capacity) report_printf(b, " of %s (%.1f%%)", units_bytes(s->capacity).s, 100.0 * (double)peak / (double)s->capacity);
    report_printf(b, "</span></figcaption>");
    report_printf(b, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>", CHART_W, CHART_H,
                  CHART_W, CHART_H);
    html_text(b, title);
    report_printf(b, "</title>");
    if (n) {
        chart c = {p[0].first, p[n - 1].last, html_nice_max(peak)};
        html_axes(b, &c);
        html_marks(b, &c, t);
        if (s->capacity) {
            html_level(b, &c, s->capacity, "#d33a2c", "capacity");
            html_level(b, &c, s->capacity / 10 * 9, "#c9a400", "90%: warning");
        }
        html_line(b, &c, p, n, color);
    } else {
        report_printf(b, "<text x=\"%d\" y=\"%d\">no frames recorded</text>", CHART_LEFT, CHART_H / 2);
    }
    report_printf(b, "</svg></figure>\n");
}

static void html_legend(report_buf *b)
{
    report_printf(b, "<p class=\"legend\">");
    for (size_t i = 0; i < ARRAY_COUNT(html_mark_kinds); i++)
        report_printf(b, "<span><i class=\"sw\" style=\"background:%s\"></i>%s</span>", html_mark_kinds[i].color,
                      html_mark_kinds[i].name);
    report_printf(b, "</p>\n");
}

static void html_usage_charts(report_buf *b, const report_timeline *t)
{
    static const char *const colors[] = {"#2f6fdf", "#1f9d74", "#8a4fd8", "#e08a1e", "#d33a2c", "#3a8fb7", "#6b7a8a"};
    report_printf(b, "<h2>Arena use over time</h2>\n<p class=\"meta\">The most bytes each arena held during each "
                     "frame (a scratch arena empties again within its frame); when a point covers several frames, "
                     "the most of them. Dashed lines mark reloads, crashes and warnings (hover for details).</p>\n");
    html_legend(b);
    report_printf(b, "<div class=\"charts\">\n");
    size_t k = 0;
    for (uint32_t i = 0; i < t->series_count; i++) {
        if (strcmp(t->series[i].name, "frame") == 0) continue; /* its own chart below */
        html_chart(b, &t->series[i], t, t->series[i].name, colors[k++ % ARRAY_COUNT(colors)]);
    }
    report_printf(b, "</div>\n");
}

static void html_frame_chart(report_buf *b, const report_timeline *t)
{
    for (uint32_t i = 0; i < t->series_count; i++) {
        if (strcmp(t->series[i].name, "frame") != 0) continue;
        report_printf(b, "<h2>Frame arena: high-water per frame</h2>\n<p class=\"meta\">The most bytes the frame arena "
                         "held during each frame (of the two frame arenas, the one that frame used). The host warns "
                         "above 90%% of the capacity.</p>\n<div class=\"charts\">\n");
        html_chart(b, &t->series[i], t, "frame arena high-water", "#d33a2c");
        report_printf(b, "</div>\n");
    }
}

/* ---- tables ------------------------------------------------------------------------------ */

static void html_bar(report_buf *b, uint64_t v, uint64_t max)
{
    double w = max ? 160.0 * (double)v / (double)max : 0.0;
    report_printf(b, "<svg width=\"160\" height=\"10\"><rect width=\"%.1f\" height=\"10\" fill=\"#2f6fdf\"/></svg>", w);
}

static void html_site_name(report_buf *b, const report_site *s)
{
    const char *slash = strrchr(s->file, '/');
    report_printf(b, "<td class=\"l\"><code title=\"");
    html_text(b, s->file);
    report_printf(b, "\">");
    html_text(b, slash ? slash + 1 : s->file);
    if (s->line) report_printf(b, ":%u", s->line); /* a pool's slots have no line */
    report_printf(b, "</code> ");
    html_text(b, s->func);
    report_printf(b, "</td>");
}

/* The counters a call site and a tag share, from the pushes cell to the end of the row. */
static void html_count_cells(report_buf *b, uint64_t pushes, uint64_t bytes, uint64_t max, uint64_t frame_bytes,
                             uint64_t peak_bytes, uint64_t peak_frame)
{
    report_printf(b, "</td><td>%llu</td><td>%s</td><td class=\"l\">", (unsigned long long)pushes, units_bytes(bytes).s);
    html_bar(b, bytes, max);
    report_printf(b, "</td><td>%s</td><td>%s</td><td>%llu</td></tr>\n", units_bytes(frame_bytes).s,
                  units_bytes(peak_bytes).s, (unsigned long long)peak_frame);
}

static void html_sites(report_buf *b, const report_snapshot *s)
{
    report_printf(b, "<h2>Top call sites</h2>\n<p class=\"meta\">By bytes pushed over the run. \"Last frame\" is the "
                     "frame the report ends on; \"peak\" the most bytes one frame pushed from the site.</p>\n");
    report_printf(b, "<table><tr><th class=\"l\">site</th><th class=\"l\">arena</th><th>pushes</th><th>bytes</th>"
                     "<th class=\"l\"></th><th>last frame</th><th>peak per frame</th><th>at frame</th></tr>\n");
    uint64_t max = s->site_count ? s->sites[0].bytes : 0;
    for (uint32_t i = 0, shown = 0; i < s->site_count && shown < HTML_TOP_SITES; i++) {
        const report_site *t = &s->sites[i];
        if (!t->pushes) continue;
        shown++;
        report_printf(b, "<tr>");
        html_site_name(b, t);
        report_printf(b, "<td class=\"l\">");
        html_text(b, t->arena);
        html_count_cells(b, t->pushes, t->bytes, max, t->frame_bytes, t->peak_bytes, t->peak_frame);
    }
    report_printf(b, "</table>\n");
}

static void html_tags(report_buf *b, const report_snapshot *s)
{
    report_printf(b, "<h2>Tags</h2>\n<p class=\"meta\">Pushes between arena_tag_begin and arena_tag_end count for "
                     "the tag; everything else is \"(untagged)\".</p>\n");
    report_printf(b, "<table><tr><th class=\"l\">tag</th><th>pushes</th><th>bytes</th><th class=\"l\"></th>"
                     "<th>last frame</th><th>peak per frame</th><th>at frame</th></tr>\n");
    uint64_t max = s->tag_count ? s->tags[0].bytes : 0;
    for (uint32_t i = 0; i < s->tag_count && i < HTML_TOP_TAGS; i++) {
        const report_tag *t = &s->tags[i];
        report_printf(b, "<tr><td class=\"l\">");
        html_text(b, t->name);
        html_count_cells(b, t->pushes, t->bytes, max, t->frame_bytes, t->peak_bytes, t->peak_frame);
    }
    report_printf(b, "</table>\n");
}

static void html_arenas(report_buf *b, const report_snapshot *s)
{
    report_printf(b, "<h2>Arenas</h2>\n<table><tr><th class=\"l\">arena</th><th>used</th><th>high-water</th>"
                     "<th>committed</th><th>reserved</th><th>pushes</th><th>bytes</th><th>padding</th><th>resets</th>"
                     "<th>failures</th></tr>\n");
    for (uint32_t i = 0; i < s->arena_count; i++) {
        const report_arena *a = &s->arenas[i];
        report_printf(b, "<tr><td class=\"l\">");
        html_text(b, a->name);
        report_printf(b, "</td><td>%s</td><td>%s</td><td>%s</td>", units_bytes(a->used).s, units_bytes(a->high_water).s,
                      units_bytes(a->committed).s);
        report_printf(b, "<td>%s</td><td>%llu</td><td>%s</td><td>%s</td><td>%llu</td><td>%llu</td></tr>\n",
                      units_bytes(a->reserved).s, (unsigned long long)a->pushes, units_bytes(a->bytes).s,
                      units_bytes(a->padding).s, (unsigned long long)a->resets, (unsigned long long)a->failures);
    }
    report_printf(b, "</table>\n");
}

static void html_pools_and_heap(report_buf *b, const report_snapshot *s)
{
    if (s->pool_count) {
        report_printf(b, "<h2>Pools</h2>\n<table><tr><th class=\"l\">pool</th><th class=\"l\">arena</th><th>slot</th>"
                         "<th>live</th><th>slots</th><th>high-water</th><th>allocs</th><th>frees</th></tr>\n");
        for (uint32_t i = 0; i < s->pool_count; i++) {
            const report_pool *p = &s->pools[i];
            report_printf(b, "<tr><td class=\"l\">");
            html_text(b, p->name);
            report_printf(b, "</td><td class=\"l\">");
            html_text(b, p->arena);
            report_printf(b, "</td><td>%s</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td></tr>\n",
                          units_bytes(p->slot_size).s, (unsigned long long)p->live, (unsigned long long)p->slots,
                          (unsigned long long)p->high_water, (unsigned long long)p->allocs, (unsigned long long)p->frees);
        }
        report_printf(b, "</table>\n");
    }
    if (!s->has_heap) return;
    const heap_stats *h = &s->heap;
    report_printf(b, "<h2>Heap</h2>\n<table><tr><th>used</th><th>blocks</th><th>committed</th><th>reserved</th>"
                     "<th>fragmentation</th></tr>\n<tr><td>%s</td><td>%llu</td><td>%s</td><td>%s</td><td>%.1f%%</td>"
                     "</tr></table>\n",
                  units_bytes(h->used).s, (unsigned long long)h->blocks, units_bytes(h->committed).s,
                  units_bytes(h->reserved).s, h->fragmentation * 100.0);
}

static void html_marks_list(report_buf *b, const report_timeline *t)
{
    if (!t->mark_count) return;
    report_printf(b, "<h2>Events</h2>\n<table><tr><th>frame</th><th class=\"l\">event</th><th class=\"l\">"
                     "details</th></tr>\n");
    for (uint32_t i = 0; i < t->mark_count; i++) {
        report_printf(b, "<tr><td>%llu</td><td class=\"l\">", (unsigned long long)t->marks[i].frame);
        html_text(b, t->marks[i].name);
        report_printf(b, "</td><td class=\"l\">");
        html_text(b, t->marks[i].text);
        report_printf(b, "</td></tr>\n");
    }
    report_printf(b, "</table>\n");
    if (t->marks_dropped)
        report_printf(b, "<p class=\"meta\">and %llu more (see the event log)</p>\n", (unsigned long long)t->marks_dropped);
}

void report_html(report_buf *b, const report_snapshot *s, const report_timeline *t)
{
    report_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
                     "<title>hotblock memory report</title><style>%s</style></head><body>\n", html_style);
    report_printf(b, "<h1>Memory report</h1>\n<p class=\"meta\">%llu frames recorded, last frame %llu, code version "
                     "%llu, %llu reloads, %.1f s; written at ",
                  (unsigned long long)s->frames, (unsigned long long)s->frame, (unsigned long long)s->version,
                  (unsigned long long)s->reloads, s->t_ms / 1000.0);
    html_text(b, s->reason);
    report_printf(b, ".</p>\n");
    html_usage_charts(b, t);
    html_frame_chart(b, t);
    html_sites(b, s);
    html_tags(b, s);
    html_arenas(b, s);
    html_pools_and_heap(b, s);
    html_marks_list(b, t);
    report_printf(b, "</body></html>\n");
}
