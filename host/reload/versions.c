/* versions.c - the builds the host has loaded, their ranges, symbols and fences (versions.h). */
#include "versions.h"
#include "../os/crash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERSIONS_GLOBALS_LISTED 32 /* writable globals named in the warning */

_Static_assert(CRASH_CODE_RANGES == 1 + VERSIONS_RETIRED_MAX, "the crash handlers know every version's code");

static void lib_version_free(lib_version *v)
{
    symbols_free(&v->symbols);
    lines_close(v->lines);
    free(v->image);
    memset(v, 0, sizeof(*v));
}

bool lib_version_holds(const lib_version *v, uintptr_t addr) { return v->number && addr >= v->start && addr < v->end; }

uint64_t lib_version_vaddr(const lib_version *v, uintptr_t addr) { return addr - v->start + v->symbols.image_vaddr; }

uintptr_t lib_version_address(const lib_version *v, uint64_t vaddr) { return v->start + (vaddr - v->symbols.image_vaddr); }

const lib_version *versions_at(const versions *vs, uintptr_t addr)
{
    if (lib_version_holds(&vs->running, addr)) return &vs->running;
    for (uint32_t i = 1; i <= VERSIONS_RETIRED_MAX; i++) { /* newest first */
        const lib_version *v = &vs->retired[(vs->retired_next - i) % VERSIONS_RETIRED_MAX];
        if (lib_version_holds(v, addr)) return v;
    }
    return NULL;
}

const lib_version *versions_numbered(const versions *vs, uint64_t number)
{
    if (!number) return NULL;
    if (vs->running.number == number) return &vs->running;
    if (vs->pending.number == number) return &vs->pending;
    for (uint32_t i = 0; i < VERSIONS_RETIRED_MAX; i++)
        if (vs->retired[i].number == number) return &vs->retired[i];
    return NULL;
}

bool versions_has_fallback(const versions *vs) { return vs->fallback.image && vs->fallback.number != vs->running.number; }

/* ---- the writable-globals warning ------------------------------------------------------------ */

/* "name (static local)" for the compiler's "name.0" of a static inside a function. */
static void versions_global_name(const symbol *s, char *out, size_t cap)
{
    const char *dot = strrchr(s->name, '.');
    bool local = dot && dot != s->name && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1);
    if (local) snprintf(out, cap, "%.*s (static local)", (int)(dot - s->name), s->name);
    else snprintf(out, cap, "%s", s->name);
}

typedef struct versions_globals {
    uint32_t found;
    char list[HOST_ERROR_MAX]; /* "name (4 B, .bss), ..." for the message, the first VERSIONS_GLOBALS_LISTED */
    char json[EVENT_MAX / 2];  /* ["name", ...], all that fit */
} versions_globals;

static void versions_globals_add(versions_globals *g, const symbol *s)
{
    char name[160], escaped[sizeof(name) * 2];
    size_t list_len = strlen(g->list), json_len = strlen(g->json);
    versions_global_name(s, name, sizeof(name));
    if (g->found < VERSIONS_GLOBALS_LISTED)
        snprintf(g->list + list_len, sizeof(g->list) - list_len, "%s%s (%llu B, %s)", g->found ? ", " : "", name,
                 (unsigned long long)s->size, s->section);
    event_escape(escaped, sizeof(escaped), s->name);
    if (json_len + strlen(escaped) + 4 < sizeof(g->json))
        snprintf(g->json + json_len, sizeof(g->json) - json_len, "%s\"%s\"", g->found ? "," : "", escaped);
    g->found++;
}

