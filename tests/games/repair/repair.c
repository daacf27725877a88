/* repair.c - a game that keeps what C code keeps: function pointers and string literals in the
 * state, in the persistent arena and on the heap, for tests/integration/test_repair.c.
 *
 * REPAIR_STAGE tells builds apart (every result depends on it) and moves every function and
 * string (stage 2 and later put code and data in front). What the state keeps, set by init:
 *  - step, heap_step: function pointers (in the arena, in a heap object);
 *  - name: a literal; mid: a pointer into the middle of one ("hobgoblin" + 3);
 *  - changed: a literal whose text changes in stage 2 (the old text is copied into the block);
 *  - kind: a named const object (its fields change with the stage);
 *  - the declared struct `decl` (GAME_STRUCT): an X_FN, an X_STR holding bytes that are not text,
 *    and an X_STR holding an empty literal, which the conservative rules leave alone;
 *  - removed: a pointer to a function that stage 2 removes (REPAIR_CALL_REMOVED then calls it);
 *  - the noise: REPAIR_NOISE_WORDS random words, and words that look like addresses inside this
 *    build but point at no symbol start and no text (a function + 1..7); no reload may touch them
 *    (the game checks their sum);
 *  - skipped: a real function pointer in a range given to host->stale_skip (left alone, reported). */
#include "game_api.h"
#include "game_layout.h"

#include <string.h>

#ifndef REPAIR_STAGE
#define REPAIR_STAGE 1
#endif
#define REPAIR_NOISE_WORDS (1u << 21) /* 16 MiB */
#define REPAIR_NEAR_MISSES 16

typedef int64_t repair_step_fn(int64_t x);

#if REPAIR_STAGE >= 2
/* stage 2 and later: code and data in front of everything, so every address moves */
static const char repair_filler[65536] = "filler";
__attribute__((used, noinline)) int64_t repair_padding(int64_t x)
{
    volatile int64_t v = x;
    for (int i = 0; i < 64; i++) v = v * 3 + i + repair_filler[i];
    return v;
}
#endif

typedef struct repair_kind {
    int64_t speed;
    const char *label;
} repair_kind;

/* named const objects */
static const repair_kind repair_goblin = {10 * REPAIR_STAGE, "goblin kind"};

#define REPAIR_DECL_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X_FN(repair_step_fn, fn)                                        \
    X_STR(binary)                                                   \
    X_STR(empty)
GAME_STRUCT(repair_decl, REPAIR_DECL_FIELDS);

typedef struct repair_more *repair_more_ptr; /* the rest of the state, not declared (below) */

#define REPAIR_STATE_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(uint64_t, updates)                                             \
    X_PTR(repair_decl, decl)                                         \
    X(repair_more_ptr, more)
GAME_STRUCT(repair_root, REPAIR_STATE_FIELDS);

typedef struct repair_heap_obj {
    repair_step_fn *fn;
} repair_heap_obj;

/* Found by the conservative scan. */
typedef struct repair_more {
    repair_step_fn *step;
    const char *name;
    const char *mid;
    const char *changed;
    const repair_kind *kind;
    repair_step_fn *removed;
    repair_heap_obj *heap;
    uint64_t *noise;
    uint64_t noise_sum;
    repair_step_fn **skipped;
} repair_more;

__attribute__((noinline)) int64_t repair_triple(int64_t x) { return 3 * x + REPAIR_STAGE; }
__attribute__((noinline)) int64_t repair_square(int64_t x) { return x * x + REPAIR_STAGE; }
__attribute__((noinline)) int64_t repair_negate(int64_t x) { return -x - REPAIR_STAGE; }
#if REPAIR_STAGE < 2
__attribute__((noinline)) int64_t repair_removed(int64_t x) { return x + 1000; }
#endif

static uint64_t repair_sum(const uint64_t *w, uint64_t n)
{
    uint64_t s = 0;
    for (uint64_t i = 0; i < n; i++) s = s * 31 + w[i];
    return s;
}

/* xorshift64*: any 64-bit value, and near misses: an address inside a function, never its start */
static void repair_fill_noise(repair_more *m)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (uint64_t i = 0; i < REPAIR_NOISE_WORDS; i++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        m->noise[i] = x * 0x2545f4914f6cdd1dull;
    }
    for (uint64_t i = 0; i < REPAIR_NEAR_MISSES; i++) m->noise[i * 977] = (uint64_t)(uintptr_t)repair_square + 1 + i % 7;
    m->noise_sum = repair_sum(m->noise, REPAIR_NOISE_WORDS);
}

static void repair_init(game_memory *mem, const host_api *host)
{
    repair_root *r = push_struct(mem->persistent, repair_root);
    r->decl = push_struct(mem->persistent, repair_decl);
    r->decl->fn = repair_negate;
    r->decl->binary = "\x01\x02 binary";
    r->decl->empty = "";
    repair_more *m = r->more = push_struct(mem->persistent, repair_more);
    m->step = repair_triple;
    m->name = "goblin";
    m->mid = "hobgoblin" + 3;
#if REPAIR_STAGE < 2
    m->changed = "first text";
#else
    m->changed = "second text";
#endif
    m->kind = &repair_goblin;
    m->removed = repair_square;
#if REPAIR_STAGE < 2
    m->removed = repair_removed;
#endif
    m->heap = host->heap_alloc(sizeof(repair_heap_obj));
    m->heap->fn = repair_square;
    m->noise = push_array_no_zero(mem->persistent, uint64_t, REPAIR_NOISE_WORDS);
    repair_fill_noise(m);
    m->skipped = push_array(mem->persistent, repair_step_fn *, 512);
    m->skipped[0] = repair_triple;
    host->stale_skip(m->skipped, 512 * sizeof(repair_step_fn *));
    mem->root = r;
    mem->root_size = sizeof(*r);
}

static game_status repair_update(game_memory *mem, const host_api *host, const game_input *in)
{
    repair_root *r = mem->root;
    repair_more *m = r->more;
    r->updates++;
    int64_t u = (int64_t)r->updates;
#if REPAIR_CALL_REMOVED
    host->log("repair calling removed %lld", (long long)m->removed(u));
#endif
    bool noise_ok = repair_sum(m->noise, REPAIR_NOISE_WORDS) == m->noise_sum;
    host->log("repair stage=%d upd=%lld step=%lld heap=%lld decl=%lld name=%s mid=%s changed=%s kind=%lld/%s "
              "binary=%d empty=%d noise=%s",
              REPAIR_STAGE, (long long)u, (long long)m->step(u), (long long)m->heap->fn(u), (long long)r->decl->fn(u),
              m->name, m->mid, m->changed, (long long)m->kind->speed, m->kind->label, r->decl->binary[0],
              (int)strlen(r->decl->empty), noise_ok ? "intact" : "CHANGED");
    (void)in;
    return GAME_CONTINUE;
}

static game_layout_fn *const repair_layouts[] = {GAME_LAYOUT(repair_root), GAME_LAYOUT(repair_decl)};

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {GAME_API_INIT, .init = repair_init, .update = repair_update,
                                 GAME_LAYOUTS(repair_layouts)};
    (void)host_abi;
    return &api;
}
