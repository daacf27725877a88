/* timeline.c - the test game of the live loop, rewind, state files and recordings. Its state is a
 * linked list whose items live in three places (the persistent arena, the heap, an arena pool), a
 * history array on the heap that grows by realloc and is freed and started again, and a random
 * number generator seeded from the state; every frame it builds frame data in the frame arena
 * and moves the state on with TIMELINE_STEP, deterministically from the frame's input alone (the
 * keys pressed, and with TIMELINE_SOUND the sample frames of sound asked for, which move a tone's
 * phase on). It
 * logs one line per frame, before it changes anything: the frame, the build's mark, a digest of the
 * state's contents and a hash of where its items are, so a test compares the state a frame starts
 * from across passes, rewinds and processes. With TIMELINE_WORKER a worker thread allocates from
 * the heap; before_reload stops it and after_reload starts it, as a reload (and a checkpoint) asks.
 * The tests edit the defines between builds. */
#include "game_layout.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define TIMELINE_MARK 1      /* which build runs: the tests bump it */
#define TIMELINE_STEP 3      /* how the state moves on: the tests change it to change behaviour */
#define TIMELINE_CRASH_AFTER 0 /* the update of this build that crashes, from its first (0: none) */
#define TIMELINE_CRASH_FROM 0  /* the first update of this build at or after this frame crashes (0: none) */
#define TIMELINE_REWIND_AT 0 /* the frame at which the game asks the host to rewind (0: never) */
#define TIMELINE_REWIND_BY 25
#define TIMELINE_EXTRA 0     /* 1: the state has one more field (a saved state then migrates) */
#define TIMELINE_WORKER 0    /* 1: a worker thread allocates from the heap, stopped by before_reload */
#define TIMELINE_SOUND 0     /* 1: the sound asked for moves the state on (its phase) */
#define TIMELINE_RESTART_AT 0 /* the frame after which the game asks for a restart (0: never) */
#define TIMELINE_LIST_MAX 48
#define TIMELINE_HISTORY_MAX 300

#define ITEM_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(int64_t, value)                          \
    X(int32_t, home)                           \
    X_PTR(item, next)
GAME_STRUCT(item, ITEM_FIELDS);

#define SAMPLE_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) X(int64_t, v)
GAME_STRUCT(sample, SAMPLE_FIELDS);

#if TIMELINE_EXTRA
#define TIMELINE_EXTRA_FIELD(X) X(int32_t, extra)
#else
#define TIMELINE_EXTRA_FIELD(X)
#endif

#define STATE_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(uint64_t, updates)                        \
    X(uint64_t, rng)                            \
    X(uint64_t, sound)                          \
    X(int64_t, total)                           \
    X(int32_t, count)                           \
    X_PTR(item, list)                           \
    X_POOL(item, pool)                          \
    X(int32_t, history_count)                   \
    X_ARRAY(sample, history, history_count)     \
    TIMELINE_EXTRA_FIELD(X)                     \
    X(int32_t, last)
GAME_STRUCT(state, STATE_FIELDS);

static game_layout_fn *const timeline_layouts[] = {GAME_LAYOUT(state), GAME_LAYOUT(item), GAME_LAYOUT(sample)};

enum { HOME_ARENA, HOME_HEAP, HOME_POOL };

/* Writable globals: a rewind does not bring them back, a reload resets them. */
static GAME_TRANSIENT int timeline_rewound;
static GAME_TRANSIENT int timeline_updates;

/* ---- the worker (TIMELINE_WORKER): outside the state, so that no restore brings back its flags ---- */

static GAME_TRANSIENT struct {
    pthread_t thread;
    atomic_int stop, running, bound;
    atomic_ullong passes;
    const host_api *host;
} timeline_worker;

static void *timeline_worker_main(void *arg)
{
    (void)arg;
    const host_api *host = timeline_worker.host;
    bool bound = host->thread_begin("timeline worker");
    atomic_store(&timeline_worker.bound, bound ? 1 : -1);
    if (!bound) return NULL;
    while (!atomic_load(&timeline_worker.stop)) {
        atomic_store(&timeline_worker.running, 1);
        char *p = host->heap_alloc(64); /* a worker's own block, freed by the worker */
        memset(p, 'w', 64);
        host->heap_free(p);
        atomic_fetch_add(&timeline_worker.passes, 1);
    }
    atomic_store(&timeline_worker.running, 0);
    host->thread_end();
    return NULL;
}

