/* guard.c - a bad build never takes the host down: game calls under the crash guard, crash reports,
 * rollback and pause, fences and the stale-pointer scan, the writable-globals warning, the function
 * registry's services and the watchdog's reports. See guard.h. */
#include "host.h"
#include "clock.h"
#include "scan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUARD_GLOBALS_LISTED 32 /* writable globals named in the warning */

static host *guard_host; /* for the registry's trap, which is called with no arguments */

static const char *guard_hook_name(host_hook hook)
{
    switch (hook) {
    case HOST_HOOK_INIT: return "init";
    case HOST_HOOK_UPDATE: return "update";
    case HOST_HOOK_BEFORE_RELOAD: return "before_reload";
    case HOST_HOOK_AFTER_RELOAD: return "after_reload";
    case HOST_HOOK_SHUTDOWN: return "shutdown";
    }
    return "game code";
}

/* A `warning` event with a message (and the same line on the console). */
static void guard_warn(host *h, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void guard_warn(host *h, const char *fmt, ...)
{
    char msg[HOST_ERROR_MAX * 2];
    va_list args;
    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);
    event e = event_begin(&h->events, "warning");
    event_str(&e, "msg", msg);
    event_end(&h->events, &e);
    fprintf(stderr, "host: warning: %s\n", msg);
}

/* ---- versions ------------------------------------------------------------------------------- */

static void guard_version_free(guard_version *v)
{
    symbols_free(&v->symbols);
    free(v->image);
    memset(v, 0, sizeof(*v));
}

static bool guard_version_holds(const guard_version *v, uintptr_t addr)
{
    return v->number && addr >= v->start && addr < v->end;
}

/* An address as the version's file numbers it (what its symbol table speaks). */
static uint64_t guard_vaddr(const guard_version *v, uintptr_t addr) { return addr - v->start + v->symbols.image_vaddr; }

/* The running or a retired version mapped (now or once) at addr; NULL when none. */
static const guard_version *guard_version_at(const guard_state *g, uintptr_t addr)
{
    if (guard_version_holds(&g->running, addr)) return &g->running;
    for (uint32_t i = 1; i <= GUARD_RETIRED_MAX; i++) { /* newest first */
        const guard_version *v = &g->retired[(g->retired_next - i) % GUARD_RETIRED_MAX];
        if (guard_version_holds(v, addr)) return v;
    }
    return NULL;
}

/* "name (static local)" for the compiler's "name.0" of a static inside a function. */
static void guard_global_name(const symbol *s, char *out, size_t cap)
{
    const char *dot = strrchr(s->name, '.');
    bool local = dot && dot != s->name && dot[1] && strspn(dot + 1, "0123456789") == strlen(dot + 1);
    if (local) snprintf(out, cap, "%.*s (static local)", (int)(dot - s->name), s->name);
    else snprintf(out, cap, "%s", s->name);
}

typedef struct guard_globals {
    uint32_t found;
    char list[HOST_ERROR_MAX]; /* "name (4 B, .bss), ..." for the message, the first GUARD_GLOBALS_LISTED */
    char json[EVENT_MAX / 2];  /* ["name", ...], all that fit */
} guard_globals;

static void guard_globals_add(guard_globals *g, const symbol *s)
{
    char name[160], escaped[sizeof(name) * 2];
    size_t list_len = strlen(g->list), json_len = strlen(g->json);
    guard_global_name(s, name, sizeof(name));
    if (g->found < GUARD_GLOBALS_LISTED)
        snprintf(g->list + list_len, sizeof(g->list) - list_len, "%s%s (%llu B, %s)", g->found ? ", " : "", name,
                 (unsigned long long)s->size, s->section);
    event_escape(escaped, sizeof(escaped), s->name);
    if (json_len + strlen(escaped) + 4 < sizeof(g->json))
        snprintf(g->json + json_len, sizeof(g->json) - json_len, "%s\"%s\"", g->found ? "," : "", escaped);
    g->found++;
}

