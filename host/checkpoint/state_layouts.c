/* state_layouts.c - a state's struct layouts in a state file (state_file.h's LAYOUTS section):
 *     u32 type count, u64 root size, then per type: name, u32 size, u32 align, u32 field count, and
 *     per field: name, type, elem, count, u32 offset, u32 size, u32 kind;
 * a string is a u32 length (UINT32_MAX for none) and its bytes. */
#include "state_file.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

#define STATE_LAYOUT_TYPES_MAX 4096
#define STATE_LAYOUT_FIELDS_MAX 65536

static void layout_put_u32(bytes_buf *w, uint32_t v) { bytes_put(w, &v, 4); }

static void layout_put_str(bytes_buf *w, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
    layout_put_u32(w, n);
    if (s) bytes_put(w, s, n);
}

bool state_layouts_encode(const layout_set *set, uint8_t **out, uint64_t *size)
{
    bytes_buf w = {0};
    layout_put_u32(&w, set->count);
    bytes_put(&w, &set->root_size, 8);
    for (uint32_t i = 0; i < set->count; i++) {
        const game_layout *t = set->types[i];
        layout_put_str(&w, t->name);
        uint32_t head[3] = {t->size, t->align, t->field_count};
        bytes_put(&w, head, sizeof(head));
        for (uint32_t f = 0; f < t->field_count; f++) {
            const game_layout_field *x = &t->fields[f];
            layout_put_str(&w, x->name);
            layout_put_str(&w, x->type);
            layout_put_str(&w, x->elem);
            layout_put_str(&w, x->count);
            uint32_t v[3] = {x->offset, x->size, x->kind};
            bytes_put(&w, v, sizeof(v));
        }
    }
    if (w.failed) {
        free(w.data);
        return false;
    }
    *out = w.data;
    *size = w.size;
    return true;
}

/* ---- decoding: a first pass counts and checks, the second fills one allocation ------------------ */

typedef struct layout_reader {
    bytes_cursor c;
    char *strings;       /* NULL in the first pass */
    uint64_t string_bytes;
} layout_reader;

static bool layout_get(layout_reader *r, void *out, uint64_t n) { return bytes_get(&r->c, out, n); }

static bool layout_get_str(layout_reader *r, const char **out)
{
    uint32_t n;
    if (!layout_get(r, &n, 4)) return false;
    *out = NULL;
    if (n == UINT32_MAX) return true;
    const uint8_t *at = r->c.at;
    if (!bytes_skip(&r->c, n) || memchr(at, 0, n)) return false;
    if (r->strings) {
        char *s = r->strings + r->string_bytes;
        memcpy(s, at, n);
        s[n] = 0;
        *out = s;
    } else {
        *out = "";
    }
    r->string_bytes += (uint64_t)n + 1;
    return true;
}

static bool layout_read_type(layout_reader *r, game_layout *t, game_layout_field *fields, uint64_t *field_total)
{
    uint32_t head[3];
    if (!layout_get_str(r, &t->name) || !t->name || !layout_get(r, head, sizeof(head))) return false;
    t->size = head[0];
    t->align = head[1];
    t->field_count = head[2];
    if (head[2] > STATE_LAYOUT_FIELDS_MAX || *field_total + head[2] > STATE_LAYOUT_FIELDS_MAX) return false;
    t->fields = fields ? fields + *field_total : NULL;
    for (uint32_t f = 0; f < head[2]; f++) {
        game_layout_field x;
        uint32_t v[3];
        if (!layout_get_str(r, &x.name) || !x.name || !layout_get_str(r, &x.type) || !x.type ||
            !layout_get_str(r, &x.elem) || !layout_get_str(r, &x.count) || !layout_get(r, v, sizeof(v)) ||
            v[2] > GAME_FIELD_POOL)
            return false;
        x.offset = v[0];
        x.size = v[1];
        x.kind = v[2];
        if (fields) fields[*field_total + f] = x;
    }
    *field_total += head[2];
    return true;
}

/* Both passes read the same bytes; the first has nowhere to put them. */
static bool layout_read_all(layout_reader *r, layout_set *set, game_layout *types, const game_layout **list,
                            game_layout_field *fields, uint64_t *field_total)
{
    uint32_t count;
    uint64_t root;
    if (!layout_get(r, &count, 4) || count > STATE_LAYOUT_TYPES_MAX || !layout_get(r, &root, 8)) return false;
    set->count = count;
    set->root_size = root;
    *field_total = 0;
    for (uint32_t i = 0; i < count; i++) {
        game_layout t;
        if (!layout_read_type(r, &t, fields, field_total)) return false;
        if (types) {
            types[i] = t;
            list[i] = &types[i];
        }
    }
    return r->c.at == r->c.end;
}

bool state_layouts_decode(const uint8_t *data, uint64_t size, layout_set *set, void **memory)
{
    layout_reader r = {{data, data + size}, NULL, 0};
    uint64_t fields;
    if (!layout_read_all(&r, set, NULL, NULL, NULL, &fields)) return false;
    uint64_t n = set->count;
    uint64_t bytes = n * (sizeof(game_layout) + sizeof(game_layout *)) + fields * sizeof(game_layout_field) + r.string_bytes + 16;
    uint8_t *m = calloc(1, (size_t)bytes);
    if (!m) return false;
    game_layout *types = (game_layout *)m;
    const game_layout **list = (const game_layout **)(types + n);
    game_layout_field *field_mem = (game_layout_field *)(list + n);
    layout_reader fill = {{data, data + size}, (char *)(field_mem + fields), 0};
    layout_read_all(&fill, set, types, list, field_mem, &fields);
    set->types = list;
    *memory = m;
    return true;
}
