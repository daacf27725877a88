/* game_layout.h - struct layouts a game declares, so that its state survives a change of shape.
 *
 * A reload keeps every byte of the state where it was. When the new code adds, removes, reorders
 * or retypes a field, the host has to know where each field was and where it is now. A game
 * declares each struct it keeps in the block with one field list; the struct and its description
 * (name, type, offset and size of every field) come from that one list, so they cannot drift:
 *
 *     #define ENEMY_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
 *         X(float, x)                                 \
 *         X(float, y)                                 \
 *         X(int32_t, hp)
 *     GAME_STRUCT(enemy, ENEMY_FIELDS);
 *
 *     #define STATE_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
 *         X(uint64_t, frames)                         \
 *         X(int32_t, enemy_count)                     \
 *         X_ARRAY(enemy, enemies, enemy_count)        \
 *         X_PTR(enemy, boss)                          \
 *         X_POOL(enemy, spawn_pool)                   \
 *         X_FN(enemy_think_fn, think)                 \
 *         X_STR(title)
 *     GAME_STRUCT(state, STATE_FIELDS);
 *
 *     static game_layout_fn *const layouts[] = {GAME_LAYOUT(state), GAME_LAYOUT(enemy)};
 *     static const game_api api = {GAME_API_INIT, .init = init, .update = update, GAME_LAYOUTS(layouts)};
 *
 * Kinds of field (each list names all six macros, and uses the ones it needs):
 *   X(type, name)                  `type name;` copied by value. A fixed array needs a typedef
 *                                  (typedef int turn_queue[4]; X(turn_queue, turns)).
 *   X_ARRAY(elem, name, count)     `elem *name;` pointing at `count` elems, where `count` is an
 *                                  integer field of the same struct: the number of elements the
 *                                  array has room for (its capacity, if it has one).
 *   X_PTR(elem, name)              `elem *name;` one elem or NULL; it may point at an element of
 *                                  an X_ARRAY (a linked list's `next` is one).
 *   X_POOL(elem, name)             `arena_pool *name;` a pool (arena/pool.h) whose slots hold elems.
 *   X_FN(fn_type, name)            `fn_type *name;` a pointer to a function of the game (fn_type is a
 *                                  function type: typedef void enemy_think_fn(enemy *e);).
 *   X_STR(name)                    `const char *name;` a string, often a literal of the game.
 * After a reload the host repairs pointers into the old build that the state keeps (README,
 * "Stale pointers"): X_FN and X_STR fields precisely, whatever the conservative rules say (a string
 * whose bytes are not text, an empty one, a range the game turned the conservative pass off for);
 * both are copied by value when the layout changes.
 * An elem is a struct declared with GAME_STRUCT and registered; so may be the type of an X field
 * (spelled by its name), which is then migrated field by field too. Comments inside a list are
 * block comments: a line comment would swallow the line's backslash.
 *
 * The table of layouts (game_api.layouts) starts with the root state's type (mem->root), then
 * every other struct type reachable from it through these fields; the host refuses a library whose
 * table misses one. It stores the layouts in the block when the state is created and compares
 * them with each new library's on every reload:
 *  - the same layouts: nothing happens;
 *  - changed (policy --on-layout-change=migrate, the default): each changed struct gets a new copy
 *    (in the persistent arena, or on the heap when the old one was a heap allocation), with every
 *    field of the same name, type and size copied, new fields zeroed, removed fields dropped; the
 *    root and every X_ARRAY / X_PTR field then point at the new copies, and pools hand out slots
 *    of the new size; a struct whose own layout did not change stays where it is. A field whose
 *    type changed is zeroed unless game_api.migrate converts it; it runs once per new copy:
 *
 *     static void migrate(game_memory *mem, const game_migration *m, const host_api *host)
 *     {
 *         if (strcmp(m->type, "enemy") == 0) {
 *             const int32_t *hp = m->old_field(m, "hp", "int32_t"); // hp was an int32_t
 *             if (hp) ((enemy *)m->object)->hp = (float)*hp;
 *         }
 *     }
 *  - --on-layout-change=restart runs init on a fresh state instead; =refuse keeps the old code
 *    running until the layouts are back as they were.
 *
 * What the host cannot follow: a pointer declared with X (void *, a pointer into the middle of a
 * struct) is copied as it is; unions and bit-fields are not described; a fixed array of a
 * registered struct is copied as bytes (declare it X_ARRAY instead if that struct may change). A
 * heap object is reached at its start (its own allocation) or through an X_ARRAY: its old copy is
 * freed after the migration.
 *
 * Pure C11: no statement expressions, no typeof; it compiles with MSVC too. */
