/* test_report.c - proves the stats writers (host/stats/report*.c) on made-up numbers: the JSON
 * snapshot is valid JSON with every figure in it and names escaped; the CSV has one row per arena
 * per frame; the trace is a valid JSON array of counter, frame and marker events; the HTML report
 * is well-formed XML with inline SVG and nothing loaded from the network; the text summary keeps to
 * its width and rows; the timeline merges old points and keeps the peaks. A strict JSON checker and
 * an XML well-formedness checker below do the parsing. */
#include "../test_util.h"

#include "host/stats/report.h"
#include "profile.pb-c.h"

#include <ctype.h>

/* ---- a strict JSON checker --------------------------------------------------------------------- */

static bool js_value(const char **p, int depth);

static void js_ws(const char **p)
{
    while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t') (*p)++;
}

static bool js_string(const char **p)
{
    if (**p != '"') return false;
    for ((*p)++;;) {
        unsigned char c = (unsigned char)*(*p)++;
        if (c == '"') return true;
        if (c < 0x20) return false;
        if (c != '\\') continue;
        c = (unsigned char)*(*p)++;
        if (c == 'u') {
            for (int i = 0; i < 4; i++)
                if (!isxdigit((unsigned char)*(*p)++)) return false;
        } else if (!c || !strchr("\"\\/bfnrt", c)) {
            return false;
        }
    }
}

static bool js_number(const char **p)
{
    const char *start = *p;
    if (**p == '-') (*p)++;
    if (!isdigit((unsigned char)**p)) return false;
    if (**p == '0' && isdigit((unsigned char)(*p)[1])) return false;
    while (isdigit((unsigned char)**p)) (*p)++;
    if (**p == '.') {
        (*p)++;
        if (!isdigit((unsigned char)**p)) return false;
        while (isdigit((unsigned char)**p)) (*p)++;
    }
    return *p > start;
}

static bool js_list(const char **p, int depth, char close, bool keyed)
{
    (*p)++;
    js_ws(p);
    if (**p == close) return (*p)++, true;
    for (;;) {
        js_ws(p);
        if (keyed) {
            if (!js_string(p)) return false;
            js_ws(p);
            if (*(*p)++ != ':') return false;
        }
        if (!js_value(p, depth + 1)) return false;
        js_ws(p);
        if (**p == close) return (*p)++, true;
        if (*(*p)++ != ',') return false;
    }
}

static bool js_value(const char **p, int depth)
{
    js_ws(p);
    if (depth > 64) return false;
    switch (**p) {
    case '{': return js_list(p, depth, '}', true);
    case '[': return js_list(p, depth, ']', false);
    case '"': return js_string(p);
    case 'n': return strncmp(*p, "null", 4) == 0 && (*p += 4, true);
    case 't': return strncmp(*p, "true", 4) == 0 && (*p += 4, true);
    case 'f': return strncmp(*p, "false", 5) == 0 && (*p += 5, true);
    default: return js_number(p);
    }
}

static bool json_valid(const char *text)
{
    const char *p = text;
    if (!js_value(&p, 0)) return false;
    js_ws(&p);
    return *p == 0;
}

/* ---- an XML well-formedness checker (enough for the report: no comments, no CDATA) ------------- */

static bool xml_name(const char **p, char *out, size_t cap)
{
    size_t n = 0;
    while (isalnum((unsigned char)**p) || **p == '-' || **p == ':' || **p == '_') {
        if (n + 1 < cap) out[n++] = **p;
        (*p)++;
    }
    out[n] = 0;
    return n > 0;
}

static bool xml_entity(const char **p)
{
    static const char *const names[] = {"lt;", "gt;", "amp;", "quot;", "apos;"};
    for (size_t i = 0; i < ARRAY_COUNT(names); i++)
        if (strncmp(*p + 1, names[i], strlen(names[i])) == 0) return *p += 1 + strlen(names[i]), true;
    const char *c = *p + 1; /* a character reference: &#8627; */
    if (*c++ != '#' || !isdigit((unsigned char)*c)) return false;
    while (isdigit((unsigned char)*c)) c++;
    if (*c != ';') return false;
    *p = c + 1;
    return true;
}

static bool xml_attributes(const char **p, bool *self_closed)
{
    for (;;) {
        while (isspace((unsigned char)**p)) (*p)++;
        if (**p == '>') return (*p)++, *self_closed = false, true;
        if (**p == '/' && (*p)[1] == '>') return *p += 2, *self_closed = true, true;
        char name[64];
        if (!xml_name(p, name, sizeof(name)) || *(*p)++ != '=' || *(*p)++ != '"') return false;
        while (**p && **p != '"') {
            if (**p == '<') return false;
            if (**p == '&' && !xml_entity(p)) return false;
            else if (**p != '&') (*p)++;
        }
        if (*(*p)++ != '"') return false;
    }
}

