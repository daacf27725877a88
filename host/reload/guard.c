/* guard.c - the crash policy: calls under the crash guard, crash reports, verdicts, and the
 * watchdog's reports (guard.h). */
#include "guard.h"

#include <stdio.h>
#include <string.h>

const char *guard_hook_name(reload_hook hook)
{
    switch (hook) {
    case RELOAD_HOOK_INIT: return "init";
    case RELOAD_HOOK_UPDATE: return "update";
    case RELOAD_HOOK_BEFORE_RELOAD: return "before_reload";
    case RELOAD_HOOK_AFTER_RELOAD: return "after_reload";
    case RELOAD_HOOK_SHUTDOWN: return "shutdown";
    }
    return "game code";
}

/* ---- describing a crash ------------------------------------------------------------------------ */

/* "stale pointer into game library version N (symbol X + offset)" when the crash touched a fenced range. */
static bool guard_describe_stale(const versions *vs, const crash_info *c, char *out, size_t cap)
{
    uintptr_t candidates[] = {c->address, c->pc};
    for (size_t i = 0; i < ARRAY_COUNT(candidates); i++) {
        const lib_version *v = candidates[i] ? versions_at(vs, candidates[i]) : NULL;
        if (!v || v == &vs->running) continue;
        char where[160];
        symbols_format(&v->symbols, lib_version_vaddr(v, candidates[i]), where, sizeof(where));
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
static void guard_crash_location(const versions *vs, const crash_info *c, char *out, size_t cap)
{
    char at_pc[192], frame[192];
    if (versions_symbolize((void *)vs, c->pc, at_pc, sizeof(at_pc))) {
        snprintf(out, cap, "%s", at_pc);
        return;
    }
    for (int i = 1; i < c->frame_count; i++) {
        if (!versions_symbolize((void *)vs, c->frames[i] - 1, frame, sizeof(frame))) continue;
        snprintf(out, cap, "%s (stopped in %s)", frame, at_pc);
        return;
    }
    snprintf(out, cap, "%s", at_pc);
}

static void guard_snapshot_failures(guard *g)
{
    for (int i = 0; i < BLOCK_ARENA_COUNT; i++) g->failures[i] = block_arena(g->scene.block, i)->failure.count;
    g->failures[BLOCK_ARENA_COUNT] = g->scene.heap->failure.count;
}

/* Which arena or heap ran out during the call (its fatal path aborts): the one whose failure count
 * grew. */
static bool guard_describe_exhausted(const guard *g, char *out, size_t cap)
{
    for (int i = 0; i < BLOCK_ARENA_COUNT; i++) {
        const arena *a = block_arena(g->scene.block, i);
        if (a->failure.count == g->failures[i]) continue;
        snprintf(out, cap, "arena '%.*s' exhausted: push of %llu bytes with %llu of %llu bytes used", ARENA_NAME_MAX,
                 a->name, (unsigned long long)a->failure.request, (unsigned long long)a->failure.used,
                 (unsigned long long)a->failure.capacity);
        return true;
    }
    const heap_region *heap = g->scene.heap;
    if (heap->failure.count == g->failures[BLOCK_ARENA_COUNT]) return false;
    snprintf(out, cap, "heap '%.*s' full: allocation of %llu bytes in the %llu-byte region", ARENA_NAME_MAX,
             heap->name, (unsigned long long)heap->failure.request, (unsigned long long)heap->failure.capacity);
    return true;
}

static const char *guard_verdict_name(guard_verdict v)
{
    return v == GUARD_ROLL_BACK ? "rollback" : v == GUARD_PAUSE ? "pause" : "continue";
}

/* Where the crash happened, as the report names it. */
typedef struct guard_place {
    reload_hook hook;                 /* when no thread is named */
    uint64_t version;                 /* whose code crashed */
    const crash_thread_report *thread; /* a game thread's own crash: which thread */
    char thread_name[64];             /* 'name', or "thread N" for one never announced */
    bool old_code;                    /* a thread still running a build the reload replaced */
} guard_place;

static void guard_verdict_text(const guard *g, const guard_place *p, guard_verdict v, char *out, size_t cap)
{
    switch (v) {
    case GUARD_RETURNED:
    case GUARD_GO_ON:
        snprintf(out, cap, "%s", p->old_code ? "the thread is gone and the host goes on: stop game threads in "
                                               "before_reload (and start them again in after_reload)"
                                             : "the host goes on");
        break;
    case GUARD_ROLL_BACK:
        snprintf(out, cap, "rolling back to version %llu; the state is kept as it was",
                 (unsigned long long)g->scene.versions->fallback.number);
        break;
    case GUARD_PAUSE: snprintf(out, cap, "game paused, the host keeps running: fix the game and rebuild; the state is kept"); break;
    }
}

/* "game crashed in update of version 3", "game thread 'physics' crashed in version 3", ... */
static void guard_subject(const guard *g, const guard_place *p, char *out, size_t cap)
{
    uint64_t running = g->scene.versions->running.number;
    if (!p->thread)
        snprintf(out, cap, "game crashed in %s of version %llu", guard_hook_name(p->hook), (unsigned long long)p->version);
    else if (p->old_code)
        snprintf(out, cap, "game thread %s crashed in version %llu, after the reload to version %llu", p->thread_name,
                 (unsigned long long)p->version, (unsigned long long)running);
    else
        snprintf(out, cap, "game thread %s%s crashed in version %llu", p->thread_name,
                 p->thread->name[0] ? "" : " (never announced: call host->thread_begin in it)",
                 (unsigned long long)p->version);
}

/* The crash's one line, in g->crash_line. */
static void guard_crash_line(guard *g, const guard_place *p, guard_verdict verdict, const char *location,
                             const char *stale, const char *exhausted)
{
    const crash_info *c = &g->crash;
    char subject[200], summary[CRASH_REASON_MAX + 64], todo[200], at[40] = "";
    guard_subject(g, p, subject, sizeof(subject));
    crash_summary(c, summary, sizeof(summary));
    guard_verdict_text(g, p, verdict, todo, sizeof(todo));
    if (c->address && c->address != c->pc) /* a bad access, not a bad instruction */
        snprintf(at, sizeof(at), " at address 0x%llx", (unsigned long long)c->address);
    snprintf(g->crash_line, sizeof(g->crash_line), "%.160s: %.160s%s in %.200s%s%.160s%s%.120s; %.140s", subject, summary,
             at, location, stale[0] ? "; " : "", stale, exhausted[0] ? "; " : "", exhausted, todo);
}

static void guard_report(guard *g, const guard_place *p, guard_verdict verdict)
{
    const crash_info *c = &g->crash;
    const versions *vs = g->scene.versions;
    char backtrace_json[EVENT_MAX / 2], location[400], stale[256] = "", exhausted[256] = "";
    guard_crash_location(vs, c, location, sizeof(location));
    if (!p->old_code) guard_describe_stale(vs, c, stale, sizeof(stale)); /* an old thread's own code is no stale pointer */
    if (!p->thread) guard_describe_exhausted(g, exhausted, sizeof(exhausted));
    crash_backtrace_json(c, versions_symbolize, (void *)vs, backtrace_json, sizeof(backtrace_json));
    guard_crash_line(g, p, verdict, location, stale, exhausted);
    event e = event_begin(g->scene.events, "crash");
    event_str(&e, "hook", p->thread ? "thread" : guard_hook_name(p->hook));
    if (p->thread) {
        event_str(&e, "thread", p->thread_name);
        event_uint(&e, "thread_id", p->thread->thread_id);
        event_bool(&e, "announced", p->thread->name[0] != 0);
        event_bool(&e, "old_code", p->old_code);
    }
    event_uint(&e, "version", p->version);
    event_str(&e, "signal", c->name);
    event_str(&e, "what", c->stack_overflow ? "stack overflow" : c->what);
    event_hex(&e, "address", c->address);
    event_hex(&e, "pc", c->pc);
    event_str(&e, "location", location);
    if (stale[0]) event_str(&e, "stale", stale);
    if (exhausted[0]) event_str(&e, "exhausted", exhausted);
    if (c->reason[0]) event_str(&e, "reason", c->reason);
    event_str(&e, "action", guard_verdict_name(verdict));
    event_raw(&e, "backtrace", backtrace_json);
    event_str(&e, "msg", g->crash_line);
    event_end(g->scene.events, &e);
    event_say(g->scene.events, "%s", g->crash_line);
}

/* The verdict for a crash in code that must not go on: roll back, or pause with nothing to run. */
static guard_verdict guard_recover(const guard *g)
{
    return versions_has_fallback(g->scene.versions) ? GUARD_ROLL_BACK : GUARD_PAUSE;
}

/* ---- the call --------------------------------------------------------------------------------- */

guard_verdict guard_run(guard *g, reload_hook hook, crash_fn *fn, void *ctx)
{
    guard_snapshot_failures(g);
    watchdog_enter(g->watchdog, guard_hook_name(hook));
    bool returned = crash_guard_run(fn, ctx, &g->crash);
    watchdog_leave(g->watchdog);
    if (returned) return GUARD_RETURNED;
    bool recover = hook == RELOAD_HOOK_INIT || hook == RELOAD_HOOK_UPDATE || hook == RELOAD_HOOK_AFTER_RELOAD;
    guard_verdict verdict = recover ? guard_recover(g) : GUARD_GO_ON;
    guard_place place = {.hook = hook, .version = g->scene.versions->running.number};
    guard_report(g, &place, verdict);
    return verdict;
}

/* The version whose code the thread crashed in: its pc's, else the innermost game frame's. */
static const lib_version *guard_thread_version(const versions *vs, const crash_info *c)
{
    const lib_version *v = versions_at(vs, c->pc);
    for (int i = 1; !v && i < c->frame_count; i++) v = versions_at(vs, c->frames[i] - 1);
    return v;
}

guard_verdict guard_thread_crash(guard *g, const crash_thread_report *t)
{
    const versions *vs = g->scene.versions;
    g->crash = t->crash;
    const lib_version *v = guard_thread_version(vs, &t->crash);
    guard_place place = {.thread = t, .version = v ? v->number : vs->running.number};
    place.old_code = v && v != &vs->running;
    if (t->name[0]) snprintf(place.thread_name, sizeof(place.thread_name), "'%s'", t->name);
    else snprintf(place.thread_name, sizeof(place.thread_name), "%llu", (unsigned long long)t->thread_id);
    guard_verdict verdict = place.old_code ? GUARD_GO_ON : guard_recover(g);
    guard_report(g, &place, verdict);
    return verdict;
}

/* ---- the watchdog ------------------------------------------------------------------------------- */

/* In a signal handler on the main thread: the innermost frame in the running library, by name. */
static void guard_sample(void *ctx, const uintptr_t *frames, int count, char *out, size_t cap)
{
    guard *g = ctx;
    const lib_version *v = &g->scene.versions->running;
    g->hang_pc = 0;
    for (int i = 0; i < count; i++) {
        if (!lib_version_holds(v, frames[i])) continue;
        g->hang_pc = frames[i] - 1; /* the report adds its source line, outside the signal handler */
        symbols_format(&v->symbols, lib_version_vaddr(v, frames[i] - 1), out, cap); /* -1: inside the call, not after */
        return;
    }
    symbols_append(out, cap, 0, "outside the game library");
}

/* On the watchdog thread, while the main thread is stuck in the game. */
static void guard_report_hang(void *ctx, const char *call, const char *where, double seconds)
{
    const guard *g = ctx;
    const lib_version *running = &g->scene.versions->running;
    char msg[HOST_ERROR_MAX], line[160] = "", at[176] = "";
    if (g->hang_pc && lines_find(running->lines, g->hang_pc, line, sizeof(line))) snprintf(at, sizeof(at), " (%s)", line);
    snprintf(msg, sizeof(msg), "%s has run for %.1f s in game library version %llu and is now in %s%s: an endless loop "
                               "or a deadlock? (--watchdog %llu)", call, seconds, (unsigned long long)running->number,
             where, at, (unsigned long long)g->watchdog_seconds);
    uint64_t version = running->number;
    event e = event_begin(g->scene.events, "warning");
    event_str(&e, "msg", msg);
    event_str(&e, "hook", call);
    event_str(&e, "function", where);
    if (line[0]) event_str(&e, "line", line);
    event_num(&e, "seconds", seconds);
    event_uint(&e, "version", version);
    event_end(g->scene.events, &e);
    event_say(g->scene.events, "warning: %s", msg);
}

/* ---- start and stop ------------------------------------------------------------------------------ */

bool guard_start(guard *g, const guard_scene *scene, uint64_t watchdog_seconds, host_error *err)
{
    memset(g, 0, sizeof(*g));
    g->scene = *scene;
    g->watchdog_seconds = watchdog_seconds;
    crash_install();
    if (!watchdog_seconds) return true;
    g->watchdog = watchdog_start(watchdog_seconds * 1000, guard_sample, guard_report_hang, g, err);
    return g->watchdog != NULL;
}

void guard_stop(guard *g)
{
    watchdog_stop(g->watchdog);
    g->watchdog = NULL;
}
