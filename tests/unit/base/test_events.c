/* test_events.c - proves the JSON Lines event log: every line starts with event, frame and t_ms;
 * each value kind is written exactly; strings are escaped as JSON requires; an event too big for
 * its buffer still comes out as one valid JSON object marked "truncated":true; each line is flushed
 * as it is written; and a log with no file drops events without crashing. A small JSON parser below
 * checks validity (not just balance), so a dangling key or a cut escape fails the test. */
#include "../test_util.h"

#include "host/base/events.h"

/* ---- a strict little JSON validator -------------------------------------------------------------- */

typedef struct json_in {
    const char *p;
} json_in;

static bool json_value(json_in *in, int depth);

static void json_ws(json_in *in)
{
    while (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r') in->p++;
}

static bool json_string(json_in *in)
{
    if (*in->p != '"') return false;
    in->p++;
    for (;;) {
        unsigned char c = (unsigned char)*in->p;
        if (c == 0 || c < 0x20) return false;
        in->p++;
        if (c == '"') return true;
        if (c != '\\') continue;
        c = (unsigned char)*in->p++;
        if (c == 'u') {
            for (int i = 0; i < 4; i++, in->p++)
                if (!((*in->p >= '0' && *in->p <= '9') || (*in->p >= 'a' && *in->p <= 'f') ||
                      (*in->p >= 'A' && *in->p <= 'F')))
                    return false;
        } else if (!strchr("\"\\/bfnrt", c) || c == 0) {
            return false;
        }
    }
}

static bool json_digits(json_in *in)
{
    if (*in->p < '0' || *in->p > '9') return false;
    while (*in->p >= '0' && *in->p <= '9') in->p++;
    return true;
}

static bool json_number(json_in *in)
{
    if (*in->p == '-') in->p++;
    if (*in->p == '0') in->p++;
    else if (!json_digits(in)) return false;
    if (*in->p == '.') {
        in->p++;
        if (!json_digits(in)) return false;
    }
    if (*in->p == 'e' || *in->p == 'E') {
        in->p++;
        if (*in->p == '+' || *in->p == '-') in->p++;
        if (!json_digits(in)) return false;
    }
    return true;
}

static bool json_word(json_in *in, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(in->p, w, n) != 0) return false;
    in->p += n;
    return true;
}

static bool json_container(json_in *in, int depth, char close, bool keyed)
{
    in->p++;
    json_ws(in);
    if (*in->p == close) {
        in->p++;
        return true;
    }
    for (;;) {
        json_ws(in);
        if (keyed) {
            if (!json_string(in)) return false;
            json_ws(in);
            if (*in->p++ != ':') return false;
        }
        if (!json_value(in, depth + 1)) return false;
        json_ws(in);
        if (*in->p == ',') {
            in->p++;
            continue;
        }
        if (*in->p != close) return false;
        in->p++;
        return true;
    }
}

static bool json_value(json_in *in, int depth)
{
    if (depth > 64) return false;
    json_ws(in);
    switch (*in->p) {
    case '{': return json_container(in, depth, '}', true);
    case '[': return json_container(in, depth, ']', false);
    case '"': return json_string(in);
    case 't': return json_word(in, "true");
    case 'f': return json_word(in, "false");
    case 'n': return json_word(in, "null");
    default: return json_number(in);
    }
}

/* One JSON object followed by exactly "\n" and nothing else. */
static bool json_is_one_object_line(const char *line)
{
    if (line[0] != '{') return false;
    json_in in = {line};
    if (!json_value(&in, 0)) return false;
    return strcmp(in.p, "\n") == 0;
}

static void assert_json_line(const char *line)
{
    if (!json_is_one_object_line(line)) {
        size_t n = strlen(line);
        print_error("not one JSON object line (%zu bytes): <%.60s ... %s>\n", n, line, n > 80 ? line + n - 80 : line);
    }
    assert_true(json_is_one_object_line(line));
}

static void validator_rejects_what_it_must(void **state)
{
    assert_true(json_is_one_object_line("{\"a\":1,\"b\":[true,null,\"x\\u00e9\"],\"c\":{\"d\":-1.5e3}}\n"));
    assert_false(json_is_one_object_line("{\"a\":,\"b\":1}\n"));
    assert_false(json_is_one_object_line("{\"a\":\"x}\n"));
    assert_false(json_is_one_object_line("{\"a\":\"\\q\"}\n"));
    assert_false(json_is_one_object_line("{\"a\":1}"));
    assert_false(json_is_one_object_line("{\"a\":1}\n\n"));
    assert_false(json_is_one_object_line("{\"a\":\"tab\there\"}\n"));
}

