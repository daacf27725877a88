/* fuzz_arena.c - libFuzzer drives random sequences of arena, temp-scope, scratch and pool operations
 * and checks the invariants after each: every allocation is aligned, inside the arena and
 * disjoint from every other live one; its bytes survive later operations until popped (each
 * allocation is filled with its own pattern); zeroed pushes are zero; the stats add up; pools
 * hand out distinct slots and reuse freed ones. Under ASan, touching a popped byte is caught too.
 * The pool lives on an arena of its own: popping the arena under a pool would free its slots. */
#include "arena/arena.h"
#include "arena/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FUZZ_REGION MB(4)
#define FUZZ_LIVE 256

typedef struct live_block {
    uint8_t *p;
    uint64_t size;
    uint8_t pattern;
    uint64_t end_pos; /* the arena pos right after it: popping below this drops it */
} live_block;

typedef struct fuzz_state {
    arena *a, *scratch[2], *pool_arena;
    arena_pool *pool;
    live_block blocks[FUZZ_LIVE];
    int count;
    uint8_t *slots[FUZZ_LIVE];
    int slot_count;
    uint64_t temps[16];
    int temp_count;
} fuzz_state;

static void fuzz_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_arena: invariant broken: %s\n", what);
        abort();
    }
}

static void fuzz_check_blocks(fuzz_state *s)
{
    for (int i = 0; i < s->count; i++) {
        live_block *b = &s->blocks[i];
        for (uint64_t k = 0; k < b->size; k++) fuzz_check(b->p[k] == b->pattern, "a live allocation changed");
        fuzz_check(arena_contains(s->a, b->p) || b->size == 0, "a live allocation is outside the arena");
    }
}

/* Drops every tracked allocation that a pop to `pos` released. */
static void fuzz_forget_above(fuzz_state *s, uint64_t pos)
{
    int kept = 0;
    for (int i = 0; i < s->count; i++)
        if (s->blocks[i].end_pos <= pos) s->blocks[kept++] = s->blocks[i];
    s->count = kept;
}

static void fuzz_push(fuzz_state *s, const uint8_t *d)
{
    uint64_t size = ((uint64_t)d[0] << 8 | d[1]) % 5000;
    uint64_t align = (uint64_t)1 << (d[2] % 13);
    bool zero = d[3] & 1;
    uint64_t before = arena_pos(s->a);
    uint8_t *p = zero ? arena_try_push(s->a, size, align) : arena_try_push_no_zero(s->a, size, align);
    if (!p) {
        fuzz_check(s->a->failure.request == size, "a failed push was not recorded");
        fuzz_check(arena_pos(s->a) == before, "a failed push moved the position");
        return;
    }
    fuzz_check(((uintptr_t)p & (align - 1)) == 0, "misaligned push");
    fuzz_check(p >= s->a->base + before && p + size <= s->a->base + arena_pos(s->a), "push outside [old pos, pos]");
    if (zero)
        for (uint64_t k = 0; k < size; k++) fuzz_check(p[k] == 0, "a zeroed push was not zero");
    if (s->count == FUZZ_LIVE) return;
    live_block b = {p, size, (uint8_t)(d[3] | 1), arena_pos(s->a)};
    memset(p, b.pattern, (size_t)size);
    s->blocks[s->count++] = b;
}

static void fuzz_pool(fuzz_state *s, const uint8_t *d)
{
    if ((d[0] & 1) && s->slot_count) {
        int i = d[1] % s->slot_count;
        arena_pool_free(s->pool, s->slots[i]);
        s->slots[i] = s->slots[--s->slot_count];
        return;
    }
    uint8_t *slot = arena_pool_try_alloc(s->pool);
    if (!slot || s->slot_count == FUZZ_LIVE) return;
    for (int i = 0; i < s->slot_count; i++) fuzz_check(s->slots[i] != slot, "a pool slot was handed out twice");
    for (uint64_t k = 0; k < s->pool->slot_size; k++) fuzz_check(slot[k] == 0, "a pool slot was not zeroed");
    s->slots[s->slot_count++] = slot;
    fuzz_check(s->pool->live == (uint64_t)s->slot_count, "pool live count is off");
}

static void fuzz_step(fuzz_state *s, const uint8_t *d)
{
    switch (d[0] % 8) {
    case 0: case 1: case 2: fuzz_push(s, d + 1); break;
    case 3:
        if (s->temp_count < 16) s->temps[s->temp_count++] = arena_pos(s->a);
        break;
    case 4:
        if (s->temp_count) {
            uint64_t pos = s->temps[--s->temp_count];
            arena_pop_to(s->a, pos);
            fuzz_forget_above(s, pos);
        }
        break;
    case 5: {
        uint64_t pos = ((uint64_t)d[1] << 16 | (uint64_t)d[2] << 8 | d[3]) % (arena_pos(s->a) + 1);
        arena_pop_to(s->a, pos);
        fuzz_forget_above(s, pos);
        while (s->temp_count && s->temps[s->temp_count - 1] > pos) s->temp_count--;
        break;
    }
    case 6: fuzz_pool(s, d + 1); break;
    case 7: {
        arena *conflict = s->scratch[d[1] & 1];
        arena_temp t = arena_scratch_begin(s->scratch, 2, &conflict, 1);
        fuzz_check(t.arena != conflict, "scratch handed out the conflicting arena");
        arena_push(t.arena, d[2], 8);
        arena_scratch_end(t);
        fuzz_check(arena_pos(t.arena) == t.pos, "scratch end did not restore the position");
        break;
    }
    }
    fuzz_check(arena_stats_high_water(s->a) >= arena_pos(s->a), "high water below pos");
    fuzz_check(arena_pos(s->a) <= s->a->committed && s->a->committed <= s->a->capacity, "commit bookkeeping off");
    fuzz_check(arena_stats_padding(s->a) <= arena_pos(s->a) + s->a->stats.bytes_popped, "padding exceeds what moved");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *mem;
    if (!mem) mem = mmap(NULL, 4 * FUZZ_REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fuzz_state s = {0};
    s.a = arena_create(mem, FUZZ_REGION, (arena_params){.name = "fuzz", .commit_step = KB(4)});
    s.scratch[0] = arena_create(mem + FUZZ_REGION, FUZZ_REGION, (arena_params){.name = "s0"});
    s.scratch[1] = arena_create(mem + 2 * FUZZ_REGION, FUZZ_REGION, (arena_params){.name = "s1"});
    s.pool_arena = arena_create(mem + 3 * FUZZ_REGION, FUZZ_REGION, (arena_params){.name = "pool"});
    s.pool = arena_pool_create(s.pool_arena, 24 + (size ? data[0] % 200 : 0), 8, "fuzz pool");
    for (size_t i = 0; i + 5 <= size; i += 5) fuzz_step(&s, data + i);
    fuzz_check_blocks(&s);
    return 0;
}
