/* bench_reload.c - what a reload costs. The real host runs the template library headless at 60 fps;
 * the bench replaces the library 100 times (write + rename, as a build does) and reads swap_ms and
 * stale_frames from each reload event. The floor is the least any reload can do, measured in this
 * same run on the same library: copy it, dlopen, dlsym the entry point, dlclose. Floor and reloads
 * alternate with the same pause between them, so both meet the same (cold) caches. */
#include "../integration/harness.h"
#include "bench.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#define RELOADS 100

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof(double), compare_double);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

static double floor_once(const char *lib, const char *dir, int i)
{
    char copy[HARNESS_PATH * 2];
    snprintf(copy, sizeof(copy), "%s/floor.%d.so", dir, i);
    uint64_t t0 = bench_now_ns();
    if (!harness_copy_file(lib, copy)) return -1;
    void *h = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
    if (!h || !dlsym(h, "game_get_api")) return -1;
    dlclose(h);
    double ms = (double)(bench_now_ns() - t0) / 1e6;
    unlink(copy);
    return ms;
}

int main(void)
{
    harness_game g;
    if (!harness_game_copy("game_template", &g) || harness_game_build(&g) != 0) {
        fprintf(stderr, "bench_reload: cannot build a copy of game_template\n");
        return 1;
    }
    char good[HARNESS_PATH + 96];
    snprintf(good, sizeof(good), "%s.good", g.lib);
    harness_copy_file(g.lib, good);

    static double floor_ms[RELOADS], swap_ms[RELOADS], detect_ms[RELOADS];
    harness_host host;
    const char *args[] = {"--fps", "60", NULL};
    if (!harness_host_start(&host, g.lib, args)) {
        fprintf(stderr, "bench_reload: the host did not start\n");
        return 1;
    }
    uint64_t stale_max = 0, stale_total = 0;
    int done = 0;
    for (; done < RELOADS; done++) {
        harness_put_library(&g, good);
        if (!harness_wait(&host, "reload", done + 1, 10000)) break;
        const char *ev = harness_event(&host, "reload", NULL, done);
        char v[64];
        harness_field(ev, "swap_ms", v, sizeof(v));
        swap_ms[done] = atof(v);
        harness_field(ev, "detect_ms", v, sizeof(v));
        detect_ms[done] = atof(v);
        uint64_t stale = harness_field_u64(ev, "stale_frames");
        stale_total += stale;
        if (stale > stale_max) stale_max = stale;
        harness_sleep_ms(20); /* let a frame or so run between builds, as in real use */
        floor_ms[done] = floor_once(good, g.dir, done);
        harness_sleep_ms(20);
    }
    harness_host_stop(&host);
    harness_game_remove(&g);
    if (done < RELOADS) {
        fprintf(stderr, "bench_reload: only %d of %d reloads happened\n", done, RELOADS);
        return 1;
    }

    double fp50 = percentile(floor_ms, RELOADS, 0.50), fp99 = percentile(floor_ms, RELOADS, 0.99);
    double sp50 = percentile(swap_ms, RELOADS, 0.50), sp99 = percentile(swap_ms, RELOADS, 0.99);
    double dp50 = percentile(detect_ms, RELOADS, 0.50), dp99 = percentile(detect_ms, RELOADS, 0.99);
    printf("bench_reload: %d reloads of game_template at 60 fps\n", RELOADS);
    bench_print_machine();
    printf("%-44s %9s %9s\n", "", "p50 ms", "p99 ms");
    printf("%-44s %9.3f %9.3f\n", "swap (copy .. after_reload returns)", sp50, sp99);
    printf("%-44s %9.3f %9.3f\n", "floor (copy + dlopen + dlsym + dlclose)", fp50, fp99);
    printf("%-44s %9.3f %9.3f\n", "detect (new mtime .. host notices)", dp50, dp99);
    printf("old-code frames after the rename: max %llu, total %llu over %d reloads\n",
           (unsigned long long)stale_max, (unsigned long long)stale_total, RELOADS);
    bench_ratio("reload_swap_p50_vs_floor", sp50 / fp50);
    return 0;
}
