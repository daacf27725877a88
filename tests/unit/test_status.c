/* test_status.c - the status line as the timeline's events move it (host/status.c): the live loop
 * shows on the line, before the news, from its beginning to its end; a rewind is seen even while
 * the game is paused; a rewind offered after a crash holds the line; a loop's divergence is an
 * alert counted with the warnings. Events go through a real event log (no file). */
#include "test_util.h"

#include "host/status.h"

static double now;

static double clock_ms(void) { return now; }

typedef struct fixture {
    event_log log;
    uint64_t frame;
    status_line status;
} fixture;

static void open_status(fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->log.now_ms = clock_ms;
    f->log.frame = &f->frame;
    f->log.quiet = true;
    status_observe(&f->status, &f->log, false);
}

/* One event with string fields: name, then key, value pairs, NULL-terminated. */
static void say(fixture *f, const char *name, ...)
{
    event e = event_begin(&f->log, name);
    va_list ap;
    va_start(ap, name);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;) event_str(&e, k, va_arg(ap, const char *));
    va_end(ap);
    event_end(&f->log, &e);
}

static const char *line_now(const fixture *f, char *line, size_t cap)
{
    overlay_view view;
    memset(&view, 0, sizeof(view));
    status_view(&f->status, 3, false, &view, line, cap);
    return view.status ? view.status : "";
}

static void the_loop_stays_on_the_line_until_it_ends(void **state)
{
    (void)state;
    fixture f;
    open_status(&f);
    char line[STATUS_MAX + 64];
    say(&f, "loop", "phase", "begin", NULL);
    assert_string_equal(line_now(&f, line, sizeof(line)),
                        " v3 | LOOP recording | watching for rebuilds | F1 stats  F5 reload  F6 restart  F12 screenshot  Esc quit ");
    say(&f, "loop", "phase", "play", "pass", "1", "seconds", "3.2166", NULL);
    assert_non_null(strstr(line_now(&f, line, sizeof(line)), " v3 | LOOP 3.2 s, pass 1 | "));
    say(&f, "loop", "phase", "pass", "pass", "6", "seconds", "3.2166", NULL); /* pass 6 ended, 7 runs */
    say(&f, "log", "msg", "hello", NULL);
    now = 60000; /* long after the news: the loop still shows */
    assert_string_equal(line_now(&f, line, sizeof(line)), " v3 | LOOP 3.2 s, pass 7 | game: hello ");
    say(&f, "restore", "reason", "loop", "to_frame", "40", NULL); /* every pass: no news */
    assert_string_equal(line_now(&f, line, sizeof(line)), " v3 | LOOP 3.2 s, pass 7 | game: hello ");
    say(&f, "loop", "phase", "end", NULL);
    assert_string_equal(line_now(&f, line, sizeof(line)), "");
}

static void a_rewind_shows_while_paused(void **state)
{
    (void)state;
    fixture f;
    open_status(&f);
    char line[STATUS_MAX + 64];
    now = 1000;
    say(&f, "crash", "action", "pause", "msg", "boom", "hook", "update", "version", "2", NULL);
    assert_non_null(strstr(line_now(&f, line, sizeof(line)), "boom"));
    now = 9000; /* the crash's alert no longer holds the line: the pause does */
    assert_non_null(strstr(line_now(&f, line, sizeof(line)), "paused after a crash"));
    say(&f, "rewind_offer", "msg", "crash: press F7 to rewind to frame 120, the last checkpoint before it", NULL);
    assert_non_null(strstr(line_now(&f, line, sizeof(line)), "press F7 to rewind to frame 120"));
    now = 20000;
    say(&f, "restore", "reason", "rewind", "to_frame", "120", NULL);
    assert_string_equal(line_now(&f, line, sizeof(line)), " v3 | rewound to frame 120 ");
    assert_int_equal(f.status.tally.warnings, 0);
}

static void a_divergence_is_counted_with_the_warnings(void **state)
{
    (void)state;
    fixture f;
    open_status(&f);
    char line[STATUS_MAX + 64];
    now = 0;
    say(&f, "loop", "phase", "divergence", "pass", "4", "version", "2", NULL);
    assert_non_null(strstr(line_now(&f, line, sizeof(line)), "loop: pass 4 on version 2 ended in another state"));
    assert_int_equal(f.status.tally.warnings, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_loop_stays_on_the_line_until_it_ends),
        cmocka_unit_test(a_rewind_shows_while_paused),
        cmocka_unit_test(a_divergence_is_counted_with_the_warnings),
    };
    return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