/* Every element closed in order, every attribute quoted, every & an entity. */
static bool xml_well_formed(const char *text, int *elements)
{
    char stack[64][32];
    int depth = 0;
    const char *p = text;
    *elements = 0;
    if (strncmp(p, "<!DOCTYPE html>", 15) == 0) p += 15;
    while (*p) {
        if (*p == '&') {
            if (!xml_entity(&p)) return false;
            continue;
        }
        if (*p != '<') {
            p++;
            continue;
        }
        p++;
        bool closing = *p == '/';
        if (closing) p++;
        char name[32];
        if (!xml_name(&p, name, sizeof(name))) return false;
        if (closing) {
            if (*p++ != '>' || depth == 0 || strcmp(stack[--depth], name) != 0) return false;
            continue;
        }
        bool self_closed;
        if (!xml_attributes(&p, &self_closed)) return false;
        (*elements)++;
        if (self_closed) continue;
        if (depth == 64) return false;
        snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
    }
    return depth == 0;
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* ---- made-up figures ---------------------------------------------------------------------------- */

static report_site sites[] = {
    {.file = "/src/game/world.c", .func = "world_step", .line = 120, .pushes = 900, .bytes = 90000, .frame_pushes = 3,
     .frame_bytes = 300, .peak_bytes = 1200, .peak_frame = 17, .arena = "frame0", .depth = 2,
     .frames = {{"game_update", "game.c:40"}, {"guard_call", ""}}},
    {.file = "/src/game/\"odd\" <name>.c", .func = "draw\\all\n", .line = 7, .pushes = 10, .bytes = 4000,
     .frame_pushes = 1, .frame_bytes = 400, .peak_bytes = 400, .peak_frame = 3, .arena = "persistent"},
    {.file = "(no site)", .func = "", .arena = "persistent"},
    {.file = "/src/host/layout.c", .func = "layout_copy", .line = 300, .pushes = 2, .bytes = 64, .arena = "persistent",
     .host = true},
    {.file = "game.c", .func = "heap_alloc", .line = 77, .arena = "heap", .live = 2, .live_bytes = 96, .depth = 1,
     .frames = {{"game_init", "game.c:77"}}},
};
static report_tag tags[] = {
    {"particles", 600, 60000, 2, 200, 900, 11, 0},
    {"(untagged)", 310, 34000, 2, 500, 700, 4, 0},
};
static report_pool pools[] = {{"enemies", "persistent", 48, 10, 12, 12, 40, 30}};

static report_snapshot snapshot(void)
{
    report_snapshot s;
    memset(&s, 0, sizeof(s));
    s.reason = "exit";
    s.frame = 41;
    s.frames = 42;
    s.t_ms = 700.5;
    s.version = 3;
    s.reloads = 2;
    s.arenas[0] = (report_arena){"persistent", "persistent", MB(64), KB(128), 70000, 70000, 70000, 300, 70000,
                                 1, 48, 0, 0, 96, 0, -1};
    s.arenas[1] = (report_arena){"frame0", "frame", MB(1), KB(64), 5000, 9000, 5000, 900, 90000, 30, 5000, 85000,
                                 20, 0, 0, -1};
    s.arena_count = 2;
    s.sites = sites;
    s.site_count = ARRAY_COUNT(sites);
    s.tags = tags;
    s.tag_count = ARRAY_COUNT(tags);
    s.pools = pools;
    s.pool_count = ARRAY_COUNT(pools);
    s.has_heap = true;
    s.heap = (heap_stats){GB(1), KB(256), KB(100), 12, 4, 0.609375};
    return s;
}

static report_frame frame_at(uint64_t frame)
{
    report_frame fr;
    memset(&fr, 0, sizeof(fr));
    fr.frame = frame;
    fr.start_us = 1000.0 * (double)frame;
    fr.end_us = 1000.0 * (double)(frame + 1);
    fr.arenas[0] = (report_frame_arena){"persistent", 100 * frame, 100 * frame, frame, 100, KB(64)};
    fr.arenas[1] = (report_frame_arena){"frame0", 50, 80 + frame, 2, 50, KB(64)};
    fr.arena_count = 2;
    fr.current = 1;
    fr.has_heap = true;
    fr.heap_used = 4096;
    fr.heap_committed = 65536;
    return fr;
}

/* ---- the buffer and escaping ------------------------------------------------------------------- */

static void buffer_grows_and_escapes_for_json_and_html(void **state)
{
    report_buf b = {0};
    for (int i = 0; i < 10000; i++) report_printf(&b, "%d,", i);
    assert_false(b.failed);
    assert_int_equal(b.len, strlen(b.data));
    assert_true(b.len > 40000);
    report_buf_free(&b);
    report_escape_json(&b, "a\"b\\c\n<d>&\x01");
    assert_string_equal(b.data, "a\\\"b\\\\c\\u000a\\u003cd\\u003e\\u0026\\u0001");
    report_buf_free(&b);
    report_escape_html(&b, "<a href=\"x\">'&'</a>\x02");
    assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    report_buf_free(&b);
}

/* ---- JSON -------------------------------------------------------------------------------------- */

static void json_snapshot_is_valid_and_has_every_figure(void **state)
{
    report_snapshot s = snapshot();
    report_buf b = {0};
    report_json(&b, &s);
    if (!json_valid(b.data)) fail_msg("invalid JSON:\n%s", b.data);
    assert_contains(b.data, "\"schema\":\"hotblock-stats/1\"");
    assert_contains(b.data, "\"reason\":\"exit\",\"frame\":41,\"frames\":42,\"t_ms\":700.500,\"version\":3,\"reloads\":2");
    assert_contains(b.data, "{\"name\":\"frame0\",\"kind\":\"frame\",\"reserved\":1048576,\"committed\":65536,"
                            "\"used\":5000,\"high_water\":9000,\"frame_high_water\":5000,\"pushes\":900,\"bytes\":90000,"
                            "\"frame_pushes\":30,\"frame_bytes\":5000,\"bytes_popped\":85000,\"resets\":20,"
                            "\"padding\":0,\"failures\":0,\"history\":{}}");
    assert_contains(b.data, "{\"name\":\"enemies\",\"arena\":\"persistent\",\"slot_size\":48,\"live\":10,\"slots\":12,"
                            "\"high_water\":12,\"allocs\":40,\"frees\":30,\"bytes\":576,\"live_bytes\":480}");
    assert_contains(b.data, "{\"name\":\"heap\",\"reserved\":1073741824,\"committed\":262144,\"used\":102400,"
                            "\"blocks\":12,\"pages\":4,\"fragmentation\":0.6094}");
    assert_contains(b.data, "{\"file\":\"/src/game/world.c\",\"line\":120,\"function\":\"world_step\",\"origin\":"
                            "\"game\",\"callers\":[{\"function\":\"game_update\",\"line\":\"game.c:40\"},"
                            "{\"function\":\"guard_call\",\"line\":\"\"}],\"arena\":\"frame0\",\"pushes\":900,"
                            "\"bytes\":90000,\"frame_pushes\":3,\"frame_bytes\":300,\"peak_bytes\":1200,"
                            "\"peak_frame\":17,\"live\":0,\"live_bytes\":0,\"series\":[]}");
    assert_contains(b.data, "\"function\":\"layout_copy\",\"origin\":\"host\"");
    assert_contains(b.data, "\"live\":2,\"live_bytes\":96");
    assert_contains(b.data, "\"since_mark\":null}");
    assert_contains(b.data, "\"file\":\"/src/game/\\\"odd\\\" \\u003cname\\u003e.c\"");
    assert_contains(b.data, "\"function\":\"draw\\\\all\\u000a\"");
    assert_contains(b.data, "{\"name\":\"particles\",\"pushes\":600,\"bytes\":60000,\"frame_pushes\":2,\"frame_bytes\":200,"
                            "\"peak_bytes\":900,\"peak_frame\":11,\"series\":[]}");
    report_buf_free(&b);
}

static void json_history_lists_the_frames_oldest_first(void **state)
{
    uint8_t *memory = map_memory(MB(3));
    arena *home = arena_create(memory, MB(2), (arena_params){.name = "home"});
    arena *a = arena_create(memory + MB(2), MB(1), (arena_params){.name = "a"});
    arena_stats_table *t = arena_stats_table_create(home, (arena_stats_params){.stamp = 77, .history = 3});
    assert_true(arena_stats_track(t, a));
    for (uint64_t f = 0; f < 4; f++) {
        arena_push(a, 10 * (f + 1), 1);
        arena_stats_frame_end(t, f);
    }
    report_snapshot s = snapshot();
    s.table = t;
    s.arenas[1].tracked = 0;
    report_buf b = {0};
    report_json(&b, &s);
    assert_true(json_valid(b.data));
    assert_contains(b.data, "\"history\":{\"frame\":[1,2,3],\"used\":[30,60,100],\"high_water\":[30,60,100],"
                            "\"pushes\":[1,1,1],\"bytes\":[20,30,40]}");
    report_buf_free(&b);
    unmap_memory(memory, MB(3));
}

/* ---- CSV and trace ------------------------------------------------------------------------------ */

static char *read_stream(FILE *f)
{
    long n = ftell(f);
    rewind(f);
    char *text = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

static void csv_has_a_row_per_arena_per_frame_and_the_heap(void **state)
{
    FILE *f = tmpfile();
    report_csv_header(f);
    for (uint64_t i = 0; i < 3; i++) {
        report_frame fr = frame_at(i);
        report_csv_frame(f, &fr);
    }
    char *text = read_stream(f);
    assert_int_equal(count(text, "\n"), 1 + 3 * 3);
    assert_true(strncmp(text, "frame,kind,name,used,pushes,bytes,high_water,committed\n", 55) == 0);
    assert_contains(text, "\n2,arena,persistent,200,2,100,200,65536\n2,arena,frame0,50,2,50,82,65536\n"
                          "2,heap,heap,4096,,,4096,65536\n");
    free(text);
}

static void trace_is_a_json_array_of_counters_frames_and_markers(void **state)
{
    report_buf b = {0};
    report_trace_begin(&b);
    for (uint64_t i = 0; i < 4; i++) {
        report_frame fr = frame_at(i);
        report_trace_frame(&b, &fr);
    }
    report_trace_mark(&b, "reload", 2500.0, "{\"event\":\"reload\",\"version\":2}");
    report_trace_end(&b);
    char *text = b.data;
    if (!json_valid(text)) fail_msg("invalid trace:\n%s", text);
    assert_int_equal(count(text, "\"ph\":\"C\""), 4 * 4); /* two arenas, the frame's high-water, the heap */
    assert_int_equal(count(text, "\"ph\":\"X\""), 4);
    assert_int_equal(count(text, "\"ph\":\"i\""), 1);
    assert_int_equal(count(text, "\"ph\":\"M\""), 2);
    assert_contains(text, "{\"name\":\"persistent\",\"cat\":\"memory\",\"ph\":\"C\",\"ts\":4000.000,\"pid\":1,"
                          "\"args\":{\"used\":300}}");
    assert_contains(text, "{\"name\":\"frame high-water\",\"cat\":\"memory\",\"ph\":\"C\",\"ts\":4000.000,\"pid\":1,"
                          "\"args\":{\"bytes\":83}}");
    assert_contains(text, "\"ph\":\"X\",\"ts\":3000.000,\"dur\":1000.000,\"pid\":1,\"tid\":1,\"args\":{\"frame\":3}}");
    assert_contains(text, "\"name\":\"reload\",\"cat\":\"marker\",\"ph\":\"i\",\"s\":\"g\",\"ts\":2500.000");
    free(text);
}

/* A table with one arena and two sites (one with a caller), a tag, and frames ended: what the
 * CSV, the trace, the small charts and the diffs read. */
typedef struct table_fixture {
    uint8_t *memory;
    arena *a;
    arena_stats_table *t;
    uint32_t tag;
    arena_site sites[2];
} table_fixture;

static void table_fixture_open(table_fixture *x, uint64_t frames)
{
    x->memory = map_memory(MB(5));
    arena *home = arena_create(x->memory, MB(4), (arena_params){.name = "home"});
    x->a = arena_create(x->memory + MB(4), MB(1), (arena_params){.name = "frame0"});
    x->t = arena_stats_table_create(home, (arena_stats_params){.stamp = 78, .history = 8});
    assert_true(arena_stats_track(x->t, x->a));
    x->tag = arena_stats_tag(x->t, "sparks, \"hot\"");
    x->sites[0] = (arena_site){"/src/fx.c", "fx_emit", 12, {0}};
    x->sites[1] = (arena_site){"/src/fx.c", "fx_trail", 30, {0}};
    for (uint64_t f = 0; f < frames; f++) {
        arena_tag_scope scope = arena_tag_begin(x->a, x->tag);
        arena_push_at(x->a, 100 + f, 1, 0, &x->sites[0], 0);
        arena_tag_end(scope);
        if (f % 2) arena_push_at(x->a, 7, 1, 0, &x->sites[1], 0);
        arena_stats_frame_end(x->t, f);
        arena_clear(x->a);
    }
}

static void table_fixture_close(table_fixture *x) { unmap_memory(x->memory, MB(5)); }

static void csv_has_a_row_per_tag_and_site_that_pushed(void **state)
{
    table_fixture x;
    table_fixture_open(&x, 4);
    FILE *f = tmpfile();
    report_frame fr = frame_at(3);
    fr.table = x.t;
    report_csv_frame(f, &fr);
    char *text = read_stream(f);
    assert_contains(text, "3,tag,\"sparks, \"\"hot\"\"\",,1,103,,\n"); /* quoted, its quotes doubled */
    assert_contains(text, "3,site,\"fx.c:12 fx_emit\",,1,103,,\n");
    assert_contains(text, "3,site,\"fx.c:30 fx_trail\",,1,7,,\n"); /* frame 3 is odd: it pushed */
    free(text);
    f = tmpfile();
    fr = frame_at(2);
    fr.table = x.t;
    x.t->sites[2].window.frame_pushes = 0; /* as after an even frame */
    report_csv_frame(f, &fr);
    text = read_stream(f);
    assert_null(strstr(text, "fx_trail")); /* no row for a site that pushed nothing */
    free(text);
    table_fixture_close(&x);
}

static void trace_has_a_counter_track_per_tag(void **state)
{
    table_fixture x;
    table_fixture_open(&x, 3);
    report_buf b = {0};
    report_trace_begin(&b);
    report_frame fr = frame_at(2);
    fr.table = x.t;
    report_trace_frame(&b, &fr);
    report_trace_end(&b);
    const char *text = b.data;
    if (!json_valid(text)) fail_msg("invalid trace:\n%s", text);
    assert_contains(text, "{\"name\":\"tag sparks, \\\"hot\\\"\",\"cat\":\"memory\",\"ph\":\"C\",\"ts\":3000.000,"
                          "\"pid\":1,\"args\":{\"bytes\":102}}");
    /* untagged pushed in frame 1 only: its track goes on, at 0 */
    assert_contains(text, "\"name\":\"tag (untagged)\",\"cat\":\"memory\",\"ph\":\"C\",\"ts\":3000.000,\"pid\":1,"
                          "\"args\":{\"bytes\":0}}");
    report_buf_free(&b);
    table_fixture_close(&x);
}

/* Cut where any record ends (before the ",\n" that starts the next), the trace reads as JSON once
 * "]" is added: what a reader gets of a trace whose writer was killed between two writes. */
static void trace_cut_after_any_record_reads_with_a_closing_bracket(void **state)
{
    report_buf b = {0};
    report_trace_begin(&b);
    for (uint64_t i = 0; i < 3; i++) {
        report_frame fr = frame_at(i);
        report_trace_frame(&b, &fr);
    }
    report_trace_mark(&b, "crash", 2500.0, "{\"event\":\"crash\"}");
    int cuts = 0;
    for (const char *at = strstr(b.data, ",\n"); at; at = strstr(at + 2, ",\n"), cuts++) {
        report_buf cut = {0};
        report_printf(&cut, "%.*s]", (int)(at - b.data), b.data);
        if (!json_valid(cut.data)) fail_msg("cut after %d records:\n%s", cuts, cut.data);
        report_buf_free(&cut);
    }
    assert_int_equal(cuts, 1 + 3 * 5 + 1); /* metadata, 3 frames of a slice and 4 counters, the marker */
    report_buf_free(&b);
}

/* ---- the timeline ------------------------------------------------------------------------------ */

static void timeline_merges_old_points_and_keeps_the_peaks(void **state)
{
    report_timeline *t = malloc(sizeof(*t));
    report_timeline_init(t);
    report_series *s = report_timeline_series(t, "persistent", 0);
    assert_ptr_equal(report_timeline_series(t, "persistent", 0), s);
    uint64_t frames = 3 * REPORT_POINTS + 5;
    for (uint64_t f = 0; f < frames; f++) report_series_add(s, f, f == 100 ? 999999 : f, 1);
    assert_true(s->count <= REPORT_POINTS);
    assert_int_equal(s->stride, 4);
    assert_int_equal(s->points[0].first, 0);
    assert_int_equal(s->points[s->count - 1].last + s->pending_frames, frames - 1);
    uint64_t most = 0, bytes = s->pending_frames ? s->pending.bytes : 0;
    for (uint32_t i = 0; i < s->count; i++) {
        most = MAX(most, s->points[i].high_water);
        bytes += s->points[i].bytes;
        if (i) assert_int_equal(s->points[i].first, s->points[i - 1].last + 1);
    }
    assert_int_equal(most, 999999); /* one frame's spike survives the merging */
    assert_int_equal(bytes, frames);
    for (int i = 0; i < REPORT_MARKS + 3; i++) report_timeline_mark(t, (uint64_t)i, "reload", "version 2");
    assert_int_equal(t->mark_count, REPORT_MARKS);
    assert_int_equal(t->marks_dropped, 3);
    free(t);
}

/* ---- HTML -------------------------------------------------------------------------------------- */

static report_timeline *timeline_with_frames(uint64_t frames)
{
    report_timeline *t = malloc(sizeof(*t));
    report_timeline_init(t);
    report_series *p = report_timeline_series(t, "persistent", 0);
    report_series *fr = report_timeline_series(t, "frame", KB(64));
    for (uint64_t f = 0; f < frames; f++) {
        report_series_add(p, f, 1000 + 10 * f, 10);
        report_series_add(fr, f, 100 + f % 7 * 100, 100);
    }
    report_timeline_mark(t, frames / 2, "reload", "version 2 <swapped> & \"kept\"");
    report_timeline_mark(t, frames / 3, "crash", "game crashed in update: SIGSEGV");
    return t;
}

static void html_is_well_formed_self_contained_and_has_the_charts(void **state)
{
    report_snapshot s = snapshot();
    report_timeline *t = timeline_with_frames(1500);
    report_buf b = {0};
    report_html(&b, &s, t);
    int elements;
    if (!xml_well_formed(b.data, &elements)) fail_msg("not well-formed:\n%s", b.data);
    assert_true(elements > 100);
    assert_int_equal(count(b.data, "<svg width=\"600\""), 2); /* persistent, and the frame arena's high-water */
    assert_true(count(b.data, "<polyline") == 2);
    assert_int_equal(count(b.data, "<g><title>frame "), 2 * 2); /* both marks on both charts */
    assert_int_equal(count(b.data, "stroke-dasharray=\"4 3\""), 2 + 1); /* the reload on each, and in the legend */
    assert_null(strstr(b.data, "http://"));
    assert_null(strstr(b.data, "https://"));
    assert_null(strstr(b.data, "<script"));
    assert_null(strstr(b.data, "<link"));
    assert_contains(b.data, "version 2 &lt;swapped&gt; &amp; &quot;kept&quot;");
    assert_contains(b.data, "world.c:120</code> world_step<br/><span class=\"stack\">called from game_update "
                            "<code>game.c:40</code></span><br/><span class=\"stack\">&#8627; guard_call</span>");
    /* the host's own sites in their own table, after the game's */
    const char *game = strstr(b.data, "<h2>Top call sites</h2>"), *host = strstr(b.data, "<h2>The host's own call sites");
    const char *layout = strstr(b.data, "layout.c:300</code> layout_copy");
    assert_true(game && host && layout && game < host && host < layout);
    assert_contains(b.data, "game.c:77</code> heap_alloc<br/><span class=\"stack\">called from game_init "
                            "<code>game.c:77</code></span></td><td>2</td><td>96 B</td>");
    assert_contains(b.data, "&quot;odd&quot; &lt;name&gt;.c:7</code>");
    assert_contains(b.data, "<td class=\"l\">particles</td><td>600</td><td>58.6 KiB</td>");
    assert_null(strstr(b.data, "<th class=\"l\"></th>")); /* a header on every column */
    assert_null(strstr(b.data, "<th></th>"));
    assert_contains(b.data, "<td class=\"l\">enemies</td><td class=\"l\">persistent</td><td>48 B</td><td>10</td>");
    assert_contains(b.data, "<td>100 KiB</td><td>12</td><td>256 KiB</td><td>1 GiB</td><td>60.9%</td>");
    assert_contains(b.data, "peak 700 B of 64 KiB (1.1%)");
    report_buf_free(&b);
    free(t);
}

/* Markers on one frame sit side by side, each with its own glyph; a reload with measured changes
 * links to them; the mark's diff has its section. */
static void html_markers_on_one_frame_are_apart_and_reloads_link_to_their_changes(void **state)
{
    report_snapshot s = snapshot();
    report_timeline *t = timeline_with_frames(100);
    report_mark *crash = report_timeline_mark(t, 70, "crash", "game crashed in update of version 2: SIGSEGV "
                                                              "(invalid memory access) at address 0x0 in a very long "
                                                              "message that goes on past a hundred characters: the end");
    report_timeline_mark(t, 70, "rollback", "version 1");
    report_mark *reload = report_timeline_mark(t, 80, "reload", "version 3");
    report_change_set *c = report_timeline_changes(t, reload);
    assert_non_null(crash);
    assert_non_null(c);
    snprintf(c->title, sizeof(c->title), "reload to version 3");
    report_diff_add(&c->diff, "site", "fx.c:12 fx_emit < fx_update", "B/frame", true, 100, true, 400);
    s.mark_name = "level 2";
    s.mark_frame = 60;
    report_diff_add(&s.since_mark, "tag", "enemies", "B/frame", false, 0, true, 96);
    report_buf b = {0};
    report_html(&b, &s, t);
    int elements;
    if (!xml_well_formed(b.data, &elements)) fail_msg("not well-formed:\n%s", b.data);
    /* crash (solid, a triangle) and rollback (dashed, a square) 5 px apart */
    const char *c_line = strstr(b.data, "<title>frame 70, crash: "), *r_line = strstr(b.data, "<title>frame 70, rollback: ");
    assert_true(c_line && r_line);
    double cx = strtod(strstr(c_line, "x1=\"") + 4, NULL), rx = strtod(strstr(r_line, "x1=\"") + 4, NULL);
    assert_true(rx - cx > 4.9 && rx - cx < 5.1);
    assert_contains(b.data, "the end</title><line"); /* the whole message */
    assert_contains(b.data, "stroke=\"#8a4fd8\" stroke-width=\"1.5\" stroke-dasharray=\"6 2 1 2\"/><rect");
    assert_contains(b.data, "stroke=\"#d33a2c\" stroke-width=\"1.5\"/><polygon");
    /* the reload links to its changes */
    assert_int_equal(count(b.data, "<a href=\"#reload-0\">"), 2 + 1); /* two charts, the events table */
    assert_contains(b.data, "<h3 id=\"reload-0\">Frame 80: reload to version 3");
    assert_contains(b.data, "fx.c:12 fx_emit &lt; fx_update</code></td><td>100 B/frame</td><td>400 B/frame</td>"
                            "<td>+300 B/frame</td><td class=\"l grew\">grew</td>");
    assert_contains(b.data, "<h2>Since mark \"level 2\" (frame 60)</h2>");
    assert_contains(b.data, "<code>enemies</code></td><td>&#8211;</td><td>96 B/frame</td><td>+96 B/frame</td>"
                            "<td class=\"l appeared\">appeared</td>");
    report_buf_free(&b);
    report_diff_free(&s.since_mark);
    report_timeline_free(t);
    free(t);
}

/* The small charts: the top sites and tags by bytes per frame over the kept history. */
static void html_has_small_charts_of_the_top_sites_and_tags(void **state)
{
    table_fixture x;
    table_fixture_open(&x, 6);
    report_snapshot s = snapshot();
    s.table = x.t;
    s.frame = 5;
    report_site mine[] = {{.file = "/src/fx.c", .func = "fx_emit", .line = 12, .pushes = 6, .bytes = 615, .id = 1,
                           .arena = "frame0"},
                          {.file = "/src/fx.c", .func = "fx_trail", .line = 30, .pushes = 3, .bytes = 21, .id = 2,
                           .arena = "frame0"}};
    report_tag my_tags[] = {{"sparks", 6, 615, 1, 105, 105, 5, x.tag}};
    s.sites = mine;
    s.site_count = 2;
    s.tags = my_tags;
    s.tag_count = 1;
    report_timeline *t = timeline_with_frames(6);
    report_buf b = {0};
    report_html(&b, &s, t);
    int elements;
    if (!xml_well_formed(b.data, &elements)) fail_msg("not well-formed:\n%s", b.data);
    assert_int_equal(count(b.data, "<svg width=\"300\""), 3); /* two sites, one tag */
    const char *emit = strstr(b.data, "<code>fx.c:12 fx_emit</code> <span>peak 105 B/frame"),
               *trail = strstr(b.data, "<code>fx.c:30 fx_trail</code> <span>peak 7 B/frame");
    assert_true(emit && trail && emit < trail); /* the most per frame first */
    report_buf_free(&b);
    free(t);
    table_fixture_close(&x);
}

static void html_without_frames_says_so(void **state)
{
    report_snapshot s = snapshot();
    s.site_count = 0;
    s.tag_count = 0;
    s.pool_count = 0;
    s.has_heap = false;
    report_timeline *t = malloc(sizeof(*t));
    report_timeline_init(t);
    report_timeline_series(t, "persistent", 0);
    report_buf b = {0};
    report_html(&b, &s, t);
    int elements;
    assert_true(xml_well_formed(b.data, &elements));
    assert_contains(b.data, "no frames recorded");
    report_buf_free(&b);
    free(t);
}

/* ---- the allocation profile --------------------------------------------------------------------- */

/* The function name of location `id`'s first line. */
static const char *pprof_name(const Perftools__Profiles__Profile *p, uint64_t id)
{
    for (size_t i = 0; i < p->n_location; i++) {
        if (p->location[i]->id != id || !p->location[i]->n_line) continue;
        uint64_t fn = p->location[i]->line[0]->function_id;
        for (size_t k = 0; k < p->n_function; k++)
            if (p->function[k]->id == fn) return p->string_table[p->function[k]->name];
    }
    return NULL;
}

static void pprof_decodes_with_protobuf_c_and_names_every_stack(void **state)
{
    report_snapshot s = snapshot();
    report_buf b = {0};
    report_pprof(&b, &s);
    assert_false(b.failed);
    Perftools__Profiles__Profile *p = perftools__profiles__profile__unpack(NULL, b.len, (const uint8_t *)b.data);
    assert_non_null(p);
    assert_string_equal(p->string_table[0], "");
    assert_int_equal(p->n_sample_type, 4);
    const char *types[] = {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"};
    for (int i = 0; i < 4; i++) assert_string_equal(p->string_table[p->sample_type[i]->type], types[i]);
    assert_string_equal(p->string_table[p->default_sample_type], "alloc_space");
    assert_int_equal(p->n_sample, 4); /* every site that pushed or holds live blocks; not "(no site)" */
    const Perftools__Profiles__Sample *world = p->sample[0];
    assert_int_equal(world->n_location_id, 3); /* the push, then its two callers */
    assert_string_equal(pprof_name(p, world->location_id[0]), "world_step");
    assert_string_equal(pprof_name(p, world->location_id[1]), "game_update");
    assert_string_equal(pprof_name(p, world->location_id[2]), "guard_call");
    assert_int_equal(world->value[0], 900);
    assert_int_equal(world->value[1], 90000);
    assert_string_equal(p->string_table[world->label[0]->str], "frame0");
    const Perftools__Profiles__Sample *host = p->sample[2], *heap = p->sample[3];
    assert_string_equal(p->string_table[host->label[1]->str], "host");
    assert_int_equal(heap->value[2], 2);
    assert_int_equal(heap->value[3], 96);
    assert_string_equal(pprof_name(p, heap->location_id[0]), "heap_alloc");
    perftools__profiles__profile__free_unpacked(p, NULL);
    report_buf_free(&b);
}

static void collapsed_stacks_are_root_first_with_bytes(void **state)
{
    assert_true(report_profile_is_collapsed("x.folded"));
    assert_true(report_profile_is_collapsed("a/b.collapsed"));
    assert_true(report_profile_is_collapsed("p.txt"));
    assert_false(report_profile_is_collapsed("p.pb.gz"));
    assert_false(report_profile_is_collapsed("txt"));
    report_snapshot s = snapshot();
    report_buf b = {0};
    report_collapsed(&b, &s);
    assert_contains(b.data, "guard_call;game_update;world_step 90000\n");
    assert_contains(b.data, "draw\\all\n 4000\n"); /* no caller: the push alone */
    assert_contains(b.data, "game_init;heap_alloc 96\n"); /* the heap: what is live */
    assert_null(strstr(b.data, "(no site)"));
    report_buf_free(&b);
}

/* ---- the text summary -------------------------------------------------------------------------- */

static void text_summary_fits_its_width_and_rows_and_ranks_sites(void **state)
{
    report_snapshot s = snapshot();
    report_buf b = {0};
    report_text(&b, &s, 200, 100);
    assert_contains(b.data, "stats at frame 41: 42 frames, version 3, 2 reloads");
    assert_contains(b.data, "persistent");
    assert_contains(b.data, "enemies");
    assert_contains(b.data, "heap: 100 KiB used in 12 blocks, 256 KiB committed of 1 GiB, fragmentation 60.9%");
    assert_contains(b.data, "particles");
    /* by bytes in the last frame: the odd one (400 B) before world.c (300 B); "(no site)" never pushed */
    const char *odd = strstr(b.data, "\"odd\" <name>.c:7"), *world = strstr(b.data, "world.c:120 world_step < game_update");
    assert_non_null(odd);
    assert_non_null(world);
    assert_true(odd < world);
    assert_null(strstr(b.data, "(no site)"));
    assert_null(strstr(b.data, "layout_copy")); /* the host's own sites: one line */
    assert_contains(b.data, "and the host's own: 1 call sites, 64 B pushed into the game's arenas");
    report_buf_free(&b);

    report_text(&b, &s, 40, 5);
    assert_int_equal(count(b.data, "\n"), 5);
    for (char *line = strtok(b.data, "\n"); line; line = strtok(NULL, "\n")) assert_true(strlen(line) <= 40);
    report_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buffer_grows_and_escapes_for_json_and_html),
        cmocka_unit_test(json_snapshot_is_valid_and_has_every_figure),
        cmocka_unit_test(json_history_lists_the_frames_oldest_first),
        cmocka_unit_test(csv_has_a_row_per_arena_per_frame_and_the_heap),
        cmocka_unit_test(trace_is_a_json_array_of_counters_frames_and_markers),
        cmocka_unit_test(csv_has_a_row_per_tag_and_site_that_pushed),
        cmocka_unit_test(trace_has_a_counter_track_per_tag),
        cmocka_unit_test(trace_cut_after_any_record_reads_with_a_closing_bracket),
        cmocka_unit_test(timeline_merges_old_points_and_keeps_the_peaks),
        cmocka_unit_test(html_is_well_formed_self_contained_and_has_the_charts),
        cmocka_unit_test(html_markers_on_one_frame_are_apart_and_reloads_link_to_their_changes),
        cmocka_unit_test(pprof_decodes_with_protobuf_c_and_names_every_stack),
        cmocka_unit_test(collapsed_stacks_are_root_first_with_bytes),
        cmocka_unit_test(html_has_small_charts_of_the_top_sites_and_tags),
        cmocka_unit_test(html_without_frames_says_so),
        cmocka_unit_test(text_summary_fits_its_width_and_rows_and_ranks_sites),
    };
    return cmocka_run_group_tests_name("stats_report", tests, NULL, NULL);
}
