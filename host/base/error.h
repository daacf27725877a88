/* error.h - errors as values inside the host: a failing function fills one of these and returns
 * false; only the edge (main, the event log) prints it. The message is one line that says what
 * happened, where, and what to do. */
#ifndef HOST_ERROR_H
#define HOST_ERROR_H

#include <stdbool.h>

#define HOST_ERROR_MAX 512

typedef struct host_error {
    char msg[HOST_ERROR_MAX];
} host_error;

/* Formats into err (NULL is allowed) and returns false, so callers can `return host_fail(...)`. */
bool host_fail(host_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
