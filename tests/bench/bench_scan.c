/* bench_scan.c - how fast the stale-pointer scan reads the block after a reload. The target is at
 * least 4 GB/s of used memory. Two sizes: 256 MiB, far bigger than the caches (the scan is then
 * bound by memory bandwidth), and 256 KiB, which stays in the cache (bound by the compare loop). The
 * floor is a plain sum of the same words, the least any reader of that memory can cost, measured
 * alternately with the scan in the same run. The memory holds random words and a few hits, like a
 * state with a handful of stale pointers. Best of 7 rounds. */
#include "arena/base.h"
#include "bench.h"
#include "host/reload/scan.h"

#include <stdlib.h>
#include <sys/mman.h>

#define BIG (256ull << 20)
#define SMALL (256ull << 10)
#define ROUNDS 7
#define HITS 16

static const uint64_t lo = 0x7f3a00000000ull, hi = 0x7f3a00040000ull; /* a 256 KiB library image */
static volatile uint64_t sink;

static BASE_NOINLINE uint64_t floor_sum(const uint64_t *w, uint64_t n)
{
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; i++) s += w[i];
    return s;
}

static void fill(uint64_t *w, uint64_t n)
{
    uint64_t state = 1;
    for (uint64_t i = 0; i < n; i++) w[i] = (uint64_t)bench_rand(&state) << 32 | bench_rand(&state);
    for (int k = 0; k < HITS; k++) w[(n / HITS) * (uint64_t)k + 3] = lo + (uint64_t)k * 64;
}

typedef struct measured {
    double scan_gbps, floor_gbps;
} measured;

/* Runs over `size` bytes enough times for about 256 MiB read per round. */
static measured measure(const uint64_t *w, uint64_t size)
{
    measured m = {0, 0};
    uint64_t passes = BIG / size;
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t t0 = bench_now_ns(), hits = 0;
        for (uint64_t p = 0; p < passes; p++) hits += scan_words(w, size, lo, hi, NULL, NULL).hits;
        uint64_t t1 = bench_now_ns();
        for (uint64_t p = 0; p < passes; p++) sink += floor_sum(w, size / 8);
        uint64_t t2 = bench_now_ns();
        if (hits != HITS * passes) {
            fprintf(stderr, "bench_scan: found %llu of %llu planted pointers\n", (unsigned long long)hits,
                    (unsigned long long)(HITS * passes));
            exit(1);
        }
        double bytes = (double)size * (double)passes;
        double scan = bytes / (double)(t1 - t0), floor = bytes / (double)(t2 - t1);
        if (scan > m.scan_gbps) m.scan_gbps = scan;
        if (floor > m.floor_gbps) m.floor_gbps = floor;
    }
    return m;
}

int main(void)
{
    uint64_t *w = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED) {
        fprintf(stderr, "bench_scan: cannot map %llu bytes\n", (unsigned long long)BIG);
        return 1;
    }
    printf("bench_scan: stale-pointer scan of random words, best of %d rounds\n", ROUNDS);
    bench_print_machine();
    printf("%-28s %12s %12s %10s\n", "memory", "scan GB/s", "floor GB/s", "time/floor");
    fill(w, BIG / 8);
    measured big = measure(w, BIG);
    printf("%-28s %12.2f %12.2f %9.2fx\n", "256 MiB (from memory)", big.scan_gbps, big.floor_gbps,
           big.floor_gbps / big.scan_gbps);
    fill(w, SMALL / 8);
    measured small = measure(w, SMALL);
    printf("%-28s %12.2f %12.2f %9.2fx\n", "256 KiB (in cache)", small.scan_gbps, small.floor_gbps,
           small.floor_gbps / small.scan_gbps);
    bench_ratio("stale_scan_gbps", big.scan_gbps);
    bench_ratio("stale_scan_vs_floor", big.scan_gbps / big.floor_gbps);
    munmap(w, BIG);
    return 0;
}
