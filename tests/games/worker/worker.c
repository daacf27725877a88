/* worker.c - a game that keeps a worker thread busy running library code. The thread is stopped in
 * before_reload and started again in after_reload, so no old code runs after the old library is
 * unloaded. The thread stamps WORKER_MARK (which the test edits) into the state on every pass. */
#include "game_api.h"

#include <pthread.h>
#include <stdatomic.h>

#define WORKER_MARK 1

typedef struct worker_state {
    atomic_int stop;
    atomic_int mark;        /* WORKER_MARK of the code the worker last ran */
    atomic_ullong passes;
    int running;
    pthread_t thread;
} worker_state;

static void *worker_main(void *arg)
{
    worker_state *s = arg;
    while (!atomic_load(&s->stop)) {
        atomic_store(&s->mark, WORKER_MARK);
        atomic_fetch_add(&s->passes, 1);
        for (volatile int spin = 0; spin < 20000; spin++) {
        }
    }
    return NULL;
}

static void worker_start(game_memory *mem, const host_api *host)
{
    worker_state *s = mem->root;
    atomic_store(&s->stop, 0);
    atomic_store(&s->mark, 0);
    s->running = pthread_create(&s->thread, NULL, worker_main, s) == 0;
    if (!s->running) host->log("worker could not start");
}

static void worker_join(game_memory *mem)
{
    worker_state *s = mem->root;
    if (!s->running) return;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    s->running = 0;
}

static void worker_init(game_memory *mem, const host_api *host)
{
    mem->root = push_struct(mem->persistent, worker_state);
    mem->root_size = sizeof(worker_state);
    worker_start(mem, host);
}

static game_status worker_update(game_memory *mem, const host_api *host, const game_input *in)
{
    worker_state *s = mem->root;
    if (in->frame % 20 == 0)
        host->log("worker mark=%d code=%d passes=%llu", atomic_load(&s->mark), WORKER_MARK,
                  (unsigned long long)atomic_load(&s->passes));
    return GAME_CONTINUE;
}

static void worker_before_reload(game_memory *mem, const host_api *host) { worker_join(mem); }

static void worker_after_reload(game_memory *mem, const host_api *host)
{
    worker_start(mem, host);
    host->log("worker restarted code=%d", WORKER_MARK);
}

static void worker_shutdown(game_memory *mem, const host_api *host) { worker_join(mem); }

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {
        GAME_API_INIT,
        .init = worker_init,
        .update = worker_update,
        .before_reload = worker_before_reload,
        .after_reload = worker_after_reload,
        .shutdown = worker_shutdown,
    };
    (void)host_abi;
    return &api;
}
