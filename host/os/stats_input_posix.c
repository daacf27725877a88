/* stats_input_posix.c - SIGUSR1 and "stats" lines on standard input, read without blocking. */
#include "stats_input.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STATS_INPUT_LINE 128

static volatile sig_atomic_t stats_input_signals;
static char stats_input_line[STATS_INPUT_LINE]; /* a line typed so far */
static size_t stats_input_len;
static bool stats_input_closed; /* end of standard input: stop asking */
static char stats_input_mark_name[STATS_INPUT_LINE]; /* the last "mark" line's name, until taken */

static void stats_input_on_signal(int sig)
{
    (void)sig;
    stats_input_signals = stats_input_signals + 1;
}

void stats_input_start(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = stats_input_on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
}

/* 1 for a "stats" line, 0 for an empty one or a mark; anything else gets one line of help. */
static int stats_input_command(const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
    if (n == 5 && memcmp(line, "stats", 5) == 0) return 1;
    if (n >= 4 && memcmp(line, "mark", 4) == 0 && (n == 4 || line[4] == ' ')) {
        const char *name = n > 5 ? line + 5 : "mark";
        snprintf(stats_input_mark_name, sizeof(stats_input_mark_name), "%.*s", (int)(line + n - name), name);
        return 0;
    }
    if (n)
        fprintf(stderr, "host: unknown command '%.*s'; type 'stats' for the memory stats summary or 'mark NAME' to "
                        "set a mark\n", (int)(n < 60 ? n : 60), line);
    return 0;
}

static int stats_input_read(void)
{
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    if (stats_input_closed || poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) return 0;
    char buf[256];
    ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
    if (got <= 0) {
        stats_input_closed = true;
        return 0;
    }
    int requests = 0;
    for (ssize_t i = 0; i < got; i++) {
        if (buf[i] == '\n') {
            stats_input_line[stats_input_len] = 0;
            requests += stats_input_command(stats_input_line);
            stats_input_len = 0;
        } else if (stats_input_len + 1 < STATS_INPUT_LINE) {
            stats_input_line[stats_input_len++] = buf[i];
        }
    }
    return requests;
}

int stats_input_take(bool read_stdin)
{
    int requests = (int)stats_input_signals;
    stats_input_signals = 0;
    return requests + (read_stdin ? stats_input_read() : 0);
}

bool stats_input_mark(char *name, size_t cap)
{
    if (!stats_input_mark_name[0]) return false;
    snprintf(name, cap, "%s", stats_input_mark_name);
    stats_input_mark_name[0] = 0;
    return true;
}