#ifndef GAME_LAYOUT_H
#define GAME_LAYOUT_H

#include "game_api.h"

#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum game_field_kind {
    GAME_FIELD_VALUE, /* X */
    GAME_FIELD_ARRAY, /* X_ARRAY */
    GAME_FIELD_PTR,   /* X_PTR */
    GAME_FIELD_POOL,  /* X_POOL */
    GAME_FIELD_FN,    /* X_FN */
    GAME_FIELD_STR,   /* X_STR */
} game_field_kind;

typedef struct game_layout_field {
    const char *name;
    const char *type;  /* as written in the list: "float", "enemy *", "arena_pool *" */
    const char *elem;  /* X_ARRAY, X_PTR, X_POOL: the element struct's name; else NULL */
    const char *count; /* X_ARRAY: the integer field holding the element count; else NULL */
    uint32_t offset;
    uint32_t size;
    uint32_t kind;     /* game_field_kind */
} game_layout_field;

typedef struct game_layout {
    const char *name;
    uint32_t size;
    uint32_t align;
    uint32_t field_count;
    const game_layout_field *fields;
} game_layout;

/* ---- declaring ---------------------------------------------------------------------------- */

#define GAME_STRUCT_DECL_VALUE_(type, name) type name;
#define GAME_STRUCT_DECL_ARRAY_(elem, name, count) elem *name;
#define GAME_STRUCT_DECL_PTR_(elem, name) elem *name;
#define GAME_STRUCT_DECL_POOL_(elem, name) arena_pool *name;
#define GAME_STRUCT_DECL_FN_(fn_type, name) fn_type *name;
#define GAME_STRUCT_DECL_STR_(name) const char *name;

/* game_layout_self_ is the struct being described: a typedef local to its layout function. */
#define GAME_STRUCT_DESC_VALUE_(type, name)                                                                 \
    {#name, #type, NULL, NULL, (uint32_t)offsetof(game_layout_self_, name),                                 \
     (uint32_t)sizeof(((game_layout_self_ *)0)->name), GAME_FIELD_VALUE},
#define GAME_STRUCT_DESC_ARRAY_(elem, name, count)                                                          \
    {#name, #elem " *", #elem, #count, (uint32_t)offsetof(game_layout_self_, name),                         \
     (uint32_t)sizeof(((game_layout_self_ *)0)->name), GAME_FIELD_ARRAY},
#define GAME_STRUCT_DESC_PTR_(elem, name)                                                                   \
    {#name, #elem " *", #elem, NULL, (uint32_t)offsetof(game_layout_self_, name),                           \
     (uint32_t)sizeof(((game_layout_self_ *)0)->name), GAME_FIELD_PTR},
#define GAME_STRUCT_DESC_POOL_(elem, name)                                                                  \
    {#name, "arena_pool *", #elem, NULL, (uint32_t)offsetof(game_layout_self_, name),                       \
     (uint32_t)sizeof(((game_layout_self_ *)0)->name), GAME_FIELD_POOL},
#define GAME_STRUCT_DESC_FN_(fn_type, name)                                                                 \
    {#name, #fn_type " *", NULL, NULL, (uint32_t)offsetof(game_layout_self_, name),                         \
     (uint32_t)sizeof(((game_layout_self_ *)0)->name), GAME_FIELD_FN},
#define GAME_STRUCT_DESC_STR_(name)                                                                         \
    {#name, "const char *", NULL, NULL, (uint32_t)offsetof(game_layout_self_, name),                        \
     (uint32_t)sizeof(((game_layout_self_ *)0)->name), GAME_FIELD_STR},