/* One warning listing the writable globals of a new build: they reset on every reload. */
static void guard_warn_globals(host *h, const guard_version *v)
{
    guard_globals g;
    memset(&g, 0, sizeof(g));
    g.json[0] = '[';
    for (uint32_t i = 0; i < v->symbols.count; i++) {
        const symbol *s = &v->symbols.symbols[i];
        if ((s->kind == SYMBOL_WRITABLE || s->kind == SYMBOL_THREAD) && s->size) guard_globals_add(&g, s);
    }
    if (!g.found) return;
    strcat(g.json, "]");
    char msg[HOST_ERROR_MAX * 2];
    snprintf(msg, sizeof(msg), "game library version %llu has %s, which every reload resets to %s: %s%s; "
                               "keep state in mem->persistent, or mark a global meant to reset with GAME_TRANSIENT",
             (unsigned long long)v->number, g.found > 1 ? "writable globals" : "a writable global",
             g.found > 1 ? "their first values" : "its first value", g.list, g.found > GUARD_GLOBALS_LISTED ? ", ..." : "");
    event e = event_begin(&h->events, "warning");
    event_str(&e, "msg", msg);
    event_raw(&e, "globals", g.json);
    event_end(&h->events, &e);
    fprintf(stderr, "host: warning: %s\n", msg);
}

/* Where the version is mapped, and its symbols (read from `image`, which the version does not own). */
static void guard_version_place(host *h, guard_version *v, const loader_lib *lib, const void *image, uint64_t size)
{
    v->start = lib->image_start;
    v->end = lib->image_end;
    host_error err;
    if (image && !symbols_read(image, size, &v->symbols, &err))
        guard_warn(h, "no symbols for game library version %llu (%s): crashes and stale pointers will be reported "
                      "by address only", (unsigned long long)v->number, err.msg);
}

void guard_loaded(host *h, const loader_lib *lib, void *image, uint64_t size)
{
    guard_state *g = &h->guard;
    guard_version_free(&g->pending);
    g->pending.number = ++g->newest;
    g->pending.image = image;
    g->pending.image_size = size;
    guard_version_place(h, &g->pending, lib, image, size);
    guard_warn_globals(h, &g->pending);
}

/* The running version leaves: it may become the fallback; its range is fenced and its symbols kept
 * to name stale pointers. */
static void guard_retire(host *h)
{
    guard_state *g = &h->guard;
    guard_version *r = &g->running;
    if (r->ran && !r->crashed && r->image) {
        free(g->fallback.image);
        g->fallback = (guard_version){.number = r->number, .image = r->image, .image_size = r->image_size};
        r->image = NULL;
    }
    guard_version *slot = &g->retired[g->retired_next++ % GUARD_RETIRED_MAX];
    if (slot->fenced) crash_unfence(slot->start, slot->end);
    guard_version_free(slot);
    *slot = *r;
    free(slot->image);
    slot->image = NULL;
    slot->fenced = h->opts.library && slot->end > slot->start && crash_fence(slot->start, slot->end);
    memset(r, 0, sizeof(*r));
}

/* ---- the function registry ------------------------------------------------------------------ */

static registry_fn guard_lookup(void *ctx, const char *name)
{
    const guard_version *v = ctx;
    const symbol *s = symbols_lookup(&v->symbols, name, SYMBOL_CODE, NULL);
    return s ? (registry_fn)(v->start + (s->vaddr - v->symbols.image_vaddr)) : NULL;
}

static void guard_trap(void)
{
    const guard_state *g = &guard_host->guard;
    const char *name = registry_name(&g->registry, g->registry.trapped);
    char reason[CRASH_REASON_MAX];
    if (name)
        snprintf(reason, sizeof(reason), "called function '%s' (handle %u), which game library version %llu does "
                                         "not have: it was renamed or removed; bring it back or register the new name",
                 name, g->registry.trapped, (unsigned long long)g->running.number);
    else
        snprintf(reason, sizeof(reason), "called a function through handle %u, which fn_register never returned "
                                         "(a zeroed or overwritten handle in the state?)", g->registry.trapped);
    crash_raise(reason);
}

