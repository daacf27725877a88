/* bench_stats.c - what the allocation stats cost a push. A frame-shaped workload: every frame
 * pushes 4096 objects of 16-256 bytes from four call sites, writes to each, and clears the arena.
 * Each kernel runs with stats on (an arena tracked by a stats table: per-site counters, a tag
 * open) and with stats compiled out (-DARENA_NO_STATS), in two flavours:
 *  - zeroed pushes (arena_push, push_struct, push_array: the default), the headline ratio;
 *  - pushes that are not zeroed (arena_push_no_zero), with only two bytes written, bench_frame's
 *    workload: the thinnest push there is, so the counters weigh the most there.
 *
 * This file is compiled twice into one executable: once with -DARENA_NO_STATS, which defines only
 * the _off kernels, and once normally, which defines the _on kernels and main. Same source, so the
 * ratio is the price of the counting. Rounds alternate between the contenders and the best round of
 * each counts, to tame a machine shared with other work. */
#include "arena/arena_stats.h"
#include "bench.h"

#define FRAMES 40
#define ALLOCS 4096 /* per frame, a multiple of 4 */
#define ROUNDS 201

#if defined(ARENA_NO_STATS)
#define BENCH_KERNEL(name) name##_off
#else
#define BENCH_KERNEL(name) name##_on
#endif

typedef uint64_t bench_kernel(arena *frame, const uint32_t *sizes);
bench_kernel bench_zeroed_off, bench_zeroed_on, bench_no_zero_off, bench_no_zero_on;

/* Written to, as a game would; the returned bits keep the compiler from dropping anything. */
static inline uintptr_t bench_touch(void *p, uint32_t size)
{
    ((unsigned char *)p)[0] = (unsigned char)size;
    ((unsigned char *)p)[size - 1] = 1;
    return (uintptr_t)p & 0xff;
}

/* Four call sites, as a frame of a game has several. */
uint64_t BENCH_KERNEL(bench_zeroed)(arena *frame, const uint32_t *sizes)
{
    uintptr_t sum = 0;
    for (int f = 0; f < FRAMES; f++) {
        for (int i = 0; i < ALLOCS; i += 4) {
            sum += bench_touch(arena_push(frame, sizes[i], 16), sizes[i]);
            sum += bench_touch(arena_push(frame, sizes[i + 1], 8), sizes[i + 1]);
            sum += bench_touch(arena_push(frame, sizes[i + 2], 16), sizes[i + 2]);
            sum += bench_touch(arena_push(frame, sizes[i + 3], 4), sizes[i + 3]);
        }
        arena_clear(frame);
    }
    return sum;
}

uint64_t BENCH_KERNEL(bench_no_zero)(arena *frame, const uint32_t *sizes)
{
    uintptr_t sum = 0;
    for (int f = 0; f < FRAMES; f++) {
        for (int i = 0; i < ALLOCS; i += 4) {
            sum += bench_touch(arena_push_no_zero(frame, sizes[i], 16), sizes[i]);
            sum += bench_touch(arena_push_no_zero(frame, sizes[i + 1], 8), sizes[i + 1]);
            sum += bench_touch(arena_push_no_zero(frame, sizes[i + 2], 16), sizes[i + 2]);
            sum += bench_touch(arena_push_no_zero(frame, sizes[i + 3], 4), sizes[i + 3]);
        }
        arena_clear(frame);
    }
    return sum;
}

#if !defined(ARENA_NO_STATS)
#include <sys/mman.h>

typedef struct contender {
    const char *name;
    bench_kernel *run;
    arena *frame;
    double best_ns;
} contender;

static arena *bench_arena(uint8_t *memory, uint64_t size, const char *name)
{
    arena *a = arena_create(memory, size, (arena_params){.name = name});
    /* commit everything up front, so no contender pays for first touches */
    arena_push_no_zero(a, size / 2, 16);
    arena_clear(a);
    return a;
}

