/* arena_stats.c - the stats table: site and tag interning, tag scopes, frames, history, pools. */
#include "arena_stats.h"

#include <string.h>

#define ARENA_STATS_DEFAULT_SITES 4096
#define ARENA_STATS_DEFAULT_TAGS 256
#define ARENA_STATS_DEFAULT_POOLS 256
#define ARENA_STATS_DEFAULT_HISTORY 600
#define ARENA_STATS_DEFAULT_NAMES KB(512)

/* ---- hashing and names ------------------------------------------------------------------- */

static uint32_t arena_stats_hash(uint32_t h, const char *s)
{
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u; /* FNV-1a */
    return (h ^ 0xff) * 16777619u;                      /* ends the string: "ab"+"c" != "a"+"bc" */
}

static uint32_t arena_stats_site_hash(const char *file, uint32_t line, const char *func)
{
    uint32_t h = arena_stats_hash(2166136261u, file);
    h = arena_stats_hash(h, func);
    return (h ^ line) * 16777619u;
}

/* Copies s into the names; false when it does not fit. */
static bool arena_stats_copy_name(arena_stats_table *t, const char *s, uint32_t *offset)
{
    size_t n = strlen(s) + 1;
    if (n > t->names_cap - t->names_used) return false;
    memcpy(t->names + t->names_used, s, n);
    *offset = t->names_used;
    t->names_used += (uint32_t)n;
    return true;
}

static void arena_stats_lock(arena_stats_table *t)
{
    while (!ARENA_STATS_TRY_LOCK(&t->lock)) {
    }
}

static void arena_stats_unlock(arena_stats_table *t) { ARENA_STATS_STORE(&t->lock, 0u); }

/* ---- creation ---------------------------------------------------------------------------- */

static uint32_t arena_stats_or(uint32_t v, uint32_t fallback) { return v ? v : fallback; }

static uint32_t arena_stats_pow2_above(uint32_t n)
{
    uint32_t p = 16;
    while (p < n) p <<= 1;
    return p;
}

arena_stats_table *arena_stats_table_create(arena *home, arena_stats_params params)
{
    if (params.stamp == 0) return NULL;
    uint32_t sites = MAX(arena_stats_or(params.max_sites, ARENA_STATS_DEFAULT_SITES), 2);
    uint32_t tags = MAX(arena_stats_or(params.max_tags, ARENA_STATS_DEFAULT_TAGS), 2);
    uint32_t pools = arena_stats_or(params.max_pools, ARENA_STATS_DEFAULT_POOLS);
    uint32_t history = arena_stats_or(params.history, ARENA_STATS_DEFAULT_HISTORY);
    uint32_t names = arena_stats_or(params.names_size, (uint32_t)ARENA_STATS_DEFAULT_NAMES);
    uint32_t slots = arena_stats_pow2_above(sites * 2);

    arena_temp undo = arena_temp_begin(home);
    arena_stats_table *t = arena_push_at(home, sizeof(*t), BASE_ALIGNOF(arena_stats_table), ARENA_PUSH_ZERO, NULL);
    if (t) {
        t->sites = arena_push_array_at(home, sites, sizeof(*t->sites), 16, ARENA_PUSH_ZERO, NULL);
        t->index = arena_push_array_at(home, slots, sizeof(*t->index), 16, ARENA_PUSH_ZERO, NULL);
        t->names = arena_push_array_at(home, names, 1, 16, 0, NULL);
        t->tags = arena_push_array_at(home, tags, sizeof(*t->tags), 16, ARENA_PUSH_ZERO, NULL);
        t->pools = arena_push_array_at(home, pools, sizeof(*t->pools), 16, ARENA_PUSH_ZERO, NULL);
    }
    if (!t || !t->sites || !t->index || !t->names || !t->tags || !t->pools) {
        arena_temp_end(undo);
        return NULL;
    }
    t->stamp = params.stamp;
    t->site_cap = sites;
    t->home = home;
    t->index_mask = slots - 1;
    t->names_cap = names;
    t->tag_cap = tags;
    t->pool_cap = pools;
    t->history_cap = history;
    /* id 0 of each: what has no name of its own */
    arena_stats_copy_name(t, "(no site)", &t->sites[0].file);
    arena_stats_copy_name(t, "", &t->sites[0].func);
    arena_stats_copy_name(t, "(untagged)", &t->tags[0].name);
    ARENA_STATS_STORE(&t->site_count, 1u);
    ARENA_STATS_STORE(&t->tag_count, 1u);
    return t;
}

