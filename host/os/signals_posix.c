/* signals_posix.c - quit requests and last-chance terminal restore. */
#include "signals.h"
#include "terminal.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t signals_quit;

static void signals_on_quit(int sig)
{
    if (signals_quit) {
        /* asked twice: the frame loop is not answering, leave now */
        terminal_restore();
        signal(sig, SIG_DFL);
        raise(sig);
    }
    signals_quit = 1;
}

static void signals_on_fatal(int sig)
{
    terminal_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

void signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = signals_on_quit;
    int quit[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (unsigned i = 0; i < sizeof(quit) / sizeof(quit[0]); i++) sigaction(quit[i], &sa, NULL);
    sa.sa_handler = signals_on_fatal;
    sa.sa_flags = SA_RESETHAND;
    int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP};
    for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) sigaction(fatal[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool signals_quit_requested(void) { return signals_quit != 0; }
