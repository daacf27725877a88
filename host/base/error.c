/* error.c - formatting of error values. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

bool host_fail(host_error *err, const char *fmt, ...)
{
    if (!err) return false;
    va_list args;
    va_start(args, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, args);
    va_end(args);
    return false;
}
