/* terminal.h - the host owns the terminal: raw keys in, one write of the frame out, and the
 * terminal restored on every way out (terminal_posix.c, terminal_win32.c). */
#ifndef TERMINAL_H
#define TERMINAL_H

#include <stdbool.h>
#include <stddef.h>

/* Raw mode, alternate screen, hidden cursor. False when stdin/stdout is not a terminal. */
bool terminal_open(void);
/* Restores what terminal_open changed; safe to call twice and from a signal handler. */
void terminal_restore(void);
/* Key presses waiting on stdin, as bytes or GAME_KEY_ codes; never blocks. */
int terminal_read_keys(int *keys, int max);
void terminal_size(int *width, int *height);
void terminal_write(const char *text, size_t size);

#endif