/* ---- arenas ------------------------------------------------------------------------------ */

int arena_stats_tracked_index(const arena_stats_table *t, const arena *a)
{
    for (uint32_t i = 0; i < t->tracked_count; i++)
        if (t->tracked[i].arena == a) return (int)i;
    return -1;
}

bool arena_stats_track(arena_stats_table *t, arena *a)
{
    if (arena_stats_tracked_index(t, a) >= 0) return true;
    if (t->tracked_count == ARENA_STATS_MAX_TRACKED || a->stats.table) return false;
    /* counters and history live next to the table, in the arena that holds it */
    arena_temp undo = arena_temp_begin(t->home);
    arena_site_counter *counters =
        arena_push_array_at(t->home, t->site_cap, sizeof(*counters), 64, ARENA_PUSH_ZERO, NULL);
    arena_history_entry *history =
        counters ? arena_push_array_at(t->home, t->history_cap, sizeof(*history), 16, ARENA_PUSH_ZERO, NULL) : NULL;
    if (!history) {
        arena_temp_end(undo);
        return false;
    }
    counters[ARENA_STATS_NO_SITE] = *a->site_counters; /* what it pushed before */
    arena_tracked *tr = &t->tracked[t->tracked_count++];
    tr->arena = a;
    tr->counters = counters;
    tr->history = history;
    tr->since = t->frames;
    a->stats.table = t;
    a->site_counters = counters;
    a->site_stamp = t->stamp;
    a->stats.tag = ARENA_STATS_UNTAGGED;
    a->stats.tag_pushes_at = arena_stats_pushes(a);
    a->stats.tag_bytes_at = arena_stats_bytes(a);
    return true;
}

/* ---- sites ------------------------------------------------------------------------------- */

static bool arena_stats_site_matches(const arena_stats_table *t, uint32_t id, uint32_t hash, const char *file,
                                     uint32_t line, const char *func)
{
    const arena_site_info *s = &t->sites[id];
    return s->hash == hash && s->line == line && strcmp(t->names + s->file, file) == 0 &&
           strcmp(t->names + s->func, func) == 0;
}

/* Adds a site at index slot `slot`; ARENA_STATS_NO_SITE when there is no room. Lock held. */
static uint32_t arena_stats_site_add(arena_stats_table *t, uint32_t slot, uint32_t hash, const char *file,
                                     uint32_t line, const char *func)
{
    uint32_t id = ARENA_STATS_LOAD(&t->site_count);
    uint32_t names_before = t->names_used;
    arena_site_info *s = &t->sites[id];
    if (id == t->site_cap || !arena_stats_copy_name(t, file, &s->file) || !arena_stats_copy_name(t, func, &s->func)) {
        t->names_used = names_before;
        t->refused++;
        return ARENA_STATS_NO_SITE;
    }
    s->line = line;
    s->hash = hash;
    t->index[slot] = id;
    ARENA_STATS_STORE(&t->site_count, id + 1); /* readers see the entry only once it is complete */
    return id;
}

uint32_t arena_stats_site_id(arena_stats_table *t, const char *file, uint32_t line, const char *func)
{
    file = file ? file : "(unknown)";
    func = func ? func : "";
    uint32_t hash = arena_stats_site_hash(file, line, func);
    arena_stats_lock(t);
    uint32_t slot = hash & t->index_mask, id;
    while ((id = t->index[slot]) != 0 && !arena_stats_site_matches(t, id, hash, file, line, func))
        slot = (slot + 1) & t->index_mask;
    if (id == 0) id = arena_stats_site_add(t, slot, hash, file, line, func);
    arena_stats_unlock(t);
    return id;
}

