/* report_pprof.c - the allocation profile (--alloc-profile): pprof's protobuf, encoded by protobuf-c
 * from pprof's own profile.proto (host/stats/profile.proto, turned into C at build time), or the
 * collapsed-stack text that flamegraph.pl and speedscope read. One sample per site: its stack is
 * the push site (leaf) and the frames above it; its values are the pushes and bytes it made and
 * the heap blocks or pool slots it allocated that are still live. The protobuf is not gzipped:
 * pprof, speedscope and Perfetto read it as it is. */
#include "report.h"

#include "profile.pb-c.h"

#include <stdlib.h>
#include <string.h>

typedef Perftools__Profiles__Profile pprof_profile;
typedef Perftools__Profiles__Sample pprof_sample;
typedef Perftools__Profiles__Location pprof_location;
typedef Perftools__Profiles__Function pprof_function;
typedef Perftools__Profiles__Line pprof_line;
typedef Perftools__Profiles__ValueType pprof_value_type;
typedef Perftools__Profiles__Label pprof_label;

/* ---- ids for strings, functions and locations -------------------------------------------- */

/* Open addressing from a 64-bit key (a string's hash, or two ids) to an id; 0 is an empty slot. */
typedef struct pprof_ids {
    uint64_t *keys;
    uint32_t *ids;
    uint32_t mask;
} pprof_ids;

static bool pprof_ids_init(pprof_ids *m, uint32_t count)
{
    uint32_t slots = 64;
    while (slots < count * 2) slots <<= 1;
    m->keys = calloc(slots, sizeof(*m->keys));
    m->ids = calloc(slots, sizeof(*m->ids));
    m->mask = slots - 1;
    return m->keys && m->ids;
}

static void pprof_ids_free(pprof_ids *m)
{
    free(m->keys);
    free(m->ids);
}

static uint64_t pprof_mix(uint64_t k) { return (k ^ (k >> 31)) * 0x9e3779b97f4a7c15ull; }

/* The slot of key: the one holding it, or the empty one where it goes. `same` confirms a match for
 * keys that are hashes. */
typedef bool pprof_same_fn(const void *ctx, uint32_t id);

static uint32_t pprof_slot(const pprof_ids *m, uint64_t key, pprof_same_fn *same, const void *ctx)
{
    uint32_t at = (uint32_t)pprof_mix(key) & m->mask;
    while (m->ids[at] && !(m->keys[at] == key && (!same || same(ctx, m->ids[at])))) at = (at + 1) & m->mask;
    return at;
}

typedef struct pprof_builder {
    char **strings;
    size_t string_count;
    pprof_ids string_ids;
    const char *wanted; /* the string being looked up, for pprof_same_string */
    bool failed;        /* out of memory: the profile is not written */
    pprof_function *functions;
    size_t function_count;
    pprof_ids function_ids;
    pprof_location *locations;
    pprof_line *lines;
    pprof_location **location_list;
    size_t location_count;
    pprof_ids location_ids;
} pprof_builder;

static bool pprof_same_string(const void *ctx, uint32_t id)
{
    const pprof_builder *b = ctx;
    return strcmp(b->strings[id], b->wanted) == 0;
}

static uint64_t pprof_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h | 1;
}

/* The index of s in the string table (index 0 is ""), a copy of s added when new. */
static int64_t pprof_string(pprof_builder *b, const char *s)
{
    if (!*s) return 0;
    b->wanted = s;
    uint64_t key = pprof_hash(s);
    uint32_t at = pprof_slot(&b->string_ids, key, pprof_same_string, b);
    if (!b->string_ids.ids[at]) {
        char *copy = strdup(s);
        if (!copy) {
            b->failed = true;
            return 0;
        }
        b->string_ids.keys[at] = key;
        b->string_ids.ids[at] = (uint32_t)b->string_count;
        b->strings[b->string_count++] = copy;
    }
    return b->string_ids.ids[at];
}

static uint64_t pprof_function_id(pprof_builder *b, const char *name, const char *file)
{
    int64_t n = pprof_string(b, name), f = pprof_string(b, file);
    uint64_t key = (uint64_t)n << 32 | (uint64_t)f;
    uint32_t at = pprof_slot(&b->function_ids, key, NULL, NULL);
    if (!b->function_ids.ids[at]) {
        pprof_function *fn = &b->functions[b->function_count++];
        perftools__profiles__function__init(fn);
        fn->id = b->function_count;
        fn->name = fn->system_name = n;
        fn->filename = f;
        b->function_ids.keys[at] = key;
        b->function_ids.ids[at] = (uint32_t)fn->id;
    }
    return b->function_ids.ids[at];
}

