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
static CRITICAL_SECTION stats_input_lock; /* guards the mark's name between the thread and the host */
static char stats_input_mark_name[STATS_INPUT_LINE];

static unsigned __stdcall stats_input_thread(void *arg)
{
    (void)arg;
    char line[STATS_INPUT_LINE];
    while (fgets(line, sizeof(line), stdin)) {
        size_t n = strcspn(line, "\r\n");
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
        if (n == 5 && memcmp(line, "stats", 5) == 0) {
            InterlockedIncrement(&stats_input_requests);
        } else if (n >= 4 && memcmp(line, "mark", 4) == 0 && (n == 4 || line[4] == ' ')) {
            const char *name = n > 5 ? line + 5 : "mark";
            EnterCriticalSection(&stats_input_lock);
            snprintf(stats_input_mark_name, sizeof(stats_input_mark_name), "%.*s", (int)(line + n - name), name);
            LeaveCriticalSection(&stats_input_lock);
        } else if (n) {
            fprintf(stderr, "host: unknown command '%.*s'; type 'stats' for the memory stats summary or 'mark NAME' "
                            "to set a mark\n", (int)(n < 60 ? n : 60), line);
        }
    }
    return 0;
}

void stats_input_start(void) { InitializeCriticalSection(&stats_input_lock); }

int stats_input_take(bool read_stdin)
{
    if (read_stdin && !stats_input_reading) {
        stats_input_reading = true;
        HANDLE t = (HANDLE)_beginthreadex(NULL, 0, stats_input_thread, NULL, 0, NULL);
        if (t) CloseHandle(t);
    }
    return (int)InterlockedExchange(&stats_input_requests, 0);
}

bool stats_input_mark(char *name, size_t cap)
{
    EnterCriticalSection(&stats_input_lock);
    bool found = stats_input_mark_name[0] != 0;
    if (found) snprintf(name, cap, "%s", stats_input_mark_name);
    stats_input_mark_name[0] = 0;
    LeaveCriticalSection(&stats_input_lock);
    return found;
}