/* One warning listing the writable globals of a new build: they reset on every reload. */
static void versions_warn_globals(const lib_version *v, const event_log *log)
{
    versions_globals g;
    memset(&g, 0, sizeof(g));
    g.json[0] = '[';
    for (uint32_t i = 0; i < v->symbols.count; i++) {
        const symbol *s = &v->symbols.symbols[i];
        if ((s->kind == SYMBOL_WRITABLE || s->kind == SYMBOL_THREAD) && s->size) versions_globals_add(&g, s);
    }
    if (!g.found) return;
    strcat(g.json, "]");
    char msg[HOST_ERROR_MAX * 2];
    snprintf(msg, sizeof(msg), "game library version %llu has %s, which every reload resets to %s: %s%s; "
                               "keep state in mem->persistent, or mark a global meant to reset with GAME_TRANSIENT",
             (unsigned long long)v->number, g.found > 1 ? "writable globals" : "a writable global",
             g.found > 1 ? "their first values" : "its first value", g.list,
             g.found > VERSIONS_GLOBALS_LISTED ? ", ..." : "");
    event e = event_begin(log, "warning");
    event_str(&e, "msg", msg);
    event_raw(&e, "globals", g.json);
    event_end(log, &e);
    event_say(log, "warning: %s", msg);
}

/* ---- loading and swapping --------------------------------------------------------------------- */

/* ---- the code map ------------------------------------------------------------------------------- */

/* Describes a version that can run in the code map: its range and its functions. */
static void versions_publish(const versions *vs, const lib_version *v)
{
    const symbol_table *t = &v->symbols;
    if (!vs->code_map || v->end <= v->start || !t->count) return;
    arena_stats_function *fns = malloc(sizeof(*fns) * t->count);
    if (!fns) return;
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->count; i++) /* by vaddr already */
        if (t->symbols[i].kind == SYMBOL_CODE && t->symbols[i].vaddr >= t->image_vaddr)
            fns[n++] = (arena_stats_function){t->symbols[i].vaddr - t->image_vaddr, t->symbols[i].name};
    arena_stats_module_set(vs->code_map, (uint32_t)v->number, v->start, v->end - v->start, fns, n);
    free(fns);
}

static void versions_unpublish(const versions *vs, const lib_version *v)
{
    if (vs->code_map && v->number) arena_stats_module_drop(vs->code_map, (uint32_t)v->number);
}

/* A copy of the version's bytes (NULL when it has none, or out of memory: then no fallback). */
static void *versions_copy_image(const lib_version *v)
{
    void *copy = v->image ? malloc(v->image_size ? v->image_size : 1) : NULL;
    if (copy) memcpy(copy, v->image, v->image_size);
    return copy;
}

void versions_read_symbols(versions_symbols *out, const void *image, uint64_t size)
{
    out->ok = symbols_read(image, size, &out->table, &out->err);
}

void versions_symbols_free(versions_symbols *s)
{
    if (s->ok) symbols_free(&s->table);
    s->ok = false;
}

/* Where the version is mapped, its symbols (`symbols` taken, or read now) and its source lines,
 * from its own bytes. */
static void versions_place(lib_version *v, const loader_lib *lib, versions_symbols *symbols, const event_log *log)
{
    v->start = lib->image_start;
    v->end = lib->image_end;
    if (!v->image) return;
    versions_symbols read;
    if (!symbols) versions_read_symbols(symbols = &read, v->image, v->image_size);
    if (symbols->ok) v->symbols = symbols->table;
    else
        event_warn(log, "no symbols for game library version %llu (%s): crashes and stale pointers will be reported "
                        "by address only", (unsigned long long)v->number, symbols->err.msg);
    symbols->ok = false; /* the version owns the table now */
    v->lines = lines_open(lib->path, v->image, v->image_size, v->start, v->symbols.image_vaddr);
}

void versions_loaded(versions *vs, const loader_lib *lib, void *image, uint64_t size, versions_symbols *symbols,
                     const event_log *log)
{
    versions_unpublish(vs, &vs->pending); /* a refused build that never ran */
    lib_version_free(&vs->pending);
    vs->pending.number = ++vs->newest;
    vs->pending.image = image;
    vs->pending.image_size = size;
    versions_place(&vs->pending, lib, symbols, log);
    versions_publish(vs, &vs->pending);
    versions_warn_globals(&vs->pending, log);
}

