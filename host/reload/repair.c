/* repair.c - old pointers resolved in the new build by name and by text (repair.h). Both builds are
 * mapped while a pass runs, so their vtables and literals are read where the loader put them. */
#include "repair.h"
#include "../../arena/base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPAIR_CACHE_SLOTS 4096u      /* distinct values remembered per pass (a power of two) */
#define REPAIR_LITERAL_MAX KB(64)     /* the longest string literal looked for */
#define REPAIR_POINTS_MAX 64          /* address points of one vtable (bases with a vptr) */
#define REPAIR_VTABLE_PREFIX "_ZTV"
#define REPAIR_TYPEINFO_PREFIX "_ZTI"

/* A game built with ASan puts poisoned redzones between its globals (string literals too): the host
 * reads the builds' read-only data across them on purpose, with plain loops (ASan's memchr and
 * memcmp would check the ranges). */
#if defined(BASE_ASAN)
#define REPAIR_UNPOISONED __attribute__((no_sanitize_address))
#else
#define REPAIR_UNPOISONED
#endif

const char *const repair_kind_names[REPAIR_KIND_COUNT] = {"functions", "vtables", "typeinfo",
                                                          "objects",   "strings", "strings_copied"};

typedef struct repair_entry {
    uintptr_t key; /* 0: empty */
    repair_answer answer;
} repair_entry;

struct repair_cache {
    repair_entry slots[REPAIR_CACHE_SLOTS];
    uint32_t used;
};

void repair_begin(repair_pass *p, const lib_version *old_version, const lib_version *new_version, arena *copies)
{
    p->old_version = old_version;
    p->new_version = new_version;
    p->copies = copies;
    p->cache = NULL; /* made at the first word: most reloads find none */
}

void repair_end(repair_pass *p)
{
    free(p->cache);
    p->cache = NULL;
}

/* ---- addresses ------------------------------------------------------------------------------ */

