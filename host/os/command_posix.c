/* command_posix.c - a shell command in the background (command.h), spawned with posix_spawn (never
 * a fork of the multi-threaded host) in a process group of its own, so stopping it stops the
 * compilers it started too. */
#include "command.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct command {
    pid_t pid;
    bool exited;
    int status;
};

static bool command_actions(posix_spawn_file_actions_t *fa, const char *log)
{
    return posix_spawn_file_actions_init(fa) == 0 &&
           posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) == 0 &&
           posix_spawn_file_actions_addopen(fa, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0644) == 0 &&
           posix_spawn_file_actions_adddup2(fa, STDOUT_FILENO, STDERR_FILENO) == 0;
}

command *command_start(const char *line, const char *log, host_error *err)
{
    command *c = calloc(1, sizeof(*c));
    if (!c) return host_fail(err, "out of memory starting '%s'", line), NULL;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char *argv[] = {"/bin/sh", "-c", (char *)line, NULL};
    int rc = ENOMEM;
    if (command_actions(&fa, log) && posix_spawnattr_init(&attr) == 0) {
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attr, 0);
        rc = posix_spawn(&c->pid, argv[0], &fa, &attr, argv, environ);
        posix_spawnattr_destroy(&attr);
    }
    posix_spawn_file_actions_destroy(&fa);
    if (rc == 0) return c;
    free(c);
    return host_fail(err, "cannot start '%s': %s", line, strerror(rc)), NULL;
}

bool command_done(command *c, int *status)
{
    if (!c->exited) {
        int st;
        pid_t got = waitpid(c->pid, &st, WNOHANG);
        if (got != c->pid) return false;
        c->exited = true;
        c->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    *status = c->status;
    return true;
}

void command_stop(command *c)
{
    if (!c) return;
    if (!c->exited) {
        kill(-c->pid, SIGTERM);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    free(c);
}

void command_build_script(const char *dir, char *out, size_t cap) { snprintf(out, cap, "'%s/build.sh'", dir); }
