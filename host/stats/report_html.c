/* report_html.c - the HTML report (--report): one file, no scripts, no network. Inline SVG charts
 * of each arena's use over the whole run, of the frame arena's high-water per frame, and small
 * charts of the bytes per frame of the top sites and tags over the kept history, with the reloads,
 * crashes, warnings and marks marked (a reload's marker links to what changed across it); tables
 * of the call sites (the game's and the host's apart), tags, arenas, pools, the heap, what changed
 * since the last mark and across each reload, and the events. The markup is well-formed XML
 * (every element closed, every attribute quoted) so a strict parser can check it. */
#include "report.h"
#include "../base/units.h"

#include <string.h>

#define HTML_TOP_SITES 20
#define HTML_TOP_TAGS 20
#define HTML_MULTIPLES 10 /* small charts of the top sites and of the top tags */
#define HTML_CHANGES 30   /* rows of the since-mark table */
#define CHART_W 600
#define CHART_H 190
#define CHART_LEFT 74 /* room for the y labels and the axis title */
#define CHART_BOTTOM 34
#define CHART_TOP 16  /* room for the markers' glyphs */
#define CHART_RIGHT 10
#define SMALL_W 300
#define SMALL_H 110

static const char html_style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d232b;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dde3}"
    "h3{font-size:15px;margin:16px 0 6px}"
    ".meta{color:#5b6570;margin:0 0 8px}"
    ".charts{display:flex;flex-wrap:wrap;gap:12px}"
    "figure{margin:0;padding:8px;border:1px solid #e2e6ea;border-radius:6px}"
    "figcaption{font-weight:600;margin-bottom:4px;max-width:600px;overflow-wrap:anywhere}"
    "figcaption span{font-weight:400;color:#5b6570}"
    "svg text{font:11px system-ui,sans-serif;fill:#5b6570}"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}"
    "th,td{padding:3px 10px;text-align:right;border-bottom:1px solid #eef0f2;vertical-align:top}"
    "th{background:#f4f6f8;font-weight:600;white-space:nowrap}td.l,th.l{text-align:left}td.w{white-space:normal;"
    "max-width:900px;overflow-wrap:anywhere}"
    "code{font:12px ui-monospace,monospace}.stack{color:#5b6570;font-size:12px}"
    ".legend span{display:inline-block;margin-right:16px}.legend svg{vertical-align:middle;margin-right:4px}"
    ".grew{color:#b3261e}.shrank{color:#1b7f3b}.appeared{color:#b3261e}.vanished{color:#1b7f3b}";

/* The marker kinds: colour, dash and glyph, and what the legend calls them. The charts' own series
 * use other colours (html_series_colors), so a marker never looks like a series. */
typedef enum html_glyph { GLYPH_CIRCLE, GLYPH_SQUARE, GLYPH_TRIANGLE, GLYPH_DIAMOND, GLYPH_BAR, GLYPH_CROSS } html_glyph;

typedef struct html_mark_kind {
    const char *name;
    const char *color;
    const char *dash;
    html_glyph glyph;
} html_mark_kind;

static const html_mark_kind html_mark_kinds[] = {
    {"reload", "#2f6fdf", "4 3", GLYPH_CIRCLE},     {"reload_failed", "#6b7a8a", "2 2", GLYPH_CIRCLE},
    {"rollback", "#8a4fd8", "6 2 1 2", GLYPH_SQUARE}, {"crash", "#d33a2c", "", GLYPH_TRIANGLE},
    {"restart", "#e08a1e", "6 3", GLYPH_DIAMOND},   {"warning", "#c9a400", "1 3", GLYPH_BAR},
    {"mark", "#111111", "3 3", GLYPH_CROSS},
};

static const char *const html_series_colors[] = {"#1b9e77", "#7f6a4f", "#17becf", "#66a61e",
                                                  "#b15928", "#5e5e5e", "#e7298a"};

static const html_mark_kind *html_mark_kind_of(const char *name)
{
    for (size_t i = 0; i < ARRAY_COUNT(html_mark_kinds); i++)
        if (strcmp(html_mark_kinds[i].name, name) == 0) return &html_mark_kinds[i];
    return &html_mark_kinds[1];
}

static void html_text(report_buf *b, const char *s) { report_escape_html(b, s); }

