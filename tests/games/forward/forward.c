/* forward.c - a game that registers a callback with another library of the process (callee/, built
 * apart; its path in the environment as FORWARD_CALLEE), which keeps the pointer outside the block
 * and calls it whenever the game asks. With --old-code forward the old build's entry jumps to the new
 * build's function; with the default (fence) the call is the stale-pointer crash.
 *
 * FORWARD_STAGE tells builds apart (the callback's result depends on it; stage 2 and later put code
 * in front, so every function moves). FORWARD_DROP leaves the callback's function out of the build. */
#include "game_api.h"

#include <dlfcn.h>
#include <stdlib.h>

#ifndef FORWARD_STAGE
#define FORWARD_STAGE 1
#endif

typedef int64_t forward_fn(int64_t x);
typedef void callee_register_fn(forward_fn *fn);
typedef int64_t callee_fire_fn(int64_t x);

#if FORWARD_STAGE >= 2
__attribute__((used, noinline)) int64_t forward_padding(int64_t x)
{
    volatile int64_t v = x;
    for (int i = 0; i < 64; i++) v = v * 7 + i;
    return v;
}
#endif

#if !FORWARD_DROP
__attribute__((noinline)) int64_t forward_callback(int64_t x) { return 100 * x + FORWARD_STAGE; }
#endif

/* The other library: loaded by init and never closed, so it keeps the callback across reloads. */
static void *forward_callee(int flags)
{
    const char *path = getenv("FORWARD_CALLEE");
    return path ? dlopen(path, RTLD_NOW | flags) : NULL;
}

static void forward_init(game_memory *mem, const host_api *host)
{
    uint64_t *updates = push_struct(mem->persistent, uint64_t);
    void *callee = forward_callee(0);
    callee_register_fn *reg = callee ? (callee_register_fn *)dlsym(callee, "callee_register") : NULL;
#if !FORWARD_DROP
    if (reg) reg(forward_callback);
#endif
    host->log("forward init: callee %s", reg ? "registered" : "missing (set FORWARD_CALLEE)");
    mem->root = updates;
    mem->root_size = sizeof(*updates);
}

static game_status forward_update(game_memory *mem, const host_api *host, const game_input *in)
{
    uint64_t *updates = mem->root;
    ++*updates;
    void *callee = forward_callee(RTLD_NOLOAD);
    callee_fire_fn *fire = callee ? (callee_fire_fn *)dlsym(callee, "callee_fire") : NULL;
    if (fire)
        host->log("forward stage=%d upd=%llu cb=%lld", FORWARD_STAGE, (unsigned long long)*updates,
                  (long long)fire((int64_t)*updates));
    if (callee) dlclose(callee);
    (void)in;
    return GAME_CONTINUE;
}

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {GAME_API_INIT, .init = forward_init, .update = forward_update};
    (void)host_abi;
    return &api;
}
