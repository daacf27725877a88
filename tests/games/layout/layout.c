/* layout.c - the layout tests' game. Its state has every kind of declared field: values, a fixed
 * array, an array of entities in the persistent arena, another on the heap, a pointer into the
 * first, and a pooled linked list. It reports every field through its own layout description, so a
 * report follows whatever the tests edit: they add, remove, reorder and retype fields in a copy of
 * this file and rebuild it while the host runs. */
#include "game_layout.h"

#include <stdio.h>
#include <string.h>

#define LAYOUT_MARK 1     /* which build runs: the tests bump it */
#define LAYOUT_HOOK 0     /* 1: the migrate hook converts state.hp from int32_t to float */
#define LAYOUT_ENEMIES 4  /* in the persistent arena; 2 more on the heap */
#define LAYOUT_NODES 3

typedef char name16[16];

#define ENEMY_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(int32_t, id)                              \
    X(int32_t, health)                          \
    X(float, x)                                 \
    X(int32_t, alive)
GAME_STRUCT(enemy, ENEMY_FIELDS);

#define NODE_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(int32_t, value)                          \
    X_PTR(node, next)
GAME_STRUCT(node, NODE_FIELDS);

#define STATE_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(uint64_t, frames)                         \
    X(int32_t, hp)                              \
    X(double, speed)                            \
    X(name16, name)                             \
    X(int32_t, enemy_count)                     \
    X_ARRAY(enemy, enemies, enemy_count)        \
    X(int32_t, heap_count)                      \
    X_ARRAY(enemy, heap_enemies, heap_count)    \
    X_PTR(enemy, target)                        \
    X_POOL(node, nodes)                         \
    X_PTR(node, list)
GAME_STRUCT(state, STATE_FIELDS);

static game_layout_fn *const layout_table[] = {GAME_LAYOUT(state), GAME_LAYOUT(enemy), GAME_LAYOUT(node)};

/* ---- reports: every field, found through the layout ------------------------------------------ */

typedef struct report {
    char text[1800];
    size_t len;
} report;

static void report_add(report *r, const char *key_prefix, const char *key, const char *value)
{
    if (r->len < sizeof(r->text))
        r->len += (size_t)snprintf(r->text + r->len, sizeof(r->text) - r->len, " %s%s=%s", key_prefix, key, value);
}

static void report_value(char *out, size_t cap, const game_layout_field *f, const unsigned char *at)
{
    if (f->kind != GAME_FIELD_VALUE) {
        void *p;
        memcpy(&p, at, sizeof(p));
        snprintf(out, cap, "%p", p);
    } else if (game_type_equal(f->type, "int32_t")) {
        int32_t v;
        memcpy(&v, at, sizeof(v));
        snprintf(out, cap, "%d", (int)v);
    } else if (game_type_equal(f->type, "uint64_t")) {
        uint64_t v;
        memcpy(&v, at, sizeof(v));
        snprintf(out, cap, "%llu", (unsigned long long)v);
    } else if (game_type_equal(f->type, "float")) {
        float v;
        memcpy(&v, at, sizeof(v));
        snprintf(out, cap, "%g", (double)v);
    } else if (game_type_equal(f->type, "double")) {
        double v;
        memcpy(&v, at, sizeof(v));
        snprintf(out, cap, "%g", v);
    } else {
        snprintf(out, cap, "%.15s", (const char *)at); /* name16 */
    }
}

static void report_object(report *r, const char *prefix, const game_layout *l, const void *obj)
{
    for (uint32_t i = 0; i < l->field_count; i++) {
        char value[64];
        report_value(value, sizeof(value), &l->fields[i], (const unsigned char *)obj + l->fields[i].offset);
        report_add(r, prefix, l->fields[i].name, value);
    }
}

