/* arena_stats.c - the stats table: names, sites and their callers, modules, tag scopes, frames,
 * history and series, pools. */
#include "arena_stats.h"

#include <string.h>

#if defined(__GNUC__)
#include <unwind.h> /* the compiler's unwinder (libgcc): call stacks with or without frame pointers */
#endif

#define ARENA_STATS_DEFAULT_SITES 4096
#define ARENA_STATS_DEFAULT_TAGS 256
#define ARENA_STATS_DEFAULT_POOLS 256
#define ARENA_STATS_DEFAULT_HISTORY 600
#define ARENA_STATS_DEFAULT_NAMES KB(512)
#define ARENA_STATS_NAME_SLOT_BYTES 8 /* one slot of the name index per this many bytes of names */
#define ARENA_STATS_WALK_MAX 64       /* frames the unwinder may pass before it finds the caller */

/* ---- hashing and names ------------------------------------------------------------------- */

static uint32_t arena_stats_hash(uint32_t h, const char *s)
{
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u; /* FNV-1a */
    return (h ^ 0xff) * 16777619u;                      /* ends the string: "ab"+"c" != "a"+"bc" */
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

/* The name's copy, added when new; 0 when there is no room. Lock held. */
static uint32_t arena_stats_intern_locked(arena_stats_table *t, const char *s)
{
    if (!*s) return 0;
    uint32_t slot = arena_stats_hash(2166136261u, s) & t->name_mask, at;
    while ((at = t->name_index[slot]) != 0 && strcmp(t->names + at, s) != 0) slot = (slot + 1) & t->name_mask;
    if (at) return at;
    /* the index stays at most half full, so a probe always ends */
    if ((t->name_count + 1) * 2 > t->name_mask + 1 || !arena_stats_copy_name(t, s, &at)) {
        t->refused++;
        return 0;
    }
    t->name_index[slot] = at;
    t->name_count++;
    return at;
}

static void arena_stats_lock(arena_stats_table *t)
{
    while (!ARENA_STATS_TRY_LOCK(&t->lock)) {
    }
}

static void arena_stats_unlock(arena_stats_table *t) { ARENA_STATS_STORE(&t->lock, 0u); }

uint32_t arena_stats_intern(arena_stats_table *t, const char *s)
{
    arena_stats_lock(t);
    uint32_t at = arena_stats_intern_locked(t, s);
    arena_stats_unlock(t);
    return at;
}

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
    uint32_t name_slots = arena_stats_pow2_above(names / ARENA_STATS_NAME_SLOT_BYTES);

    arena_temp undo = arena_temp_begin(home);
    arena_stats_table *t = arena_push_at(home, sizeof(*t), BASE_ALIGNOF(arena_stats_table), ARENA_PUSH_ZERO, NULL, 0);
    if (t) {
        t->sites = arena_push_array_at(home, sites, sizeof(*t->sites), 16, ARENA_PUSH_ZERO, NULL, 0);
        t->index = arena_push_array_at(home, slots, sizeof(*t->index), 16, ARENA_PUSH_ZERO, NULL, 0);
        t->names = arena_push_array_at(home, names, 1, 16, 0, NULL, 0);
        t->name_index = arena_push_array_at(home, name_slots, sizeof(*t->name_index), 16, ARENA_PUSH_ZERO, NULL, 0);
        t->tags = arena_push_array_at(home, tags, sizeof(*t->tags), 16, ARENA_PUSH_ZERO, NULL, 0);
        t->pools = arena_push_array_at(home, pools, sizeof(*t->pools), 16, ARENA_PUSH_ZERO, NULL, 0);
    }
    if (!t || !t->sites || !t->index || !t->names || !t->name_index || !t->tags || !t->pools) {
        arena_temp_end(undo);
        return NULL;
    }
    t->stamp = params.stamp;
    t->site_cap = sites;
    t->home = home;
    t->index_mask = slots - 1;
    t->names_cap = names;
    t->name_mask = name_slots - 1;
    t->tag_cap = tags;
    t->pool_cap = pools;
    t->history_cap = history;
    uint32_t empty;
    arena_stats_copy_name(t, "", &empty); /* offset 0: no name */
    /* id 0 of each: what has no name of its own */
    t->sites[0].file = arena_stats_intern_locked(t, "(no site)");
    t->tags[0].name = arena_stats_intern_locked(t, "(untagged)");
    for (uint32_t i = 0; i < ARENA_STATS_MODULES; i++) t->modules[i].id = ARENA_STATS_NO_MODULE;
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
        arena_push_array_at(t->home, t->site_cap, sizeof(*counters), 64, ARENA_PUSH_ZERO, NULL, 0);
    arena_history_entry *history =
        counters ? arena_push_array_at(t->home, t->history_cap, sizeof(*history), 16, ARENA_PUSH_ZERO, NULL, 0) : NULL;
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

/* ---- modules: where code is, and its functions ------------------------------------------ */

static arena_stats_module *arena_stats_module_slot(arena_stats_table *t, uint32_t id)
{
    arena_stats_module *free_slot = NULL;
    for (uint32_t i = 0; i < ARENA_STATS_MODULES; i++) {
        if (t->modules[i].id == id) return &t->modules[i];
        if (t->modules[i].id == ARENA_STATS_NO_MODULE && !free_slot) free_slot = &t->modules[i];
    }
    return free_slot;
}

/* Room for `count` functions in m (a slot keeps its arrays for the next module it holds). */
static bool arena_stats_module_room(arena_stats_table *t, arena_stats_module *m, uint32_t count)
{
    if (count <= m->fn_cap) return true;
    arena_temp undo = arena_temp_begin(t->home);
    uint32_t *start = arena_push_array_at(t->home, count, sizeof(uint32_t), 16, 0, NULL, 0);
    uint32_t *name = start ? arena_push_array_at(t->home, count, sizeof(uint32_t), 16, 0, NULL, 0) : NULL;
    if (!name) {
        arena_temp_end(undo);
        return false;
    }
    m->fn_start = start;
    m->fn_name = name;
    m->fn_cap = count;
    return true;
}

bool arena_stats_module_set(arena_stats_table *t, uint32_t id, uintptr_t start, uint64_t size,
                            const arena_stats_function *fns, uint32_t count)
{
    if (start & ((1u << ARENA_STATS_PAGE_SHIFT) - 1) || id == ARENA_STATS_NO_MODULE) return false;
    arena_stats_lock(t);
    arena_stats_module *m = arena_stats_module_slot(t, id);
    bool ok = m && arena_stats_module_room(t, m, count);
    if (ok) {
        m->id = id;
        m->first_page = (uint64_t)start >> ARENA_STATS_PAGE_SHIFT;
        m->end_page = ((uint64_t)start + size + (1u << ARENA_STATS_PAGE_SHIFT) - 1) >> ARENA_STATS_PAGE_SHIFT;
        m->fn_count = 0;
        for (uint32_t i = 0; i < count; i++) {
            if (fns[i].offset > UINT32_MAX || (m->fn_count && fns[i].offset < m->fn_start[m->fn_count - 1])) continue;
            m->fn_start[m->fn_count] = (uint32_t)fns[i].offset;
            m->fn_name[m->fn_count++] = arena_stats_intern_locked(t, fns[i].name ? fns[i].name : "");
        }
    }
    arena_stats_unlock(t);
    return ok;
}

void arena_stats_module_drop(arena_stats_table *t, uint32_t id)
{
    arena_stats_lock(t);
    for (uint32_t i = 0; i < ARENA_STATS_MODULES; i++) {
        if (t->modules[i].id != id) continue;
        t->modules[i].id = ARENA_STATS_NO_MODULE;
        t->modules[i].first_page = t->modules[i].end_page = 0;
    }
    arena_stats_unlock(t);
}

static const arena_stats_module *arena_stats_module_at(const arena_stats_table *t, uintptr_t addr)
{
    uint64_t page = (uint64_t)addr >> ARENA_STATS_PAGE_SHIFT;
    for (uint32_t i = 0; i < ARENA_STATS_MODULES; i++) {
        const arena_stats_module *m = &t->modules[i];
        if (m->id != ARENA_STATS_NO_MODULE && page >= m->first_page && page < m->end_page) return m;
    }
    return NULL;
}

/* The function holding the call a return address comes back to (the byte before it: a call at
 * the end of a function returns past it). Lock held. */
static arena_stats_frame arena_stats_frame_locked(const arena_stats_table *t, uintptr_t addr)
{
    arena_stats_frame f = {0, ARENA_STATS_NO_MODULE, 0, 0};
    const arena_stats_module *m = arena_stats_module_at(t, addr);
    if (!m) return f;
    f.module = m->id;
    f.offset = (uint32_t)(addr - (uintptr_t)(m->first_page << ARENA_STATS_PAGE_SHIFT));
    uint32_t lo = 0, hi = m->fn_count; /* the first function that starts past the call */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->fn_start[mid] < f.offset) lo = mid + 1;
        else hi = mid;
    }
    if (lo) f.func = m->fn_name[lo - 1];
    return f;
}

