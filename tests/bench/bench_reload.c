/* bench_reload.c - what a reload costs, against the least any reload can do, measured in one run.
 *
 * 1. The swap: the real host runs the template library headless at 60 fps; the bench replaces the
 *    library 100 times (write + rename, as a build does) and reads swap_ms and stale_frames from each
 *    reload event. Its floor: copy the same library, dlopen, dlsym the entry point, dlclose.
 * 2. The latency from the rename to the first frame of the new code (tests/games/probe, every build
 *    probed): the reload event's total_ms runs from the library's mtime to the moment the new code's
 *    first update starts; the bench takes off the time from that mtime to its rename. Its floor is a
 *    minimal loader in this process: a thread blocked on inotify on a folder of its own, woken by a
 *    rename there, copies the library, dlopens it and looks up the entry point (no frames, no probe).
 *    Host and floor alternate build by build. The budget table is the reload events' parts (p50).
 * 3. The stall: at 1000 fps with --trace, the frame that holds the swap against the median frame.
 * 4. Builds seen: 40 builds renamed into place 250 ms apart, reloads counted.
 * 2-4 run again with a 1 GiB state (PROBE_STATE_BYTES): the ratios with _1gib.
 * Floor and host always alternate after the same pause, so both meet the same (cold) caches. */
#include "../integration/harness.h"
#include "bench.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define RELOADS 100
#define BUILDS 20        /* per latency or stall run */
#define SEEN_BUILDS 40   /* builds 250 ms apart */
#define SEEN_GAP_MS 250
#define GAP_MS 150       /* between builds of a latency run: frames of the old code run meanwhile */
#define WAIT_MS 15000
#define BIG_STATE "(1ull << 30)"

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The p-th percentile of the first n values (sorts them). */
static double percentile(double *v, int n, double p)
{
    if (n <= 0) return 0;
    qsort(v, (size_t)n, sizeof(double), compare_double);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

static int64_t wall_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

static double field_ms(const char *event, const char *key)
{
    char v[64];
    return event && harness_field(event, key, v, sizeof(v)) ? atof(v) : -1;
}

/* ---- 1. the swap ------------------------------------------------------------------------------- */

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

static bool bench_swap(void)
{
    harness_game g;
    if (!harness_game_copy("game_template", &g) || harness_game_build(&g) != 0) {
        fprintf(stderr, "bench_reload: cannot build a copy of game_template\n");
        return false;
    }
    char good[HARNESS_PATH + 96];
    snprintf(good, sizeof(good), "%s.good", g.lib);
    harness_copy_file(g.lib, good);

    static double floor_ms[RELOADS], swap_ms[RELOADS], detect_ms[RELOADS];
    harness_host host;
    const char *args[] = {"--fps", "60", NULL};
    if (!harness_host_start(&host, g.lib, args)) {
        fprintf(stderr, "bench_reload: the host did not start\n");
        return false;
    }
    uint64_t stale_max = 0, stale_total = 0;
    int done = 0;
    for (; done < RELOADS; done++) {
        harness_put_library(&g, good);
        if (!harness_wait(&host, "reload", done + 1, 10000)) break;
        const char *ev = harness_event(&host, "reload", NULL, done);
        swap_ms[done] = field_ms(ev, "swap_ms");
        detect_ms[done] = field_ms(ev, "detect_ms");
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
        return false;
    }
    double fp50 = percentile(floor_ms, RELOADS, 0.50), fp99 = percentile(floor_ms, RELOADS, 0.99);
    double sp50 = percentile(swap_ms, RELOADS, 0.50), sp99 = percentile(swap_ms, RELOADS, 0.99);
    double dp50 = percentile(detect_ms, RELOADS, 0.50), dp99 = percentile(detect_ms, RELOADS, 0.99);
    printf("bench_reload: %d reloads of game_template at 60 fps\n", RELOADS);
    bench_print_machine();
    printf("%-44s %9s %9s\n", "", "p50 ms", "p99 ms");
    printf("%-44s %9.3f %9.3f\n", "swap (the host's own work in a reload)", sp50, sp99);
    printf("%-44s %9.3f %9.3f\n", "floor (copy + dlopen + dlsym + dlclose)", fp50, fp99);
    printf("%-44s %9.3f %9.3f\n", "detect (new mtime .. host notices)", dp50, dp99);
    printf("old-code frames after the rename: max %llu, total %llu over %d reloads\n",
           (unsigned long long)stale_max, (unsigned long long)stale_total, RELOADS);
    bench_ratio("reload_swap_p50_vs_floor", sp50 / fp50);
    return true;
}

/* ---- builds, renamed into place with their times ------------------------------------------------ */

/* A build of `image` at `dst` the way a build script puts it there: a temporary name, then a
 * rename. *mtime_ns is the file's mtime, *renamed_ns the wall clock just before the rename (after it,
 * the thread the rename wakes may run first and make the clock read late). */
static bool put_timed(const char *dst, const char *image, size_t size, unsigned serial, int64_t *mtime_ns,
                      int64_t *renamed_ns)
{
    char tmp[HARNESS_PATH + 96], trailer[64];
    snprintf(tmp, sizeof(tmp), "%s.put", dst);
    int n = snprintf(trailer, sizeof(trailer), "trailer %u %lld", serial, (long long)wall_ns());
    FILE *f = fopen(tmp, "wb");
    if (!f) return false;
    bool ok = fwrite(image, 1, size, f) == size && fwrite(trailer, 1, (size_t)n, f) == (size_t)n;
    ok = fclose(f) == 0 && ok;
    struct stat st;
    if (!ok || stat(tmp, &st) != 0) return false;
    *mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
    *renamed_ns = wall_ns();
    return rename(tmp, dst) == 0;
}

/* ---- the floor: a minimal loader ----------------------------------------------------------------- */

typedef struct loader {
    char dir[HARNESS_PATH + 16];
    char lib[HARNESS_PATH + 32];
    int inotify;
    int done[2];       /* the thread writes the wall time it finished, per build */
    pthread_t thread;
    int copies;
} loader;

/* Wakes on the rename, copies, dlopens, looks up the entry point; reports the time it is done. */
static void *loader_main(void *arg)
{
    loader *l = arg;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(l->inotify, buf, sizeof(buf));
        if (n <= 0) return NULL;
        bool renamed = false;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            if ((e->mask & IN_MOVED_TO) && e->len && strcmp(e->name, "libgame.so") == 0) renamed = true;
            p += sizeof(*e) + e->len;
        }
        if (!renamed) continue;
        char copy[HARNESS_PATH + 64];
        snprintf(copy, sizeof(copy), "%s/copy.%d.so", l->dir, l->copies++);
        void *h = harness_copy_file(l->lib, copy) ? dlopen(copy, RTLD_NOW | RTLD_LOCAL) : NULL;
        int64_t done = h && dlsym(h, "game_get_api") ? wall_ns() : 0;
        if (write(l->done[1], &done, sizeof(done)) != sizeof(done)) return NULL;
        if (h) dlclose(h);
        unlink(copy);
    }
}