static uint64_t pprof_location_id(pprof_builder *b, const char *name, const char *file, int64_t line)
{
    uint64_t fn = pprof_function_id(b, name, file);
    uint64_t key = fn << 32 | (uint64_t)(uint32_t)line;
    uint32_t at = pprof_slot(&b->location_ids, key, NULL, NULL);
    if (!b->location_ids.ids[at]) {
        size_t i = b->location_count++;
        pprof_location *loc = &b->locations[i];
        perftools__profiles__location__init(loc);
        perftools__profiles__line__init(&b->lines[i]);
        b->lines[i].function_id = fn;
        b->lines[i].line = line;
        loc->id = i + 1;
        loc->n_line = 1;
        loc->line = calloc(1, sizeof(*loc->line));
        if (loc->line) loc->line[0] = &b->lines[i];
        else loc->n_line = 0;
        b->location_list[i] = loc;
        b->location_ids.keys[at] = key;
        b->location_ids.ids[at] = (uint32_t)loc->id;
    }
    return b->location_ids.ids[at];
}

/* ---- the stacks ---------------------------------------------------------------------------- */

static bool report_site_sampled(const report_site *s) { return s->pushes || s->live; }

/* A frame's "file.c:12" as a file and a line. */
static int64_t pprof_split_where(const char *where, char *file, size_t cap)
{
    const char *colon = strrchr(where, ':');
    size_t n = colon ? (size_t)(colon - where) : strlen(where);
    snprintf(file, cap, "%.*s", (int)MIN(n, cap - 1), where);
    return colon ? strtoll(colon + 1, NULL, 10) : 0;
}

/* The locations of a site, leaf first: the push, then its callers. */
static size_t pprof_stack(pprof_builder *b, const report_site *s, uint64_t *out)
{
    size_t n = 0;
    char name[160];
    if (!s->line) snprintf(name, sizeof(name), "%s %s", s->file, s->func); /* "(pool) enemies" */
    else snprintf(name, sizeof(name), "%s", *s->func ? s->func : "(unknown)");
    out[n++] = pprof_location_id(b, name, s->file, s->line);
    for (uint32_t k = 0; k < s->depth; k++) {
        char file[160];
        int64_t line = pprof_split_where(s->frames[k].where, file, sizeof(file));
        out[n++] = pprof_location_id(b, s->frames[k].func, file, line);
    }
    return n;
}

/* ---- the profile ---------------------------------------------------------------------------- */

static const char *const pprof_value_names[][2] = {
    {"alloc_objects", "count"}, {"alloc_space", "bytes"}, {"inuse_objects", "count"}, {"inuse_space", "bytes"}};
#define PPROF_VALUES 4

typedef struct pprof_parts {
    pprof_value_type types[PPROF_VALUES];
    pprof_value_type *type_list[PPROF_VALUES];
    pprof_sample *samples;
    pprof_sample **sample_list;
    pprof_label *labels; /* two per sample: arena, origin */
    pprof_label **label_list;
    uint64_t *stack_ids;
    int64_t *values;
} pprof_parts;

static void pprof_add_sample(pprof_builder *b, pprof_parts *p, const report_site *s, size_t i)
{
    pprof_sample *sample = &p->samples[i];
    perftools__profiles__sample__init(sample);
    sample->location_id = &p->stack_ids[i * (ARENA_STATS_CALLERS + 1)];
    sample->n_location_id = pprof_stack(b, s, sample->location_id);
    sample->value = &p->values[i * PPROF_VALUES];
    sample->n_value = PPROF_VALUES;
    sample->value[0] = (int64_t)s->pushes;
    sample->value[1] = (int64_t)s->bytes;
    sample->value[2] = (int64_t)s->live;
    sample->value[3] = (int64_t)s->live_bytes;
    pprof_label *l = &p->labels[i * 2];
    perftools__profiles__label__init(&l[0]);
    perftools__profiles__label__init(&l[1]);
    l[0].key = pprof_string(b, "arena");
    l[0].str = pprof_string(b, *s->arena ? s->arena : "heap");
    l[1].key = pprof_string(b, "origin");
    l[1].str = pprof_string(b, s->host ? "host" : "game");
    p->label_list[i * 2] = &l[0];
    p->label_list[i * 2 + 1] = &l[1];
    sample->label = &p->label_list[i * 2];
    sample->n_label = 2;
    p->sample_list[i] = sample;
}

