/* json_read.c - a strict recursive-descent JSON reader (json_read.h). */
#include "json_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

typedef struct json_parser {
    const char *p, *end, *start;
    host_error *err;
    bool failed;
} json_parser;

static int json_line(const json_parser *ps)
{
    int line = 1;
    for (const char *c = ps->start; c < ps->p; c++) line += *c == '\n';
    return line;
}

static bool json_fail(json_parser *ps, const char *what)
{
    if (!ps->failed) host_fail(ps->err, "line %d: %s", json_line(ps), what);
    ps->failed = true;
    return false;
}

static void json_space(json_parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static bool json_take(json_parser *ps, char c)
{
    json_space(ps);
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return true;
    }
    return false;
}

static bool json_word(json_parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return false;
    ps->p += n;
    return true;
}

/* ---- strings ------------------------------------------------------------------------------- */

static int json_hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t json_utf8(unsigned cp, char *out)
{
    if (cp < 0x80) return out[0] = (char)cp, 1;
    if (cp < 0x800) return out[0] = (char)(0xc0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3f)), 2;
    if (cp < 0x10000)
        return out[0] = (char)(0xe0 | cp >> 12), out[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
               out[2] = (char)(0x80 | (cp & 0x3f)), 3;
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A \u escape at p (after the backslash and 'u'), a surrogate pair taken whole. */
static bool json_unicode(json_parser *ps, char **out)
{
    int hi = ps->end - ps->p >= 4 ? json_hex4(ps->p) : -1;
    if (hi < 0) return json_fail(ps, "bad \\u escape");
    ps->p += 4;
    unsigned cp = (unsigned)hi;
    if (hi >= 0xd800 && hi < 0xdc00) {
        int lo = ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u' ? json_hex4(ps->p + 2) : -1;
        if (lo < 0xdc00 || lo >= 0xe000) return json_fail(ps, "a lone surrogate in a \\u escape");
        ps->p += 6;
        cp = 0x10000 + (((unsigned)hi - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
    }
    *out += json_utf8(cp, *out);
    return true;
}

static bool json_escape(json_parser *ps, char **out)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (ps->p >= ps->end) return json_fail(ps, "a string ends in an escape");
    char c = *ps->p++;
    if (c == 'u') return json_unicode(ps, out);
    const char *at = strchr(from, c);
    if (!at || !c) return json_fail(ps, "bad escape in a string");
    *(*out)++ = to[at - from];
    return true;
}

/* A string after its opening quote; the copy is never longer than the text. */
static char *json_string_body(json_parser *ps)
{
    const char *close = ps->p;
    while (close < ps->end && *close != '"') close += *close == '\\' ? 2 : 1;
    if (close >= ps->end) return json_fail(ps, "a string does not end"), NULL;
    char *s = malloc((size_t)(close - ps->p) + 1), *out = s;
    if (!s) return json_fail(ps, "out of memory"), NULL;
    while (ps->p < close) {
        unsigned char c = (unsigned char)*ps->p++;
        if (c < 0x20) json_fail(ps, "a control character in a string");
        else if (c == '\\') json_escape(ps, &out);
        else *out++ = (char)c;
        if (ps->failed) return free(s), NULL;
    }
    ps->p++; /* the closing quote */
    *out = 0;
    return s;
}

/* ---- values -------------------------------------------------------------------------------- */

static bool json_value_at(json_parser *ps, json_value *v, int depth);

static bool json_number(json_parser *ps, json_value *v)
{
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-') ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return json_fail(ps, "expected a value");
    if (*ps->p == '0') ps->p++;
    else while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    bool whole = true;
    if (ps->p < ps->end && *ps->p == '.') {
        whole = false;
        if (++ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return json_fail(ps, "a number ends in '.'");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        whole = false;
        if (++ps->p < ps->end && (*ps->p == '+' || *ps->p == '-')) ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') return json_fail(ps, "a number has no exponent");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') ps->p++;
    }
    char text[64];
    size_t n = (size_t)(ps->p - s);
    if (n >= sizeof(text)) return json_fail(ps, "a number is too long");
    memcpy(text, s, n);
    text[n] = 0;
    v->kind = JSON_NUMBER;
    v->number = strtod(text, NULL);
    if (whole && *s != '-') v->integer = strtoull(text, NULL, 10);
    else if (v->number >= 0 && v->number == floor(v->number) && v->number < 1.8e19) v->integer = (uint64_t)v->number;
    return true;
}

/* Items of an array or object after its opening bracket, up to `close`. */
static bool json_items(json_parser *ps, json_value *v, char close, int depth)
{
    uint32_t cap = 0;
    if (json_take(ps, close)) return true;
    do {
        if (v->count == cap) {
            cap = cap ? cap * 2 : 8;
            json_value *items = realloc(v->items, sizeof(*items) * cap);
            char **keys = v->kind == JSON_OBJECT ? realloc(v->keys, sizeof(*keys) * cap) : NULL;
            if (items) v->items = items;
            if (keys) v->keys = keys;
            if (!items || (v->kind == JSON_OBJECT && !keys)) return json_fail(ps, "out of memory");
        }
        json_value *item = &v->items[v->count];
        memset(item, 0, sizeof(*item));
        if (v->kind == JSON_OBJECT) {
            if (!json_take(ps, '"')) return json_fail(ps, "expected a key");
            v->keys[v->count] = json_string_body(ps);
            if (!v->keys[v->count]) return false;
            if (!json_take(ps, ':')) return v->count++, json_fail(ps, "expected ':'");
        }
        v->count++;
        if (!json_value_at(ps, item, depth + 1)) return false;
    } while (json_take(ps, ','));
    return json_take(ps, close) || json_fail(ps, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
}

static bool json_value_at(json_parser *ps, json_value *v, int depth)
{
    if (depth > JSON_MAX_DEPTH) return json_fail(ps, "nested too deep");
    json_space(ps);
    if (ps->p >= ps->end) return json_fail(ps, "expected a value");
    char c = *ps->p;
    if (c == '{' || c == '[') {
        ps->p++;
        v->kind = c == '{' ? JSON_OBJECT : JSON_ARRAY;
        return json_items(ps, v, c == '{' ? '}' : ']', depth);
    }
    if (c == '"') {
        ps->p++;
        v->kind = JSON_STRING;
        return (v->string = json_string_body(ps)) != NULL;
    }
    if (json_word(ps, "true") || json_word(ps, "false")) {
        v->kind = JSON_BOOL;
        v->boolean = ps->p[-1] == 'e' && ps->p[-2] == 'u';
        return true;
    }
    if (json_word(ps, "null")) return v->kind = JSON_NULL, true;
    return json_number(ps, v);
}

json_value *json_parse(const char *text, size_t len, host_error *err)
{
    json_parser ps = {text, text + len, text, err, false};
    json_value *v = calloc(1, sizeof(*v));
    if (!v) return host_fail(err, "out of memory"), NULL;
    if (json_value_at(&ps, v, 0)) {
        json_space(&ps);
        if (ps.p < ps.end) json_fail(&ps, "text after the document");
    }
    if (!ps.failed) return v;
    json_free(v);
    return NULL;
}

static void json_free_items(json_value *v)
{
    for (uint32_t i = 0; i < v->count; i++) {
        json_free_items(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
}

void json_free(json_value *v)
{
    if (!v) return;
    json_free_items(v);
    free(v);
}

const json_value *json_get(const json_value *v, const char *key)
{
    for (uint32_t i = 0; v && v->kind == JSON_OBJECT && i < v->count; i++)
        if (strcmp(v->keys[i], key) == 0) return &v->items[i];
    return NULL;
}

const char *json_str(const json_value *v, const char *key)
{
    const json_value *m = json_get(v, key);
    return m && m->kind == JSON_STRING ? m->string : "";
}

uint64_t json_u64(const json_value *v, const char *key)
{
    const json_value *m = json_get(v, key);
    return m && m->kind == JSON_NUMBER ? m->integer : 0;
}