static const char *html_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

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
    int w, h, left, top, bottom, right;
    int grid;             /* y divisions */
} chart;

static chart chart_big(uint64_t first, uint64_t last, uint64_t ymax)
{
    return (chart){first, last, ymax, CHART_W, CHART_H, CHART_LEFT, CHART_TOP, CHART_BOTTOM, CHART_RIGHT, 4};
}

static chart chart_small(uint64_t first, uint64_t last, uint64_t ymax)
{
    return (chart){first, last, ymax, SMALL_W, SMALL_H, 60, CHART_TOP, 20, 8, 2};
}

static double chart_x(const chart *c, uint64_t frame)
{
    double span = c->last > c->first ? (double)(c->last - c->first) : 1.0;
    return c->left + (double)(frame - c->first) / span * (c->w - c->left - c->right);
}

static double chart_y(const chart *c, uint64_t v)
{
    return c->top + (1.0 - (double)v / (double)c->ymax) * (c->h - c->top - c->bottom);
}

/* Gridlines with their values, frame numbers under the x axis, and what each axis measures. */
static void html_axes(report_buf *b, const chart *c, const char *y_title)
{
    for (int i = 0; i <= c->grid; i++) {
        uint64_t v = c->ymax / (uint64_t)c->grid * (uint64_t)i;
        double y = chart_y(c, v);
        report_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e6e9ec\"/>", c->left, y,
                      c->w - c->right, y);
        report_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", c->left - 6, y + 4, units_bytes(v).s);
    }
    uint64_t mid = c->first + (c->last - c->first) / 2;
    uint64_t ticks[] = {c->first, c->last, mid};
    const char *anchors[] = {"start", "end", "middle"};
    bool small = c->w < CHART_W; /* no room for a middle tick beside the axis title */
    for (int i = 0; i < (small ? 2 : 3); i++)
        report_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%llu</text>", chart_x(c, ticks[i]),
                      c->h - c->bottom + 14, anchors[i], (unsigned long long)ticks[i]);
    report_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">frame</text>", (c->left + c->w - c->right) / 2,
                  small ? c->h - c->bottom + 14 : c->h - 3);
    report_printf(b, "<text x=\"12\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 12 %d)\">%s</text>",
                  (c->top + c->h - c->bottom) / 2, (c->top + c->h - c->bottom) / 2, y_title);
}

static void html_draw_glyph(report_buf *b, html_glyph g, double x, double y, const char *color)
{
    switch (g) {
    case GLYPH_CIRCLE: report_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>", x, y, color); break;
    case GLYPH_SQUARE:
        report_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\"/>", x - 3.5, y - 3.5, color);
        break;
    case GLYPH_TRIANGLE:
        report_printf(b, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>", x - 4, y - 4, x + 4, y - 4, x,
                      y + 4, color);
        break;
    case GLYPH_DIAMOND:
        report_printf(b, "<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\"/>", x, y - 4.5, x + 4.5,
                      y, x, y + 4.5, x - 4.5, y, color);
        break;
    case GLYPH_BAR:
        report_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"9\" fill=\"%s\"/>", x - 1.5, y - 4.5, color);
        break;
    case GLYPH_CROSS:
        report_printf(b, "<path d=\"M%.1f %.1fl8 8m0 -8l-8 8\" stroke=\"%s\" stroke-width=\"2\"/>", x - 4, y - 4, color);
        break;
    }
}

/* One marker: a line in its kind's colour and dash, its glyph above the plot, its whole text on
 * hover; a reload with measured changes links to them. `dx` moves it off markers on the same frame. */
static void html_mark(report_buf *b, const chart *c, const report_mark *m, double dx)
{
    const html_mark_kind *k = html_mark_kind_of(m->name);
    double x = chart_x(c, m->frame) + dx;
    if (m->change >= 0) report_printf(b, "<a href=\"#reload-%d\">", m->change);
    report_printf(b, "<g><title>frame %llu, %s: ", (unsigned long long)m->frame, m->name);
    html_text(b, m->text);
    report_printf(b, "</title><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\"",
                  x, c->top, x, c->h - c->bottom, k->color);
    if (*k->dash) report_printf(b, " stroke-dasharray=\"%s\"", k->dash);
    report_printf(b, "/>");
    html_draw_glyph(b, k->glyph, x, c->top - 7, k->color);
    report_printf(b, "</g>");
    if (m->change >= 0) report_printf(b, "</a>");
}