/* A key is the byte offset of the site's counters (the same in every tracked arena's array) and the
 * stamp of the table. */
static uint64_t arena_stats_key(const arena_stats_table *t, uint32_t id)
{
    return (uint64_t)id * sizeof(arena_site_counter) << 32 | t->stamp;
}

uint64_t arena_site_miss(arena *a, arena_site *site)
{
    arena_stats_table *t = a->stats.table;
    site->key = arena_stats_key(t, arena_stats_site_id(t, site->file, site->line, site->func));
    return site->key;
}

arena_site_counter arena_stats_site_total(const arena_stats_table *t, uint32_t id)
{
    arena_site_counter sum = {0, 0};
    for (uint32_t i = 0; i < t->tracked_count; i++) {
        sum.pushes += t->tracked[i].counters[id].pushes;
        sum.bytes += t->tracked[i].counters[id].bytes;
    }
    return sum;
}

/* ---- tags -------------------------------------------------------------------------------- */

uint32_t arena_stats_tag(arena_stats_table *t, const char *name)
{
    uint32_t hash = arena_stats_hash(2166136261u, name);
    arena_stats_lock(t);
    uint32_t n = ARENA_STATS_LOAD(&t->tag_count), id = ARENA_STATS_UNTAGGED;
    for (uint32_t i = 1; i < n && !id; i++)
        if (t->tags[i].hash == hash && strcmp(t->names + t->tags[i].name, name) == 0) id = i;
    if (!id && n < t->tag_cap && arena_stats_copy_name(t, name, &t->tags[n].name)) {
        t->tags[n].hash = hash;
        ARENA_STATS_STORE(&t->tag_count, n + 1);
        id = n;
    } else if (!id) {
        t->refused++;
    }
    arena_stats_unlock(t);
    return id;
}

/* Adds what the arena pushed since its tag began counting to that tag. */
static void arena_tag_flush(arena *a)
{
    arena_tag_info *tag = &a->stats.table->tags[a->stats.tag];
    uint64_t pushes = arena_stats_pushes(a), bytes = arena_stats_bytes(a);
    tag->total.pushes += pushes - a->stats.tag_pushes_at;
    tag->total.bytes += bytes - a->stats.tag_bytes_at;
    a->stats.tag_pushes_at = pushes;
    a->stats.tag_bytes_at = bytes;
}

arena_tag_scope arena_tag_begin(arena *a, uint32_t tag)
{
    arena_tag_scope scope = {a, a->stats.tag};
    arena_stats_table *t = a->stats.table;
    if (!t) return scope;
    arena_tag_flush(a);
    a->stats.tag = tag < arena_stats_tag_count(t) ? tag : ARENA_STATS_UNTAGGED;
    return scope;
}

void arena_tag_end(arena_tag_scope scope)
{
    if (!scope.arena->stats.table) return;
    arena_tag_flush(scope.arena);
    scope.arena->stats.tag = scope.outer;
}

void arena_stats_untag_all(arena_stats_table *t)
{
    for (uint32_t i = 0; i < t->tracked_count; i++) {
        arena_tag_flush(t->tracked[i].arena);
        t->tracked[i].arena->stats.tag = ARENA_STATS_UNTAGGED;
    }
}

/* ---- frames ------------------------------------------------------------------------------ */

static void arena_stat_window_end(arena_stat_window *w, arena_site_counter total, uint64_t frame, bool record)
{
    if (record) {
        w->frame_pushes = total.pushes - w->pushes_at;
        w->frame_bytes = total.bytes - w->bytes_at;
        if (w->frame_bytes > w->peak_bytes) {
            w->peak_bytes = w->frame_bytes;
            w->peak_frame = frame;
        }
    }
    w->pushes_at = total.pushes;
    w->bytes_at = total.bytes;
}

static void arena_stats_tracked_end(arena_stats_table *t, arena_tracked *tr, uint64_t frame, bool record)
{
    arena *a = tr->arena;
    arena_tag_flush(a);
    if (record) {
        arena_history_entry *e = &tr->history[t->frames % t->history_cap];
        e->frame = frame;
        e->used = a->pos;
        e->high_water = arena_stats_frame_high_water(a);
        e->pushes = arena_stats_frame_pushes(a);
        e->bytes = arena_stats_frame_bytes(a);
    }
    arena_stats_frame_begin(a);
}

