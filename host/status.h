/* status.h - what the host tells the user over the game, and the summary of a session: its status
 * line (the running version and the latest news), the last warnings and crash lines for a few
 * seconds, and the banner while the game is paused after a crash. Every room reports through the
 * event log; the status observes it and turns reloads, refused builds, crashes, rollbacks, warnings,
 * migrations, screenshots, the live loop, rewinds, state files and the game's log lines into news.
 * The platform shows it (overlay.h): in a window as the overlay, in a terminal as the bottom row.
 *
 *   - an alert (a crash, a rollback, a refused or failed build, a warning, a loop's divergence, a
 *     rewind offered after a crash, a rewind) holds the line for STATUS_HOLD_MS against ordinary news, so it
 *     is seen before the next log line replaces it;
 *   - while the game is paused after a crash, the line names that crash and how to go on, until
 *     code runs again;
 *   - while the live loop is on, the line shows it (LOOP 3.2 s, pass 7) before the news;
 *   - every alert is counted, and the first STATUS_RECENT_MAX are kept for the summary at exit
 *     (status_summary) and for the exit status (the tally).
 * A release build's line has no versions and nothing about reloading: alerts only. */
#ifndef STATUS_H
#define STATUS_H

#include "base/events.h"
#include "platform/overlay.h"

#include <stdio.h>

#define STATUS_MAX 256
#define STATUS_HOLD_MS 4000.0   /* an alert holds the line this long against ordinary news */
#define STATUS_NEWS_MS 5000.0   /* a window shows the status line this long after news */
#define STATUS_NOTICE_MS 6000.0 /* and a warning or a crash line this long */
#define STATUS_RECENT_MAX 8

/* What a session went through. */
typedef struct status_tally {
    uint64_t crashes;
    uint64_t rollbacks;
    uint64_t refused; /* builds refused (reload_failed) or failed to compile */
    uint64_t warnings;
} status_tally;

typedef struct status_notice {
    char text[STATUS_MAX];
    double at_ms; /* 0: none */
} status_notice;

typedef struct status_line {
    const event_log *log;        /* its clock */
    bool release;                /* a release build's line */
    char text[STATUS_MAX];       /* the latest news */
    double news_ms;              /* when the text last changed */
    double hold_until_ms;        /* an alert in `text` holds the line until then */
    bool paused;                 /* a crash paused the game: `pause` shows until code runs again */
    char pause[STATUS_MAX * 2];  /* the crash's whole place; the line is cut to the screen */
    bool redraw;                 /* the game's screen needs drawing again (a crash); the host clears it */
    char loop[48];               /* "LOOP 3.2 s, pass 7" while the live loop is on (shown always), else "" */
    status_notice notices[OVERLAY_NOTICES_MAX]; /* a ring, the next to write at `notice_next` */
    int notice_next;
    status_tally tally;
    char recent[STATUS_RECENT_MAX][STATUS_MAX]; /* the first alerts, for the summary */
    uint32_t recent_count;
} status_line;

/* From now on the status follows the log's events. */
void status_observe(status_line *s, event_log *log, bool release);
/* Fills the view's status line (written into line), notices and banner as of now. `always`: the
 * status line shows even without recent news (a terminal's bottom row; the stats overlay). */
void status_view(const status_line *s, uint64_t version, bool always, overlay_view *view, char *line, size_t cap);
/* The session's alerts in a few lines ("host: this session: 2 crashes, ..."), when there were any. */
void status_summary(const status_line *s, FILE *out);

#endif
