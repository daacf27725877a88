/* functions.h - the function registry's services (host_api's fn_register and fn_get): a game
 * function registered by name keeps its handle across reloads, because after every swap each name
 * is looked up again in the new build's symbols (registry.h holds the table). A name the new build
 * lacks gets one warning, and a call through its handle ends the call as a crash naming it. */
#ifndef FUNCTIONS_H
#define FUNCTIONS_H

#include "registry.h"
#include "versions.h"

typedef struct functions {
    registry registry;
    const versions *versions; /* the running version's symbols answer the look-ups */
    const event_log *events;
} functions;

/* One registry per process: its trap is called with no arguments and finds it here. */
void functions_start(functions *f, const versions *vs, const event_log *log);
void functions_stop(functions *f);

uint32_t functions_register(functions *f, const char *name, registry_fn fn);
registry_fn functions_get(functions *f, uint32_t handle);
/* After a swap: every registered name looked up in the running version; one warning names the missing. */
void functions_resolve(functions *f);

#endif
