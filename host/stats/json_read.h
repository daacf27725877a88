/* json_read.h - reads a JSON document into a tree: what --stats-diff reads the host's own
 * snapshots (--stats) back with. Strict RFC 8259 (no comments, no trailing commas); numbers keep
 * their double value and, when they are whole and non-negative, their exact integer.
 *
 *     json_value *v = json_parse(text, len, &err);    // NULL with err: "line 3: expected ':'"
 *     const json_value *sites = json_get(v, "sites");  // NULL when absent or v is not an object
 *     for (uint32_t i = 0; sites && i < sites->count; i++) ... sites->items[i] ...
 *     json_free(v); */
#ifndef JSON_READ_H
#define JSON_READ_H

#include "../base/error.h"

#include <stddef.h>
#include <stdint.h>

typedef enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_kind;

typedef struct json_value {
    json_kind kind;
    bool boolean;
    double number;
    uint64_t integer;         /* numbers that are whole and >= 0 */
    char *string;             /* JSON_STRING, UTF-8 */
    struct json_value *items; /* JSON_ARRAY and JSON_OBJECT */
    char **keys;              /* JSON_OBJECT: keys[i] names items[i] */
    uint32_t count;
} json_value;

json_value *json_parse(const char *text, size_t len, host_error *err);
void json_free(json_value *v);
/* The member `key` of an object (the first, if repeated); NULL when absent. */
const json_value *json_get(const json_value *v, const char *key);
/* Shorthands for members: "" / 0 when absent or of another kind. */
const char *json_str(const json_value *v, const char *key);
uint64_t json_u64(const json_value *v, const char *key);

#endif