static void html_marks(report_buf *b, const chart *c, const report_timeline *t)
{
    for (uint32_t i = 0; t && i < t->mark_count; i++) {
        const report_mark *m = &t->marks[i];
        if (m->frame < c->first || m->frame > c->last) continue;
        int same = 0; /* earlier markers on the same frame: this one goes beside them */
        for (uint32_t k = 0; k < i; k++) same += t->marks[k].frame == m->frame;
        html_mark(b, c, m, 5.0 * same);
    }
}

/* A filled line through (frame, value) points. */
static void html_line(report_buf *b, const chart *c, const uint64_t *frames, const uint64_t *values, uint32_t n,
                      const char *color)
{
    report_printf(b, "<polygon fill=\"%s\" fill-opacity=\"0.15\" points=\"%.1f,%.1f", color, chart_x(c, frames[0]),
                  chart_y(c, 0));
    for (uint32_t i = 0; i < n; i++) report_printf(b, " %.1f,%.1f", chart_x(c, frames[i]), chart_y(c, values[i]));
    report_printf(b, " %.1f,%.1f\"/>", chart_x(c, frames[n - 1]), chart_y(c, 0));
    report_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
    for (uint32_t i = 0; i < n; i++)
        report_printf(b, "%s%.1f,%.1f", i ? " " : "", chart_x(c, frames[i]), chart_y(c, values[i]));
    report_printf(b, "\"/>");
}

/* A horizontal line at a level worth knowing (a capacity, a warning threshold). */
static void html_level(report_buf *b, const chart *c, uint64_t v, const char *color, const char *label)
{
    if (v > c->ymax) return;
    double y = chart_y(c, v);
    report_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.2\"/>",
                  c->left, y, c->w - c->right, y, color);
    report_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" style=\"fill:%s\">%s</text>", c->w - c->right,
                  y - 3, color, label);
}

static void html_svg_open(report_buf *b, const chart *c, const char *title)
{
    report_printf(b, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>", c->w, c->h, c->w, c->h);
    html_text(b, title);
    report_printf(b, "</title>");
}

/* The points of a timeline series (the frames still gathering toward the next point last), as
 * frames and high-waters. */
static uint32_t html_points(const report_series *s, uint64_t *frames, uint64_t *values)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->count; i++, n++) frames[n] = s->points[i].last, values[n] = s->points[i].high_water;
    if (s->pending_frames) frames[n] = s->pending.last, values[n++] = s->pending.high_water;
    return n;
}

/* A chart of a timeline series; with a capacity, the capacity and the 90% warning level are drawn
 * when the peak comes near enough for them to fit the scale, else named in the caption. */
static void html_chart(report_buf *b, const report_series *s, const report_timeline *t, const char *title,
                       const char *y_title, const char *color)
{
    static uint64_t frames[REPORT_POINTS + 1], values[REPORT_POINTS + 1];
    uint32_t n = html_points(s, frames, values);
    uint64_t peak = 0;
    for (uint32_t i = 0; i < n; i++) peak = MAX(peak, values[i]);
    bool show_capacity = s->capacity && peak * 4 >= s->capacity;
    report_printf(b, "<figure><figcaption>");
    html_text(b, title);
    report_printf(b, " <span>peak %s", units_bytes(peak).s);
    if (s->capacity)
        report_printf(b, " of %s (%.1f%%)%s", units_bytes(s->capacity).s, 100.0 * (double)peak / (double)s->capacity,
                      show_capacity ? "" : "; the capacity is far above this scale");
    report_printf(b, "</span></figcaption>");
    uint64_t first = s->count ? s->points[0].first : s->pending.first;
    chart c = chart_big(first, n ? frames[n - 1] : 0, html_nice_max(show_capacity ? s->capacity : peak));
    html_svg_open(b, &c, title);
    if (n) {
        html_axes(b, &c, y_title);
        if (show_capacity) {
            html_level(b, &c, s->capacity, "#d33a2c", "capacity");
            html_level(b, &c, s->capacity / 10 * 9, "#c9a400", "90%: warning");
        }
        html_line(b, &c, frames, values, n, color);
        html_marks(b, &c, t);
    } else {
        report_printf(b, "<text x=\"%d\" y=\"%d\">no frames recorded</text>", CHART_LEFT, CHART_H / 2);
    }
    report_printf(b, "</svg></figure>\n");
}

