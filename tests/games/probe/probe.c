/* probe.c - the integration tests' (and the reload benchmark's) game. It keeps a little state in the
 * block and reports it through host->log, so a test can compare values and addresses across
 * reloads. The tests edit the PROBE_ constants and probe_marker() in a copy of this file and
 * rebuild it while the host runs. */
#include "game_api.h"

#include <string.h>

#define PROBE_STEP 1        /* added to the counter every frame */
#define PROBE_ABI GAME_API_VERSION
#define PROBE_REQUEST_AT 0  /* frame at which to request a reload (and a restart 30 frames later); 0 = never */
#define PROBE_NESTED 8
#define PROBE_STATE_BYTES 0 /* more state, written once in init: the benchmarks' big state */
#define PROBE_TICK 30       /* updates between tick logs */

typedef struct probe_state {
    uint64_t counter;
    uint64_t updates;
    int *nested; /* a nested allocation in the persistent arena */
    char name[16];
} probe_state;

static const char *probe_marker(void) { return "alpha"; }

static void probe_report(const char *what, game_memory *mem, const host_api *host)
{
    probe_state *s = mem->root;
    host->log("probe %s root=%p nested=%p counter=%llu nested_sum=%d name=%s marker=%s step=%d", what, (void *)s,
              (void *)s->nested, (unsigned long long)s->counter,
              s->nested[0] + s->nested[1] + s->nested[PROBE_NESTED - 1], s->name, probe_marker(), PROBE_STEP);
}

static void probe_init(game_memory *mem, const host_api *host)
{
    probe_state *s = push_struct(mem->persistent, probe_state);
    s->nested = push_array(mem->persistent, int, PROBE_NESTED);
    for (int i = 0; i < PROBE_NESTED; i++) s->nested[i] = (i + 1) * 100;
    strcpy(s->name, "probe-state");
    if (PROBE_STATE_BYTES) memset(push_array_no_zero(mem->persistent, uint8_t, PROBE_STATE_BYTES), 0x5a, PROBE_STATE_BYTES);
    mem->root = s;
    mem->root_size = sizeof(*s);
    probe_report("init", mem, host);
}

static game_status probe_update(game_memory *mem, const host_api *host, const game_input *in)
{
    probe_state *s = mem->root;
    s->counter += PROBE_STEP;
    s->updates++;
    /* per-frame scratch in the frame arena, as a game would */
    char *line = arena_push_fmt(mem->frame, "frame %llu", (unsigned long long)in->frame);
    (void)line;
    if (s->updates % PROBE_TICK == 0) probe_report("tick", mem, host);
    if (PROBE_REQUEST_AT && s->updates == PROBE_REQUEST_AT) host->request_reload();
    if (PROBE_REQUEST_AT && s->updates == PROBE_REQUEST_AT + 30) host->request_restart();
    return GAME_CONTINUE;
}

static void probe_after_reload(game_memory *mem, const host_api *host) { probe_report("reloaded", mem, host); }

static void probe_shutdown(game_memory *mem, const host_api *host) { probe_report("shutdown", mem, host); }

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {
        .abi_version = PROBE_ABI,
        .size = sizeof(game_api),
        .abi_fingerprint = GAME_ABI_FINGERPRINT,
        .init = probe_init,
        .update = probe_update,
        .after_reload = probe_after_reload,
        .shutdown = probe_shutdown,
    };
    (void)host_abi;
    return &api;
}
