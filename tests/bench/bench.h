/* bench.h - what every benchmark shares: a clock, best-of-N timing, the machine line, and the
 * `ratio NAME VALUE` lines that scripts read. Benchmarks print; they never pass or fail on time. */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The CPU model and core count, so a table says where it was measured. */
static inline void bench_print_machine(void)
{
    char line[256], model[256] = "unknown cpu";
    int cores = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(model, sizeof(model), "%s", strchr(line, ':') + 2);
            model[strcspn(model, "\n")] = 0;
        }
        if (!strncmp(line, "processor", 9)) cores++;
    }
    if (f) fclose(f);
    printf("machine: %s, %d cores\n", model, cores);
}

static inline void bench_ratio(const char *name, double value) { printf("ratio %s %.2f\n", name, value); }

/* A small deterministic generator so every contender sees the same sizes. */
static inline uint32_t bench_rand(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*state >> 33);
}

#endif
