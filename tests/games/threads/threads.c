/* threads.c - the thread crash tests' game. A worker thread, started in init and again in
 * after_reload, runs library code and counts its passes; it can be built to crash in one chosen way,
 * to skip host->thread_begin, or to be left running by before_reload (so that it runs the old code
 * after a reload). The tests edit the THREADS_ constants in a copy of this file and rebuild it. */
#include "game_api.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

enum {
    THREADS_NONE,
    THREADS_SEGV,    /* the worker writes to an unmapped address */
    THREADS_ABORT,   /* the worker calls abort() */
    THREADS_RECURSE, /* the worker recurses until its stack runs out */
};

#define THREADS_CRASH THREADS_NONE /* what the worker does on its THREADS_AT-th pass */
#define THREADS_AT 20
#define THREADS_ANNOUNCE 1 /* the worker calls host->thread_begin("worker") */
#define THREADS_STOP 1     /* before_reload stops the worker; 0: it runs on, in the old code */
#define THREADS_MARK 1     /* tells builds apart in the log */

typedef struct threads_state {
    atomic_int stop;
    atomic_ullong passes;
    atomic_int mark; /* THREADS_MARK of the code the worker last ran */
    uint64_t counter;
    int running;
    pthread_t thread;
    const host_api *host; /* the host's table, which outlives every build: for the worker's thread_begin */
} threads_state;

/* Crashes on purpose: under the sanitizers (the ASan test pass), the crash must come before a check. */
#define THREADS_UNCHECKED __attribute__((no_sanitize("undefined")))

static BASE_NOINLINE THREADS_UNCHECKED void threads_segv(void)
{
    int *volatile unmapped = (int *)(uintptr_t)16;
    *unmapped = 1;
}

static BASE_NOINLINE void threads_abort(void) { abort(); }

static BASE_NOINLINE uint64_t threads_recurse(uint64_t depth)
{
    volatile char pad[512];
    if (depth == UINT64_MAX) return 0; /* never: the stack runs out long before */
    pad[depth % sizeof(pad)] = (char)depth;
    return threads_recurse(depth + 1) + (uint64_t)pad[depth % sizeof(pad)]; /* not a tail call */
}

static void threads_go_wrong(threads_state *s)
{
    switch (THREADS_CRASH) {
    case THREADS_SEGV: threads_segv(); break;
    case THREADS_ABORT: threads_abort(); break;
    case THREADS_RECURSE: atomic_fetch_add(&s->passes, threads_recurse(0)); break;
    default: break;
    }
}

static void *threads_worker(void *arg)
{
    threads_state *s = arg;
    if (THREADS_ANNOUNCE) s->host->thread_begin("worker");
    for (uint64_t pass = 1; !atomic_load(&s->stop); pass++) {
        atomic_store(&s->mark, THREADS_MARK);
        atomic_fetch_add(&s->passes, 1);
        if (pass == THREADS_AT) threads_go_wrong(s);
        nanosleep(&(struct timespec){0, 2000000}, NULL);
    }
    if (THREADS_ANNOUNCE) s->host->thread_end();
    return NULL;
}

static void threads_start(game_memory *mem, const host_api *host)
{
    threads_state *s = mem->root;
    atomic_store(&s->stop, 0);
    s->host = host;
    s->running = pthread_create(&s->thread, NULL, threads_worker, s) == 0;
    if (!s->running) host->log("threads: the worker could not start");
}

static void threads_join(game_memory *mem, const host_api *host)
{
    threads_state *s = mem->root;
    if (!s->running) return;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    s->running = 0;
    host->log("threads: worker stopped");
}

static void threads_init(game_memory *mem, const host_api *host)
{
    mem->root = push_struct(mem->persistent, threads_state);
    mem->root_size = sizeof(threads_state);
    threads_start(mem, host);
}

static game_status threads_update(game_memory *mem, const host_api *host, const game_input *in)
{
    threads_state *s = mem->root;
    s->counter++;
    if (in->frame % 20 == 0)
        host->log("threads tick root=%p counter=%llu code=%d worker_mark=%d passes=%llu", (void *)s,
                  (unsigned long long)s->counter, THREADS_MARK, atomic_load(&s->mark),
                  (unsigned long long)atomic_load(&s->passes));
    return GAME_CONTINUE;
}

static void threads_before_reload(game_memory *mem, const host_api *host)
{
    if (THREADS_STOP) threads_join(mem, host);
}

static void threads_after_reload(game_memory *mem, const host_api *host)
{
    threads_state *s = mem->root;
    if (!s->running) threads_start(mem, host);
    host->log("threads reloaded code=%d", THREADS_MARK);
}

static void threads_shutdown(game_memory *mem, const host_api *host) { threads_join(mem, host); }

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {
        GAME_API_INIT,
        .init = threads_init,
        .update = threads_update,
        .before_reload = threads_before_reload,
        .after_reload = threads_after_reload,
        .shutdown = threads_shutdown,
    };
    (void)host_abi;
    return &api;
}