/* A small chart of a site's or tag's bytes per frame over the frames the table kept. */
static void html_small_multiple(report_buf *b, const report_snapshot *s, const arena_stats_series *series,
                                const report_timeline *t, const char *title, const char *color)
{
    static uint64_t frames[4096], values[4096];
    uint32_t n = (uint32_t)MIN(arena_stats_series_count(s->table, series), (uint64_t)ARRAY_COUNT(frames));
    uint64_t peak = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t back = n - 1 - i;
        frames[i] = s->frame - back;
        values[i] = arena_stats_series_at(s->table, series, back);
        peak = MAX(peak, values[i]);
    }
    report_printf(b, "<figure><figcaption><code>");
    html_text(b, title);
    report_printf(b, "</code> <span>peak %s/frame</span></figcaption>", units_bytes(peak).s);
    chart c = chart_small(n ? frames[0] : 0, n ? frames[n - 1] : 0, html_nice_max(peak));
    html_svg_open(b, &c, title);
    if (n) {
        html_axes(b, &c, "bytes/frame");
        html_line(b, &c, frames, values, n, color);
        html_marks(b, &c, t);
    }
    report_printf(b, "</svg></figure>\n");
}

static void html_legend(report_buf *b)
{
    report_printf(b, "<p class=\"legend\">");
    for (size_t i = 0; i < ARRAY_COUNT(html_mark_kinds); i++) {
        const html_mark_kind *k = &html_mark_kinds[i];
        report_printf(b, "<span><svg width=\"22\" height=\"14\"><line x1=\"11\" y1=\"4\" x2=\"11\" y2=\"14\" stroke=\"%s\" "
                         "stroke-width=\"1.5\"%s%s%s/>", k->color, *k->dash ? " stroke-dasharray=\"" : "", k->dash,
                      *k->dash ? "\"" : "");
        html_draw_glyph(b, k->glyph, 11, 5, k->color);
        report_printf(b, "</svg>%s</span>", k->name);
    }
    report_printf(b, "</p>\n");
}

/* ---- sections of charts ---------------------------------------------------------------------- */

static void html_usage_charts(report_buf *b, const report_timeline *t)
{
    report_printf(b, "<h2>Arena use over time</h2>\n<p class=\"meta\">The most bytes each arena held during each "
                     "frame (a scratch arena empties again within its frame); when a point covers several frames, "
                     "the most of them. Markers: reloads, crashes, rollbacks, restarts, warnings and marks (hover "
                     "for the whole message; a reload's marker links to what changed across it).</p>\n");
    html_legend(b);
    report_printf(b, "<div class=\"charts\">\n");
    size_t k = 0;
    for (uint32_t i = 0; i < t->series_count; i++) {
        if (strcmp(t->series[i].name, "frame") == 0) continue; /* its own chart below */
        html_chart(b, &t->series[i], t, t->series[i].name, "bytes held",
                   html_series_colors[k++ % ARRAY_COUNT(html_series_colors)]);
    }
    report_printf(b, "</div>\n");
}

static void html_frame_chart(report_buf *b, const report_timeline *t)
{
    for (uint32_t i = 0; i < t->series_count; i++) {
        if (strcmp(t->series[i].name, "frame") != 0) continue;
        report_printf(b, "<h2>Frame arena: high-water per frame</h2>\n<p class=\"meta\">The most bytes the frame arena "
                         "held during each frame (of the two frame arenas, the one that frame used), against its "
                         "capacity. The host warns above 90%% of the capacity.</p>\n<div class=\"charts\">\n");
        html_chart(b, &t->series[i], t, "frame arena high-water per frame", "high-water", html_series_colors[0]);
        report_printf(b, "</div>\n");
    }
}

/* The mean of a series over what it kept: how sites and tags are ranked for the small charts. */
static double html_series_mean(const arena_stats_table *t, const arena_stats_series *s)
{
    uint64_t n = arena_stats_series_count(t, s);
    double sum = 0;
    for (uint64_t back = 0; back < n; back++) sum += (double)arena_stats_series_at(t, s, back);
    return n ? sum / (double)n : 0;
}