/* The host's share per frame: ending the frame's counts in the table, best of many. */
static double bench_frame_end_us(arena_stats_table *table)
{
    while (arena_stats_site_count(table) < 100) /* a game's worth of sites */
        arena_stats_site_id(table, "bench.c", 1000 + arena_stats_site_count(table), "more");
    double best = 1e30;
    for (int i = 0; i < 1000; i++) {
        uint64_t t0 = bench_now_ns();
        arena_stats_frame_end(table, (uint64_t)i);
        double us = (double)(bench_now_ns() - t0) / 1e3;
        if (us < best) best = us;
    }
    return best;
}

static void bench_print(const contender *c, size_t count)
{
    printf("%-46s %10s %10s\n", "push", "ns/push", "vs off");
    for (size_t k = 0; k < count; k++) {
        const contender *off = &c[k & ~(size_t)1];
        printf("%-46s %10.2f %9.2fx\n", c[k].name, c[k].best_ns, c[k].best_ns / off->best_ns);
    }
}

int main(void)
{
    static uint32_t sizes[ALLOCS];
    uint64_t seed = 42;
    for (int i = 0; i < ALLOCS; i++) sizes[i] = 16 + bench_rand(&seed) % 241;
    uint64_t region = MB(8);
    uint8_t *mem = mmap(NULL, 5 * region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return 1;

    arena *home = arena_create(mem + 4 * region, region, (arena_params){.name = "home"});
    arena_stats_table *table = arena_stats_table_create(home, (arena_stats_params){.stamp = 1});
    contender c[] = {
        {"zeroed, stats compiled out", bench_zeroed_off, bench_arena(mem, region, "a"), 1e30},
        {"zeroed, stats on (arena, site, tag)", bench_zeroed_on, bench_arena(mem + region, region, "b"), 1e30},
        {"not zeroed, stats compiled out", bench_no_zero_off, bench_arena(mem + 2 * region, region, "c"), 1e30},
        {"not zeroed, stats on (arena, site, tag)", bench_no_zero_on, bench_arena(mem + 3 * region, region, "d"), 1e30},
    };
    if (!table || !arena_stats_track(table, c[1].frame) || !arena_stats_track(table, c[3].frame)) return 1;
    uint32_t tag = arena_stats_tag(table, "bench");
    arena_tag_scope scopes[] = {arena_tag_begin(c[1].frame, tag), arena_tag_begin(c[3].frame, tag)};

    uint64_t sink = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t k = 0; k < ARRAY_COUNT(c); k++) {
            uint64_t t0 = bench_now_ns();
            sink += c[k].run(c[k].frame, sizes);
            double ns = (double)(bench_now_ns() - t0) / ((double)FRAMES * ALLOCS);
            if (ns < c[k].best_ns) c[k].best_ns = ns;
        }
    }
    arena_tag_end(scopes[0]);
    arena_tag_end(scopes[1]);

    printf("bench_stats: %d frames x %d pushes of 16-256 B from 4 call sites, best of %d rounds\n", FRAMES, ALLOCS,
           ROUNDS);
    bench_print_machine();
    bench_print(c, ARRAY_COUNT(c));
    /* proof that the "on" kernels counted: every push, at its four sites, under the tag */
    uint64_t expect = 2ull * ROUNDS * FRAMES * ALLOCS;
    uint64_t counted = arena_stats_pushes(c[1].frame) + arena_stats_pushes(c[3].frame) - 2; /* the commits */
    printf("counted %llu of %llu pushes at %u sites; tag 'bench' %llu\n", (unsigned long long)counted,
           (unsigned long long)expect, arena_stats_site_count(table) - 1,
           (unsigned long long)table->tags[tag].total.pushes);
    printf("stats on add %.2f ns to a zeroed push, %.2f ns to one not zeroed\n", c[1].best_ns - c[0].best_ns,
           c[3].best_ns - c[2].best_ns);
    printf("frame end (history, per-frame figures) with %u sites in %u arenas: %.2f us\n", arena_stats_site_count(table),
           table->tracked_count, bench_frame_end_us(table));
    bench_ratio("stats_on_vs_off", c[1].best_ns / c[0].best_ns);
    bench_ratio("stats_on_vs_off_no_zero", c[3].best_ns / c[2].best_ns);
    munmap(mem, 5 * region);
    printf("(checksum %llu)\n", (unsigned long long)sink);
    return 0;
}
#endif
