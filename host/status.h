/* status.h - the host's status line at the bottom of the terminal, and the summary of a session.
 * Every room reports through the event log; the status line observes it and turns reloads, refused
 * builds, crashes, rollbacks, warnings, migrations and the game's log lines into one line:
 *
 *   - an alert (a crash, a rollback, a refused or failed build, a warning) holds the line for
 *     STATUS_HOLD_MS against ordinary news, so it is seen before the next log line replaces it;
 *   - while the game is paused after a crash, the line names that crash and how to go on, until
 *     code runs again;
 *   - every alert is counted, and the first STATUS_RECENT_MAX are kept for the summary at exit
 *     (status_summary) and for the exit status (status_tally).
 * A release build's line has no versions and nothing about reloading: alerts only. */
#ifndef STATUS_H
#define STATUS_H

#include "base/events.h"

#include <stdio.h>

#define STATUS_MAX 256
#define STATUS_HOLD_MS 4000.0
#define STATUS_RECENT_MAX 8

/* What a session went through. */
typedef struct status_tally {
    uint64_t crashes;
    uint64_t rollbacks;
    uint64_t refused; /* builds refused (reload_failed) or failed to compile */
    uint64_t warnings;
} status_tally;

typedef struct status_line {
    const event_log *log;        /* its clock */
    bool release;                /* a release build's line */
    char text[STATUS_MAX];       /* the latest news */
    double hold_until_ms;        /* an alert in `text` holds the line until then */
    bool paused;                 /* a crash paused the game: `pause` shows until code runs again */
    char pause[STATUS_MAX];
    bool redraw;                 /* the game's screen needs drawing again (a crash paused it) */
    status_tally tally;
    char recent[STATUS_RECENT_MAX][STATUS_MAX]; /* the first alerts, for the summary */
    uint32_t recent_count;
} status_line;

/* From now on the line follows the log's events. */
void status_observe(status_line *s, event_log *log, bool release);
/* Draws the bottom row of a width x height terminal. */
void status_draw(const status_line *s, uint64_t version, int width, int height);
/* The session's alerts in a few lines ("host: this session: 2 crashes, ..."), when there were any. */
void status_summary(const status_line *s, FILE *out);

#endif