/* The `count` entries of `items` (sites or tags by index) with the highest mean bytes per frame. */
static uint32_t html_top_series(const report_snapshot *s, bool tags, uint32_t *out, uint32_t count)
{
    uint32_t n = 0, total = tags ? s->tag_count : s->site_count;
    double means[HTML_MULTIPLES];
    for (uint32_t i = 0; i < total; i++) {
        if (!tags && s->sites[i].host) continue;
        const arena_stats_series *series = tags ? &s->table->tags[s->tags[i].id].series : &s->table->sites[s->sites[i].id].series;
        double mean = html_series_mean(s->table, series);
        if (mean <= 0) continue;
        uint32_t at = n < count ? n++ : count;
        while (at > 0 && means[at - 1] < mean) {
            if (at < count) out[at] = out[at - 1], means[at] = means[at - 1];
            at--;
        }
        if (at < count) out[at] = i, means[at] = mean;
    }
    return n;
}

static void html_multiples(report_buf *b, const report_snapshot *s, const report_timeline *t)
{
    uint32_t top[HTML_MULTIPLES];
    uint32_t n = html_top_series(s, false, top, HTML_MULTIPLES);
    report_printf(b, "<h2>Bytes per frame: the top call sites</h2>\n<p class=\"meta\">The game's %u call sites that "
                     "push the most per frame, over the last %u frames the stats keep.</p>\n<div class=\"charts\">\n",
                  n, s->table ? s->table->history_cap : 0);
    for (uint32_t i = 0; i < n; i++) {
        char label[256];
        report_site_label(s->table, s->sites[top[i]].id, label, sizeof(label));
        html_small_multiple(b, s, &s->table->sites[s->sites[top[i]].id].series, t, label,
                            html_series_colors[i % ARRAY_COUNT(html_series_colors)]);
    }
    n = html_top_series(s, true, top, HTML_MULTIPLES);
    report_printf(b, "</div>\n<h2>Bytes per frame: the top tags</h2>\n<div class=\"charts\">\n");
    for (uint32_t i = 0; i < n; i++)
        html_small_multiple(b, s, &s->table->tags[s->tags[top[i]].id].series, t, s->tags[top[i]].name,
                            html_series_colors[i % ARRAY_COUNT(html_series_colors)]);
    report_printf(b, "</div>\n");
}

/* ---- tables ------------------------------------------------------------------------------ */

static void html_bar(report_buf *b, uint64_t v, uint64_t max)
{
    double w = max ? 120.0 * (double)v / (double)max : 0.0;
    report_printf(b, "<svg width=\"120\" height=\"10\"><rect width=\"%.1f\" height=\"10\" fill=\"%s\"/></svg>", w,
                  html_series_colors[0]);
}

/* The push and, under it, its call stack (the caller first), every frame with its line. */
static void html_site_cell(report_buf *b, const report_site *s)
{
    report_printf(b, "<td class=\"l w\"><code title=\"");
    html_text(b, s->file);
    report_printf(b, "\">");
    html_text(b, html_base_name(s->file));
    if (s->line) report_printf(b, ":%u", s->line); /* a pool's slots have no line */
    report_printf(b, "</code> ");
    html_text(b, s->func);
    for (uint32_t k = 0; k < s->depth; k++) {
        report_printf(b, "<br/><span class=\"stack\">%s ", k ? "&#8627;" : "called from");
        html_text(b, s->frames[k].func);
        if (*s->frames[k].where) {
            report_printf(b, " <code>");
            html_text(b, s->frames[k].where);
            report_printf(b, "</code>");
        }
        report_printf(b, "</span>");
    }
    report_printf(b, "</td>");
}

/* The counters a call site and a tag share, from the pushes cell to the end of the row. */
static void html_count_cells(report_buf *b, uint64_t pushes, uint64_t bytes, uint64_t max, uint64_t frame_bytes,
                             uint64_t peak_bytes, uint64_t peak_frame)
{
    report_printf(b, "<td>%llu</td><td>%s</td><td class=\"l\">", (unsigned long long)pushes, units_bytes(bytes).s);
    html_bar(b, bytes, max);
    report_printf(b, "</td><td>%s</td><td>%s</td><td>%llu</td></tr>\n", units_bytes(frame_bytes).s,
                  units_bytes(peak_bytes).s, (unsigned long long)peak_frame);
}

