/* status.c - the host's status line, notices and banner (status.h). */
#include "status.h"
#include "../arena/base.h"

#include <stdio.h>
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
    if (strcmp(name, "log") == 0 && event_field(line, "msg", a, sizeof(a)))
        return snprintf(out, cap, "game: %s", a), true;
    if (strcmp(name, "screenshot") == 0 && event_field(line, "path", a, sizeof(a)))
        return snprintf(out, cap, "saved %s", a), true;
    return false;
}

/* Warnings and crash lines stay on screen a few seconds, whatever news follows them. */
static void status_notice_add(status_line *s, const char *name, const char *line)
{
    char msg[STATUS_MAX];
    if ((strcmp(name, "warning") != 0 && strcmp(name, "crash") != 0) || !event_field(line, "msg", msg, sizeof(msg)))
        return;
    status_notice *n = &s->notices[s->notice_next];
    s->notice_next = (s->notice_next + 1) % OVERLAY_NOTICES_MAX;
    snprintf(n->text, sizeof(n->text), "%s", msg);
    n->at_ms = s->log->now_ms ? s->log->now_ms() : 1;
}

static void status_on_event(void *ctx, const char *line, size_t len)
{
    status_line *s = ctx;
    char name[32], news[STATUS_MAX];
    (void)len;
    if (!event_field(line, "event", name, sizeof(name))) return;
    status_notice_add(s, name, line);
    if (!status_news(name, line, news, sizeof(news))) return;
    bool banner = strstr(news, "paused after a crash") == news;
    bool code_runs = strcmp(name, "reload") == 0 || strcmp(name, "rollback") == 0 || strcmp(name, "restart") == 0;
    if (s->paused && !code_runs && !banner) return; /* the banner says what to do until code runs again */
    s->paused = banner || (s->paused && !code_runs);
    snprintf(s->text, sizeof(s->text), "%s", news);
    s->news_ms = s->log->now_ms ? s->log->now_ms() : 0;
}

void status_observe(status_line *s, event_log *log)
{
    s->log = log;
    event_observe(log, status_on_event, s);
}

void status_view(const status_line *s, uint64_t version, bool always, overlay_view *view, char *line, size_t cap)
{
    double now = s->log && s->log->now_ms ? s->log->now_ms() : 0;
    const char *news = s->text[0] ? s->text : "watching for rebuilds | F1 stats  F5 reload  F6 restart  F12 screenshot  Esc quit";
    snprintf(line, cap, " v%llu | %s ", (unsigned long long)version, news);
    bool fresh = now - s->news_ms < STATUS_NEWS_MS; /* the first seconds too: they name the keys */
    view->status = always || s->paused || fresh ? line : NULL;
    view->banner = s->paused ? "paused after a crash: fix the game and rebuild (F5 reloads, F6 restarts)" : NULL;
    view->notice_count = 0;
    for (int i = 0; i < OVERLAY_NOTICES_MAX; i++) {
        const status_notice *n = &s->notices[(s->notice_next + i) % OVERLAY_NOTICES_MAX]; /* oldest first */
        if (n->at_ms > 0 && now - n->at_ms < STATUS_NOTICE_MS) view->notices[view->notice_count++] = n->text;
    }
}
