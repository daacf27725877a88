/* test_report.c - proves the stats writers (host/stats/report*.c) on made-up numbers: the JSON
 * snapshot is valid JSON with every figure in it and names escaped; the CSV has one row per arena
 * per frame; the trace is a valid JSON array of counter, frame and marker events; the HTML report
 * is well-formed XML with inline SVG and nothing loaded from the network; the text summary keeps to
 * its width and rows; the timeline merges old points and keeps the peaks. A strict JSON checker and
 * an XML well-formedness checker below do the parsing. */
#include "../test_util.h"

#include "host/stats/report.h"

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
    static const char *const names[] = {"lt;", "gt;", "amp;", "quot;", "#39;", "#160;", "apos;"};
    for (size_t i = 0; i < ARRAY_COUNT(names); i++)
        if (strncmp(*p + 1, names[i], strlen(names[i])) == 0) return *p += 1 + strlen(names[i]), true;
    return false;
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
    {"/src/game/world.c", "world_step", 120, 900, 90000, 3, 300, 1200, 17, "frame0"},
    {"/src/game/\"odd\" <name>.c", "draw\\all\n", 7, 10, 4000, 1, 400, 400, 3, "persistent"},
    {"(no site)", "", 0, 0, 0, 0, 0, 0, 0, "persistent"},
};
static report_tag tags[] = {
    {"particles", 600, 60000, 2, 200, 900, 11},
    {"(untagged)", 310, 34000, 2, 500, 700, 4},
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
    assert_contains(b.data, "{\"file\":\"/src/game/world.c\",\"line\":120,\"function\":\"world_step\",\"arena\":"
                            "\"frame0\",\"pushes\":900,\"bytes\":90000,\"frame_pushes\":3,\"frame_bytes\":300,"
                            "\"peak_bytes\":1200,\"peak_frame\":17}");
    assert_contains(b.data, "\"file\":\"/src/game/\\\"odd\\\" \\u003cname\\u003e.c\"");
    assert_contains(b.data, "\"function\":\"draw\\\\all\\u000a\"");
    assert_contains(b.data, "{\"name\":\"particles\",\"pushes\":600,\"bytes\":60000,\"frame_pushes\":2,\"frame_bytes\":200,"
                            "\"peak_bytes\":900,\"peak_frame\":11}");
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
    assert_true(strncmp(text, "frame,arena,used,pushes,bytes,high_water,committed\n", 51) == 0);
    assert_contains(text, "\n2,persistent,200,2,100,200,65536\n2,frame0,50,2,50,82,65536\n2,heap,4096,,,4096,65536\n");
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
    assert_int_equal(count(b.data, "stroke-dasharray=\"4 3\""), 2 * 2); /* both marks on both charts */
    assert_null(strstr(b.data, "http://"));
    assert_null(strstr(b.data, "https://"));
    assert_null(strstr(b.data, "<script"));
    assert_null(strstr(b.data, "<link"));
    assert_contains(b.data, "version 2 &lt;swapped&gt; &amp; &quot;kept&quot;");
    assert_contains(b.data, "world.c:120</code> world_step");
    assert_contains(b.data, "&quot;odd&quot; &lt;name&gt;.c:7</code>");
    assert_contains(b.data, "<td class=\"l\">particles</td><td>600</td><td>58.6 KiB</td>");
    assert_contains(b.data, "<td class=\"l\">enemies</td><td class=\"l\">persistent</td><td>48 B</td><td>10</td>");
    assert_contains(b.data, "<td>100 KiB</td><td>12</td><td>256 KiB</td><td>1 GiB</td><td>60.9%</td>");
    assert_contains(b.data, "peak 700 B of 64 KiB (1.1%)");
    report_buf_free(&b);
    free(t);
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
    const char *odd = strstr(b.data, "\"odd\" <name>.c:7"), *world = strstr(b.data, "world.c:120 world_step");
    assert_non_null(odd);
    assert_non_null(world);
    assert_true(odd < world);
    assert_null(strstr(b.data, "(no site)"));
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
        cmocka_unit_test(trace_cut_after_any_record_reads_with_a_closing_bracket),
        cmocka_unit_test(timeline_merges_old_points_and_keeps_the_peaks),
        cmocka_unit_test(html_is_well_formed_self_contained_and_has_the_charts),
        cmocka_unit_test(html_without_frames_says_so),
        cmocka_unit_test(text_summary_fits_its_width_and_rows_and_ranks_sites),
    };
    return cmocka_run_group_tests_name("stats_report", tests, NULL, NULL);
}
