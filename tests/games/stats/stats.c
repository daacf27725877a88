/* stats.c - the allocation-stats test game: a scripted sequence of pushes whose every count the
 * integration test (tests/integration/test_stats.c) knows exactly. Each site the test checks is
 * alone in its own function, so the test finds it by function name. Per frame:
 *  - the frame arena: one STATS_TEXT-byte push and three STATS_SMALL-byte pushes;
 *  - the scratch arena: STATS_SCRATCH bytes pushed and popped again (its high-water stays);
 *  - the persistent arena: two bullets from a pool and one freed (tag "bullets"), and every
 *    STATS_ENTITY_EVERY frames one entity (tag "entities").
 * With STATS_CALLERS, also: one helper (stats_particle) called from two functions per frame, two
 * heap blocks from init (one freed by shutdown, one leaked), and a pool slot still live at exit.
 * The test edits the STATS_ constants in a copy and rebuilds it while the host runs. */
#include "game_api.h"

#define STATS_MARK 1          /* edited by the test between builds */
#define STATS_TEXT 1000
#define STATS_SMALL 24
#define STATS_SCRATCH 4096
#define STATS_ENTITY_EVERY 10
#define STATS_BIG_AT 0        /* frame at which the frame arena also gets STATS_BIG bytes; 0 = never */
#define STATS_BIG 60000
#define STATS_REQUEST_AT 0    /* frame at which to ask the host for the stats summary; 0 = never */
#define STATS_MARK_AT 0       /* frame at which to set the mark "level 2"; 0 = never */
#define STATS_TICK 30         /* frames between log lines */
#define STATS_CALLERS 0       /* 1: the helper with two callers, and the heap blocks */
#define STATS_SPARK 40
#define STATS_SMOKE 72
#define STATS_HEAP_KEPT 5000
#define STATS_HEAP_FREED 7000

typedef struct entity {
    double x, y, vx, vy;
    uint64_t id, flags;
} entity;

typedef struct bullet {
    float x, y, vx, vy;
    uint64_t owner, ttl;
} bullet;

typedef struct stats_state {
    uint64_t frames;
    uint32_t tag_entities, tag_bullets; /* ids from host->stats_tag: the same after a reload */
    arena_pool *bullets;
    bullet *last;
    uint64_t spawned;
    void *kept, *freed; /* heap blocks (STATS_CALLERS): one never freed, one freed by shutdown */
    uint64_t reserved;
} stats_state;

_Static_assert(sizeof(entity) == 48 && sizeof(bullet) == 32 && sizeof(stats_state) == 64, "the test counts these");

static stats_state *stats_make_state(arena *a) { return push_struct(a, stats_state); }

static arena_pool *stats_make_pool(arena *a) { return pool_create(a, bullet, "bullets"); }

static char *stats_frame_text(arena *frame) { return push_array_no_zero(frame, char, STATS_TEXT); }

static void *stats_frame_small(arena *frame) { return arena_push(frame, STATS_SMALL, 8); }

static entity *stats_spawn(arena *persistent) { return push_struct(persistent, entity); }

static void stats_scratch_work(game_memory *mem)
{
    arena_temp t = game_scratch_begin(mem, NULL, 0);
    uint8_t *work = push_array(t.arena, uint8_t, STATS_SCRATCH);
    work[STATS_SCRATCH - 1] = 1;
    arena_temp_end(t);
}

static void stats_big(arena *frame) { push_array_no_zero(frame, uint8_t, STATS_BIG); }

/* One helper, two callers: two sites. noinline, and work after each call, so no optimisation
 * folds them into one frame. */
__attribute__((noinline)) static uint8_t *stats_particle(arena *frame, uint64_t size)
{
    uint8_t *p = push_array_no_zero(frame, uint8_t, size);
    p[0] = 1;
    return p;
}

__attribute__((noinline)) static uint8_t stats_emit_sparks(arena *frame) { return stats_particle(frame, STATS_SPARK)[0]; }

__attribute__((noinline)) static uint8_t stats_emit_smoke(arena *frame) { return stats_particle(frame, STATS_SMOKE)[0]; }

__attribute__((noinline)) static void stats_heap_blocks(stats_state *s, const host_api *host)
{
    s->kept = host->heap_alloc(STATS_HEAP_KEPT);
    s->freed = host->heap_alloc(STATS_HEAP_FREED);
}

static void stats_init(game_memory *mem, const host_api *host)
{
    stats_state *s = stats_make_state(mem->persistent);
    s->bullets = stats_make_pool(mem->persistent);
    s->tag_entities = host->stats_tag("entities");
    s->tag_bullets = host->stats_tag("bullets");
    if (STATS_CALLERS) stats_heap_blocks(s, host);
    mem->root = s;
    mem->root_size = sizeof(*s);
    host->log("stats init tags=%u,%u", s->tag_entities, s->tag_bullets);
}

static void stats_persistent_work(stats_state *s, game_memory *mem)
{
    arena_tag_scope bullets = arena_tag_begin(mem->persistent, s->tag_bullets);
    bullet *a = arena_pool_alloc(s->bullets), *b = arena_pool_alloc(s->bullets);
    arena_pool_free(s->bullets, a);
    s->last = b;
    arena_tag_end(bullets);
    if (s->frames % STATS_ENTITY_EVERY == 0) {
        arena_tag_scope entities = arena_tag_begin(mem->persistent, s->tag_entities);
        stats_spawn(mem->persistent)->id = ++s->spawned;
        arena_tag_end(entities);
    }
}

static game_status stats_update(game_memory *mem, const host_api *host, const game_input *in)
{
    stats_state *s = mem->root;
    stats_frame_text(mem->frame)[0] = 'x';
    for (int i = 0; i < 3; i++) stats_frame_small(mem->frame);
    stats_scratch_work(mem);
    stats_persistent_work(s, mem);
    if (STATS_BIG_AT && s->frames == STATS_BIG_AT) stats_big(mem->frame);
    if (STATS_CALLERS && stats_emit_sparks(mem->frame) + stats_emit_smoke(mem->frame) != 2) host->log("lost a particle");
    if (STATS_REQUEST_AT && s->frames == STATS_REQUEST_AT) host->stats_request();
    if (STATS_MARK_AT && s->frames == STATS_MARK_AT) host->stats_mark("level 2");
    s->frames++;
    if (s->frames % STATS_TICK == 0)
        host->log("stats tick frames=%llu mark=%d", (unsigned long long)s->frames, STATS_MARK);
    (void)in;
    return GAME_CONTINUE;
}

static void stats_after_reload(game_memory *mem, const host_api *host)
{
    stats_state *s = mem->root;
    host->log("stats reloaded frames=%llu mark=%d", (unsigned long long)s->frames, STATS_MARK);
}

static void stats_shutdown(game_memory *mem, const host_api *host)
{
    stats_state *s = mem->root;
    host->heap_free(s->freed);
}

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {GAME_API_INIT, .init = stats_init, .update = stats_update,
                                 .after_reload = stats_after_reload, .shutdown = stats_shutdown};
    (void)host_abi;
    return &api;
}
