/* ctor.c - the probe tests' game: a library whose first code - what runs while it loads (a
 * constructor; DllMain on Windows) or its entry point - can be built to go wrong in one chosen way.
 * It counts updates in its state and reports through host->log, so a test can see the old build
 * run on with its state while a bad one is refused. The tests edit CTOR_MODE and CTOR_MARK in a
 * copy of this file and rebuild it. */
#include "game_api.h"

#include <stdlib.h>

enum {
    CTOR_NONE,
    CTOR_SEGV,    /* loading writes to an unmapped address */
    CTOR_ABORT,   /* loading calls abort() */
    CTOR_RECURSE, /* loading recurses until the stack runs out */
    CTOR_LOOP,    /* loading never ends */
    CTOR_EXIT,    /* loading calls exit(0) */
    CTOR_ENTRY_LOOP, /* game_get_api never returns */
};

#define CTOR_MODE CTOR_NONE
#define CTOR_MARK 1

typedef struct ctor_state {
    uint64_t counter;
} ctor_state;

/* Crashes on purpose: under the sanitizers (the ASan test pass), the crash must come before a check. */
#define CTOR_UNCHECKED __attribute__((no_sanitize("undefined")))

static BASE_NOINLINE CTOR_UNCHECKED void ctor_segv(void)
{
    int *volatile unmapped = (int *)(uintptr_t)24;
    *unmapped = 1;
}

static BASE_NOINLINE uint64_t ctor_recurse(uint64_t depth)
{
    volatile char pad[512];
    if (depth == UINT64_MAX) return 0; /* never: the stack runs out long before */
    pad[depth % sizeof(pad)] = (char)depth;
    return ctor_recurse(depth + 1) + (uint64_t)pad[depth % sizeof(pad)]; /* not a tail call */
}

static BASE_NOINLINE void ctor_spin(void)
{
    for (volatile uint64_t i = 0;; i++) {
    }
}

static volatile uint64_t ctor_sink;

/* What runs while the library loads. */
static BASE_NOINLINE void ctor_boom(void)
{
    switch (CTOR_MODE) {
    case CTOR_SEGV: ctor_segv(); break;
    case CTOR_ABORT: abort(); break;
    case CTOR_RECURSE: ctor_sink = ctor_recurse(0); break;
    case CTOR_LOOP: ctor_spin(); break;
    case CTOR_EXIT: exit(0); break;
    default: break;
    }
}

#if defined(_WIN32)
#include <windows.h>
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH) ctor_boom();
    return TRUE;
}
#else
__attribute__((constructor)) static void ctor_load(void) { ctor_boom(); }
#endif

static void ctor_init(game_memory *mem, const host_api *host)
{
    mem->root = push_struct(mem->persistent, ctor_state);
    mem->root_size = sizeof(ctor_state);
    (void)host;
}

static game_status ctor_update(game_memory *mem, const host_api *host, const game_input *in)
{
    ctor_state *s = mem->root;
    s->counter++;
    if (in->frame % 20 == 0)
        host->log("ctor tick root=%p counter=%llu mark=%d", (void *)s, (unsigned long long)s->counter, CTOR_MARK);
    return GAME_CONTINUE;
}

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {GAME_API_INIT, .init = ctor_init, .update = ctor_update};
    (void)host_abi;
    if (CTOR_MODE == CTOR_ENTRY_LOOP) ctor_spin();
    return &api;
}