arena_stats_frame arena_stats_frame_at(arena_stats_table *t, uintptr_t addr)
{
    arena_stats_lock(t);
    arena_stats_frame f = arena_stats_frame_locked(t, addr);
    arena_stats_unlock(t);
    return f;
}

void arena_stats_frame_where(arena_stats_table *t, uint32_t id, uint32_t i, const char *where)
{
    arena_stats_lock(t);
    if (id < ARENA_STATS_LOAD(&t->site_count) && i < t->sites[id].depth)
        t->sites[id].frames[i].where = arena_stats_intern_locked(t, where);
    arena_stats_unlock(t);
}

/* ---- call stacks ------------------------------------------------------------------------- */

typedef struct arena_stats_walk {
    uintptr_t caller; /* the first frame to keep */
    uintptr_t *out;
    uint32_t count, cap, passed;
} arena_stats_walk;

#if defined(__GNUC__)
static _Unwind_Reason_Code arena_stats_walk_frame(struct _Unwind_Context *ctx, void *arg)
{
    arena_stats_walk *w = arg;
    uintptr_t ip = (uintptr_t)_Unwind_GetIP(ctx);
    if (!w->count && ip != w->caller) /* still in the stats, the push and the push site's own function */
        return ++w->passed < ARENA_STATS_WALK_MAX ? _URC_NO_REASON : _URC_END_OF_STACK;
    w->out[w->count++] = ip;
    return w->count < w->cap ? _URC_NO_REASON : _URC_END_OF_STACK;
}
#endif

