/* status.c - the host's status line (status.h). */
#include "status.h"
#include "os/terminal.h"
#include "../arena/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The news an event makes, or nothing (false) for events the status line does not show. */
static bool status_news(const char *name, const char *line, char *out, size_t cap)
{
    char a[200] = "", b[200] = "";
    if (strcmp(name, "reload") == 0 && event_field(line, "version", a, sizeof(a)) &&
        event_field(line, "swap_ms", b, sizeof(b)))
        return snprintf(out, cap, "reloaded version %s in %s ms", a, b), true;
    if (strcmp(name, "reload_failed") == 0 && event_field(line, "reason", a, sizeof(a)))
        return snprintf(out, cap, "reload failed: %s", a), true;
    if (strcmp(name, "restart") == 0) return snprintf(out, cap, "restarted: state re-initialised"), true;
    if (strcmp(name, "crash") == 0 && event_field(line, "action", a, sizeof(a)) && strcmp(a, "pause") == 0)
        return snprintf(out, cap, "paused after a crash: fix the game and rebuild"), true;
    if (strcmp(name, "crash") == 0 && event_field(line, "msg", a, sizeof(a))) return snprintf(out, cap, "%s", a), true;
    if (strcmp(name, "rollback") == 0 && event_field(line, "paused", a, sizeof(a)) && strcmp(a, "false") == 0 &&
        event_field(line, "from", a, sizeof(a)) && event_field(line, "version", b, sizeof(b)))
        return snprintf(out, cap, "crashed in version %s; rolled back to version %s", a, b), true;
    if (strcmp(name, "layout") == 0 && event_field(line, "action", a, sizeof(a)) && strcmp(a, "migrate") == 0 &&
        event_field(line, "version", a, sizeof(a)) && event_field(line, "summary", b, sizeof(b)))
        return snprintf(out, cap, "version %s: state migrated (%s)", a, b), true;
    if (strcmp(name, "build") == 0 && event_field(line, "state", a, sizeof(a))) {
        if (strcmp(a, "started") == 0) return snprintf(out, cap, "building..."), true;
        if (strcmp(a, "failed") == 0 && event_field(line, "error", b, sizeof(b)))
            return snprintf(out, cap, "build failed: %s", b), true;
        return snprintf(out, cap, "built; loading the new code"), true;
    }
    if (strcmp(name, "loop") == 0 && event_field(line, "seconds", a, sizeof(a)) && event_field(line, "pass", b, sizeof(b)))
        return snprintf(out, cap, "LOOP %.1f s, pass %s", atof(a), b), true;
    if (strcmp(name, "restore") == 0 && event_field(line, "to_frame", a, sizeof(a)))
        return snprintf(out, cap, "rewound to frame %s", a), true;
    if (strcmp(name, "rewind_offer") == 0 && event_field(line, "msg", a, sizeof(a))) return snprintf(out, cap, "%s", a), true;
    if (strcmp(name, "log") == 0 && event_field(line, "msg", a, sizeof(a)))
        return snprintf(out, cap, "game: %s", a), true;
    return false;
}

static void status_on_event(void *ctx, const char *line, size_t len)
{
    status_line *s = ctx;
    char name[32], news[STATUS_MAX];
    (void)len;
    if (!event_field(line, "event", name, sizeof(name)) || !status_news(name, line, news, sizeof(news))) return;
    bool banner = strstr(news, "paused after a crash") == news;
    bool code_runs = strcmp(name, "reload") == 0 || strcmp(name, "rollback") == 0 || strcmp(name, "restart") == 0;
    if (s->paused && !code_runs && !banner) return; /* the banner says what to do until code runs again */
    s->paused = banner || (s->paused && !code_runs);
    snprintf(s->text, sizeof(s->text), "%s", news);
}

void status_observe(status_line *s, event_log *log) { event_observe(log, status_on_event, s); }

/* The bottom row, cut to the width (a wrapped line would scroll the game's screen). */
void status_draw(const status_line *s, uint64_t version, int width, int height)
{
    char text[300], line[400];
    int len = snprintf(text, sizeof(text), " v%llu | %s ", (unsigned long long)version,
                       s->text[0] ? s->text : "watching for rebuilds");
    int shown = MIN(MAX(width - 1, 0), MIN(len, (int)sizeof(text) - 1));
    int n = snprintf(line, sizeof(line), "\x1b[%d;1H\x1b[0;7m%.*s\x1b[0m\x1b[K", height, shown, text);
    terminal_write(line, (size_t)MIN(n, (int)sizeof(line) - 1));
}
