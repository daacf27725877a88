/* bench_heap.c - the block heap against default mimalloc and glibc, on two single-threaded
 * workloads in the style of mimalloc-bench:
 *   alloc-test:   a live set of 20,000 objects of random sizes up to 1 KiB; each step frees a random
 *                 one and allocates a new one in its place (a long-running game's churn);
 *   glibc-simple: batches of 1,000 allocations of random small sizes, then all of them freed.
 * Debian's libmimalloc exports malloc (and even __libc_malloc), so the bench links libc before it:
 * malloc here is glibc's. Rounds alternate between contenders; the best round counts.
 * The block heap runs twice: as a game's heap_alloc runs by default (--leaks=off: the bare
 * service, the headline ratio), and as it runs with --leaks=report or fail, each allocation noted
 * in the owner map with its caller (host/stats/heap_sites.h). */
#include "arena/arena.h"
#include "bench.h"
#include "arena/heap.h"
#include "arena/arena_stats.h"
#include "host/stats/heap_sites.h"

#include <math.h>
#include <mimalloc.h>
#include <stdlib.h>
#include <sys/mman.h>

#define LIVE 20000
#define STEPS 2000000
#define BATCH 1000
#define BATCHES 2000
#define ROUNDS 5


static heap_region region;
static void *live[LIVE];
static uint32_t sizes[STEPS];

/* The geometric mean of two ratios. */
static double sqrt_ratio(double a, double b) { return sqrt(a * b); }

/* the body of the host's heap_alloc service, which a game calls through its host API table; the
 * heap_free service is mi_free itself */
static void *block_alloc(size_t n) { return heap_alloc(n, 0, HEAP_FATAL); }

/* the same with --leaks (services.c's services_heap_alloc_noted): at least a grain, and the caller
 * noted as the owner of the block */
static heap_sites sites;
static bool bench_no_line(void *ctx, const arena_stats_frame *f, char *out, size_t cap) { return false; }
static void *noted_alloc(size_t n)
{
    void *p = heap_alloc(n && n < HEAP_SITES_GRAIN ? HEAP_SITES_GRAIN : n, 0, HEAP_FATAL);
    heap_sites_note(&sites, p, ARENA_CALLER);
    return p;
}
static void *mi_alloc(size_t n) { return mi_malloc(n); }
static void *glibc_alloc(size_t n) { return malloc(n); }

typedef struct allocator {
    const char *name;
    void *(*alloc)(size_t n);
    void (*release)(void *p);
    bool unbound; /* runs with mimalloc's own default heap, not the region's */
} allocator;

static double run_alloc_test(const allocator *a)
{
    uint64_t seed = 7;
    for (int i = 0; i < LIVE; i++) live[i] = a->alloc(1 + sizes[i] % 1024);
    uint64_t t0 = bench_now_ns();
    for (int s = 0; s < STEPS; s++) {
        uint32_t slot = bench_rand(&seed) % LIVE;
        a->release(live[slot]);
        live[slot] = a->alloc(1 + sizes[s] % 1024);
        ((unsigned char *)live[slot])[0] = (unsigned char)s;
    }
    double ns = (double)(bench_now_ns() - t0) / STEPS;
    for (int i = 0; i < LIVE; i++) a->release(live[i]);
    return ns;
}

static double run_glibc_simple(const allocator *a)
{
    uint64_t t0 = bench_now_ns();
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < BATCH; i++) {
            live[i] = a->alloc(8 + sizes[b * BATCH % (STEPS - BATCH) + i] % 120);
            ((unsigned char *)live[i])[0] = (unsigned char)i;
        }
        for (int i = 0; i < BATCH; i++) a->release(live[i]);
    }
    return (double)(bench_now_ns() - t0) / ((double)BATCHES * BATCH);
}

int main(void)
{
    uint64_t base = 0x330000000000ull, size = GB(1);
    void *mem = mmap((void *)(uintptr_t)base, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (mem != (void *)(uintptr_t)base || heap_region_init(&region, mem, size, true, "bench") != HEAP_OK) {
        fprintf(stderr, "bench_heap: cannot set up the heap region at 0x%llx\n", (unsigned long long)base);
        return 1;
    }
    uint8_t *home_mem = mmap(NULL, MB(4), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    arena *home = home_mem != MAP_FAILED ? arena_create(home_mem, MB(4), (arena_params){.name = "home"}) : NULL;
    arena_stats_table *table = home ? arena_stats_table_create(home, (arena_stats_params){.stamp = 5}) : NULL;
    if (!table || !heap_sites_init(&sites, &region, table, bench_no_line, NULL)) return 1;
    uint64_t seed = 11;
    for (int i = 0; i < STEPS; i++) sizes[i] = bench_rand(&seed);

    allocator all[] = {
        {"block heap (heap_alloc)", block_alloc, mi_free, false},
        {"mimalloc (mi_malloc)", mi_alloc, mi_free, true},
        {"glibc (malloc)", glibc_alloc, free, false},
        {"block heap with --leaks (sites noted)", noted_alloc, mi_free, false},
    };
    enum { CONTENDERS = ARRAY_COUNT(all) };
    double best[2][CONTENDERS] = {{1e30, 1e30, 1e30, 1e30}, {1e30, 1e30, 1e30, 1e30}};
    for (int r = 0; r < ROUNDS; r++)
        for (int k = 0; k < CONTENDERS; k++) {
            /* the main thread is bound to the region; plain mimalloc gets its own default heap back */
            if (all[k].unbound) heap_thread_unbind();
            double t = run_alloc_test(&all[k]);
            if (t < best[0][k]) best[0][k] = t;
            t = run_glibc_simple(&all[k]);
            if (t < best[1][k]) best[1][k] = t;
            if (all[k].unbound && !heap_thread_bind(&region)) return 1;
        }

    printf("bench_heap: alloc-test (live set %d, %d steps, sizes 1-1024 B) and glibc-simple (%d x %d, 8-127 B), "
           "best of %d rounds\n", LIVE, STEPS, BATCHES, BATCH, ROUNDS);
    bench_print_machine();
    printf("%-34s %16s %16s\n", "allocator", "alloc-test ns/op", "simple ns/op");
    for (int k = 0; k < CONTENDERS; k++) printf("%-38s %16.2f %16.2f\n", all[k].name, best[0][k], best[1][k]);
    /* how many times faster the block heap is: geometric mean over the two workloads */
    double vs_mi = sqrt_ratio(best[0][1] / best[0][0], best[1][1] / best[1][0]);
    double vs_glibc = sqrt_ratio(best[0][2] / best[0][0], best[1][2] / best[1][0]);
    double leaks_vs_mi = sqrt_ratio(best[0][1] / best[0][3], best[1][1] / best[1][3]);
    bench_ratio("heap_vs_mimalloc", vs_mi);
    bench_ratio("heap_vs_glibc", vs_glibc);
    bench_ratio("heap_leaks_vs_mimalloc", leaks_vs_mi);
    return 0;
}