static void timeline_worker_start(const host_api *host)
{
    if (!TIMELINE_WORKER) return;
    timeline_worker.host = host;
    atomic_store(&timeline_worker.stop, 0);
    atomic_store(&timeline_worker.bound, 0);
    if (pthread_create(&timeline_worker.thread, NULL, timeline_worker_main, NULL) != 0) {
        host->log("timeline worker failed");
        return;
    }
    /* announced before the host goes on: an announced thread is one the host stops */
    while (!atomic_load(&timeline_worker.bound)) {
    }
}

static void timeline_worker_stop(const host_api *host)
{
    if (!TIMELINE_WORKER) return;
    atomic_store(&timeline_worker.stop, 1);
    pthread_join(timeline_worker.thread, NULL);
    host->log("timeline worker stopped running=%d passes=%llu", atomic_load(&timeline_worker.running),
              (unsigned long long)atomic_load(&timeline_worker.passes));
}

static uint64_t timeline_rand(state *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static uint64_t timeline_mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull; }

/* Keys that went down this frame. */
static int timeline_keys(const game_input *in)
{
    int n = 0;
    for (int k = 0; k < GAME_KEY_COUNT; k++) n += game_pressed(in->keys[k]);
    return n;
}

/* A tone whose phase is in the state: the sample frames the host asks for move it on, so a replay
 * that asks for other counts than the recorded ones ends in another state. */
static void timeline_sound(state *s, const game_input *in)
{
    if (!TIMELINE_SOUND) return;
    for (int32_t i = 0; i < in->audio.frames; i++, s->sound++)
        for (int32_t c = 0; c < in->audio.channels; c++)
            in->audio.samples[i * in->audio.channels + c] = (s->sound / 64 % 2) ? 0.1f : -0.1f;
}

static item *timeline_new_item(game_memory *mem, const host_api *host, state *s, int home)
{
    /* every byte the heap hands out written (heap_calloc zeroes the block's slack too), so that
     * runs that place blocks elsewhere hold the same bytes */
    item *it = home == HOME_ARENA ? push_struct(mem->persistent, item)
               : home == HOME_HEAP ? host->heap_calloc(1, sizeof(item))
                                   : arena_pool_alloc(s->pool);
    it->home = home;
    it->value = (int64_t)(timeline_rand(s) % 1000);
    it->next = s->list;
    s->list = it;
    s->count++;
    return it;
}

/* Unlinks the item after `prev` (the first one when prev is NULL) and gives its memory back. */
static void timeline_drop_item(const host_api *host, state *s, item *prev)
{
    item *it = prev ? prev->next : s->list;
    if (prev) prev->next = it->next;
    else s->list = it->next;
    s->count--;
    if (it->home == HOME_HEAP) host->heap_free(it);
    else if (it->home == HOME_POOL) arena_pool_free(s->pool, it);
}

static void timeline_init(game_memory *mem, const host_api *host)
{
    state *s = push_struct(mem->persistent, state);
    s->rng = 0x2545f4914f6cdd1dull; /* seeded in the state: a restore or a load repeats the same numbers */
    s->pool = pool_create(mem->persistent, item, "items");
    mem->root = s;
    mem->root_size = sizeof(*s);
    for (int i = 0; i < 12; i++) timeline_new_item(mem, host, s, i % 3);
    timeline_worker_start(host);
}

/* One frame of change: a new item, an old one dropped when the list is long, every value moved on,
 * a sample appended to the history (realloc) or the history started again (free). */
static void timeline_step(game_memory *mem, const host_api *host, state *s, const game_input *in)
{
    timeline_new_item(mem, host, s, (int)(timeline_rand(s) % 3));
    if (s->count > TIMELINE_LIST_MAX) {
        uint64_t at = timeline_rand(s) % (uint64_t)s->count;
        item *prev = NULL;
        for (uint64_t i = 0; i < at; i++) prev = prev ? prev->next : s->list;
        timeline_drop_item(host, s, prev);
    }
    for (item *it = s->list; it; it = it->next) it->value = (it->value * 31 + TIMELINE_STEP + timeline_keys(in)) % 100003;
    if (s->history_count == TIMELINE_HISTORY_MAX) {
        host->heap_free(s->history);
        s->history = NULL;
        s->history_count = 0;
    }
    s->history = host->heap_realloc(s->history, (uint64_t)(s->history_count + 1) * sizeof(sample));
    s->history[s->history_count++].v = s->total;
    s->updates++;
}

