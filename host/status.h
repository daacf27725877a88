/* status.h - what the host tells the user over the game: its status line (the running version and
 * the latest news), the last warnings and crash lines for a few seconds, and the banner while the
 * game is paused after a crash. Every room reports through the event log; the status observes it
 * and turns reloads, refused builds, crashes, rollbacks, migrations, screenshots and the game's log
 * lines into news. The platform shows it (overlay.h): in a window as the overlay, in a terminal as
 * the bottom row. */
#ifndef STATUS_H
#define STATUS_H

#include "base/events.h"
#include "platform/overlay.h"

#define STATUS_MAX 256
#define STATUS_NEWS_MS 5000.0   /* a window shows the status line this long after news */
#define STATUS_NOTICE_MS 6000.0 /* and a warning or a crash line this long */

typedef struct status_notice {
    char text[STATUS_MAX];
    double at_ms; /* 0: none */
} status_notice;

typedef struct status_line {
    char text[STATUS_MAX];
    double news_ms;  /* when the text last changed */
    bool paused;     /* a crash paused the game: its banner stays until code runs again */
    status_notice notices[OVERLAY_NOTICES_MAX]; /* a ring, the next to write at `notice_next` */
    int notice_next;
    const event_log *log;
} status_line;

/* From now on the status follows the log's events. */
void status_observe(status_line *s, event_log *log);
/* Fills the view's status line (written into line), notices and banner as of now. `always`: the
 * status line shows even without recent news (a terminal's bottom row; the stats overlay). */
void status_view(const status_line *s, uint64_t version, bool always, overlay_view *view, char *line, size_t cap);

#endif
