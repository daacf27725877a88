/* stats_input.h - how a user asks the running host for its stats without the game's help
 * (stats_input_posix.c, stats_input_win32.c): the signal SIGUSR1 (POSIX), and the line "stats"
 * typed on standard input when the host has no terminal of its own (--headless). */
#ifndef STATS_INPUT_H
#define STATS_INPUT_H

#include <stdbool.h>

/* Installs the SIGUSR1 handler (POSIX) or the standard-input reader thread (Windows). */
void stats_input_start(void);
/* Requests that arrived since the last call: SIGUSR1s, and "stats" lines when `read_stdin`.
 * Other lines get one line of help on stderr. Never blocks. */
int stats_input_take(bool read_stdin);

#endif