/* The return addresses from `caller` up: the unwinder reads the unwind tables (.eh_frame, which
 * every build has), so it works with and without frame pointers. Only the caller itself where
 * there is no unwinder or it does not find the caller (an inlined push). */
static uint32_t arena_stats_callers(uintptr_t caller, uintptr_t *out, uint32_t cap)
{
    arena_stats_walk w = {caller, out, 0, cap, 0};
#if defined(__GNUC__)
    _Unwind_Backtrace(arena_stats_walk_frame, &w);
#endif
    if (!w.count) out[w.count++] = caller;
    return w.count;
}

/* ---- sites ------------------------------------------------------------------------------- */

typedef struct arena_site_name {
    const char *file, *func;
    uint32_t line;
    uint32_t caller; /* the calling function's name */
    uint32_t hash;
} arena_site_name;

static arena_site_name arena_site_name_of(const char *file, uint32_t line, const char *func, uint32_t caller)
{
    arena_site_name n = {file ? file : "(unknown)", func ? func : "", line, caller, 0};
    uint32_t h = arena_stats_hash(2166136261u, n.file);
    h = arena_stats_hash(h, n.func);
    n.hash = ((h ^ line) * 16777619u ^ caller) * 16777619u;
    return n;
}

static bool arena_stats_site_matches(const arena_stats_table *t, uint32_t id, const arena_site_name *n)
{
    const arena_site_info *s = &t->sites[id];
    return s->hash == n->hash && s->line == n->line && s->caller == n->caller &&
           strcmp(t->names + s->file, n->file) == 0 && strcmp(t->names + s->func, n->func) == 0;
}

