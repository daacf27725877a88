/* bigstate.c - a game with a lot of state, for the reload benchmarks (tests/bench/bench_state.c).
 *
 * init fills BIG_MB MiB of the persistent arena; every update writes 1/BIG_SLICES of the hot part
 * (the first BIG_HOT_PERMILLE per mille of the state, 1% by default), one word per 512 bytes, so
 * that each page of the hot part is written once every BIG_SLICES frames. The state keeps a
 * function pointer and a string literal, which every reload repairs. With BIG_BEFORE_MB, the
 * before_reload hook writes that many MiB more, each page holding a function pointer, so that the
 * reload has them to scan and repair right then (the scan rate). */
#include "game_api.h"

#include <string.h>

#ifndef BIG_MB
#define BIG_MB 4
#endif
#ifndef BIG_HOT_PERMILLE
#define BIG_HOT_PERMILLE 10
#endif
#ifndef BIG_SLICES
#define BIG_SLICES 16
#endif
#ifndef BIG_BEFORE_MB
#define BIG_BEFORE_MB 0
#endif

#define BIG_PAGE 4096u

typedef uint64_t big_step_fn(uint64_t x);

typedef struct big_state {
    uint64_t updates;
    uint8_t *data;
    uint64_t size;
    uint64_t hot;        /* bytes at the start of data that updates write */
    uint64_t cursor;     /* where the next slice starts */
    uint8_t *before;     /* BIG_BEFORE_MB MiB written by before_reload */
    big_step_fn *step;   /* repaired by every reload */
    const char *name;    /* a literal, repaired by every reload */
    uint64_t sum;
} big_state;

static BASE_NOINLINE uint64_t big_step(uint64_t x) { return x * 3 + 1; }

static void big_init(game_memory *mem, const host_api *host)
{
    big_state *s = push_struct(mem->persistent, big_state);
    s->size = (uint64_t)BIG_MB << 20;
    s->data = arena_push_no_zero(mem->persistent, s->size, BIG_PAGE);
    memset(s->data, 1, (size_t)s->size);
    s->hot = (s->size * BIG_HOT_PERMILLE / 1000 + BIG_PAGE - 1) / BIG_PAGE * BIG_PAGE;
    if (BIG_BEFORE_MB) s->before = arena_push_no_zero(mem->persistent, (uint64_t)BIG_BEFORE_MB << 20, BIG_PAGE);
    s->step = big_step;
    s->name = "bigstate";
    mem->root = s;
    mem->root_size = sizeof(*s);
    host->log("bigstate ready: %llu MiB, %llu hot bytes", (unsigned long long)BIG_MB, (unsigned long long)s->hot);
}

static game_status big_update(game_memory *mem, const host_api *host, const game_input *in)
{
    big_state *s = mem->root;
    uint64_t slice = s->hot / BIG_SLICES;
    for (uint64_t at = s->cursor; at < s->cursor + slice; at += 512) *(uint64_t *)(s->data + at) = s->updates;
    s->cursor = (s->cursor + slice) % (slice * BIG_SLICES);
    s->sum += s->step(s->updates++) + (uint64_t)s->name[0];
    (void)host;
    (void)in;
    return GAME_CONTINUE;
}

/* Every page of `before` gets a pointer to this build's function: the reload finds them all. */
static void big_before_reload(game_memory *mem, const host_api *host)
{
    big_state *s = mem->root;
    uint64_t size = (uint64_t)BIG_BEFORE_MB << 20;
    for (uint64_t at = 0; at < size; at += BIG_PAGE) {
        memset(s->before + at, (int)(s->updates & 0x7f), BIG_PAGE);
        *(big_step_fn **)(s->before + at) = big_step;
    }
    (void)host;
}

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {GAME_API_INIT, .init = big_init, .update = big_update,
                                 .before_reload = BIG_BEFORE_MB ? big_before_reload : NULL};
    (void)host_abi;
    return &api;
}
