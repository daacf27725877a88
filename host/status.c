/* status.c - the host's status line and the session summary (status.h). */
#include "status.h"
#include "os/terminal.h"
#include "../arena/base.h"

#include <stdio.h>
#include <string.h>

/* One event as the status line sees it. */
typedef struct status_news {
    char text[STATUS_MAX];
    bool alert;
    uint64_t *count; /* the tally it adds to, if any */
} status_news;

static bool status_is(const char *name, const char *want) { return strcmp(name, want) == 0; }

/* A field, or "" (the buffers are always terminated). */
static const char *status_field(const char *line, const char *key, char *out, size_t cap)
{
    if (!event_field(line, key, out, cap)) out[0] = 0;
    return out;
}

static bool status_alert(status_line *s, const char *name, const char *line, status_news *n)
{
    char a[200], b[200];
    n->alert = true;
    if (status_is(name, "crash")) {
        n->count = &s->tally.crashes;
        return snprintf(n->text, sizeof(n->text), "%s", status_field(line, "msg", a, sizeof(a))), true;
    }
    if (status_is(name, "rollback") && status_is(status_field(line, "paused", a, sizeof(a)), "false")) {
        n->count = &s->tally.rollbacks;
        return snprintf(n->text, sizeof(n->text), "crashed in version %s; rolled back to version %s",
                        status_field(line, "from", a, sizeof(a)), status_field(line, "version", b, sizeof(b))), true;
    }
    if (status_is(name, "reload_failed")) {
        n->count = &s->tally.refused;
        return snprintf(n->text, sizeof(n->text), "reload failed: %s", status_field(line, "reason", a, sizeof(a))), true;
    }
    if (status_is(name, "warning")) {
        n->count = &s->tally.warnings;
        return snprintf(n->text, sizeof(n->text), "warning: %s", status_field(line, "msg", a, sizeof(a))), true;
    }
    if (status_is(name, "build") && status_is(status_field(line, "state", a, sizeof(a)), "failed"))
        return snprintf(n->text, sizeof(n->text), "build failed: %s", status_field(line, "error", b, sizeof(b))), true;
    n->alert = false;
    return false;
}

static bool status_ordinary(const char *name, const char *line, status_news *n)
{
    char a[200] = "", b[200] = "";
    if (status_is(name, "reload") && event_field(line, "version", a, sizeof(a)) &&
        event_field(line, "total_ms", b, sizeof(b)))
        return snprintf(n->text, sizeof(n->text), "reloaded version %s in %s ms", a, b), true;
    if (status_is(name, "restart")) return snprintf(n->text, sizeof(n->text), "restarted: state re-initialised"), true;
    if (status_is(name, "layout") && status_is(status_field(line, "action", a, sizeof(a)), "migrate") &&
        event_field(line, "version", a, sizeof(a)) && event_field(line, "summary", b, sizeof(b)))
        return snprintf(n->text, sizeof(n->text), "version %s: state migrated (%s)", a, b), true;
    if (status_is(name, "build") && event_field(line, "state", a, sizeof(a)))
        return snprintf(n->text, sizeof(n->text), "%s",
                        status_is(a, "started") ? "building..." : "built; loading the new code"), true;
    if (status_is(name, "log") && event_field(line, "msg", a, sizeof(a)))
        return snprintf(n->text, sizeof(n->text), "game: %s", a), true;
    return false;
}

/* "paused after a crash in update of version 1: SIGSEGV in crash_write+0x14 (crash.c:13); ..." */
static void status_pause(status_line *s, const char *line)
{
    char where[200], hook[40], version[24], sig[40], thread[80];
    status_field(line, "hook", hook, sizeof(hook));
    status_field(line, "version", version, sizeof(version));
    status_field(line, "signal", sig, sizeof(sig));
    status_field(line, "location", where, sizeof(where));
    if (status_field(line, "thread", thread, sizeof(thread))[0]) snprintf(hook, sizeof(hook), "thread %.30s", thread);
    snprintf(s->pause, sizeof(s->pause), "paused after a crash in %s of version %s: %s in %s; %sq quits", hook, version,
             sig, where, s->release ? "" : "fix the game and rebuild, ");
}

static void status_remember(status_line *s, const char *text)
{
    if (s->recent_count < STATUS_RECENT_MAX) snprintf(s->recent[s->recent_count++], STATUS_MAX, "%s", text);
}

static void status_on_event(void *ctx, const char *line, size_t len)
{
    status_line *s = ctx;
    char name[32], a[32];
    status_news n = {.count = NULL};
    (void)len;
    if (!event_field(line, "event", name, sizeof(name))) return;
    bool code_runs = status_is(name, "reload") || status_is(name, "restart") ||
                     (status_is(name, "rollback") && status_is(status_field(line, "paused", a, sizeof(a)), "false"));
    if (code_runs) s->paused = false;
    if (status_is(name, "crash")) s->redraw = true;
    if (status_is(name, "crash") && status_is(status_field(line, "action", a, sizeof(a)), "pause")) {
        s->paused = true;
        status_pause(s, line);
    }
    double now = s->log->now_ms ? s->log->now_ms() : 0;
    if (status_alert(s, name, line, &n)) {
        if (n.count) ++*n.count, status_remember(s, n.text);
        s->hold_until_ms = now + STATUS_HOLD_MS;
    } else if (!status_ordinary(name, line, &n) || now < s->hold_until_ms) {
        return; /* nothing to show, or an alert still holds the line */
    }
    snprintf(s->text, sizeof(s->text), "%s", n.text);
}

void status_observe(status_line *s, event_log *log, bool release)
{
    s->log = log;
    s->release = release;
    event_observe(log, status_on_event, s);
}

/* The bottom row, cut to the width (a wrapped line would scroll the game's screen). */
void status_draw(const status_line *s, uint64_t version, int width, int height)
{
    bool held = s->log && s->log->now_ms && s->log->now_ms() < s->hold_until_ms;
    const char *news = s->paused && !held ? s->pause : s->text;
    char text[300], line[400];
    int len;
    if (s->release && !news[0]) return; /* a release build's line shows alerts only */
    if (s->release) len = snprintf(text, sizeof(text), " %s ", news);
    else len = snprintf(text, sizeof(text), " v%llu | %s ", (unsigned long long)version, news[0] ? news : "watching for rebuilds");
    int shown = MIN(MAX(width - 1, 0), MIN(len, (int)sizeof(text) - 1));
    int n = snprintf(line, sizeof(line), "\x1b[%d;1H\x1b[0;7m%.*s\x1b[0m\x1b[K", height, shown, text);
    terminal_write(line, (size_t)MIN(n, (int)sizeof(line) - 1));
}

static const char *status_plural(uint64_t n) { return n == 1 ? "" : "s"; }

void status_summary(const status_line *s, FILE *out)
{
    const status_tally *t = &s->tally;
    uint64_t total = t->crashes + t->rollbacks + t->refused + t->warnings;
    if (!total) return;
    fprintf(out, "host: this session: %llu crash%s, %llu rollback%s, %llu refused build%s, %llu warning%s\n",
            (unsigned long long)t->crashes, t->crashes == 1 ? "" : "es", (unsigned long long)t->rollbacks,
            status_plural(t->rollbacks), (unsigned long long)t->refused, status_plural(t->refused),
            (unsigned long long)t->warnings, status_plural(t->warnings));
    for (uint32_t i = 0; i < s->recent_count; i++) fprintf(out, "host:   %s\n", s->recent[i]);
    if (total > s->recent_count)
        fprintf(out, "host:   ... and %llu more (--events FILE keeps every one)\n",
                (unsigned long long)(total - s->recent_count));
}
