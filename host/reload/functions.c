/* functions.c - the function registry's services (functions.h). */
#include "functions.h"
#include "../os/crash.h"

#include <stdio.h>
#include <string.h>

static const functions *functions_current; /* for the trap, which is called with no arguments */

static registry_fn functions_lookup(void *ctx, const char *name)
{
    const lib_version *v = ctx;
    const symbol *s = symbols_lookup(&v->symbols, name, SYMBOL_CODE, NULL);
    return s ? (registry_fn)(v->start + (s->vaddr - v->symbols.image_vaddr)) : NULL;
}

static void functions_trap(void)
{
    const functions *f = functions_current;
    const char *name = registry_name(&f->registry, f->registry.trapped);
    char reason[CRASH_REASON_MAX];
    if (name)
        snprintf(reason, sizeof(reason), "called function '%s' (handle %u), which game library version %llu does "
                                         "not have: it was renamed or removed; bring it back or register the new name",
                 name, f->registry.trapped, (unsigned long long)f->versions->running.number);
    else
        snprintf(reason, sizeof(reason), "called a function through handle %u, which fn_register never returned "
                                         "(a zeroed or overwritten handle in the state?)", f->registry.trapped);
    crash_raise(reason);
}

void functions_start(functions *f, const versions *vs, const event_log *log)
{
    memset(f, 0, sizeof(*f));
    f->versions = vs;
    f->events = log;
    f->registry.trap = functions_trap;
    functions_current = f;
}

void functions_stop(functions *f) { registry_free(&f->registry); }

void functions_resolve(functions *f)
{
    const lib_version *running = &f->versions->running;
    if (!f->registry.count || !running->symbols.count) return;
    if (!registry_resolve(&f->registry, functions_lookup, (void *)running)) return;
    char list[HOST_ERROR_MAX];
    size_t len = 0;
    for (uint32_t i = 0; i < f->registry.count && len < sizeof(list); i++)
        if (!f->registry.entries[i].fn)
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "", f->registry.entries[i].name);
    event_warn(f->events, "game library version %llu has no function named %s: calls through %s handle%s stop with an "
                          "error until it is back or registered under its new name",
               (unsigned long long)running->number, list, strchr(list, ',') ? "their" : "its",
               strchr(list, ',') ? "s" : "");
}

uint32_t functions_register(functions *f, const char *name, registry_fn fn)
{
    if (!name || !name[0] || strlen(name) >= REGISTRY_NAME_MAX) {
        event_warn(f->events, "fn_register: the name '%.64s' is empty or longer than %d bytes; register the function's "
                              "own name", name ? name : "", REGISTRY_NAME_MAX - 1);
        return 0;
    }
    const lib_version *v = &f->versions->running;
    uint32_t matches = 0;
    const symbol *s = v->symbols.count ? symbols_lookup(&v->symbols, name, SYMBOL_CODE, &matches) : NULL;
    registry_fn by_name = s ? functions_lookup((void *)v, name) : NULL;
    registry_fn fn_or_found = fn ? fn : by_name;
    if (!fn_or_found) {
        event_warn(f->events, "fn_register: no function named '%s' in game library version %llu%s; pass the function "
                              "too, or register it under its own name", name, (unsigned long long)v->number,
                   matches > 1 ? " (several static functions share the name)" : "");
        return 0;
    }
    if (v->symbols.count && by_name != fn_or_found)
        event_warn(f->events, "fn_register: '%s' %s; after a reload its handle finds %s: register each function under "
                              "its own name (GAME_FN_REGISTER) and keep the library's symbol table (do not strip it)",
                   name, matches > 1 ? "names several static functions" : "is not the name of the function given",
                   by_name ? "a different function" : "nothing");
    uint32_t handle = registry_register(&f->registry, name, fn_or_found);
    if (!handle) event_warn(f->events, "fn_register: out of memory for the function registry");
    return handle;
}

registry_fn functions_get(functions *f, uint32_t handle) { return registry_get(&f->registry, handle); }