static const char html_count_headers[] =
    "<th>pushes</th><th>bytes</th><th class=\"l\">share of the top</th><th>last frame</th><th>peak per frame</th>"
    "<th>at frame</th>";

/* The top sites of one origin: the game's or the host's own. */
static void html_sites(report_buf *b, const report_snapshot *s, bool host)
{
    report_printf(b, host ? "<h2>The host's own call sites</h2>\n<p class=\"meta\">Pushes the host makes into the "
                            "game's arenas (migrating the state's layouts, for one).</p>\n"
                          : "<h2>Top call sites</h2>\n<p class=\"meta\">By bytes pushed over the run; a helper called "
                            "from several functions is one row per caller, with the call stack as first seen. \"Last "
                            "frame\" is the frame the report ends on; \"peak\" the most bytes one frame pushed.</p>\n");
    report_printf(b, "<table><tr><th class=\"l\">site and call stack</th><th class=\"l\">arena</th>%s</tr>\n",
                  html_count_headers);
    uint64_t max = 0;
    for (uint32_t i = 0; i < s->site_count; i++)
        if (s->sites[i].host == host) max = MAX(max, s->sites[i].bytes);
    for (uint32_t i = 0, shown = 0; i < s->site_count && shown < HTML_TOP_SITES; i++) {
        const report_site *t = &s->sites[i];
        if (!t->pushes || t->host != host) continue;
        shown++;
        report_printf(b, "<tr>");
        html_site_cell(b, t);
        report_printf(b, "<td class=\"l\">");
        html_text(b, t->arena);
        report_printf(b, "</td>");
        html_count_cells(b, t->pushes, t->bytes, max, t->frame_bytes, t->peak_bytes, t->peak_frame);
    }
    report_printf(b, "</table>\n");
}

