/* repair.h - what a pointer into the build just swapped out becomes in the new build: the same name
 * at the same offset, or the same text.
 *
 *     repair_pass p;
 *     repair_begin(&p, old_version, new_version, block->host);  // both builds still mapped
 *     const repair_answer *a = repair_resolve(&p, value, REPAIR_CONSERVATIVE);
 *     if (a->repaired) *word = a->value;                          // else a->why says why not
 *     repair_end(&p);
 *
 * A value inside the old build is resolved through the old symbol that covers it:
 *  - a function (its start only) -> the new build's function of that name;
 *  - a vtable (_ZTV*): at an address point (where an object's vptr points: the slot after the
 *    vtable's typeinfo pointer, one per base with a vptr) -> the same-numbered address point of the
 *    new vtable, so a class that gained virtual methods, whose secondary groups moved, maps right;
 *    at another slot boundary -> the same offset, when the new vtable is that large;
 *  - typeinfo (_ZTI*) and any other named read-only object (its start) -> the new object of that
 *    name, when the new one is at least that large;
 *  - an anonymous string literal in the read-only data (.rodata, .rdata), at its start or inside
 *    it -> the same text in the new build's read-only data (the whole literal, else the tail from
 *    the pointer on, which string merging may have folded into a longer literal), or a copy of the
 *    literal in `copies` (the host arena) when the new build lacks it.
 * Everything else is not repaired and gets a reason: inside a function, a writable global, a
 * removed function or class, two functions of one name, a smaller object, not text.
 *
 * REPAIR_CONSERVATIVE is the rule for words found by scanning the block, where an integer may look
 * like an address: only the targets above, and a literal only when its bytes are text (UTF-8
 * without control characters) and it is not empty. REPAIR_FUNCTION and REPAIR_STRING are for fields
 * a game declared (X_FN, X_STR in game_layout.h): the function or string at the value whatever its
 * bytes. Answers are cached per value for the pass. */
#ifndef REPAIR_H
#define REPAIR_H

#include "versions.h"

typedef enum repair_kind {
    REPAIR_KIND_FUNCTION,
    REPAIR_KIND_VTABLE,
    REPAIR_KIND_TYPEINFO,
    REPAIR_KIND_OBJECT,
    REPAIR_KIND_STRING,        /* found in the new build */
    REPAIR_KIND_STRING_COPIED, /* copied into the block */
    REPAIR_KIND_COUNT
} repair_kind;

/* The event's name of each kind: "functions", "vtables", "typeinfo", "objects", "strings",
 * "strings_copied". */
extern const char *const repair_kind_names[REPAIR_KIND_COUNT];

typedef enum repair_rule {
    REPAIR_CONSERVATIVE,
    REPAIR_FUNCTION, /* a declared function pointer */
    REPAIR_STRING,   /* a declared string */
} repair_rule;

typedef struct repair_answer {
    bool repaired;
    uintptr_t value;
    repair_kind kind;
    char why[200]; /* when not repaired */
} repair_answer;

typedef struct repair_cache repair_cache;

typedef struct repair_pass {
    const lib_version *old_version; /* swapped out, still mapped */
    const lib_version *new_version;
    arena *copies;                  /* where literals the new build lacks are copied */
    repair_cache *cache;            /* host memory; NULL when out of memory (no caching) */
    repair_answer answer;           /* the last answer that is not cached */
} repair_pass;

void repair_begin(repair_pass *p, const lib_version *old_version, const lib_version *new_version, arena *copies);
void repair_end(repair_pass *p);

/* What `value` (a word inside the old build) becomes under `rule`: valid until the next call. */
const repair_answer *repair_resolve(repair_pass *p, uintptr_t value, repair_rule rule);

#endif
