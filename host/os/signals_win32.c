/* signals_win32.c - quit requests (Ctrl-C, Ctrl-Break, closing the console) and a last-chance
 * terminal restore when the host itself crashes or aborts. */
#include "signals.h"
#include "terminal.h"
#include "util_win32.h"

#include <signal.h>

#define SIGNALS_CLOSE_GRACE_MS 4000 /* Windows ends the process 5 s after a close event anyway */

static volatile LONG signals_quit;
static LPTOP_LEVEL_EXCEPTION_FILTER signals_previous_filter;

/* Runs on a thread of its own that the console starts. */
static BOOL WINAPI signals_on_console(DWORD type)
{
    if (type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT) {
        if (InterlockedExchange(&signals_quit, 1)) {
            /* asked twice: the frame loop is not answering; the default handler ends the process */
            terminal_restore();
            return FALSE;
        }
        return TRUE;
    }
    /* close, logoff, shutdown: the process ends when this returns, so give the frame loop time to
     * stop cleanly; main's exit ends this thread early */
    InterlockedExchange(&signals_quit, 1);
    Sleep(SIGNALS_CLOSE_GRACE_MS);
    terminal_restore();
    return FALSE;
}

/* Called only when nothing else handled an exception, i.e. the host is about to die. */
static LONG WINAPI signals_on_unhandled(EXCEPTION_POINTERS *info)
{
    terminal_restore();
    return signals_previous_filter ? signals_previous_filter(info) : EXCEPTION_CONTINUE_SEARCH;
}

static void signals_on_abort(int sig)
{
    (void)sig;
    terminal_restore(); /* abort() then ends the process with exit status 3 */
}

void signals_install(void)
{
    SetConsoleCtrlHandler(signals_on_console, TRUE);
    signals_previous_filter = SetUnhandledExceptionFilter(signals_on_unhandled);
    signal(SIGABRT, signals_on_abort);
}

bool signals_quit_requested(void) { return signals_quit != 0; }