static void html_tags(report_buf *b, const report_snapshot *s)
{
    report_printf(b, "<h2>Tags</h2>\n<p class=\"meta\">Pushes between arena_tag_begin and arena_tag_end count for "
                     "the tag; everything else is \"(untagged)\".</p>\n");
    report_printf(b, "<table><tr><th class=\"l\">tag</th>%s</tr>\n", html_count_headers);
    uint64_t max = s->tag_count ? s->tags[0].bytes : 0;
    for (uint32_t i = 0; i < s->tag_count && i < HTML_TOP_TAGS; i++) {
        const report_tag *t = &s->tags[i];
        report_printf(b, "<tr><td class=\"l\">");
        html_text(b, t->name);
        report_printf(b, "</td>");
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

/* The heap's live blocks by the line that allocated them (with --leaks, which notes them). */
static void html_heap_sites(report_buf *b, const report_snapshot *s)
{
    uint32_t shown = 0;
    for (uint32_t i = 0; i < s->site_count && shown < HTML_TOP_SITES; i++) {
        const report_site *t = &s->sites[i];
        if (!t->live || strcmp(t->func, "heap_alloc") != 0) continue;
        if (!shown++)
            report_printf(b, "<h3>Live heap blocks by the line that allocated them</h3>\n<table><tr><th class=\"l\">"
                             "allocation and call stack</th><th>blocks</th><th>bytes</th></tr>\n");
        report_printf(b, "<tr>");
        html_site_cell(b, t);
        report_printf(b, "<td>%llu</td><td>%s</td></tr>\n", (unsigned long long)t->live, units_bytes(t->live_bytes).s);
    }
    if (shown) report_printf(b, "</table>\n");
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
    html_heap_sites(b, s);
}

/* ---- changes: since the mark, and across reloads ----------------------------------------------- */

static void html_diff_value(report_buf *b, double v, const char *unit, bool sign)
{
    uint64_t mag = (uint64_t)(v < 0 ? -v + 0.5 : v + 0.5);
    report_printf(b, "%s%s%s", sign ? (v < 0 ? "&#8722;" : "+") : "", units_bytes(mag).s, strcmp(unit, "B") ? "/frame" : "");
}

void report_diff_html(report_buf *b, const report_diff *d, uint32_t rows)
{
    report_printf(b, "<table><tr><th class=\"l\">kind</th><th class=\"l\">name</th><th>before</th><th>after</th>"
                     "<th>change</th><th class=\"l\">what</th></tr>\n");
    for (uint32_t i = 0, shown = 0; i < d->count && shown < rows; i++) {
        const report_diff_row *r = &d->rows[i];
        if (r->change == REPORT_SAME) continue;
        shown++;
        report_printf(b, "<tr><td class=\"l\">%s</td><td class=\"l w\"><code>", r->kind);
        html_text(b, r->name);
        report_printf(b, "</code></td><td>");
        if (r->change == REPORT_APPEARED) report_printf(b, "&#8211;");
        else html_diff_value(b, r->a, r->unit, false);
        report_printf(b, "</td><td>");
        if (r->change == REPORT_VANISHED) report_printf(b, "&#8211;");
        else html_diff_value(b, r->b, r->unit, false);
        report_printf(b, "</td><td>");
        html_diff_value(b, r->b - r->a, r->unit, true);
        report_printf(b, "</td><td class=\"l %s\">%s</td></tr>\n", report_change_names[r->change],
                      report_change_names[r->change]);
    }
    report_printf(b, "</table>\n");
}

static void html_since_mark(report_buf *b, const report_snapshot *s)
{
    if (!s->mark_name) return;
    report_printf(b, "<h2>Since mark \"");
    html_text(b, s->mark_name);
    report_printf(b, "\" (frame %llu)</h2>\n<p class=\"meta\">Bytes per frame of each site and tag over the frames kept "
                     "before the mark against the frames since; arenas by their mean high-water, the heap by its use. "
                     "%u grew, %u shrank, %u appeared, %u vanished.</p>\n",
                  (unsigned long long)s->mark_frame, s->since_mark.changes[REPORT_GREW],
                  s->since_mark.changes[REPORT_SHRANK], s->since_mark.changes[REPORT_APPEARED],
                  s->since_mark.changes[REPORT_VANISHED]);
    report_diff_html(b, &s->since_mark, HTML_CHANGES);
}

static void html_reload_changes(report_buf *b, const report_timeline *t)
{
    if (!t->change_count) return;
    report_printf(b, "<h2>What changed at each reload</h2>\n<p class=\"meta\">The sites and tags whose bytes per frame "
                     "changed most: the frames kept before the reload against the frames after it (up to 60).</p>\n");
    for (uint32_t i = 0; i < t->change_count; i++) {
        const report_change_set *c = &t->changes[i];
        report_printf(b, "<h3 id=\"reload-%u\">Frame %llu: ", i, (unsigned long long)c->frame);
        html_text(b, c->title);
        report_printf(b, " <span class=\"meta\">(%llu frames before, %llu after)</span></h3>\n",
                      (unsigned long long)c->frames_before, (unsigned long long)c->frames_after);
        if (c->diff.count) report_diff_html(b, &c->diff, c->diff.count);
        else report_printf(b, "<p class=\"meta\">No site or tag changed its bytes per frame.</p>\n");
    }
}

static void html_marks_list(report_buf *b, const report_timeline *t)
{
    if (!t->mark_count) return;
    report_printf(b, "<h2>Events</h2>\n<table><tr><th>frame</th><th class=\"l\">event</th><th class=\"l\">"
                     "details</th></tr>\n");
    for (uint32_t i = 0; i < t->mark_count; i++) {
        const report_mark *m = &t->marks[i];
        report_printf(b, "<tr><td>%llu</td><td class=\"l\">", (unsigned long long)m->frame);
        if (m->change >= 0) report_printf(b, "<a href=\"#reload-%d\">", m->change);
        html_text(b, m->name);
        if (m->change >= 0) report_printf(b, "</a>");
        report_printf(b, "</td><td class=\"l w\">");
        html_text(b, m->text);
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
    if (s->table) html_multiples(b, s, t);
    html_since_mark(b, s);
    html_reload_changes(b, t);
    html_sites(b, s, false);
    html_sites(b, s, true);
    html_tags(b, s);
    html_arenas(b, s);
    html_pools_and_heap(b, s);
    html_marks_list(b, t);
    report_printf(b, "</body></html>\n");
}