void versions_reloaded_fallback(versions *vs, const loader_lib *lib, const event_log *log)
{
    versions_unpublish(vs, &vs->pending);
    lib_version_free(&vs->pending);
    vs->pending.number = vs->fallback.number;
    vs->pending.image = versions_copy_image(&vs->fallback);
    vs->pending.image_size = vs->fallback.image_size;
    versions_place(&vs->pending, lib, NULL, log);
    versions_publish(vs, &vs->pending);
}

/* The running version leaves: it may become the fallback; its symbols are kept to name stale
 * pointers. */
static void versions_retire(versions *vs)
{
    lib_version *r = &vs->running;
    versions_unpublish(vs, r);
    void *copy = r->ran && !r->crashed ? versions_copy_image(r) : NULL;
    if (copy) {
        free(vs->fallback.image);
        vs->fallback = (lib_version){.number = r->number, .image = copy, .image_size = r->image_size};
    }
    lib_version *slot = &vs->retired[vs->retired_next++ % VERSIONS_RETIRED_MAX];
    if (slot->fenced) crash_unfence(slot->start, slot->end);
    if (slot->kept.handle) loader_close(&slot->kept);
    lib_version_free(slot);
    *slot = *r; /* its symbols, lines and bytes name stale pointers into it */
    lines_release_file(slot->lines); /* its copy is deleted next */
    memset(r, 0, sizeof(*r));
}

/* The crash handlers' table of game code (os/crash.h): a thread that crashes in one of these ranges
 * is a game thread, even one the game never announced. */
static void versions_publish_code(const versions *vs)
{
    crash_code_range(0, vs->running.start, vs->running.end);
    for (int i = 0; i < VERSIONS_RETIRED_MAX; i++)
        crash_code_range(1 + i, vs->retired[i].number ? vs->retired[i].start : 0, vs->retired[i].end);
}

void versions_fence_retired(versions *vs)
{
    lib_version *slot = &vs->retired[(vs->retired_next - 1) % VERSIONS_RETIRED_MAX];
    if (!slot->fenced && slot->end > slot->start) slot->fenced = crash_fence(slot->start, slot->end);
}

void versions_keep_retired(versions *vs, const loader_lib *lib)
{
    vs->retired[(vs->retired_next - 1) % VERSIONS_RETIRED_MAX].kept = *lib;
}

void versions_swapped(versions *vs, bool retire_running)
{
    if (retire_running) versions_retire(vs);
    vs->running = vs->pending;
    memset(&vs->pending, 0, sizeof(vs->pending));
    versions_publish_code(vs);
}

/* ---- naming addresses ------------------------------------------------------------------------- */

bool versions_symbolize(void *ctx, uintptr_t addr, char *out, size_t cap)
{
    const versions *vs = ctx;
    const lib_version *v = versions_at(vs, addr);
    if (!v) {
        crash_describe_foreign(addr, out, cap);
        return false;
    }
    size_t len = 0;
    if (v != &vs->running) {
        char number[40];
        snprintf(number, sizeof(number), "stale: version %llu ", (unsigned long long)v->number);
        len = symbols_append(out, cap, len, number);
    }
    lib_version_name(v, addr, out + len, cap - len);
    return true;
}

void lib_version_name(const lib_version *v, uintptr_t addr, char *out, size_t cap)
{
    size_t len = symbols_format(&v->symbols, lib_version_vaddr(v, addr), out, cap);
    char line[160];
    if (len + 4 >= cap || !lines_find(v->lines, addr, line, sizeof(line))) return;
    snprintf(out + len, cap - len, " (%s)", line);
}

void versions_free(versions *vs)
{
    for (int i = 0; i < CRASH_CODE_RANGES; i++) crash_code_range(i, 0, 0);
    lib_version_free(&vs->pending);
    lib_version_free(&vs->running);
    lib_version_free(&vs->fallback);
    for (int i = 0; i < VERSIONS_RETIRED_MAX; i++) {
        if (vs->retired[i].fenced) crash_unfence(vs->retired[i].start, vs->retired[i].end);
        if (vs->retired[i].kept.handle) loader_close(&vs->retired[i].kept);
        lib_version_free(&vs->retired[i]);
    }
}
