/* stats_input_win32.c - "stats" lines on standard input, read by a thread (a console, a pipe and a
 * file all block differently; a thread reading lines works for each). Windows has no SIGUSR1. */
#include "stats_input.h"

#include <process.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>

#define STATS_INPUT_LINE 128

static volatile LONG stats_input_requests;
static bool stats_input_reading;

static unsigned __stdcall stats_input_thread(void *arg)
{
    (void)arg;
    char line[STATS_INPUT_LINE];
    while (fgets(line, sizeof(line), stdin)) {
        size_t n = strcspn(line, "\r\n");
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
        if (n == 5 && memcmp(line, "stats", 5) == 0) InterlockedIncrement(&stats_input_requests);
        else if (n) fprintf(stderr, "host: unknown command '%.*s'; type 'stats' for the memory stats summary\n", (int)(n < 60 ? n : 60), line);
    }
    return 0;
}

void stats_input_start(void) {}

int stats_input_take(bool read_stdin)
{
    if (read_stdin && !stats_input_reading) {
        stats_input_reading = true;
        HANDLE t = (HANDLE)_beginthreadex(NULL, 0, stats_input_thread, NULL, 0, NULL);
        if (t) CloseHandle(t);
    }
    return (int)InterlockedExchange(&stats_input_requests, 0);
}
