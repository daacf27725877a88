/* main.c - the host executable: parse the command line, run frames until done.
 * Built twice: as the hot-reload host (a GAME_LIBRARY argument), and with HOST_RELEASE as a
 * shipping executable with the game linked in. */
#include "host.h"
#include "os/probe.h"
#include "os/signals.h"
#include "reload/load.h"

#include <stdio.h>

#if defined(HOST_RELEASE)
#define HOST_CLI_MODE CLI_RELEASE
#else
#define HOST_CLI_MODE CLI_HOST
#endif

int main(int argc, char **argv)
{
    if (HOST_CLI_MODE == CLI_HOST && probe_mode(argc, argv)) return probe_serve(argc, argv, load_probe_check);
    host_options opts;
    host_error err;
    switch (cli_parse(argc, argv, HOST_CLI_MODE, &opts, &err)) {
    case CLI_BAD: fprintf(stderr, "host: %s\n", err.msg); return 2;
    case CLI_DONE:
        if (opts.stats_diff[0] && !opts.help) return stats_diff_files(opts.stats_diff[0], opts.stats_diff[1], stdout, stderr);
        if (opts.help) cli_print_help(stdout, argv[0], HOST_CLI_MODE);
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
    return host_stop(&h);
}
