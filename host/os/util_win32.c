/* util_win32.c - Windows error text and file-time conversion for the *_win32.c halves. */
#include "util_win32.h"

#include <stdio.h>

#define WIN32_EPOCH_DIFF_100NS 116444736000000000ll /* 1601-01-01 .. 1970-01-01 */

win32_text win32_error_text(DWORD code)
{
    win32_text t;
    char text[160];
    DWORD len = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, text,
                               (DWORD)sizeof(text), NULL);
    /* system texts end in ".\r\n"; the host's messages go on after them on the same line */
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == '.' || text[len - 1] == ' ')) len--;
    if (len) snprintf(t.s, sizeof(t.s), "%.*s (error %lu)", (int)len, text, (unsigned long)code);
    else snprintf(t.s, sizeof(t.s), "error %lu", (unsigned long)code);
    return t;
}

int64_t win32_filetime_ns(FILETIME t)
{
    int64_t ticks = (int64_t)((uint64_t)t.dwHighDateTime << 32 | t.dwLowDateTime);
    return (ticks - WIN32_EPOCH_DIFF_100NS) * 100;
}

int win32_walk_stack(const CONTEXT *context, uintptr_t *frames, int max)
{
    CONTEXT c = *context;
    int n = 0;
    for (DWORD64 last_sp = 0; n < max && c.Rip && c.Rsp > last_sp;) { /* the stack only unwinds upward */
        last_sp = c.Rsp;
        frames[n++] = (uintptr_t)c.Rip;
        DWORD64 image_base;
        PRUNTIME_FUNCTION f = RtlLookupFunctionEntry(c.Rip, &image_base, NULL);
        if (!f) { /* a leaf function (or code without tables): its return address is on top of the stack */
            if (!c.Rsp) break;
            c.Rip = *(const DWORD64 *)(uintptr_t)c.Rsp;
            c.Rsp += 8;
            continue;
        }
        void *handler_data;
        DWORD64 establisher;
        RtlVirtualUnwind(UNW_FLAG_NHANDLER, image_base, c.Rip, f, &c, &handler_data, &establisher, NULL);
    }
    return n;
}