/* After a swap: every registered name looked up in the new code; one warning names the missing. */
static void guard_resolve_registry(host *h)
{
    guard_state *g = &h->guard;
    if (!g->registry.count || !g->running.symbols.count) return;
    if (!registry_resolve(&g->registry, guard_lookup, &g->running)) return;
    char list[HOST_ERROR_MAX];
    size_t len = 0;
    for (uint32_t i = 0; i < g->registry.count && len < sizeof(list); i++)
        if (!g->registry.entries[i].fn)
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "", g->registry.entries[i].name);
    guard_warn(h, "game library version %llu has no function named %s: calls through %s handle%s stop with an "
                  "error until it is back or registered under its new name", (unsigned long long)g->running.number,
               list, strchr(list, ',') ? "their" : "its", strchr(list, ',') ? "s" : "");
}

uint32_t guard_fn_register(host *h, const char *name, game_fn fn)
{
    guard_state *g = &h->guard;
    if (!name || !name[0] || strlen(name) >= REGISTRY_NAME_MAX) {
        guard_warn(h, "fn_register: the name '%.64s' is empty or longer than %d bytes; register the function's "
                      "own name", name ? name : "", REGISTRY_NAME_MAX - 1);
        return 0;
    }
    const guard_version *v = &g->running;
    uint32_t matches = 0;
    const symbol *s = v->symbols.count ? symbols_lookup(&v->symbols, name, SYMBOL_CODE, &matches) : NULL;
    registry_fn by_name = s ? guard_lookup((void *)v, name) : NULL;
    registry_fn f = fn ? (registry_fn)fn : by_name;
    if (!f) {
        guard_warn(h, "fn_register: no function named '%s' in game library version %llu%s; pass the function too, "
                      "or register it under its own name", name, (unsigned long long)v->number,
                   matches > 1 ? " (several static functions share the name)" : "");
        return 0;
    }
    if (v->symbols.count && by_name != f)
        guard_warn(h, "fn_register: '%s' %s; after a reload its handle finds %s: register each function under its "
                      "own name (GAME_FN_REGISTER) and keep the library's symbol table (do not strip it)", name,
                   matches > 1 ? "names several static functions" : "is not the name of the function given",
                   by_name ? "a different function" : "nothing");
    uint32_t handle = registry_register(&g->registry, name, f);
    if (!handle) guard_warn(h, "fn_register: out of memory for the function registry");
    return handle;
}

game_fn guard_fn_get(host *h, uint32_t handle) { return (game_fn)registry_get(&h->guard.registry, handle); }

/* ---- the swap ---------------------------------------------------------------------------------- */

void guard_swapped(host *h, bool retire_running)
{
    guard_state *g = &h->guard;
    if (retire_running) guard_retire(h);
    g->running = g->pending;
    memset(&g->pending, 0, sizeof(g->pending));
    h->version = g->running.number;
    g->paused = false;
    guard_resolve_registry(h);
}

/* ---- the stale-pointer scan ------------------------------------------------------------------- */

static const block_region_id guard_arena_regions[GUARD_ARENAS] = {
    BLOCK_REGION_HOST, BLOCK_REGION_PERSISTENT, BLOCK_REGION_FRAME0,
    BLOCK_REGION_FRAME1, BLOCK_REGION_SCRATCH0, BLOCK_REGION_SCRATCH1,
};

/* The block's arenas sit at the start of their regions (block_init). */
static arena *guard_arena(host *h, int i) { return block_region_start(h->block, guard_arena_regions[i]); }

typedef struct guard_scanning {
    host *h;
    const guard_version *old;
    block_region_id region;
    uint64_t region_offset; /* of the scanned range's start within the region */
    uint32_t reported;      /* warnings written, up to GUARD_SCAN_REPORT_MAX */
} guard_scanning;