/* The state as the frame found it: its contents (values, homes, history, counters) and, apart,
 * where its items are. */
static void timeline_report(game_memory *mem, const host_api *host, const game_input *in)
{
    state *s = mem->root;
    int64_t *values = push_array_no_zero(mem->frame, int64_t, (uint64_t)s->count); /* frame data */
    uint64_t digest = timeline_mix(timeline_mix(0xcbf29ce484222325ull, s->updates), (uint64_t)s->count), where = 0;
    int n = 0;
    for (const item *it = s->list; it; it = it->next, n++) {
        values[n] = it->value * 4 + it->home;
        where = timeline_mix(where, (uint64_t)(uintptr_t)it);
    }
    s->total = 0;
    for (int i = 0; i < n; i++) {
        s->total += values[i];
        digest = timeline_mix(digest, (uint64_t)values[i]);
    }
    for (int i = 0; i < s->history_count; i++) digest = timeline_mix(digest, (uint64_t)s->history[i].v);
    digest = timeline_mix(timeline_mix(digest, s->rng), s->sound);
    host->log("timeline frame=%llu mark=%d digest=%016llx where=%016llx count=%d history=%d keys=%d sound=%llu",
              (unsigned long long)in->frame, TIMELINE_MARK, (unsigned long long)digest, (unsigned long long)where,
              s->count, s->history_count, timeline_keys(in), (unsigned long long)s->sound);
}

/* What a leak report at this moment should list: the heap blocks and pool slots the state holds. */
static void timeline_report_held(const host_api *host, const state *s)
{
    int heap = s->history ? 1 : 0, pool = 0;
    for (const item *it = s->list; it; it = it->next) {
        heap += it->home == HOME_HEAP;
        pool += it->home == HOME_POOL;
    }
    host->log("timeline held heap_blocks=%d pool_slots=%d", heap, pool);
}

static game_status timeline_update(game_memory *mem, const host_api *host, const game_input *in)
{
    state *s = mem->root;
    if (TIMELINE_REWIND_AT && in->frame == TIMELINE_REWIND_AT && !timeline_rewound) {
        timeline_rewound = 1;
        host->request_rewind(TIMELINE_REWIND_BY);
    }
    timeline_report(mem, host, in);
    if (++timeline_updates == TIMELINE_CRASH_AFTER || (TIMELINE_CRASH_FROM && in->frame >= TIMELINE_CRASH_FROM)) { /* an unmapped address (not NULL: UBSan would stop first) */
        int *volatile unmapped = (int *)(uintptr_t)16;
        *unmapped = 1;
    }
    timeline_step(mem, host, s, in);
    timeline_sound(s, in);
    s->last = (int32_t)in->frame;
    if (TIMELINE_RESTART_AT && in->frame == TIMELINE_RESTART_AT) {
        timeline_report_held(host, s);
        host->request_restart();
    }
    return GAME_CONTINUE;
}

static void timeline_before_reload(game_memory *mem, const host_api *host)
{
    (void)mem;
    timeline_worker_stop(host);
}

static void timeline_after_reload(game_memory *mem, const host_api *host)
{
    state *s = mem->root;
    timeline_worker_start(host);
    host->log("timeline reloaded mark=%d updates=%llu count=%d last=%d", TIMELINE_MARK, (unsigned long long)s->updates,
              s->count, s->last);
#if TIMELINE_EXTRA
    host->log("timeline extra=%d", s->extra);
#endif
}

/* Everything the state holds goes back: a leak report at exit lists nothing. */
static void timeline_shutdown(game_memory *mem, const host_api *host)
{
    state *s = mem->root;
    timeline_worker_stop(host);
    while (s->list) timeline_drop_item(host, s, NULL);
    host->heap_free(s->history);
    s->history = NULL;
    s->history_count = 0;
}

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {
        GAME_API_INIT,
        .init = timeline_init,
        .update = timeline_update,
        .before_reload = timeline_before_reload,
        .after_reload = timeline_after_reload,
        .shutdown = timeline_shutdown,
        GAME_LAYOUTS(timeline_layouts),
    };
    (void)host_abi;
    return &api;
}
