/* events.h - the event log: JSON Lines, one object per event, flushed after each line.
 *
 * Every event has "event", "frame" and "t_ms" (milliseconds since the host started):
 *     {"event":"reload","frame":412,"t_ms":6871.204,"version":3,"detect_ms":0.41,"swap_ms":1.92}
 *
 *     event e = event_begin(log, "reload");
 *     event_int(&e, "version", 3);
 *     event_num(&e, "swap_ms", 1.92);
 *     event_end(log, &e);
 *
 * A log with no file (no --events) still accepts events and drops them. */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define EVENT_MAX 8192

#define EVENT_OBSERVERS_MAX 4

/* Sees every event line as it is written, even with no file: how an upper room hears what a lower
 * one reported (the stats mark reloads and crashes in their trace, the host's status line shows the
 * news). */
typedef void event_observer_fn(void *ctx, const char *line, size_t len);

typedef struct event_observer {
    event_observer_fn *fn;
    void *ctx;
} event_observer;

typedef struct event_log {
    FILE *file;
    bool quiet;             /* no lines on stderr: a terminal session shows them in its status line */
    double (*now_ms)(void); /* milliseconds since start */
    const uint64_t *frame;  /* the host's frame counter */
    event_observer observers[EVENT_OBSERVERS_MAX];
} event_log;

typedef struct event {
    char text[EVENT_MAX];
    size_t len;
    bool truncated;
} event;

event event_begin(const event_log *log, const char *name);
void event_str(event *e, const char *key, const char *value);
void event_int(event *e, const char *key, int64_t value);
void event_uint(event *e, const char *key, uint64_t value);
void event_num(event *e, const char *key, double value);
void event_hex(event *e, const char *key, uint64_t value); /* "0x..." string */
void event_bool(event *e, const char *key, bool value);
/* A value that is already JSON (an array or object built by the caller). */
void event_raw(event *e, const char *key, const char *json);
void event_end(const event_log *log, event *e);

/* One line for the user on stderr ("host: ..."), unless the log is quiet. */
void event_say(const event_log *log, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A `warning` event with "msg", and the same line on stderr ("host: warning: ..."). */
void event_warn(const event_log *log, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Adds an observer (false when all EVENT_OBSERVERS_MAX are taken); event_unobserve removes it. */
bool event_observe(event_log *log, event_observer_fn *fn, void *ctx);
void event_unobserve(event_log *log, event_observer_fn *fn, void *ctx);

/* The value of "key" in an event line, for observers: a string unescaped (a \uXXXX becomes '?', a
 * newline or tab a space), anything else as written; false when the line has no such key. */
bool event_field(const char *line, const char *key, char *out, size_t cap);

/* Appends s as a JSON string body (quotes not included), escaping as JSON requires. */
size_t event_escape(char *dst, size_t cap, const char *s);

#endif
