/* signals.h - what the host does when the OS interrupts it (signals_posix.c, signals_win32.c):
 * Ctrl-C and termination requests end the frame loop cleanly; a crash of the host itself restores
 * the terminal and then dies as it would have (never swallowed). */
#ifndef SIGNALS_H
#define SIGNALS_H

#include <stdbool.h>

void signals_install(void);
/* True once the user or the system asked the host to stop. */
bool signals_quit_requested(void);

#endif
