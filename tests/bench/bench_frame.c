/* bench_frame.c - a frame-shaped workload: every frame pushes thousands of 16-256 byte objects,
 * uses them, and throws them all away. Contenders: the frame arena (push, then clear), glibc
 * malloc/free, mimalloc mi_malloc/mi_free, and a mimalloc heap created and destroyed per frame.
 * Debian's libmimalloc exports malloc (and even __libc_malloc), so the bench links libc before it:
 * malloc here is glibc's.
 * Rounds alternate between contenders and the best round of each counts, to tame a noisy machine. */
#include "arena/arena.h"
#include "bench.h"

#include <mimalloc.h>
#include <stdlib.h>
#include <sys/mman.h>

#define FRAMES 200
#define ALLOCS 4096
#define ROUNDS 7


typedef struct workload {
    uint32_t sizes[ALLOCS];
    void *ptrs[ALLOCS];
    arena *frame;
    uint64_t sink;
} workload;

/* Each allocation is written to, as a game would, so no contender gets away with untouched memory;
 * the returned bits feed a sum that keeps the compiler from dropping anything. */
static inline uintptr_t touch(void *p, uint32_t size)
{
    ((unsigned char *)p)[0] = (unsigned char)size;
    ((unsigned char *)p)[size - 1] = 1;
    return (uintptr_t)p & 0xff;
}

static void run_arena(workload *w)
{
    uintptr_t sum = 0;
    for (int f = 0; f < FRAMES; f++) {
        for (int i = 0; i < ALLOCS; i++) sum += touch(arena_push_no_zero(w->frame, w->sizes[i], 16), w->sizes[i]);
        arena_clear(w->frame);
    }
    w->sink += sum;
}

static void run_glibc(workload *w)
{
    uintptr_t sum = 0;
    for (int f = 0; f < FRAMES; f++) {
        for (int i = 0; i < ALLOCS; i++) sum += touch(w->ptrs[i] = malloc(w->sizes[i]), w->sizes[i]);
        for (int i = 0; i < ALLOCS; i++) free(w->ptrs[i]);
    }
    w->sink += sum;
}

static void run_mimalloc(workload *w)
{
    uintptr_t sum = 0;
    for (int f = 0; f < FRAMES; f++) {
        for (int i = 0; i < ALLOCS; i++) sum += touch(w->ptrs[i] = mi_malloc(w->sizes[i]), w->sizes[i]);
        for (int i = 0; i < ALLOCS; i++) mi_free(w->ptrs[i]);
    }
    w->sink += sum;
}

static void run_mi_heap(workload *w)
{
    uintptr_t sum = 0;
    for (int f = 0; f < FRAMES; f++) {
        mi_heap_t *heap = mi_heap_new();
        for (int i = 0; i < ALLOCS; i++) sum += touch(mi_heap_malloc(heap, w->sizes[i]), w->sizes[i]);
        mi_heap_destroy(heap);
    }
    w->sink += sum;
}

typedef struct contender {
    const char *name;
    void (*run)(workload *w);
    double best_ns;
} contender;

int main(void)
{
    static workload w;
    uint64_t seed = 42;
    for (int i = 0; i < ALLOCS; i++) w.sizes[i] = 16 + bench_rand(&seed) % 241;
    size_t region = MB(64);
    void *mem = mmap(NULL, region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    w.frame = arena_create(mem, region, (arena_params){.name = "frame"});

    contender c[] = {
        {"frame arena (push + clear)", run_arena, 1e30},
        {"glibc malloc + free", run_glibc, 1e30},
        {"mi_malloc + mi_free", run_mimalloc, 1e30},
        {"mimalloc heap per frame", run_mi_heap, 1e30},
    };
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
            uint64_t t0 = bench_now_ns();
            c[k].run(&w);
            double ns = (double)(bench_now_ns() - t0) / ((double)FRAMES * ALLOCS);
            if (ns < c[k].best_ns) c[k].best_ns = ns;
        }
    }

    printf("bench_frame: %d frames x %d allocations of 16-256 B, best of %d rounds\n", FRAMES, ALLOCS, ROUNDS);
    bench_print_machine();
    printf("%-30s %12s %10s\n", "allocator", "ns/alloc", "vs arena");
    for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++)
        printf("%-30s %12.2f %9.1fx\n", c[k].name, c[k].best_ns, c[k].best_ns / c[0].best_ns);
    bench_ratio("frame_arena_vs_glibc", c[1].best_ns / c[0].best_ns);
    bench_ratio("frame_arena_vs_mimalloc", c[2].best_ns / c[0].best_ns);
    bench_ratio("frame_arena_vs_mi_heap", c[3].best_ns / c[0].best_ns);
    munmap(mem, region);
    printf("(checksum %llu)\n", (unsigned long long)w.sink);
    return 0;
}
