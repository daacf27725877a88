/* bench_workflow.c - the edit-build loop, timed as a user lives it: a no-op `./build.sh` (nothing
 * changed: nothing is compiled or linked), and with `--watch` the seconds from saving a source file
 * of the template to its new code running (the host's `reload` event, written at the top of the
 * frame whose update is the new code's first). The host runs the template headless at 60 fps. */
#include "../integration/harness.h"
#include "bench.h"

#include <stdlib.h>
#include <unistd.h>

#define NOOP_RUNS 5
#define SAVES 8

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), compare_double);
    return v[n / 2];
}

/* Seconds of a no-op ./build.sh (one warm-up first, which may still build what is stale). */
static double noop_build_s(double *all)
{
    char script[HARNESS_PATH + 16];
    snprintf(script, sizeof(script), "%s/build.sh", harness_root());
    const char *argv[] = {script, NULL};
    char out[4096];
    harness_run(argv, out, sizeof(out));
    for (int i = 0; i < NOOP_RUNS; i++) {
        uint64_t t0 = bench_now_ns();
        if (harness_run(argv, out, sizeof(out)) != 0) return -1;
        all[i] = (double)(bench_now_ns() - t0) / 1e9;
    }
    return median(all, NOOP_RUNS);
}

/* Seconds from each save to the reload of the code it made; false when a reload never came. */
static bool save_to_new_code(double *s)
{
    harness_game g;
    if (!harness_game_copy("game_template", &g) || harness_game_build(&g) != 0) return false;
    char command[HARNESS_PATH * 3];
    snprintf(command, sizeof(command), "'%s/build.sh' game '%s'", harness_root(), g.dir);
    const char *args[] = {"--fps", "60", "--watch", "--build-command", command, NULL};
    harness_host host;
    if (!harness_host_start(&host, g.lib, args)) return false;
    bool ok = true;
    for (int i = 0; i < SAVES && ok; i++) {
        harness_sleep_ms(300); /* a pause between saves, as when typing */
        char from[64], to[96];
        snprintf(from, sizeof(from), "#include \"snake.h\"");
        snprintf(to, sizeof(to), "#include \"snake.h\"\nint bench_save_%d(void);", i);
        uint64_t t0 = bench_now_ns();
        ok = harness_edit(&g, "snake.c", from, to) && harness_wait(&host, "reload", i + 1, 30000);
        s[i] = (double)(bench_now_ns() - t0) / 1e9;
    }
    harness_host_stop(&host);
    harness_game_remove(&g);
    return ok;
}

int main(void)
{
    printf("bench_workflow: a no-op ./build.sh (median of %d), and %d saves with --watch (template, 60 fps)\n",
           NOOP_RUNS, SAVES);
    bench_print_machine();
    double noop[NOOP_RUNS], saves[SAVES];
    double noop_s = noop_build_s(noop);
    if (noop_s < 0 || !save_to_new_code(saves)) {
        fprintf(stderr, "bench_workflow: a build or a reload failed\n");
        return 1;
    }
    double p50 = median(saves, SAVES);
    printf("what                                    p50 s     min s     max s\n");
    printf("no-op ./build.sh                       %6.3f    %6.3f    %6.3f\n", noop_s, noop[0], noop[NOOP_RUNS - 1]);
    printf("save -> new code running (--watch)     %6.3f    %6.3f    %6.3f\n", p50, saves[0], saves[SAVES - 1]);
    bench_ratio("noop_build_s", noop_s);
    bench_ratio("save_to_new_code_s", p50);
    return 0;
}