/* Defines `typedef struct T {...} T;` from the field list, and T_game_layout(), which returns its
 * description. Write a semicolon after it. */
#define GAME_STRUCT(T, FIELDS)                                                                              \
    typedef struct T T;                                                                                     \
    struct T {                                                                                              \
        FIELDS(GAME_STRUCT_DECL_VALUE_, GAME_STRUCT_DECL_ARRAY_, GAME_STRUCT_DECL_PTR_, GAME_STRUCT_DECL_POOL_,  \
               GAME_STRUCT_DECL_FN_, GAME_STRUCT_DECL_STR_)                                                \
    };                                                                                                      \
    static inline const game_layout *T##_game_layout(void)                                                  \
    {                                                                                                       \
        typedef T game_layout_self_;                                                                        \
        static const game_layout_field fields[] = {FIELDS(GAME_STRUCT_DESC_VALUE_, GAME_STRUCT_DESC_ARRAY_,  \
                                                          GAME_STRUCT_DESC_PTR_, GAME_STRUCT_DESC_POOL_,    \
                                                          GAME_STRUCT_DESC_FN_, GAME_STRUCT_DESC_STR_)};    \
        static const game_layout layout = {#T, (uint32_t)sizeof(T), (uint32_t)BASE_ALIGNOF(T),               \
                                           (uint32_t)(sizeof(fields) / sizeof(fields[0])), fields};         \
        return &layout;                                                                                     \
    }                                                                                                       \
    typedef struct T T

/* The entry of a layout table for a type declared with GAME_STRUCT. */
#define GAME_LAYOUT(T) T##_game_layout

/* In a game_api initializer: the layout table, root type first. */
#define GAME_LAYOUTS(table) .layouts = (table), .layout_count = (uint32_t)(sizeof(table) / sizeof((table)[0]))

/* ---- migrating ---------------------------------------------------------------------------- */

/* One new copy of a changed struct, handed to game_api.migrate after the host's automatic pass. */
typedef struct game_migration {
    const char *type;              /* the struct's name, e.g. "enemy" */
    const game_layout *old_layout; /* the layout the state was built with (the copy in the block) */
    const game_layout *new_layout; /* this library's */
    const void *old_object;        /* the object as it was; read only */
    void *object;                  /* the new copy: kept fields copied, every other field zero */
    uint64_t index;                /* the element's index in its array; 0 for a single object */
    /* The old value of `field`, or NULL when the old struct had no such field or gave it another
     * type than `type` (NULL: any type). Marks the field converted in the `layout` event. */
    const void *(*old_field)(const struct game_migration *m, const char *field, const char *type);
    void *host; /* the host's bookkeeping */
} game_migration;

/* ---- type spellings ----------------------------------------------------------------------- */

static inline bool game_type_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The next character of a type's spelling, keeping only spaces that separate two words, so that
 * "enemy *" and "enemy*" read the same and "unsigned int" keeps its space. */
static inline char game_type_next(const char **s, char prev)
{
    const char *p = *s;
    bool space = false;
    for (; *p == ' ' || *p == '\t'; p++) space = true;
    if (space && game_type_word_char(prev) && game_type_word_char(*p)) {
        *s = p;
        return ' ';
    }
    *s = *p ? p + 1 : p;
    return *p;
}

/* Two spellings of a type are the same type (up to spaces). */
static inline bool game_type_equal(const char *a, const char *b)
{
    for (char pa = 0, pb = 0;;) {
        char ca = game_type_next(&a, pa), cb = game_type_next(&b, pb);
        if (ca != cb) return false;
        if (!ca) return true;
        pa = ca;
        pb = cb;
    }
}

/* A field of the new copy, or NULL when the new struct has no such field of type `type` (NULL:
 * any type). */
static inline void *game_migration_field(const game_migration *m, const char *field, const char *type)
{
    for (uint32_t i = 0; i < m->new_layout->field_count; i++) {
        const game_layout_field *f = &m->new_layout->fields[i];
        if (strcmp(f->name, field) == 0) return !type || game_type_equal(f->type, type) ? (char *)m->object + f->offset : NULL;
    }
    return NULL;
}

#ifdef __cplusplus
}
#endif

#endif