/* The site's id, or 0 with *slot where it would go. Lock held. */
static uint32_t arena_stats_site_find(const arena_stats_table *t, const arena_site_name *n, uint32_t *slot)
{
    uint32_t at = n->hash & t->index_mask, id;
    while ((id = t->index[at]) != 0 && !arena_stats_site_matches(t, id, n)) at = (at + 1) & t->index_mask;
    *slot = at;
    return id;
}

/* The frames of a new site: its caller, and the callers above it in the same module. Lock held. */
static void arena_stats_site_frames(arena_stats_table *t, arena_site_info *s, const uintptr_t *raw, uint32_t n)
{
    s->depth = 0;
    for (uint32_t i = 0; i < n && s->depth < ARENA_STATS_CALLERS; i++) {
        arena_stats_frame f = arena_stats_frame_locked(t, raw[i]);
        if (f.module == ARENA_STATS_NO_MODULE || (i && f.module != s->frames[0].module)) break;
        s->frames[s->depth++] = f;
    }
}

/* Adds a site at index slot `slot`; ARENA_STATS_NO_SITE when there is no room. Lock held. */
static uint32_t arena_stats_site_add(arena_stats_table *t, uint32_t slot, const arena_site_name *n, uint32_t origin,
                                     const uintptr_t *raw, uint32_t raw_count)
{
    uint32_t id = ARENA_STATS_LOAD(&t->site_count);
    arena_site_info *s = &t->sites[id];
    uint32_t file = id < t->site_cap ? arena_stats_intern_locked(t, n->file) : 0;
    uint32_t func = file ? arena_stats_intern_locked(t, n->func) : 0;
    if (!file || (!func && *n->func)) {
        t->refused++;
        return ARENA_STATS_NO_SITE;
    }
    s->file = file;
    s->func = func;
    s->line = n->line;
    s->hash = n->hash;
    s->caller = n->caller;
    s->origin = origin;
    arena_stats_site_frames(t, s, raw, raw_count);
    t->index[slot] = id;
    ARENA_STATS_STORE(&t->site_count, id + 1); /* readers see the entry only once it is complete */
    return id;
}

static uint32_t arena_stats_site_named(arena_stats_table *t, const arena_site_name *n, uint32_t origin,
                                       const uintptr_t *raw, uint32_t raw_count)
{
    uint32_t slot, id = arena_stats_site_find(t, n, &slot);
    return id ? id : arena_stats_site_add(t, slot, n, origin, raw, raw_count);
}

uint32_t arena_stats_site_id(arena_stats_table *t, const char *file, uint32_t line, const char *func)
{
    arena_site_name n = arena_site_name_of(file, line, func, 0);
    arena_stats_lock(t);
    uint32_t id = arena_stats_site_named(t, &n, ARENA_STATS_GAME, NULL, 0);
    arena_stats_unlock(t);
    return id;
}

/* A site and caller the site's keys did not know: found by name and calling function, or added
 * with its call stack (walked outside the lock: it takes microseconds). */
static uint32_t arena_stats_site_resolve(arena_stats_table *t, const arena_site *site, uintptr_t caller)
{
    arena_stats_lock(t);
    arena_stats_frame first = caller ? arena_stats_frame_locked(t, caller) : (arena_stats_frame){0, 0, 0, 0};
    const arena_stats_module *home = arena_stats_module_at(t, (uintptr_t)site);
    uint32_t origin = home && home->id == ARENA_STATS_HOST_MODULE ? ARENA_STATS_HOST : ARENA_STATS_GAME;
    arena_site_name n = arena_site_name_of(site->file, site->line, site->func, first.func);
    uint32_t slot, id = arena_stats_site_find(t, &n, &slot);
    arena_stats_unlock(t);
    if (id) return id;
    uintptr_t raw[ARENA_STATS_CALLERS];
    uint32_t count = caller ? arena_stats_callers(caller, raw, ARENA_STATS_CALLERS) : 0;
    arena_stats_lock(t);
    id = arena_stats_site_named(t, &n, origin, raw, count); /* another thread may have added it meanwhile */
    arena_stats_unlock(t);
    return id;
}

/* A key is the byte offset of the site's counters (the same in every tracked arena's array) and the
 * stamp of the table. */