static bool guard_on_stale(void *ctx, uint64_t offset, uint64_t value)
{
    guard_scanning *s = ctx;
    guard_state *g = &s->h->guard;
    if (s->reported++ >= GUARD_SCAN_REPORT_MAX) return false;
    const block_region *r = &s->h->block->regions[s->region];
    uint64_t at = s->region_offset + offset;
    char symbol_text[160], site[160] = "";
    symbols_format(&s->old->symbols, guard_vaddr(s->old, (uintptr_t)value), symbol_text, sizeof(symbol_text));
    const uint8_t *address = (const uint8_t *)block_region_start(s->h->block, s->region) + at;
    bool has_site = g->site_of && g->site_of(g->site_ctx, address, site, sizeof(site));
    char msg[GUARD_LINE_MAX];
    snprintf(msg, sizeof(msg), "stale pointer after the reload: %.16s+0x%llx holds 0x%llx, inside unloaded game library "
                               "version %llu (%s)%s%s; keep a function registry handle or a copy (arena_push_str) "
                               "in the state instead", r->name, (unsigned long long)at, (unsigned long long)value,
             (unsigned long long)s->old->number, symbol_text, has_site ? ", allocated at " : "", site);
    event e = event_begin(&s->h->events, "warning");
    event_str(&e, "msg", msg);
    event_str(&e, "region", r->name);
    event_uint(&e, "offset", at);
    event_hex(&e, "value", value);
    event_uint(&e, "version", s->old->number);
    event_str(&e, "symbol", symbol_text);
    if (has_site) event_str(&e, "site", site);
    event_end(&s->h->events, &e);
    return true;
}

static void guard_scan_range(guard_scanning *s, const void *start, uint64_t size)
{
    const uint8_t *region_start = block_region_start(s->h->block, s->region);
    s->region_offset = (uint64_t)((const uint8_t *)start - region_start);
    scan_result r = scan_words(start, size, s->old->start, s->old->end, guard_on_stale, s);
    s->h->guard.scan.bytes += r.scanned;
    s->h->guard.scan.found += r.hits;
}

static bool guard_scan_heap_block(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t size, void *ctx)
{
    (void)heap;
    (void)area;
    if (block) guard_scan_range(ctx, block, size);
    return true;
}

/* The used parts of the block: the header, each arena up to its position, the main heap's live
 * blocks (worker threads' heaps are theirs to walk, and are not scanned). */
void guard_scan_stale(host *h, const loader_lib *old)
{
    guard_state *g = &h->guard;
    memset(&g->scan, 0, sizeof(g->scan));
    const guard_version *v = guard_version_at(g, old->image_start);
    if (h->opts.no_stale_scan || !h->opts.library || !v || v == &g->running) return;
    uint64_t t0 = clock_now_ns();
    guard_scanning s = {h, v, BLOCK_REGION_HEADER, 0, 0};
    guard_scan_range(&s, h->block, sizeof(*h->block));
    for (int i = 0; i < GUARD_ARENAS; i++) {
        arena *a = guard_arena(h, i);
        s.region = guard_arena_regions[i];
        guard_scan_range(&s, a->base, a->pos);
    }
    s.region = BLOCK_REGION_HEAP;
    if (h->heap.main) mi_heap_visit_blocks(h->heap.main, true, guard_scan_heap_block, &s);
    g->scan.ms = (double)(clock_now_ns() - t0) / 1e6;
    g->scan.done = true;
    if (g->scan.found)
        fprintf(stderr, "host: warning: %llu stale pointer%s into unloaded game library version %llu left in the block "
                        "(the warning events name each, up to %d)\n", (unsigned long long)g->scan.found,
                g->scan.found > 1 ? "s" : "", (unsigned long long)v->number, GUARD_SCAN_REPORT_MAX);
}

void guard_event_scan(const host *h, event *e)
{
    const guard_scan *s = &h->guard.scan;
    if (!s->done) return;
    event_num(e, "scan_ms", s->ms);
    event_uint(e, "scan_bytes", s->bytes);
    event_uint(e, "stale_pointers", s->found);
}

/* ---- crashes ------------------------------------------------------------------------------------- */

static bool guard_symbolize(void *ctx, uintptr_t addr, char *out, size_t cap)
{
    const guard_state *g = ctx;
    const guard_version *v = guard_version_at(g, addr);
    if (!v) {
        crash_describe_foreign(addr, out, cap);
        return false;
    }
    size_t len = 0;
    if (v != &g->running) {
        len = symbols_append(out, cap, len, "stale: version ");
        char number[24];
        snprintf(number, sizeof(number), "%llu ", (unsigned long long)v->number);
        len = symbols_append(out, cap, len, number);
    }
    symbols_format(&v->symbols, guard_vaddr(v, addr), out + len, cap - len);
    return true;
}