static void arena_stats_end(arena_stats_table *t, uint64_t frame, bool record)
{
    for (uint32_t i = 0; i < t->tracked_count; i++) arena_stats_tracked_end(t, &t->tracked[i], frame, record);
    uint32_t sites = arena_stats_site_count(t), tags = arena_stats_tag_count(t);
    for (uint32_t i = 0; i < sites; i++)
        arena_stat_window_end(&t->sites[i].window, arena_stats_site_total(t, i), frame, record);
    for (uint32_t i = 0; i < tags; i++) arena_stat_window_end(&t->tags[i].window, t->tags[i].total, frame, record);
    if (!record) return;
    t->frames++;
    t->last_frame = frame;
}

void arena_stats_frame_end(arena_stats_table *t, uint64_t frame) { arena_stats_end(t, frame, true); }

void arena_stats_frame_skip(arena_stats_table *t) { arena_stats_end(t, 0, false); }

uint64_t arena_stats_history_count(const arena_stats_table *t, uint32_t i)
{
    return MIN(t->frames - t->tracked[i].since, (uint64_t)t->history_cap);
}

const arena_history_entry *arena_stats_history(const arena_stats_table *t, uint32_t i, uint64_t back)
{
    if (i >= t->tracked_count || back >= arena_stats_history_count(t, i)) return NULL;
    return &t->tracked[i].history[(t->frames - 1 - back) % t->history_cap];
}

/* ---- pools ------------------------------------------------------------------------------- */

static bool arena_stats_pool_entry_alive(const arena_pool_entry *e)
{
    const arena *owner = e->owner;
    const uint8_t *p = (const uint8_t *)e->pool;
    /* within what the owner holds (so committed) before reading the key */
    return p && p >= owner->base && p + sizeof(arena_pool) <= owner->base + owner->pos &&
           e->pool->stats_key == e->key;
}

/* Drops the entries of pools that are gone. Lock held. */
static void arena_stats_pool_prune(arena_stats_table *t)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < t->pool_count; i++)
        if (arena_stats_pool_entry_alive(&t->pools[i])) t->pools[kept++] = t->pools[i];
    t->pool_count = kept;
}

static uint64_t arena_stats_pool_key(const arena_stats_table *t, const arena_pool *p)
{
    uint64_t k = ((uint64_t)t->stamp << 32 | t->pool_count) ^ (uint64_t)(uintptr_t)p;
    return (k * 0x9e3779b97f4a7c15ull) | 1;
}

/* Finds p's entry, or a free one; pool_count when there is none. Lock held. */
static uint32_t arena_stats_pool_slot(arena_stats_table *t, const arena_pool *p)
{
    uint32_t i = 0;
    while (i < t->pool_count && t->pools[i].pool != p) i++; /* a new pool where an old one was */
    if (i == t->pool_cap) {
        arena_stats_pool_prune(t);
        i = t->pool_count;
    }
    return i;
}

void arena_stats_pool_add(arena_stats_table *t, arena_pool *p)
{
    p->site.key = arena_stats_key(t, arena_stats_site_id(t, "(pool)", 0, p->name));
    int owner = arena_stats_tracked_index(t, p->arena);
    if (owner < 0) return;
    arena_stats_lock(t);
    uint32_t i = arena_stats_pool_slot(t, p);
    if (i < t->pool_cap) {
        arena_pool_entry *e = &t->pools[i];
        e->pool = p;
        e->owner = t->tracked[owner].arena;
        e->key = arena_stats_pool_key(t, p);
        p->stats_key = e->key;
        if (i == t->pool_count) t->pool_count++;
    } else {
        t->refused++;
    }
    arena_stats_unlock(t);
}

const arena_pool *arena_stats_pool(const arena_stats_table *t, uint32_t i)
{
    return i < t->pool_count && arena_stats_pool_entry_alive(&t->pools[i]) ? t->pools[i].pool : NULL;
}