static uint64_t arena_stats_key(const arena_stats_table *t, uint32_t id)
{
    return (uint64_t)id * sizeof(arena_site_counter) << 32 | t->stamp;
}

/* The key of site + caller in t: one of the site's keys, else resolved and made the site's first.
 * Keys are stored with the caller mixed into their low half, and returned without it. */
static uint64_t arena_stats_site_key(arena_stats_table *t, arena_site *site, uintptr_t caller)
{
    uint32_t mine = t->stamp ^ (uint32_t)caller;
    for (int i = 0; i < ARENA_SITE_WAYS; i++) {
        uint64_t k = site->key[i];
        if ((uint32_t)k != mine) continue;
        site->key[i] = site->key[0]; /* the last one used comes first */
        site->key[0] = k;
        return k ^ (uint32_t)caller;
    }
    uint64_t k = arena_stats_key(t, arena_stats_site_resolve(t, site, caller));
    for (int i = ARENA_SITE_WAYS - 1; i > 0; i--) site->key[i] = site->key[i - 1];
    site->key[0] = k ^ (uint32_t)caller;
    return k;
}

uint64_t arena_site_miss(arena *a, arena_site *site, uintptr_t caller)
{
    return arena_stats_site_key(a->stats.table, site, caller);
}

uint32_t arena_stats_site_of(arena_stats_table *t, arena_site *site, uintptr_t caller)
{
    return arena_stats_key_site(arena_stats_site_key(t, site, caller));
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
    if (!id && n < t->tag_cap && (t->tags[n].name = arena_stats_intern_locked(t, name)) != 0) {
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

/* A frame's bytes into the series, which begins with the first frame that has some (a failed
 * push of its ring only leaves it without one). */
static void arena_stats_series_add(arena_stats_table *t, arena_stats_series *s, uint64_t bytes)
{
    if (!s->bytes && !bytes) return;
    if (!s->bytes) {
        s->bytes = arena_push_array_at(t->home, t->history_cap, sizeof(uint64_t), 16, 0, NULL, 0);
        s->since = t->frames;
        if (!s->bytes) return;
    }
    s->bytes[t->frames % t->history_cap] = bytes;
}

uint64_t arena_stats_series_count(const arena_stats_table *t, const arena_stats_series *s)
{
    return s->bytes ? MIN(t->frames - s->since, (uint64_t)t->history_cap) : 0;
}

uint64_t arena_stats_series_at(const arena_stats_table *t, const arena_stats_series *s, uint64_t back)
{
    return back < arena_stats_series_count(t, s) ? s->bytes[(t->frames - 1 - back) % t->history_cap] : 0;
}

static void arena_stat_window_end(arena_stats_table *t, arena_stat_window *w, arena_stats_series *series,
                                  arena_site_counter total, uint64_t frame, bool record)
{
    if (record) {
        w->frame_pushes = total.pushes - w->pushes_at;
        w->frame_bytes = total.bytes - w->bytes_at;
        if (w->frame_bytes > w->peak_bytes) {
            w->peak_bytes = w->frame_bytes;
            w->peak_frame = frame;
        }
        arena_stats_series_add(t, series, w->frame_bytes);
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
    for (uint32_t i = 0; i < sites; i++) {
        arena_site_info *s = &t->sites[i];
        arena_stat_window_end(t, &s->window, &s->series, arena_stats_site_total(t, i), frame, record);
    }
    for (uint32_t i = 0; i < tags; i++)
        arena_stat_window_end(t, &t->tags[i].window, &t->tags[i].series, t->tags[i].total, frame, record);
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

void arena_stats_pool_add(arena_stats_table *t, arena_pool *p, uint32_t created)
{
    p->site.key[0] = arena_stats_key(t, arena_stats_site_id(t, "(pool)", 0, p->name));
    int owner = arena_stats_tracked_index(t, p->arena);
    if (owner < 0) return;
    arena_stats_lock(t);
    uint32_t i = arena_stats_pool_slot(t, p);
    if (i < t->pool_cap) {
        arena_pool_entry *e = &t->pools[i];
        e->pool = p;
        e->owner = t->tracked[owner].arena;
        e->key = arena_stats_pool_key(t, p);
        e->created = created;
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
