/* fuzz_symbols.c - symbols_read, the host's reader of a library's symbol table (the crash reports,
 * the stale-pointer warnings, the function registry and the writable-globals warning all rest on
 * it), on arbitrary bytes: it must never read outside them (ASan watches), and a table it returns
 * must hold: names are strings, symbols sorted by address, every lookup by name or by address
 * answers with a symbol that fits the question, formatting never overruns. Seeds: a real game
 * library. */
#include "host/os/symbols.h"

#include <stdlib.h>
#include <string.h>

static void check_table(const symbol_table *t)
{
    char text[24];
    for (uint32_t i = 0; i < t->count; i++) {
        const symbol *s = &t->symbols[i];
        if (i && t->symbols[i - 1].vaddr > s->vaddr) abort();
        if (strlen(s->name) + strlen(s->section) == SIZE_MAX) abort(); /* both readable strings */
        uint32_t matches = 0;
        const symbol *named = symbols_lookup(t, s->name, s->kind, &matches);
        if (matches == 0 || (named && strcmp(named->name, s->name) != 0)) abort();
        const symbol *at = symbols_find(t, s->vaddr);
        if (at && (s->vaddr < at->vaddr || s->vaddr - at->vaddr >= (at->size ? at->size : 1))) abort();
        if (symbols_format(t, s->vaddr + 1, text, sizeof(text)) >= sizeof(text)) abort();
    }
    for (uint32_t i = 1; i < t->count; i++)
        if (strcmp(t->symbols[t->by_name[i - 1]].name, t->symbols[t->by_name[i]].name) > 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1); /* exact size, so ASan sees any read past the end */
    memcpy(copy, data, size);
    symbol_table t;
    host_error err;
    if (symbols_read(copy, size, &t, &err)) {
        check_table(&t);
        symbols_free(&t);
    } else if (!err.msg[0] || strchr(err.msg, '\n')) {
        abort(); /* a refusal is always one line */
    }
    free(copy);
    return 0;
}