static bool pprof_alloc(pprof_builder *b, pprof_parts *p, size_t sites)
{
    size_t frames = sites * (ARENA_STATS_CALLERS + 1) + 1;
    b->strings = calloc(2 * frames + 16, sizeof(char *));
    b->string_count = 1; /* "" */
    b->functions = calloc(frames, sizeof(*b->functions));
    b->locations = calloc(frames, sizeof(*b->locations));
    b->lines = calloc(frames, sizeof(*b->lines));
    b->location_list = calloc(frames, sizeof(*b->location_list));
    p->samples = calloc(sites + 1, sizeof(*p->samples));
    p->sample_list = calloc(sites + 1, sizeof(*p->sample_list));
    p->labels = calloc(2 * sites + 2, sizeof(*p->labels));
    p->label_list = calloc(2 * sites + 2, sizeof(*p->label_list));
    p->stack_ids = calloc(frames, sizeof(*p->stack_ids));
    p->values = calloc(PPROF_VALUES * (sites + 1), sizeof(*p->values));
    return b->strings && b->functions && b->locations && b->lines && b->location_list && p->samples &&
           p->sample_list && p->labels && p->label_list && p->stack_ids && p->values &&
           pprof_ids_init(&b->string_ids, (uint32_t)(2 * frames + 16)) && pprof_ids_init(&b->function_ids, (uint32_t)frames) &&
           pprof_ids_init(&b->location_ids, (uint32_t)frames);
}

static void pprof_release(pprof_builder *b, pprof_parts *p)
{
    for (size_t i = 0; i < b->location_count; i++) free(b->locations[i].line);
    for (size_t i = 1; i < b->string_count; i++) free(b->strings[i]);
    free(b->strings);
    free(b->functions);
    free(b->locations);
    free(b->lines);
    free(b->location_list);
    pprof_ids_free(&b->string_ids);
    pprof_ids_free(&b->function_ids);
    pprof_ids_free(&b->location_ids);
    free(p->samples);
    free(p->sample_list);
    free(p->labels);
    free(p->label_list);
    free(p->stack_ids);
    free(p->values);
}

void report_pprof(report_buf *out, const report_snapshot *s)
{
    pprof_builder b;
    pprof_parts p;
    memset(&b, 0, sizeof(b));
    memset(&p, 0, sizeof(p));
    pprof_profile prof;
    perftools__profiles__profile__init(&prof);
    if (pprof_alloc(&b, &p, s->site_count)) {
        b.strings[0] = "";
        for (int i = 0; i < PPROF_VALUES; i++) {
            perftools__profiles__value_type__init(&p.types[i]);
            p.types[i].type = pprof_string(&b, pprof_value_names[i][0]);
            p.types[i].unit = pprof_string(&b, pprof_value_names[i][1]);
            p.type_list[i] = &p.types[i];
        }
        size_t n = 0;
        for (uint32_t i = 0; i < s->site_count; i++)
            if (report_site_sampled(&s->sites[i])) pprof_add_sample(&b, &p, &s->sites[i], n++);
        prof.n_sample_type = PPROF_VALUES;
        prof.sample_type = p.type_list;
        prof.default_sample_type = p.types[1].type; /* alloc_space */
        prof.n_sample = n;
        prof.sample = p.sample_list;
        prof.n_location = b.location_count;
        prof.location = b.location_list;
        prof.n_function = b.function_count;
        prof.function = calloc(b.function_count + 1, sizeof(*prof.function));
        for (size_t i = 0; prof.function && i < b.function_count; i++) prof.function[i] = &b.functions[i];
        prof.n_string_table = b.string_count;
        prof.string_table = b.strings;
        if (!prof.function) b.failed = true;
    } else {
        b.failed = true;
    }
    size_t size = b.failed ? 0 : perftools__profiles__profile__get_packed_size(&prof);
    uint8_t *bytes = size ? malloc(size) : NULL;
    if (bytes) {
        perftools__profiles__profile__pack(&prof, bytes);
        report_bytes(out, bytes, size);
    }
    if (b.failed || (size && !bytes)) out->failed = true;
    free(bytes);
    free(prof.function);
    pprof_release(&b, &p);
}

/* ---- collapsed stacks -------------------------------------------------------------------- */

bool report_profile_is_collapsed(const char *path)
{
    static const char *const suffixes[] = {".folded", ".collapsed", ".txt"};
    size_t n = strlen(path);
    for (size_t i = 0; i < ARRAY_COUNT(suffixes); i++) {
        size_t k = strlen(suffixes[i]);
        if (n >= k && strcmp(path + n - k, suffixes[i]) == 0) return true;
    }
    return false;
}

/* A name as one element of a stack: ';' separates the elements. */
static void collapsed_name(report_buf *b, const char *name)
{
    for (const char *c = *name ? name : "?"; *c; c++) report_printf(b, "%c", *c == ';' ? ':' : *c);
}

void report_collapsed(report_buf *b, const report_snapshot *s)
{
    for (uint32_t i = 0; i < s->site_count; i++) {
        const report_site *site = &s->sites[i];
        uint64_t bytes = site->bytes ? site->bytes : site->live_bytes; /* the heap's sites: what is live */
        if (!bytes) continue;
        for (uint32_t k = site->depth; k-- > 0;) {
            collapsed_name(b, site->frames[k].func);
            report_printf(b, ";");
        }
        if (!site->line) report_printf(b, "%s ", site->file); /* "(pool) enemies" */
        collapsed_name(b, site->func);
        report_printf(b, " %llu\n", (unsigned long long)bytes);
    }
}