/* ---- fixture: a log writing to a tmpfile with a fake clock and frame counter ---------------------- */

static double fake_now = 12.5;
static double fake_now_ms(void) { return fake_now; }

typedef struct fixture {
    uint64_t frame;
    event_log log;
    char text[4 * EVENT_MAX];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->frame = 7;
    fake_now = 12.5;
    f->log.file = tmpfile();
    f->log.now_ms = fake_now_ms;
    f->log.frame = &f->frame;
    *state = f;
    return f->log.file ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->log.file) fclose(f->log.file);
    free(f);
    return 0;
}

/* Everything written to the log so far. */
static const char *logged(fixture *f)
{
    long end = ftell(f->log.file);
    assert_true(end >= 0 && (size_t)end < sizeof(f->text));
    rewind(f->log.file);
    size_t n = fread(f->text, 1, (size_t)end, f->log.file);
    assert_int_equal(n, (size_t)end);
    f->text[n] = 0;
    assert_int_equal(fseek(f->log.file, 0, SEEK_END), 0);
    return f->text;
}

#define F ((fixture *)*state)

/* ---- tests -------------------------------------------------------------------------------------- */

static void minimal_event_is_one_line_with_event_frame_and_t_ms_first(void **state)
{
    event e = event_begin(&F->log, "start");
    event_end(&F->log, &e);
    assert_string_equal(logged(F), "{\"event\":\"start\",\"frame\":7,\"t_ms\":12.500}\n");
    assert_int_equal(e.len, strlen(F->text));
}

static void every_value_kind_is_written_exactly(void **state)
{
    F->frame = 412;
    fake_now = 6871.2044;
    event e = event_begin(&F->log, "reload");
    event_str(&e, "path", "build/libgame.so");
    event_int(&e, "delta", -42);
    event_int(&e, "min", INT64_MIN);
    event_uint(&e, "max", UINT64_MAX);
    event_num(&e, "swap_ms", 1.92);
    event_hex(&e, "base", 0x200000000000ull);
    event_bool(&e, "ok", true);
    event_bool(&e, "migrated", false);
    event_raw(&e, "regions", "[{\"name\":\"heap\",\"size\":1}]");
    event_end(&F->log, &e);
    const char *want = "{\"event\":\"reload\",\"frame\":412,\"t_ms\":6871.204,\"path\":\"build/libgame.so\","
                       "\"delta\":-42,\"min\":-9223372036854775808,\"max\":18446744073709551615,"
                       "\"swap_ms\":1.920,\"base\":\"0x200000000000\",\"ok\":true,\"migrated\":false,"
                       "\"regions\":[{\"name\":\"heap\",\"size\":1}]}\n";
    assert_string_equal(logged(F), want);
    assert_json_line(F->text);
}

static void no_clock_and_no_frame_counter_give_zeros(void **state)
{
    event_log log = {.file = F->log.file};
    event e = event_begin(&log, "boot");
    event_end(&log, &e);
    assert_string_equal(logged(F), "{\"event\":\"boot\",\"frame\":0,\"t_ms\":0.000}\n");
}

static void null_string_value_is_written_as_empty(void **state)
{
    event e = event_begin(&F->log, "x");
    event_str(&e, "why", NULL);
    event_end(&F->log, &e);
    assert_string_equal(logged(F), "{\"event\":\"x\",\"frame\":7,\"t_ms\":12.500,\"why\":\"\"}\n");
}

static void quotes_and_backslashes_are_escaped(void **state)
{
    event e = event_begin(&F->log, "error");
    event_str(&e, "msg", "cannot open \"C:\\game.dll\"");
    event_end(&F->log, &e);
    assert_string_equal(logged(F),
                        "{\"event\":\"error\",\"frame\":7,\"t_ms\":12.500,\"msg\":\"cannot open \\\"C:\\\\game.dll\\\"\"}\n");
    assert_json_line(F->text);
}

static void newlines_tabs_and_control_characters_are_escaped(void **state)
{
    event e = event_begin(&F->log, "log");
    event_str(&e, "text", "a\nb\tc\rd\001e\037f\x7f");
    event_end(&F->log, &e);
    assert_string_equal(logged(F), "{\"event\":\"log\",\"frame\":7,\"t_ms\":12.500,"
                                   "\"text\":\"a\\nb\\tc\\u000dd\\u0001e\\u001ff\x7f\"}\n");
    assert_json_line(F->text);
}

static void utf8_passes_through_unchanged(void **state)
{
    event e = event_begin(&F->log, "log");
    event_str(&e, "text", "caf\xc3\xa9 \xe2\x9c\x93");
    event_end(&F->log, &e);
    assert_contains(logged(F), "\"text\":\"caf\xc3\xa9 \xe2\x9c\x93\"}");
}