static bool repair_starts(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static bool repair_fail(repair_answer *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static bool repair_fail(repair_answer *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->why, sizeof(a->why), fmt, ap);
    va_end(ap);
    return false;
}

static bool repair_to(repair_answer *a, uintptr_t value, repair_kind kind)
{
    a->value = value;
    a->kind = kind;
    a->why[0] = 0;
    return true;
}

/* The new build's symbol of the same name and kind; false with the reason when there is none. */
static bool repair_counterpart(const repair_pass *p, const symbol *old, const char *what, const symbol **out,
                               repair_answer *a)
{
    uint32_t matches = 0;
    *out = symbols_lookup(&p->new_version->symbols, old->name, old->kind, &matches);
    if (*out) return true;
    if (matches > 1) return repair_fail(a, "the new build has %u %ss named %s", matches, what, old->name);
    return repair_fail(a, "the %s %s is gone from the new build", what, old->name);
}

/* ---- functions and named objects ------------------------------------------------------------ */

static bool repair_function(const repair_pass *p, const symbol *old, uint64_t off, repair_answer *a)
{
    if (off) return repair_fail(a, "points inside the function %s (+0x%llx), not at its start", old->name, (unsigned long long)off);
    const symbol *now;
    if (!repair_counterpart(p, old, "function", &now, a)) return false;
    return repair_to(a, lib_version_address(p->new_version, now->vaddr), REPAIR_KIND_FUNCTION);
}

static bool repair_object(const repair_pass *p, const symbol *old, uint64_t off, repair_answer *a)
{
    bool typeinfo = repair_starts(old->name, REPAIR_TYPEINFO_PREFIX);
    if (off) return repair_fail(a, "points inside the object %s (+0x%llx), not at its start", old->name, (unsigned long long)off);
    const symbol *now;
    if (!repair_counterpart(p, old, typeinfo ? "typeinfo" : "object", &now, a)) return false;
    return repair_to(a, lib_version_address(p->new_version, now->vaddr), typeinfo ? REPAIR_KIND_TYPEINFO : REPAIR_KIND_OBJECT);
}

/* ---- vtables -------------------------------------------------------------------------------- */

/* The runtime address of the typeinfo of the vtable's class in v (0 when it has none: -fno-rtti). */
static uintptr_t repair_typeinfo_of(const lib_version *v, const char *vtable_name)
{
    char name[512];
    snprintf(name, sizeof(name), "%s%s", REPAIR_TYPEINFO_PREFIX, vtable_name + strlen(REPAIR_VTABLE_PREFIX));
    const symbol *ti = symbols_lookup(&v->symbols, name, SYMBOL_CONST, NULL);
    return ti ? lib_version_address(v, ti->vaddr) : 0;
}

/* The offsets of a vtable's address points, in order: each follows a slot that holds the class's
 * typeinfo pointer (the primary one first, then one per secondary base with a vptr). */
static REPAIR_UNPOISONED uint32_t repair_address_points(const lib_version *v, const symbol *vt, uint64_t points[REPAIR_POINTS_MAX])
{
    uintptr_t ti = repair_typeinfo_of(v, vt->name);
    const uint64_t *slots = (const uint64_t *)lib_version_address(v, vt->vaddr);
    uint32_t n = 0;
    for (uint64_t j = 1; ti && j < vt->size / 8 && n < REPAIR_POINTS_MAX; j++)
        if (slots[j - 1] == ti) points[n++] = j * 8;
    return n;
}

static bool repair_vtable(const repair_pass *p, const symbol *old, uint64_t off, repair_answer *a)
{
    if (off % 8) return repair_fail(a, "points inside the vtable %s (+0x%llx), not at a slot", old->name, (unsigned long long)off);
    const symbol *now = symbols_lookup(&p->new_version->symbols, old->name, SYMBOL_CONST, NULL);
    if (!now) return repair_fail(a, "the class of the vtable %s is gone from the new build", old->name);
    uint64_t was[REPAIR_POINTS_MAX], is[REPAIR_POINTS_MAX], to = off;
    uint32_t n_was = repair_address_points(p->old_version, old, was), n_is = repair_address_points(p->new_version, now, is);
    for (uint32_t i = 0; i < n_was; i++) {
        if (was[i] != off) continue;
        /* where an object's vptr points: the same-numbered address point of the new vtable */
        if (i >= n_is)
            return repair_fail(a, "the vtable %s has %u address points in the new build, the pointer is at number "
                                  "%u (a base class with virtual methods removed?)", old->name, n_is, i + 1);
        to = is[i];
    }
    if (to >= now->size)
        return repair_fail(a, "the vtable %s is smaller in the new build (%llu bytes, the pointer is at +0x%llx)",
                           old->name, (unsigned long long)now->size, (unsigned long long)to);
    return repair_to(a, lib_version_address(p->new_version, now->vaddr) + to, REPAIR_KIND_VTABLE);
}

/* ---- string literals ------------------------------------------------------------------------ */

static bool repair_is_rodata(const char *section) { return repair_starts(section, ".rodata") || repair_starts(section, ".rdata"); }

/* Bytes in the UTF-8 sequence that starts with c; 0 when c cannot start one. */
static uint64_t repair_utf8_length(uint8_t c)
{
    return c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
}

/* Text: UTF-8 with no control characters but tab, newline and carriage return. */
static REPAIR_UNPOISONED bool repair_is_text(const uint8_t *s, uint64_t n)
{
    for (uint64_t i = 0; i < n;) {
        uint64_t len = repair_utf8_length(s[i]);
        if (!len || len > n - i) return false;
        if (len == 1 && (s[i] == 0x7f || (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r'))) return false;
        for (uint64_t k = 1; k < len; k++)
            if ((s[i + k] & 0xc0) != 0x80) return false;
        i += len;
    }
    return true;
}

/* `needle` (n bytes) inside [hay, hay + size); NULL when absent. */
static REPAIR_UNPOISONED const uint8_t *repair_find_bytes(const uint8_t *hay, uint64_t size, const uint8_t *needle,
                                                          uint64_t n)
{
    if (n == 0 || n > size) return NULL;
    for (const uint8_t *at = hay, *end = hay + size - n + 1; at < end; at++) {
        if (*at != needle[0]) continue;
        uint64_t k = 1;
        while (k < n && at[k] == needle[k]) k++;
        if (k == n) return at;
    }
    return NULL;
}

/* The bytes (with their NUL) in the new build's anonymous read-only data: never inside a named
 * object, which a later reload would then repair as that object, not as text (where the sizes are
 * only guessed, as on PE, anywhere: a later reload finds text inside an object too). */
static const uint8_t *repair_find_text(const repair_pass *p, const uint8_t *s, uint64_t n)
{
    const lib_version *v = p->new_version;
    for (uint32_t i = 0; i < v->symbols.section_count; i++) {
        const symbol_section *sec = &v->symbols.sections[i];
        if (!repair_is_rodata(sec->name)) continue;
        const uint8_t *at = (const uint8_t *)lib_version_address(v, sec->vaddr), *end = at + sec->size;
        for (const uint8_t *hit; (hit = repair_find_bytes(at, (uint64_t)(end - at), s, n)); at = hit + 1)
            if (v->symbols.sizes_guessed || !symbols_find(&v->symbols, lib_version_vaddr(v, (uintptr_t)hit))) return hit;
    }
    return NULL;
}

/* The literal around `value` in the old build: [*start, *end) is its text, *end its NUL. */
static REPAIR_UNPOISONED bool repair_literal(const repair_pass *p, uintptr_t value, const symbol_section *sec, const uint8_t **start,
                           const uint8_t **end, repair_answer *a)
{
    const uint8_t *lo = (const uint8_t *)lib_version_address(p->old_version, sec->vaddr), *hi = lo + sec->size;
    const uint8_t *s = (const uint8_t *)value, *e = s;
    while (s > lo && s[-1] && (uint64_t)((const uint8_t *)value - s) < REPAIR_LITERAL_MAX) s--;
    while (e < hi && *e && (uint64_t)(e - s) < REPAIR_LITERAL_MAX) e++;
    if (e == hi || *e || (s > lo && s[-1]))
        return repair_fail(a, "points into %s+0x%llx, which holds no string of up to 64 KiB", sec->name,
                           (unsigned long long)(value - (uintptr_t)lo));
    *start = s;
    *end = e;
    return true;
}

static bool repair_string(const repair_pass *p, uintptr_t value, const symbol_section *sec, repair_rule rule,
                          repair_answer *a)
{
    const uint8_t *s = NULL, *e = NULL;
    if (!repair_literal(p, value, sec, &s, &e, a)) return false;
    uint64_t n = (uint64_t)(e - s), k = value - (uintptr_t)s;
    if (rule == REPAIR_CONSERVATIVE && (n == 0 || !repair_is_text(s, n)))
        return repair_fail(a, "points into %s, but not at text (an empty string, or other read-only data)", sec->name);
    const uint8_t *hit = repair_find_text(p, s, n + 1);
    if (hit) return repair_to(a, (uintptr_t)hit + k, REPAIR_KIND_STRING);
    hit = repair_find_text(p, s + k, n + 1 - k); /* the tail from the pointer on */
    if (hit) return repair_to(a, (uintptr_t)hit, REPAIR_KIND_STRING);
    uint8_t *copy = arena_try_push_no_zero(p->copies, n + 1, 1);
    if (!copy) return repair_fail(a, "the string \"%.40s\" changed and the host arena has no room for a copy", s);
    memcpy(copy, s, n + 1);
    return repair_to(a, (uintptr_t)copy + k, REPAIR_KIND_STRING_COPIED);
}

/* ---- resolving ------------------------------------------------------------------------------- */

/* A declared string inside a named read-only object (a const char array): the same offset in the
 * new object of that name. */
static bool repair_string_in_object(const repair_pass *p, const symbol *old, uint64_t off, repair_answer *a)
{
    const symbol *now;
    if (old->kind != SYMBOL_CONST)
        return repair_fail(a, "a declared string points at %s+0x%llx, not at read-only data", old->name, (unsigned long long)off);
    if (!repair_counterpart(p, old, "object", &now, a)) return false;
    if (off >= now->size)
        return repair_fail(a, "a declared string points at %s+0x%llx, past its end in the new build (%llu bytes)",
                           old->name, (unsigned long long)off, (unsigned long long)now->size);
    return repair_to(a, lib_version_address(p->new_version, now->vaddr) + off, REPAIR_KIND_OBJECT);
}

static bool repair_by_symbol(const repair_pass *p, const symbol *old, uint64_t off, repair_rule rule, repair_answer *a)
{
    if (rule == REPAIR_STRING) return repair_string_in_object(p, old, off, a);
    if (old->kind == SYMBOL_CODE) return repair_function(p, old, off, a);
    if (rule == REPAIR_FUNCTION)
        return repair_fail(a, "a declared function pointer points at %s+0x%llx, not at a function", old->name,
                           (unsigned long long)off);
    if (old->kind == SYMBOL_CONST && repair_starts(old->name, REPAIR_VTABLE_PREFIX)) return repair_vtable(p, old, off, a);
    /* inside a read-only object, text is repaired as text: a pointer into a const char array, and
     * on PE, whose symbols have no sizes, a literal after a named object seems to lie inside it */
    if (old->kind == SYMBOL_CONST && off && repair_is_rodata(old->section)) {
        const symbol_section *sec = symbols_section_at(&p->old_version->symbols, old->vaddr + off);
        if (sec && repair_string(p, lib_version_address(p->old_version, old->vaddr + off), sec, rule, a)) return true;
    }
    if (old->kind == SYMBOL_CONST) return repair_object(p, old, off, a);
    return repair_fail(a, "points into the writable global %s (+0x%llx), which the reload reset", old->name,
                       (unsigned long long)off);
}

static bool repair_uncached(repair_pass *p, uintptr_t value, repair_rule rule, repair_answer *a)
{
    const symbol_table *t = &p->old_version->symbols;
    uint64_t vaddr = lib_version_vaddr(p->old_version, value);
    const symbol *old = symbols_find(t, vaddr);
    if (old) return repair_by_symbol(p, old, vaddr - old->vaddr, rule, a);
    const symbol_section *sec = symbols_section_at(t, vaddr);
    if (sec && repair_is_rodata(sec->name) && rule != REPAIR_FUNCTION) return repair_string(p, value, sec, rule, a);
    if (sec) return repair_fail(a, "no symbol covers it (%s+0x%llx)", sec->name, (unsigned long long)(vaddr - sec->vaddr));
    return repair_fail(a, "no symbol or section of the old build covers it");
}

/* The cache slot for value: its entry, or the empty slot it would take (NULL when full). */
static repair_entry *repair_slot(repair_pass *p, uintptr_t value)
{
    if (!p->cache) p->cache = calloc(1, sizeof(*p->cache));
    if (!p->cache) return NULL;
    uint32_t mask = REPAIR_CACHE_SLOTS - 1, i = (uint32_t)((value * 0x9e3779b97f4a7c15ull) >> 40) & mask;
    for (uint32_t probe = 0; probe < REPAIR_CACHE_SLOTS; probe++, i = (i + 1) & mask) {
        repair_entry *e = &p->cache->slots[i];
        if (e->key == value || !e->key) return e;
    }
    return NULL;
}

const repair_answer *repair_resolve(repair_pass *p, uintptr_t value, repair_rule rule)
{
    repair_entry *e = rule == REPAIR_CONSERVATIVE ? repair_slot(p, value) : NULL;
    if (e && e->key == value) return &e->answer;
    repair_answer *a = &p->answer;
    if (e && p->cache->used < REPAIR_CACHE_SLOTS / 2) { /* half full at most: probes stay short */
        e->key = value;
        p->cache->used++;
        a = &e->answer;
    }
    a->repaired = repair_uncached(p, value, rule, a);
    return a;
}