static void layout_report(const char *what, game_memory *mem, const host_api *host)
{
    state *s = mem->root;
    report r = {{0}, 0};
    r.len = (size_t)snprintf(r.text, sizeof(r.text), "layout %s mark=%d root=%p size=%u esize=%u nsize=%u", what,
                             LAYOUT_MARK, (void *)s, (unsigned)sizeof(state), (unsigned)sizeof(enemy),
                             (unsigned)sizeof(node));
    report_object(&r, "", GAME_LAYOUT(state)(), s);
    for (int i = 0; i < s->enemy_count; i++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "enemies[%d].", i);
        report_object(&r, prefix, GAME_LAYOUT(enemy)(), &s->enemies[i]);
    }
    for (int i = 0; i < s->heap_count; i++) {
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "heap_enemies[%d].", i);
        report_object(&r, prefix, GAME_LAYOUT(enemy)(), &s->heap_enemies[i]);
    }
    int n = 0, sum = 0;
    for (node *p = s->list; p; p = p->next, n++) {
        char key[16], value[32];
        snprintf(key, sizeof(key), "n%d", n);
        snprintf(value, sizeof(value), "%p", (void *)p);
        report_add(&r, "", key, value);
        sum += p->value;
    }
    char tail[64];
    snprintf(tail, sizeof(tail), "%d", n);
    report_add(&r, "", "list_len", tail);
    snprintf(tail, sizeof(tail), "%d", sum);
    report_add(&r, "", "list_sum", tail);
    host->log("%s", r.text);
}

/* ---- the hooks ----------------------------------------------------------------------------- */

static void layout_init(game_memory *mem, const host_api *host)
{
    state *s = push_struct(mem->persistent, state);
    s->hp = 77;
    s->speed = 2.5;
    strcpy(s->name, "layout-state");
    s->enemy_count = LAYOUT_ENEMIES;
    s->enemies = push_array(mem->persistent, enemy, LAYOUT_ENEMIES);
    for (int i = 0; i < LAYOUT_ENEMIES; i++) {
        s->enemies[i].id = i + 1;
        s->enemies[i].health = 10 * (i + 1);
        s->enemies[i].x = 0.5f * (float)i;
        s->enemies[i].alive = 1;
    }
    s->heap_count = 2;
    s->heap_enemies = host->heap_calloc(2, sizeof(enemy));
    for (int i = 0; i < 2; i++) {
        s->heap_enemies[i].id = 100 + i;
        s->heap_enemies[i].health = 1000 + i;
    }
    s->target = &s->enemies[2];
    s->nodes = pool_create(mem->persistent, node, "nodes");
    for (int i = LAYOUT_NODES; i >= 1; i--) {
        node *p = arena_pool_alloc(s->nodes);
        p->value = i;
        p->next = s->list;
        s->list = p;
    }
    mem->root = s;
    mem->root_size = sizeof(*s);
    layout_report("init", mem, host);
}

static game_status layout_update(game_memory *mem, const host_api *host, const game_input *in)
{
    state *s = mem->root;
    s->frames++;
    /* the pool keeps working at whatever slot size a migration left it */
    arena_pool_free(s->nodes, arena_pool_alloc(s->nodes));
    if (s->frames % 30 == 0) layout_report("tick", mem, host);
    return GAME_CONTINUE;
}

static void layout_after_reload(game_memory *mem, const host_api *host) { layout_report("reloaded", mem, host); }

static void layout_migrate(game_memory *mem, const game_migration *m, const host_api *host)
{
    if (!LAYOUT_HOOK || strcmp(m->type, "state") != 0) return;
    const int32_t *old_hp = m->old_field(m, "hp", "int32_t");
    float *hp = game_migration_field(m, "hp", "float");
    if (old_hp && hp) *hp = (float)*old_hp;
    host->log("layout migrate type=%s converted=%d", m->type, old_hp && hp);
}

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {
        GAME_API_INIT,
        .init = layout_init,
        .update = layout_update,
        .after_reload = layout_after_reload,
        .migrate = layout_migrate,
        GAME_LAYOUTS(layout_table),
    };
    (void)host_abi;
    return &api;
}
