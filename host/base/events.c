/* events.c - JSON Lines writer. */
#include "events.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void event_append(event *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void event_append(event *e, const char *fmt, ...)
{
    if (e->truncated) return;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(e->text + e->len, sizeof(e->text) - e->len, fmt, args);
    va_end(args);
    if (n < 0 || (size_t)n + 32 >= sizeof(e->text) - e->len) e->truncated = true; /* room to close it */
    else e->len += (size_t)n;
}

size_t event_escape(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char)c;
        } else if (c == '\n') {
            dst[n++] = '\\';
            dst[n++] = 'n';
        } else if (c == '\t') {
            dst[n++] = '\\';
            dst[n++] = 't';
        } else if (c < 0x20) {
            n += (size_t)snprintf(dst + n, cap - n, "\\u%04x", c);
        } else {
            dst[n++] = (char)c;
        }
    }
    dst[n] = 0;
    return n;
}

/* Writes the key; returns where the event ended before it, so a value that does not fit can take
 * its key back out (a key without a value would not parse). */
static size_t event_key(event *e, const char *key)
{
    size_t before = e->len;
    event_append(e, ",\"%s\":", key);
    return before;
}

static void event_value_done(event *e, size_t before_key)
{
    if (e->truncated) e->len = before_key;
}

event event_begin(const event_log *log, const char *name)
{
    event e;
    e.len = 0;
    e.truncated = false;
    event_append(&e, "{\"event\":\"%s\",\"frame\":%llu,\"t_ms\":%.3f", name,
                 (unsigned long long)(log->frame ? *log->frame : 0), log->now_ms ? log->now_ms() : 0.0);
    return e;
}

void event_str(event *e, const char *key, const char *value)
{
    char escaped[EVENT_MAX];
    event_escape(escaped, sizeof(escaped), value ? value : "");
    size_t at = event_key(e, key);
    event_append(e, "\"%s\"", escaped);
    event_value_done(e, at);
}

void event_int(event *e, const char *key, int64_t value)
{
    size_t at = event_key(e, key);
    event_append(e, "%lld", (long long)value);
    event_value_done(e, at);
}

void event_uint(event *e, const char *key, uint64_t value)
{
    size_t at = event_key(e, key);
    event_append(e, "%llu", (unsigned long long)value);
    event_value_done(e, at);
}

void event_num(event *e, const char *key, double value)
{
    size_t at = event_key(e, key);
    event_append(e, "%.3f", value);
    event_value_done(e, at);
}

void event_hex(event *e, const char *key, uint64_t value)
{
    size_t at = event_key(e, key);
    event_append(e, "\"0x%llx\"", (unsigned long long)value);
    event_value_done(e, at);
}

void event_bool(event *e, const char *key, bool value)
{
    size_t at = event_key(e, key);
    event_append(e, "%s", value ? "true" : "false");
    event_value_done(e, at);
}

void event_raw(event *e, const char *key, const char *json)
{
    size_t at = event_key(e, key);
    event_append(e, "%s", json);
    event_value_done(e, at);
}

void event_end(const event_log *log, event *e)
{
    if (e->truncated) {
        /* keep the fields that fit and say that some did not; the reserve always has room for this */
        static const char mark[] = ",\"truncated\":true";
        memcpy(e->text + e->len, mark, sizeof(mark) - 1);
        e->len += sizeof(mark) - 1;
    }
    memcpy(e->text + e->len, "}\n", 3);
    e->len += 2;
    for (int i = 0; i < EVENT_OBSERVERS_MAX; i++)
        if (log->observers[i].fn) log->observers[i].fn(log->observers[i].ctx, e->text, e->len);
    if (!log->file) return;
    fwrite(e->text, 1, e->len, log->file);
    fflush(log->file);
}

void event_say(const event_log *log, const char *fmt, ...)
{
    if (log->quiet) return;
    char msg[EVENT_MAX / 2];
    va_list args;
    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);
    fprintf(stderr, "host: %s\n", msg);
}

void event_warn(const event_log *log, const char *fmt, ...)
{
    char msg[EVENT_MAX / 2];
    va_list args;
    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);
    event e = event_begin(log, "warning");
    event_str(&e, "msg", msg);
    event_end(log, &e);
    event_say(log, "warning: %s", msg);
}

bool event_observe(event_log *log, event_observer_fn *fn, void *ctx)
{
    for (int i = 0; i < EVENT_OBSERVERS_MAX; i++) {
        if (log->observers[i].fn) continue;
        log->observers[i] = (event_observer){fn, ctx};
        return true;
    }
    return false;
}

void event_unobserve(event_log *log, event_observer_fn *fn, void *ctx)
{
    for (int i = 0; i < EVENT_OBSERVERS_MAX; i++)
        if (log->observers[i].fn == fn && log->observers[i].ctx == ctx) log->observers[i] = (event_observer){0};
}

/* A string value's body, unescaped, up to its closing quote. */
static void event_unescape(const char *at, char *out, size_t cap)
{
    size_t n = 0;
    for (; *at && *at != '"' && n + 1 < cap; at++) {
        if (*at == '\\' && at[1]) {
            at++;
            out[n++] = *at == 'u' ? '?' : *at == 'n' || *at == 't' ? ' ' : *at;
            if (*at == 'u') at += strspn(at + 1, "0123456789abcdefABCDEF") < 4 ? 0 : 4;
            continue;
        }
        out[n++] = *at;
    }
    out[n] = 0;
}

bool event_field(const char *line, const char *key, char *out, size_t cap)
{
    char want[64];
    snprintf(want, sizeof(want), "\"%s\":", key);
    const char *at = strstr(line, want);
    if (!at || !cap) return false;
    at += strlen(want);
    if (*at == '"') {
        event_unescape(at + 1, out, cap);
        return true;
    }
    size_t n = strcspn(at, ",}\n");
    snprintf(out, cap, "%.*s", (int)n, at);
    return true;
}