/* "stale pointer into game library version N (symbol X + offset)" when the crash touched a fenced range. */
static bool guard_describe_stale(const guard_state *g, const crash_info *c, char *out, size_t cap)
{
    uintptr_t candidates[] = {c->address, c->pc};
    for (size_t i = 0; i < ARRAY_COUNT(candidates); i++) {
        const guard_version *v = candidates[i] ? guard_version_at(g, candidates[i]) : NULL;
        if (!v || v == &g->running) continue;
        char where[160];
        symbols_format(&v->symbols, guard_vaddr(v, candidates[i]), where, sizeof(where));
        char *plus = strrchr(where, '+');
        if (plus) *plus = 0;
        snprintf(out, cap, "stale pointer into game library version %llu (%s + %s)", (unsigned long long)v->number,
                 where, plus ? plus + 1 : "0x0");
        return true;
    }
    return false;
}

/* The innermost frame in game code; when the crash itself is elsewhere (libc's abort, a host
 * service the game called), that place too. */
static void guard_crash_location(guard_state *g, const crash_info *c, char *out, size_t cap)
{
    char at_pc[192], frame[192];
    if (guard_symbolize(g, c->pc, at_pc, sizeof(at_pc))) {
        snprintf(out, cap, "%s", at_pc);
        return;
    }
    for (int i = 1; i < c->frame_count; i++) {
        if (!guard_symbolize(g, c->frames[i] - 1, frame, sizeof(frame))) continue;
        snprintf(out, cap, "%s (stopped in %s)", frame, at_pc);
        return;
    }
    snprintf(out, cap, "%s", at_pc);
}

static void guard_snapshot_failures(host *h)
{
    guard_state *g = &h->guard;
    for (int i = 0; i < GUARD_ARENAS; i++) g->failures[i] = guard_arena(h, i)->failure.count;
    g->failures[GUARD_ARENAS] = h->heap.failure.count;
}

/* Which arena or heap ran out during the call (its fatal path aborts): the one whose failure count
 * grew. */
static bool guard_describe_exhausted(host *h, char *out, size_t cap)
{
    const guard_state *g = &h->guard;
    for (int i = 0; i < GUARD_ARENAS; i++) {
        const arena *a = guard_arena(h, i);
        if (a->failure.count == g->failures[i]) continue;
        snprintf(out, cap, "arena '%.*s' exhausted: push of %llu bytes with %llu of %llu bytes used", ARENA_NAME_MAX,
                 a->name, (unsigned long long)a->failure.request, (unsigned long long)a->failure.used,
                 (unsigned long long)a->failure.capacity);
        return true;
    }
    if (h->heap.failure.count == g->failures[GUARD_ARENAS]) return false;
    snprintf(out, cap, "heap '%.*s' full: allocation of %llu bytes in the %llu-byte region", ARENA_NAME_MAX,
             h->heap.name, (unsigned long long)h->heap.failure.request, (unsigned long long)h->heap.failure.capacity);
    return true;
}

typedef enum guard_action { GUARD_CONTINUE, GUARD_ROLLBACK, GUARD_PAUSE } guard_action;

static void guard_action_text(const host *h, guard_action action, char *out, size_t cap)
{
    switch (action) {
    case GUARD_CONTINUE: snprintf(out, cap, "the host goes on"); break;
    case GUARD_ROLLBACK:
        snprintf(out, cap, "rolling back to version %llu; the state is kept as it was",
                 (unsigned long long)h->guard.fallback.number);
        break;
    case GUARD_PAUSE: snprintf(out, cap, "game paused, the host keeps running: fix the game and rebuild; the state is kept"); break;
    }
}

