/* status.h - the host's status line at the bottom of the terminal: the running version and the
 * latest news. Every room reports through the event log; the status line observes it and turns
 * reloads, refused builds, crashes, rollbacks, migrations and the game's log lines into one line. */
#ifndef STATUS_H
#define STATUS_H

#include "base/events.h"

#define STATUS_MAX 256

typedef struct status_line {
    char text[STATUS_MAX];
    bool paused; /* a crash paused the game: its banner stays until code runs again */
} status_line;

/* From now on the line follows the log's events. */
void status_observe(status_line *s, event_log *log);
/* Draws the bottom row of a width x height terminal. */
void status_draw(const status_line *s, uint64_t version, int width, int height);

#endif