static void escape_respects_capacity_and_never_splits_an_escape(void **state)
{
    char out[16];
    size_t n = event_escape(out, sizeof(out), "abc");
    assert_int_equal(n, 3);
    assert_string_equal(out, "abc");
    n = event_escape(out, sizeof(out), "\001\001\001\001");
    assert_true(n < sizeof(out));
    assert_int_equal(n % 6, 0); /* whole \u00XX escapes only */
    assert_int_equal(strlen(out), n);
    n = event_escape(out, 8, "\"\"\"\"\"\"");
    assert_true(n < 8);
    assert_int_equal(n % 2, 0);
    assert_int_equal(strlen(out), n);
}

static void a_too_long_string_gives_a_valid_object_marked_truncated(void **state)
{
    static char big[EVENT_MAX + 100];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    event e = event_begin(&F->log, "huge");
    event_str(&e, "big", big);
    event_int(&e, "after", 1);
    event_end(&F->log, &e);
    const char *line = logged(F);
    size_t n = strlen(line);
    assert_true(n < EVENT_MAX);
    assert_true(n >= 2);
    assert_string_equal(line + n - 2, "}\n");
    assert_contains(line, "{\"event\":\"huge\",\"frame\":7,\"t_ms\":12.500");
    assert_contains(line, "\"truncated\":true}");
    assert_json_line(line);
}

static void many_fields_overflowing_the_buffer_still_give_a_valid_marked_object(void **state)
{
    event e = event_begin(&F->log, "many");
    for (int i = 0; i < 2000; i++) event_int(&e, "k", 123);
    event_end(&F->log, &e);
    const char *line = logged(F);
    size_t n = strlen(line);
    assert_true(n < EVENT_MAX);
    assert_string_equal(line + n - 2, "}\n");
    assert_json_line(line);
    assert_string_equal(line + n - 19, ",\"truncated\":true}\n");
}

static void truncation_never_leaves_a_dangling_key_at_any_length(void **state)
{
    /* fill to every length near the limit so each possible cut point is exercised */
    static char pad[EVENT_MAX];
    for (size_t len = EVENT_MAX - 200; len < EVENT_MAX - 40; len++) {
        memset(pad, 'p', len);
        pad[len] = 0;
        event e = event_begin(&F->log, "edge");
        event_str(&e, "pad", pad);
        event_str(&e, "tail", "some value");
        event_uint(&e, "n", 1234567);
        event_end(&F->log, &e);
        if (!json_is_one_object_line(e.text)) print_error("pad of %zu bytes:\n", len);
        assert_json_line(e.text);
        if (!strstr(e.text, ",\"n\":1234567")) assert_contains(e.text, "\"truncated\":true}"); /* dropped: say so */
    }
}

static void each_line_is_flushed_as_it_is_written(void **state)
{
    char dir[256], path[300];
    temp_dir_create(dir, sizeof(dir), "events");
    snprintf(path, sizeof(path), "%s/events.jsonl", dir);
    FILE *f = fopen(path, "wb"); /* binary: Windows would write \r\n */
    assert_non_null(f);
    uint64_t frame = 1;
    event_log log = {.file = f, .now_ms = fake_now_ms, .frame = &frame};
    event e = event_begin(&log, "first");
    event_end(&log, &e);
    frame = 2;
    e = event_begin(&log, "second");
    event_end(&log, &e);
    char text[256];
    long n = read_text(path, text, sizeof(text)); /* read through another descriptor, before fclose */
    fclose(f);
    temp_dir_remove(dir);
    assert_int_equal(n, (long)strlen(text));
    assert_string_equal(text, "{\"event\":\"first\",\"frame\":1,\"t_ms\":12.500}\n"
                              "{\"event\":\"second\",\"frame\":2,\"t_ms\":12.500}\n");
}

static void a_log_without_a_file_drops_events(void **state)
{
    event_log log = {.now_ms = fake_now_ms};
    event e = event_begin(&log, "dropped");
    event_str(&e, "k", "v");
    event_end(&log, &e);
    assert_string_equal(e.text, "{\"event\":\"dropped\",\"frame\":0,\"t_ms\":12.500,\"k\":\"v\"}\n");
    assert_string_equal(logged(F), ""); /* nothing reached the fixture's file either */
}

typedef struct observed {
    int count;
    char last[256];
} observed;

static void observe(void *ctx, const char *line, size_t len)
{
    observed *o = ctx;
    o->count++;
    snprintf(o->last, sizeof(o->last), "%.*s", (int)len, line);
}

