/* heap.c - a test game that keeps its data in the block's heap: a growing array (realloc'd every
 * frame) and a linked list. It reports addresses and checksums through host->log so the integration
 * test can compare them across reloads. HEAP_MARK is edited by the test between builds. */
#include "game_api.h"

#define HEAP_MARK 1
#define HEAP_NODES 100

typedef struct heap_node {
    struct heap_node *next;
    int64_t value;
    char text[40];
} heap_node;

typedef struct heap_state {
    int64_t *items; /* grows by one every frame: realloc inside the heap region */
    uint64_t count;
    heap_node *list;
    void *big;      /* a huge block (> 16 MiB) */
} heap_state;

static int64_t heap_sum_items(const heap_state *s)
{
    int64_t sum = 0;
    for (uint64_t i = 0; i < s->count; i++) sum += s->items[i];
    return sum;
}

static int64_t heap_sum_list(const heap_state *s, int *nodes)
{
    int64_t sum = 0;
    *nodes = 0;
    for (const heap_node *n = s->list; n; n = n->next, (*nodes)++) sum += n->value + n->text[0];
    return sum;
}

static void heap_report(const char *what, game_memory *mem, const host_api *host)
{
    heap_state *s = mem->root;
    int nodes;
    int64_t list_sum = heap_sum_list(s, &nodes);
    host->log("heap %s root=%p items=%p count=%llu items_sum=%lld list=%p nodes=%d list_sum=%lld big=%p mark=%d", what,
              (void *)s, (void *)s->items, (unsigned long long)s->count, (long long)heap_sum_items(s), (void *)s->list,
              nodes, (long long)list_sum, s->big, HEAP_MARK);
}

static void heap_init(game_memory *mem, const host_api *host)
{
    heap_state *s = push_struct(mem->persistent, heap_state);
    mem->root = s;
    mem->root_size = sizeof(*s);
    for (int i = HEAP_NODES; i > 0; i--) {
        heap_node *n = host->heap_alloc(sizeof(heap_node));
        n->value = i * 3;
        n->text[0] = (char)('a' + i % 26);
        n->text[1] = 0;
        n->next = s->list;
        s->list = n;
    }
    s->big = host->heap_calloc(1, MB(20));
    heap_report("init", mem, host);
}

static game_status heap_update(game_memory *mem, const host_api *host, const game_input *in)
{
    heap_state *s = mem->root;
    s->items = host->heap_realloc(s->items, (s->count + 1) * sizeof(*s->items));
    s->items[s->count] = (int64_t)s->count * 7;
    s->count++;
    if (in->frame % 30 == 0) heap_report("tick", mem, host);
    return GAME_CONTINUE;
}

static void heap_after_reload(game_memory *mem, const host_api *host) { heap_report("reloaded", mem, host); }

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {GAME_API_INIT, .init = heap_init, .update = heap_update, .after_reload = heap_after_reload};
    (void)host_abi;
    return &api;
}
