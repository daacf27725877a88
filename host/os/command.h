/* command.h - a shell command run in the background, its output going to a file
 * (command_posix.c: /bin/sh -c through posix_spawn; command_win32.c: cmd /c through CreateProcess).
 * The host runs the game's build with it (--watch) and never waits on it in a frame:
 *
 *     command *c = command_start("./build.sh game mygame", "build/watch.log", &err);
 *     int status;
 *     if (command_done(c, &status)) ... exited with status (-1: killed by a signal) ...
 *     command_stop(c);                       // ends it if it still runs, and frees it */
#ifndef COMMAND_H
#define COMMAND_H

#include "../base/error.h"

#include <stddef.h>

typedef struct command command;

/* Starts `line` with stdin from the null device and stdout and stderr into `log` (truncated). */
command *command_start(const char *line, const char *log, host_error *err);
/* True once it has exited; *status is its exit code (-1 when a signal ended it). Never blocks. */
bool command_done(command *c, int *status);
/* Kills it if it still runs, reaps it, frees c (NULL is fine). */
void command_stop(command *c);

/* The command line that runs the build script of the game folder `dir` (DIR/build.sh, or
 * DIR\build.bat on Windows), quoted for the shell that command_start uses. */
void command_build_script(const char *dir, char *out, size_t cap);

#endif
