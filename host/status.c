/* status.c - the host's status line, notices, banner and the session summary (status.h). */
#include "status.h"
#include "../arena/base.h"

#include <stdio.h>
#include <stdlib.h>
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
    if (status_is(name, "loop") && status_is(status_field(line, "phase", a, sizeof(a)), "divergence")) {
        n->count = &s->tally.warnings;
        return snprintf(n->text, sizeof(n->text), "loop: pass %s on version %s ended in another state than the pass "
                        "before it (the game is not deterministic)", status_field(line, "pass", a, sizeof(a)),
                        status_field(line, "version", b, sizeof(b))), true;
    }
    if (status_is(name, "rewind_offer")) /* after the rollback's alert: this one says what to do */
        return snprintf(n->text, sizeof(n->text), "%s", status_field(line, "msg", a, sizeof(a))), true;
    if (status_is(name, "restore") && status_is(status_field(line, "reason", a, sizeof(a)), "rewind")) /* paused too */
        return snprintf(n->text, sizeof(n->text), "rewound to frame %s", status_field(line, "to_frame", b, sizeof(b))), true;
    n->alert = false;
    return false;
}

static bool status_ordinary(const char *name, const char *line, status_news *n)
{
    char a[200] = "", b[200] = "";
    if (status_is(name, "reload") && event_field(line, "version", a, sizeof(a)) &&
        event_field(line, "total_ms", b, sizeof(b)))
        return snprintf(n->text, sizeof(n->text), "reloaded version %.24s in %.24s ms", a, b), true;
    if (status_is(name, "restart")) return snprintf(n->text, sizeof(n->text), "restarted: state re-initialised"), true;
    if (status_is(name, "layout") && status_is(status_field(line, "action", a, sizeof(a)), "migrate") &&
        event_field(line, "version", a, sizeof(a)) && event_field(line, "summary", b, sizeof(b)))
        return snprintf(n->text, sizeof(n->text), "version %.24s: state migrated (%.200s)", a, b), true;
    if (status_is(name, "build") && event_field(line, "state", a, sizeof(a)))
        return snprintf(n->text, sizeof(n->text), "%s",
                        status_is(a, "started") ? "building..." : "built; loading the new code"), true;
    if (status_is(name, "log") && event_field(line, "msg", a, sizeof(a)))
        return snprintf(n->text, sizeof(n->text), "game: %s", a), true;
    if (status_is(name, "screenshot") && event_field(line, "path", a, sizeof(a)))
        return snprintf(n->text, sizeof(n->text), "saved %s", a), true;
    if (status_is(name, "state_saved") && event_field(line, "path", a, sizeof(a)))
        return snprintf(n->text, sizeof(n->text), "state saved to %.180s", a), true;
    if (status_is(name, "state_loaded") && event_field(line, "path", a, sizeof(a)))
        return snprintf(n->text, sizeof(n->text), "state loaded from %.180s", a), true;
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

/* Warnings and crash lines stay on screen a few seconds, whatever news follows them. */
static void status_notice_add(status_line *s, const char *name, const char *line, double now)
{
    char msg[STATUS_MAX];
    if ((!status_is(name, "warning") && !status_is(name, "crash")) || !event_field(line, "msg", msg, sizeof(msg)))
        return;
    status_notice *n = &s->notices[s->notice_next];
    s->notice_next = (s->notice_next + 1) % OVERLAY_NOTICES_MAX;
    snprintf(n->text, sizeof(n->text), "%s", msg);
    n->at_ms = now > 0 ? now : 1;
}

/* The live loop's state, shown before the news while the loop is on: the pass running now (the
 * first begins with `play`; a `pass` event is the end of one, and the next begins). */
static void status_loop(status_line *s, const char *line)
{
    char phase[16], seconds[24], pass[24];
    status_field(line, "phase", phase, sizeof(phase));
    bool ended = status_is(phase, "pass");
    if (status_is(phase, "begin")) snprintf(s->loop, sizeof(s->loop), "LOOP recording");
    else if (ended || status_is(phase, "play"))
        snprintf(s->loop, sizeof(s->loop), "LOOP %.1f s, pass %lld", atof(status_field(line, "seconds", seconds, sizeof(seconds))),
                 atoll(status_field(line, "pass", pass, sizeof(pass))) + ended);
    else if (status_is(phase, "end")) s->loop[0] = 0;
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
    if (status_is(name, "loop")) status_loop(s, line);
    if (status_is(name, "crash")) s->redraw = true;
    if (status_is(name, "crash") && status_is(status_field(line, "action", a, sizeof(a)), "pause")) {
        s->paused = true;
        status_pause(s, line);
    }
    char why[200];
    if (status_is(name, "rollback") && status_field(line, "failed", why, sizeof(why))[0]) {
        s->paused = true;
        snprintf(s->pause, sizeof(s->pause), "paused: the rollback failed (%s); %sq quits", why,
                 s->release ? "" : "fix the game and rebuild, ");
    }
    double now = s->log->now_ms ? s->log->now_ms() : 0;
    status_notice_add(s, name, line, now);
    if (status_alert(s, name, line, &n)) {
        if (n.count) ++*n.count, status_remember(s, n.text);
        s->hold_until_ms = now + STATUS_HOLD_MS;
    } else if (!status_ordinary(name, line, &n) || now < s->hold_until_ms) {
        return; /* nothing to show, or an alert still holds the line */
    }
    snprintf(s->text, sizeof(s->text), "%s", n.text);
    s->news_ms = now;
}

void status_observe(status_line *s, event_log *log, bool release)
{
    s->log = log;
    s->release = release;
    event_observe(log, status_on_event, s);
}

void status_view(const status_line *s, uint64_t version, bool always, overlay_view *view, char *line, size_t cap)
{
    double now = s->log && s->log->now_ms ? s->log->now_ms() : 0;
    bool held = now < s->hold_until_ms;
    const char *news = s->paused && !held ? s->pause : s->text;
    char loop[sizeof(s->loop) + 4] = "";
    if (s->loop[0]) snprintf(loop, sizeof(loop), "%s | ", s->loop);
    if (s->release) snprintf(line, cap, " %s%s ", loop, news); /* a release build's line shows alerts only */
    else snprintf(line, cap, " v%llu | %s%s ", (unsigned long long)version, loop,
                  news[0] ? news : "watching for rebuilds | F1 stats  F5 reload  F6 restart  F12 screenshot  Esc quit");
    bool fresh = now - s->news_ms < STATUS_NEWS_MS; /* the first seconds too: they name the keys */
    view->status = (always || s->paused || s->loop[0] || fresh) && (news[0] || loop[0] || !s->release) ? line : NULL;
    view->banner = !s->paused ? NULL
                   : s->release ? "paused after a crash (q or Esc quits)"
                                : "paused after a crash: fix the game and rebuild (F5 reloads, F6 restarts, q or Esc quits)";
    view->notice_count = 0;
    for (int i = 0; i < OVERLAY_NOTICES_MAX; i++) {
        const status_notice *n = &s->notices[(s->notice_next + i) % OVERLAY_NOTICES_MAX]; /* oldest first */
        if (n->at_ms > 0 && now - n->at_ms < STATUS_NOTICE_MS) view->notices[view->notice_count++] = n->text;
    }
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
