/* plain.c - a game that declares no layouts, only its root state's size (game_api.root_size): the
 * host can then only notice the state changing size. The tests add a field to a copy and rebuild. */
#include "game_api.h"

#define PLAIN_MARK 1 /* which build runs: the tests bump it */

typedef struct plain_state {
    uint64_t counter;
    int32_t lives;
} plain_state;

static void plain_init(game_memory *mem, const host_api *host)
{
    plain_state *s = push_struct(mem->persistent, plain_state);
    s->lives = 3;
    mem->root = s;
    mem->root_size = sizeof(*s);
    host->log("plain init mark=%d size=%u", PLAIN_MARK, (unsigned)sizeof(*s));
}

static game_status plain_update(game_memory *mem, const host_api *host, const game_input *in)
{
    plain_state *s = mem->root;
    if (++s->counter % 30 == 0) host->log("plain tick mark=%d counter=%llu lives=%d", PLAIN_MARK,
                                          (unsigned long long)s->counter, (int)s->lives);
    return GAME_CONTINUE;
}

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {
        GAME_API_INIT,
        .init = plain_init,
        .update = plain_update,
        .root_size = sizeof(plain_state),
    };
    (void)host_abi;
    return &api;
}
