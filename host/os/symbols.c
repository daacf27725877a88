/* symbols.c - the format-independent half of the symbol table: sorting, lookups, formatting. */
#include "symbols.h"

#include <stdlib.h>
#include <string.h>

void symbols_free(symbol_table *t)
{
    free(t->symbols);
    free(t->by_name);
    free(t->sections);
    free(t->strings);
    memset(t, 0, sizeof(*t));
}

static int symbols_compare_vaddr(const void *a, const void *b)
{
    const symbol *x = a, *y = b;
    if (x->vaddr != y->vaddr) return x->vaddr < y->vaddr ? -1 : 1;
    /* the larger first, so that of a function and a label inside it the function wins */
    return (x->size < y->size) - (x->size > y->size);
}

static int symbols_compare_section(const void *a, const void *b)
{
    const symbol_section *x = a, *y = b;
    return (x->vaddr > y->vaddr) - (x->vaddr < y->vaddr);
}

/* qsort has no context argument in C11: the table being sorted by name. */
static const symbol *symbols_sorting;

static int symbols_compare_name(const void *a, const void *b)
{
    const symbol *x = &symbols_sorting[*(const uint32_t *)a], *y = &symbols_sorting[*(const uint32_t *)b];
    int c = strcmp(x->name, y->name);
    return c ? c : (int)x->kind - (int)y->kind;
}

bool symbols_finish(symbol_table *t)
{
    if (t->count) qsort(t->symbols, t->count, sizeof(symbol), symbols_compare_vaddr);
    if (t->section_count) qsort(t->sections, t->section_count, sizeof(symbol_section), symbols_compare_section);
    t->by_name = malloc(sizeof(uint32_t) * (t->count ? t->count : 1));
    if (!t->by_name) return false;
    for (uint32_t i = 0; i < t->count; i++) t->by_name[i] = i;
    symbols_sorting = t->symbols;
    if (t->count) qsort(t->by_name, t->count, sizeof(uint32_t), symbols_compare_name);
    symbols_sorting = NULL;
    return true;
}

/* ---- lookups (async-signal-safe: no allocation, no locks) ------------------------------------ */

/* Index of the last symbol starting at or before vaddr, or -1. */
static int64_t symbols_floor(const symbol_table *t, uint64_t vaddr)
{
    int64_t lo = 0, hi = (int64_t)t->count - 1, found = -1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (t->symbols[mid].vaddr <= vaddr) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

const symbol *symbols_find(const symbol_table *t, uint64_t vaddr)
{
    /* a few symbols may start before vaddr yet end after it (a function around a local label):
     * look back a little from the floor */
    int64_t i = symbols_floor(t, vaddr);
    for (int64_t back = 0; i >= 0 && back < 8; i--, back++) {
        const symbol *s = &t->symbols[i];
        if (s->kind == SYMBOL_THREAD) continue;
        if (vaddr - s->vaddr < (s->size ? s->size : 1)) return s;
    }
    return NULL;
}

const symbol_section *symbols_section_at(const symbol_table *t, uint64_t vaddr)
{
    for (uint32_t i = 0; i < t->section_count; i++) {
        const symbol_section *s = &t->sections[i];
        if (vaddr >= s->vaddr && vaddr - s->vaddr < s->size) return s;
    }
    return NULL;
}

const symbol *symbols_lookup(const symbol_table *t, const char *name, symbol_kind kind, uint32_t *matches)
{
    uint32_t lo = 0, hi = t->count;
    while (lo < hi) { /* first index whose (name, kind) is not below the wanted one */
        uint32_t mid = lo + (hi - lo) / 2;
        const symbol *s = &t->symbols[t->by_name[mid]];
        int c = strcmp(s->name, name);
        if (c < 0 || (c == 0 && (int)s->kind < (int)kind)) lo = mid + 1;
        else hi = mid;
    }
    const symbol *first = NULL;
    uint32_t n = 0;
    for (uint32_t i = lo; i < t->count; i++) {
        const symbol *s = &t->symbols[t->by_name[i]];
        if (s->kind != kind || strcmp(s->name, name) != 0) break;
        /* .symtab lists a global once; the same name at the same address is an alias, not a twin */
        if (first && s->vaddr == first->vaddr) continue;
        if (!first) first = s;
        n++;
    }
    if (matches) *matches = n;
    return n == 1 ? first : NULL;
}

/* ---- text -------------------------------------------------------------------------------------- */

size_t symbols_append(char *out, size_t cap, size_t len, const char *s)
{
    if (!cap) return 0;
    while (*s && len + 1 < cap) out[len++] = *s++;
    out[len < cap ? len : cap - 1] = 0;
    return len;
}

size_t symbols_append_hex(char *out, size_t cap, size_t len, uint64_t v)
{
    char digits[19] = "0x";
    int n = 0;
    char rev[16];
    do {
        rev[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    for (int i = 0; i < n; i++) digits[2 + i] = rev[n - 1 - i];
    digits[2 + n] = 0;
    return symbols_append(out, cap, len, digits);
}

size_t symbols_format(const symbol_table *t, uint64_t vaddr, char *out, size_t cap)
{
    const symbol *s = symbols_find(t, vaddr);
    const symbol_section *sec = s ? NULL : symbols_section_at(t, vaddr);
    size_t len = 0;
    if (cap) out[0] = 0;
    if (s || sec) {
        len = symbols_append(out, cap, len, s ? s->name : sec->name);
        len = symbols_append(out, cap, len, "+");
        return symbols_append_hex(out, cap, len, vaddr - (s ? s->vaddr : sec->vaddr));
    }
    return symbols_append_hex(out, cap, len, vaddr);
}
