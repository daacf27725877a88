/* stats_input.h - how a user asks the running host for its stats without the game's help
 * (stats_input_posix.c, stats_input_win32.c): the signal SIGUSR1 (POSIX), and the line "stats"
 * typed on standard input when the host has no terminal of its own (--headless); the line
 * "mark NAME" sets a mark the reports compare with ("since mark"). */
#ifndef STATS_INPUT_H
#define STATS_INPUT_H

#include <stdbool.h>
#include <stddef.h>

/* Installs the SIGUSR1 handler (POSIX) or the standard-input reader thread (Windows). */
void stats_input_start(void);
/* Requests that arrived since the last call: SIGUSR1s, and "stats" lines when `read_stdin`.
 * Other lines get one line of help on stderr. Never blocks. */
int stats_input_take(bool read_stdin);
/* The name of the last "mark NAME" line read by stats_input_take since the last call ("mark" alone:
 * "mark"); false when there was none. */
bool stats_input_mark(char *name, size_t cap);

#endif