static bool loader_start(loader *l, const char *top)
{
    snprintf(l->dir, sizeof(l->dir), "%s/floor", top);
    snprintf(l->lib, sizeof(l->lib), "%s/libgame.so", l->dir);
    l->copies = 0;
    l->inotify = inotify_init1(IN_CLOEXEC);
    return mkdir(l->dir, 0700) == 0 && l->inotify >= 0 && inotify_add_watch(l->inotify, l->dir, IN_MOVED_TO) >= 0 &&
           pipe(l->done) == 0 && pthread_create(&l->thread, NULL, loader_main, l) == 0;
}

/* One build renamed into the loader's folder: ms from the rename to the entry point found. */
static double loader_once(loader *l, const char *image, size_t size, unsigned serial)
{
    int64_t mtime, renamed, done;
    if (!put_timed(l->lib, image, size, serial, &mtime, &renamed)) return -1;
    struct pollfd p = {l->done[0], POLLIN, 0};
    if (poll(&p, 1, WAIT_MS) != 1 || read(l->done[0], &done, sizeof(done)) != sizeof(done) || !done) return -1;
    return (double)(done - renamed) / 1e6;
}

static void loader_stop(loader *l)
{
    close(l->inotify); /* the thread's read fails and it returns */
    pthread_cancel(l->thread);
    pthread_join(l->thread, NULL);
    close(l->done[0]);
    close(l->done[1]);
}

/* ---- 2-4: latency, stall, builds seen ------------------------------------------------------------- */

