/* main.c - the host executable: parse the command line, run frames until done.
 * Built twice: as the hot-reload host (a GAME_LIBRARY argument), and with HOST_RELEASE as a
 * shipping executable with the game linked in. */
#include "host.h"
#include "os/signals.h"

#include <stdio.h>

#if defined(HOST_RELEASE)
#define HOST_NEEDS_LIBRARY false
#else
#define HOST_NEEDS_LIBRARY true
#endif

int main(int argc, char **argv)
{
    host_options opts;
    host_error err;
    switch (cli_parse(argc, argv, HOST_NEEDS_LIBRARY, &opts, &err)) {
    case CLI_BAD: fprintf(stderr, "host: %s\n", err.msg); return 2;
    case CLI_DONE:
        if (opts.help) cli_print_help(stdout, argv[0]);
        else printf("host %s (game ABI %d)\n", HOST_VERSION, GAME_API_VERSION);
        return 0;
    case CLI_RUN: break;
    }
    signals_install();
    static host h;
    if (!host_start(&h, &opts, &err)) {
        fprintf(stderr, "host: %s\n", err.msg);
        host_stop(&h);
        return 1;
    }
    while (host_frame(&h)) {
    }
    host_stop(&h);
    return h.exit_status;
}