static void guard_report_crash(host *h, host_hook hook, guard_action action)
{
    char backtrace_json[EVENT_MAX / 2];
    guard_state *g = &h->guard;
    const crash_info *c = &g->crash;
    char summary[CRASH_REASON_MAX + 64], location[400], stale[256] = "", exhausted[256] = "", todo[128];
    crash_summary(c, summary, sizeof(summary));
    guard_crash_location(g, c, location, sizeof(location));
    bool is_stale = guard_describe_stale(g, c, stale, sizeof(stale));
    bool is_exhausted = guard_describe_exhausted(h, exhausted, sizeof(exhausted));
    guard_action_text(h, action, todo, sizeof(todo));
    crash_backtrace_json(c, guard_symbolize, g, backtrace_json, sizeof(backtrace_json));
    char at[40] = "";
    if (c->address && c->address != c->pc) /* a bad access, not a bad instruction */
        snprintf(at, sizeof(at), " at address 0x%llx", (unsigned long long)c->address);
    snprintf(g->crash_line, sizeof(g->crash_line),
             "game crashed in %s of version %llu: %.200s%s in %.200s%s%.200s%s%.160s; %.100s",
             guard_hook_name(hook), (unsigned long long)g->running.number, summary, at, location, is_stale ? "; " : "",
             stale, is_exhausted ? "; " : "", exhausted, todo);
    event e = event_begin(&h->events, "crash");
    event_str(&e, "hook", guard_hook_name(hook));
    event_uint(&e, "version", g->running.number);
    event_str(&e, "signal", c->name);
    event_str(&e, "what", c->stack_overflow ? "stack overflow" : c->what);
    event_hex(&e, "address", c->address);
    event_hex(&e, "pc", c->pc);
    event_str(&e, "location", location);
    if (is_stale) event_str(&e, "stale", stale);
    if (is_exhausted) event_str(&e, "exhausted", exhausted);
    if (c->reason[0]) event_str(&e, "reason", c->reason);
    event_str(&e, "action", action == GUARD_ROLLBACK ? "rollback" : action == GUARD_PAUSE ? "pause" : "continue");
    event_raw(&e, "backtrace", backtrace_json);
    event_str(&e, "msg", g->crash_line);
    event_end(&h->events, &e);
    fprintf(stderr, "host: %s\n", g->crash_line);
    snprintf(h->status, sizeof(h->status), "crashed in %s: %.200s", guard_hook_name(hook), summary);
}

static bool guard_has_fallback(const guard_state *g)
{
    return g->fallback.image && g->fallback.number != g->running.number;
}

static void guard_pause(host *h)
{
    h->guard.paused = true;
    snprintf(h->status, sizeof(h->status), "paused after a crash: fix the game and rebuild");
}

/* Loads the fallback again from its bytes and swaps it in, like a reload; the block is left alone. */
static bool guard_rollback(host *h)
{
    guard_state *g = &h->guard;
    uint64_t from = g->running.number;
    loader_lib next, old;
    host_error err;
    if (!host_load_bytes(h, g->fallback.image, g->fallback.image_size, &next, &err)) {
        guard_warn(h, "cannot load version %llu again to roll back: %s", (unsigned long long)g->fallback.number, err.msg);
        return false;
    }
    guard_version_free(&g->pending);
    g->pending.number = g->fallback.number;
    guard_version_place(h, &g->pending, &next, g->fallback.image, g->fallback.image_size);
    host_swap(h, &next, &old);
    host_retire(h, &old);
    guard_scan_stale(h, &old);
    event e = event_begin(&h->events, "rollback");
    event_uint(&e, "from", from);
    event_uint(&e, "version", h->version);
    event_bool(&e, "paused", g->paused);
    guard_event_scan(h, &e);
    event_end(&h->events, &e);
    if (!g->paused) snprintf(h->status, sizeof(h->status), "crashed in version %llu; rolled back to version %llu",
                             (unsigned long long)from, (unsigned long long)h->version);
    return true;
}

static void guard_crashed(host *h, host_hook hook)
{
    guard_state *g = &h->guard;
    g->running.crashed = true;
    if (hook == HOST_HOOK_INIT) g->initialized = false;
    bool recover = hook == HOST_HOOK_INIT || hook == HOST_HOOK_UPDATE || hook == HOST_HOOK_AFTER_RELOAD;
    guard_action action = !recover ? GUARD_CONTINUE : guard_has_fallback(g) ? GUARD_ROLLBACK : GUARD_PAUSE;
    guard_report_crash(h, hook, action);
    if (action == GUARD_PAUSE || (action == GUARD_ROLLBACK && !guard_rollback(h))) guard_pause(h);
}

/* ---- calls into the game ------------------------------------------------------------------------ */