static const char *const budget_keys[] = {"detect_ms",   "wait_ms",   "copy_ms",     "probe_ms",
                                          "load_ms",     "validate_ms", "layout_ms", "hooks_ms",
                                          "registry_ms", "unload_ms", "scan_ms",     "total_ms"};
#define BUDGET_PARTS (sizeof(budget_keys) / sizeof(budget_keys[0]))

typedef struct latency {
    double latency[BUILDS], floor[BUILDS];
    double parts[BUDGET_PARTS][BUILDS];
    int n;
} latency;

/* One host at `fps`, BUILDS builds: the latency of each, and (with `floor`) the floor between. */
static bool run_latency(const harness_game *g, const char *image, size_t size, const char *fps, loader *floor,
                        const char *trace, latency *out)
{
    harness_host host;
    const char *args[] = {"--fps", fps, trace ? "--trace" : NULL, trace, NULL};
    if (!harness_host_start(&host, g->lib, args)) return false;
    static unsigned serial;
    long offset = 0;
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < BUILDS; i++) {
        int64_t mtime, renamed;
        harness_sleep_ms(GAP_MS);
        if (!put_timed(g->lib, image, size, ++serial, &mtime, &renamed)) break;
        const char *ev = harness_next_event(&host, "reload", NULL, &offset, WAIT_MS);
        if (!ev) break;
        for (size_t k = 0; k < BUDGET_PARTS; k++) out->parts[k][i] = field_ms(ev, budget_keys[k]);
        out->latency[i] = field_ms(ev, "total_ms") - (double)(renamed - mtime) / 1e6;
        if (floor) {
            harness_sleep_ms(GAP_MS);
            out->floor[i] = loader_once(floor, image, size, ++serial);
        }
        out->n++;
    }
    harness_host_stop(&host);
    return out->n == BUILDS;
}

/* The median duration of the frames that hold a reload, over the median frame, from the trace. */
static double stall_ratio(const char *trace)
{
    FILE *f = fopen(trace, "r");
    if (!f) return -1;
    static double ts[1 << 20], dur[1 << 20], marks[BUILDS * 2], stalls[BUILDS * 2];
    int frames = 0, nmarks = 0;
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        double t, d;
        if (strstr(line, "{\"name\":\"frame\",\"cat\":\"frame\"") && frames < (1 << 20) &&
            sscanf(strstr(line, "\"ts\":"), "\"ts\":%lf,\"dur\":%lf", &t, &d) == 2) {
            ts[frames] = t;
            dur[frames++] = d;
        }
        if (strstr(line, "{\"name\":\"reload\",\"cat\":\"marker\"") && nmarks < BUILDS * 2 &&
            sscanf(strstr(line, "\"ts\":"), "\"ts\":%lf", &t) == 1)
            marks[nmarks++] = t;
    }
    fclose(f);
    int stalled = 0;
    for (int m = 0; m < nmarks; m++)
        for (int i = 0; i < frames; i++)
            if (marks[m] >= ts[i] && marks[m] < ts[i] + dur[i]) {
                stalls[stalled++] = dur[i];
                break;
            }
    if (!stalled || !frames) return -1;
    double swap = percentile(stalls, stalled, 0.5);
    return swap / percentile(dur, frames, 0.5);
}

/* Builds renamed into place SEEN_GAP_MS apart at 60 fps: the share of them that was reloaded. */
static double builds_seen(const harness_game *g, const char *image, size_t size)
{
    harness_host host;
    const char *args[] = {"--fps", "60", NULL};
    if (!harness_host_start(&host, g->lib, args)) return -1;
    static unsigned serial = 1000000;
    /* counted from a first reload on: a game still writing its state in init runs no frame, and
     * the builds written meanwhile would meet in one reload (the newest), which is not this count */
    int64_t mtime, renamed;
    long offset = 0;
    if (!put_timed(g->lib, image, size, ++serial, &mtime, &renamed) ||
        !harness_next_event(&host, "reload", NULL, &offset, WAIT_MS)) {
        harness_host_stop(&host);
        return -1;
    }
    for (int i = 0; i < SEEN_BUILDS; i++) {
        put_timed(g->lib, image, size, ++serial, &mtime, &renamed);
        harness_sleep_ms(SEEN_GAP_MS);
    }
    harness_sleep_ms(1000);
    int reloads = harness_count(&host, "reload") - 1;
    harness_host_stop(&host);
    return (double)reloads / SEEN_BUILDS;
}