static void the_observer_sees_every_line_with_or_without_a_file(void **state)
{
    observed o = {0};
    event_log log = {.file = F->log.file, .now_ms = fake_now_ms};
    assert_true(event_observe(&log, observe, &o));
    event e = event_begin(&log, "reload");
    event_uint(&e, "version", 2);
    event_end(&log, &e);
    assert_int_equal(o.count, 1);
    assert_string_equal(o.last, "{\"event\":\"reload\",\"frame\":0,\"t_ms\":12.500,\"version\":2}\n");
    assert_string_equal(logged(F), o.last);
    log.file = NULL;
    e = event_begin(&log, "crash");
    event_end(&log, &e);
    assert_int_equal(o.count, 2);
    assert_non_null(strstr(o.last, "\"event\":\"crash\""));
}

static void every_observer_sees_each_line_until_it_leaves(void **state)
{
    observed o[EVENT_OBSERVERS_MAX + 1];
    memset(o, 0, sizeof(o));
    event_log log = {.now_ms = fake_now_ms};
    for (int i = 0; i < EVENT_OBSERVERS_MAX; i++) assert_true(event_observe(&log, observe, &o[i]));
    assert_false(event_observe(&log, observe, &o[EVENT_OBSERVERS_MAX])); /* no room: said, not dropped silently */
    event_unobserve(&log, observe, &o[1]);
    event e = event_begin(&log, "log");
    event_end(&log, &e);
    assert_int_equal(o[0].count, 1);
    assert_int_equal(o[1].count, 0);
    assert_int_equal(o[EVENT_OBSERVERS_MAX - 1].count, 1);
    assert_int_equal(o[EVENT_OBSERVERS_MAX].count, 0);
    assert_true(event_observe(&log, observe, &o[EVENT_OBSERVERS_MAX])); /* the freed place is taken again */
}

static void a_field_is_read_back_from_a_line_unescaped(void **state)
{
    event_log log = {.now_ms = fake_now_ms};
    event e = event_begin(&log, "crash");
    event_str(&e, "msg", "a \"quoted\"\tline\nwith \\ and \x01");
    event_uint(&e, "version", 42);
    event_bool(&e, "paused", true);
    event_num(&e, "swap_ms", 1.5);
    event_end(&log, &e);
    char out[64];
    assert_true(event_field(e.text, "event", out, sizeof(out)));
    assert_string_equal(out, "crash");
    assert_true(event_field(e.text, "msg", out, sizeof(out)));
    assert_string_equal(out, "a \"quoted\" line with \\ and ?");
    assert_true(event_field(e.text, "version", out, sizeof(out)));
    assert_string_equal(out, "42");
    assert_true(event_field(e.text, "paused", out, sizeof(out)));
    assert_string_equal(out, "true");
    assert_true(event_field(e.text, "swap_ms", out, sizeof(out)));
    assert_string_equal(out, "1.500");
    assert_false(event_field(e.text, "missing", out, sizeof(out)));
    assert_true(event_field(e.text, "msg", out, 6)); /* cut to the room given, still a string */
    assert_string_equal(out, "a \"qu");
}

static void a_warning_is_an_event_with_its_message(void **state)
{
    observed o = {0};
    event_log log = {.now_ms = fake_now_ms};
    assert_true(event_observe(&log, observe, &o));
    event_warn(&log, "arena %s is %d%% full", "frame0", 95);
    assert_int_equal(o.count, 1);
    assert_string_equal(o.last, "{\"event\":\"warning\",\"frame\":0,\"t_ms\":12.500,\"msg\":\"arena frame0 is 95% full\"}\n");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validator_rejects_what_it_must),
        T(minimal_event_is_one_line_with_event_frame_and_t_ms_first),
        T(every_value_kind_is_written_exactly),
        T(no_clock_and_no_frame_counter_give_zeros),
        T(null_string_value_is_written_as_empty),
        T(quotes_and_backslashes_are_escaped),
        T(newlines_tabs_and_control_characters_are_escaped),
        T(utf8_passes_through_unchanged),
        T(escape_respects_capacity_and_never_splits_an_escape),
        T(a_too_long_string_gives_a_valid_object_marked_truncated),
        T(many_fields_overflowing_the_buffer_still_give_a_valid_marked_object),
        T(truncation_never_leaves_a_dangling_key_at_any_length),
        T(each_line_is_flushed_as_it_is_written),
        T(a_log_without_a_file_drops_events),
        T(the_observer_sees_every_line_with_or_without_a_file),
        T(every_observer_sees_each_line_until_it_leaves),
        T(a_field_is_read_back_from_a_line_unescaped),
        T(a_warning_is_an_event_with_its_message),
    };
    return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
