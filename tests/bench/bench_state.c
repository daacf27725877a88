/* bench_state.c - a reload costs what the game wrote, not the size of its state.
 *
 * Two hosts run tests/games/bigstate at 60 fps, one with 4 MiB of state and one with 4 GiB; each
 * writes 1% of its state (the hot part, 1/16 of it per frame) between reloads, 300 ms apart. The bench reloads
 * them in turn (the same library bytes again, written and renamed as a build does) and reads each
 * reload event: swap_ms (reading the library .. after_reload returns, the stale-pointer pass
 * included), scan_ms and scan_bytes. Both keep a function pointer and a string literal that every
 * reload repairs. A third host writes 512 MiB of pages holding a function pointer in before_reload,
 * so that the reload itself scans and repairs all of them: the pass's rate. */
#include "../integration/harness.h"
#include "bench.h"

#include <stdlib.h>
#include <string.h>

#define RELOADS 30
#define BIG_MB 4096
#define SMALL_MB 4
#define SCAN_MB 512
#define SCAN_RELOADS 9

typedef struct bench_host {
    const char *what;
    harness_game game;
    harness_host host;
    char good[HARNESS_PATH + 96];
    double swap_ms[RELOADS], scan_ms[RELOADS], scan_mb[RELOADS];
    int reloads;
} bench_host;

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double sorted[RELOADS];
    memcpy(sorted, v, sizeof(double) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof(double), compare_double);
    return sorted[n / 2];
}

static double number(const char *ev, const char *key)
{
    char v[64] = "0";
    harness_field(ev, key, v, sizeof(v));
    return atof(v);
}

static bool bench_start(bench_host *b, const char *what, const char *cflags)
{
    b->what = what;
    setenv("GAME_CFLAGS", cflags, 1);
    if (!harness_game_copy("tests/games/bigstate", &b->game) || harness_game_build(&b->game) != 0) return false;
    snprintf(b->good, sizeof(b->good), "%s.good", b->game.lib);
    harness_copy_file(b->game.lib, b->good);
    const char *args[] = {"--fps", "60", NULL};
    return harness_host_start(&b->host, b->game.lib, args) &&
           harness_wait_event(&b->host, "log", "bigstate ready", 0, 120000) != NULL;
}

/* One reload; false when it did not happen. */
static bool bench_reload(bench_host *b)
{
    harness_put_library(&b->game, b->good);
    if (!harness_wait(&b->host, "reload", b->reloads + 1, 30000)) return false;
    const char *ev = harness_event(&b->host, "reload", NULL, b->reloads);
    b->swap_ms[b->reloads] = number(ev, "swap_ms");
    b->scan_ms[b->reloads] = number(ev, "scan_ms");
    b->scan_mb[b->reloads] = number(ev, "scan_bytes") / (1 << 20);
    b->reloads++;
    return true;
}

static void bench_stop(bench_host *b)
{
    harness_host_stop(&b->host);
    harness_game_remove(&b->game);
}

static void bench_row(const bench_host *b)
{
    /* the first reload scans everything written since the start; the median is of the rest */
    printf("%-34s %10.3f %10.3f %12.2f %12.3f\n", b->what, median(b->swap_ms + 1, b->reloads - 1),
           median(b->scan_ms + 1, b->reloads - 1), median(b->scan_mb + 1, b->reloads - 1), b->swap_ms[0]);
}

/* The pass's rate: every reload scans and repairs SCAN_MB written right before it. */
static double bench_scan_rate(void)
{
    bench_host b = {0};
    char flags[64];
    snprintf(flags, sizeof(flags), "-DBIG_MB=4 -DBIG_BEFORE_MB=%d", SCAN_MB);
    double best = 0;
    if (!bench_start(&b, "scan", flags)) return 0;
    for (int i = 0; i < SCAN_RELOADS && bench_reload(&b); i++) {
        const char *ev = harness_event(&b.host, "reload", NULL, i);
        double gbps = number(ev, "scan_bytes") / (number(ev, "scan_ms") * 1e6);
        if (i > 0 && gbps > best) best = gbps;
        harness_sleep_ms(100);
    }
    bench_stop(&b);
    return best;
}

int main(void)
{
    static bench_host small, big;
    char flags[64];
    snprintf(flags, sizeof(flags), "-DBIG_MB=%d", SMALL_MB);
    if (!bench_start(&small, "4 MiB of state, 1% written", flags)) return fprintf(stderr, "bench_state: small host\n"), 1;
    snprintf(flags, sizeof(flags), "-DBIG_MB=%d", BIG_MB);
    if (!bench_start(&big, "4 GiB of state, 1% written", flags)) return fprintf(stderr, "bench_state: big host\n"), 1;
    bool ok = true;
    for (int i = 0; i < RELOADS && ok; i++) {
        ok = bench_reload(&small) && bench_reload(&big);
        harness_sleep_ms(300); /* 18 frames: each writes its hot part once over */
    }
    bench_stop(&small);
    bench_stop(&big);
    if (!ok) return fprintf(stderr, "bench_state: a reload did not happen\n"), 1;
    double rate = bench_scan_rate();
    printf("bench_state: %d reloads each, alternating, 60 fps; medians without the first reload\n", RELOADS);
    bench_print_machine();
    printf("%-34s %10s %10s %12s %12s\n", "", "swap ms", "scan ms", "scanned MiB", "first swap");
    bench_row(&small);
    bench_row(&big);
    printf("stale-pointer pass over %d MiB written in before_reload, each page repaired: %.2f GB/s (best of %d)\n",
           SCAN_MB, rate, SCAN_RELOADS - 1);
    bench_ratio("reload_big_vs_small_state", median(big.swap_ms + 1, RELOADS - 1) / median(small.swap_ms + 1, RELOADS - 1));
    bench_ratio("repair_scan_gbps", rate);
    return 0;
}