static void print_budget(latency *l)
{
    printf("%-3s", "");
    for (size_t k = 0; k < BUDGET_PARTS; k++) {
        char name[32];
        snprintf(name, sizeof(name), "%s", budget_keys[k]);
        name[strlen(name) - 3] = 0; /* "_ms" */
        printf(" %s %.3f", name, percentile(l->parts[k], l->n, 0.5));
    }
    printf("\n");
}

/* Everything for one state size; `suffix` names its ratios. */
static bool bench_latency(const char *state_bytes, const char *title, const char *suffix)
{
    harness_game g;
    if (!harness_game_copy("tests/games/probe", &g)) return false;
    char define[64];
    snprintf(define, sizeof(define), "#define PROBE_STATE_BYTES %s ", state_bytes);
    /* a tick log every 30 updates would be thousands of events a second at an uncapped frame rate */
    if (!harness_edit(&g, "probe.c", "#define PROBE_STATE_BYTES 0 ", define) ||
        !harness_edit(&g, "probe.c", "#define PROBE_TICK 30 ", "#define PROBE_TICK 1000000 ") || harness_game_build(&g) != 0)
        return false;
    size_t size;
    char *image = harness_read(g.lib, &size);
    char trace[HARNESS_PATH + 32];
    snprintf(trace, sizeof(trace), "%s/trace.json", g.top);
    static latency uncapped, paced, slow;
    loader floor;
    bool ok = image && loader_start(&floor, g.top) && run_latency(&g, image, size, "0", &floor, NULL, &uncapped) &&
              run_latency(&g, image, size, "1000", NULL, trace, &paced) &&
              run_latency(&g, image, size, "60", NULL, NULL, &slow);
    loader_stop(&floor);
    double stall = ok ? stall_ratio(trace) : -1, seen = ok ? builds_seen(&g, image, size) : -1;
    free(image);
    harness_game_remove(&g);
    if (!ok) {
        fprintf(stderr, "bench_reload: the latency runs did not finish (%s)\n", title);
        return false;
    }
    printf("bench_reload: rename -> first frame of the new code, tests/games/probe with %s, %d builds each, probed\n",
           title, BUILDS);
    bench_print_machine();
    printf("%-44s %9s %9s\n", "", "p50 ms", "p95 ms");
    printf("%-44s %9.3f %9.3f\n", "host, uncapped frame rate", percentile(uncapped.latency, BUILDS, 0.5),
           percentile(uncapped.latency, BUILDS, 0.95));
    printf("%-44s %9.3f %9.3f\n", "host, 1000 fps", percentile(paced.latency, BUILDS, 0.5),
           percentile(paced.latency, BUILDS, 0.95));
    printf("%-44s %9.3f %9.3f\n", "host, 60 fps", percentile(slow.latency, BUILDS, 0.5),
           percentile(slow.latency, BUILDS, 0.95));
    printf("%-44s %9.3f %9.3f\n", "floor (inotify + copy + dlopen + dlsym)", percentile(uncapped.floor, BUILDS, 0.5),
           percentile(uncapped.floor, BUILDS, 0.95));
    printf("budget of a reload, uncapped, p50 of each part (in each reload event the parts add up to total):\n");
    print_budget(&uncapped);
    printf("frame that holds the swap at 1000 fps, over the median frame: %.2f\n", stall);
    printf("builds seen, %d builds %d ms apart: %.0f of %d\n", SEEN_BUILDS, SEEN_GAP_MS, seen * SEEN_BUILDS, SEEN_BUILDS);
    char name[64];
    snprintf(name, sizeof(name), "reload_latency_vs_floor%s", suffix);
    bench_ratio(name, percentile(uncapped.latency, BUILDS, 0.5) / percentile(uncapped.floor, BUILDS, 0.5));
    snprintf(name, sizeof(name), "reload_stall_vs_frame%s", suffix);
    bench_ratio(name, stall);
    snprintf(name, sizeof(name), "builds_seen_250ms%s", suffix);
    bench_ratio(name, seen);
    return true;
}

int main(void)
{
    if (!bench_swap()) return 1;
    printf("\n");
    if (!bench_latency("0", "a small state", "")) return 1;
    printf("\n");
    return bench_latency(BIG_STATE, "a 1 GiB state", "_1gib") ? 0 : 1;
}