typedef struct guard_call_ctx {
    host *h;
    host_hook hook;
    game_status status;
} guard_call_ctx;

static void guard_call_hook(void *ctx)
{
    guard_call_ctx *c = ctx;
    c->status = host_call_unguarded(c->h, c->hook);
}

/* A state whose init never returned has nothing to hand over: the hooks that expect a state are
 * skipped, and the next code to load starts with init on a fresh state. */
static bool guard_redirect(host *h, host_hook *hook)
{
    if (h->guard.initialized) return true;
    if (*hook == HOST_HOOK_BEFORE_RELOAD || *hook == HOST_HOOK_SHUTDOWN) return false;
    if (*hook == HOST_HOOK_AFTER_RELOAD) {
        block_reset_state(h->block);
        *hook = HOST_HOOK_INIT;
    }
    return true;
}

bool guard_call(host *h, host_hook hook, game_status *status)
{
    guard_state *g = &h->guard;
    if (status) *status = GAME_CONTINUE;
    if (!guard_redirect(h, &hook)) return true;
    if (hook == HOST_HOOK_INIT) g->initialized = false;
    guard_snapshot_failures(h);
    guard_call_ctx c = {h, hook, GAME_CONTINUE};
    watchdog_enter(g->watchdog, guard_hook_name(hook));
    bool returned = crash_guard_run(guard_call_hook, &c, &g->crash);
    watchdog_leave(g->watchdog);
    if (!returned) {
        guard_crashed(h, hook);
        return false;
    }
    if (hook == HOST_HOOK_INIT) g->initialized = true;
    if (hook == HOST_HOOK_UPDATE) g->running.ran = true;
    if (status) *status = c.status;
    return true;
}

/* ---- the watchdog ------------------------------------------------------------------------------- */

/* In a signal handler on the main thread: the innermost frame in the running library, by name. */
static void guard_sample(void *ctx, const uintptr_t *frames, int count, char *out, size_t cap)
{
    const guard_version *v = &((host *)ctx)->guard.running;
    for (int i = 0; i < count; i++) {
        if (!guard_version_holds(v, frames[i])) continue;
        symbols_format(&v->symbols, guard_vaddr(v, frames[i] - 1), out, cap); /* -1: inside the call, not after */
        return;
    }
    symbols_append(out, cap, 0, "outside the game library");
}

/* On the watchdog thread, while the main thread is stuck in the game. */
static void guard_report_hang(void *ctx, const char *call, const char *where, double seconds)
{
    host *h = ctx;
    char msg[HOST_ERROR_MAX];
    snprintf(msg, sizeof(msg), "%s has run for %.1f s in game library version %llu and is now in %s: an endless loop "
                               "or a deadlock? (--watchdog %llu)", call, seconds, (unsigned long long)h->version,
             where, (unsigned long long)h->opts.watchdog);
    event e = event_begin(&h->events, "warning");
    event_str(&e, "msg", msg);
    event_str(&e, "hook", call);
    event_str(&e, "function", where);
    event_num(&e, "seconds", seconds);
    event_uint(&e, "version", h->version);
    event_end(&h->events, &e);
    fprintf(stderr, "host: warning: %s\n", msg);
}

/* ---- start and stop ------------------------------------------------------------------------------ */

bool guard_start(host *h, host_error *err)
{
    guard_host = h;
    crash_install();
    h->guard.registry.trap = guard_trap;
    if (!h->opts.watchdog) return true;
    h->guard.watchdog = watchdog_start(h->opts.watchdog * 1000, guard_sample, guard_report_hang, h, err);
    return h->guard.watchdog != NULL;
}

void guard_stop(host *h)
{
    guard_state *g = &h->guard;
    watchdog_stop(g->watchdog);
    g->watchdog = NULL;
    guard_version_free(&g->pending);
    guard_version_free(&g->running);
    guard_version_free(&g->fallback);
    for (int i = 0; i < GUARD_RETIRED_MAX; i++) {
        if (g->retired[i].fenced) crash_unfence(g->retired[i].start, g->retired[i].end);
        guard_version_free(&g->retired[i]);
    }
    registry_free(&g->registry);
}
