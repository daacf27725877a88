/* crash.c - the words for a crash, the same on every OS. */
#include "crash.h"
#include "../base/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRASH_NAME_MAX 192
#define CRASH_UNNAMED_FRAMES 8 /* frames listed when none of them is the game's */

typedef struct crash_line {
    char name[CRASH_NAME_MAX];
    bool wanted;
} crash_line;

/* Appends "name" or "name (xN)" as a JSON string; returns the new length. */
static size_t crash_append_frame(char *out, size_t cap, size_t len, const char *name, int repeats)
{
    char escaped[CRASH_NAME_MAX * 6 + 1], item[sizeof(escaped) + 32];
    event_escape(escaped, sizeof(escaped), name);
    int n = repeats > 1 ? snprintf(item, sizeof(item), "%s\"%s (x%d)\"", len > 1 ? "," : "", escaped, repeats)
                        : snprintf(item, sizeof(item), "%s\"%s\"", len > 1 ? "," : "", escaped);
    if (n < 0 || len + (size_t)n + 2 > cap) return len; /* leave room for "]" */
    memcpy(out + len, item, (size_t)n);
    return len + (size_t)n;
}

crash_info *crash_raise_report(crash_info *c, const char *reason)
{
    if (!c) {
        fprintf(stderr, "host: %s\n", reason);
        fflush(stderr);
        abort();
    }
    memset(c, 0, sizeof(*c));
    c->name = "error";
    c->what = "stopped by the host";
    snprintf(c->reason, sizeof(c->reason), "%s", reason);
    return c;
}

size_t crash_backtrace_json(const crash_info *c, crash_symbolize_fn *symbolize, void *ctx, char *out, size_t cap)
{
    crash_line lines[CRASH_MAX_FRAMES];
    if (cap < 3) return 0;
    int last = -1;
    for (int i = 0; i < c->frame_count; i++) {
        /* a caller's frame holds a return address, just past its call: name the call instead */
        uintptr_t at = i > 0 ? c->frames[i] - 1 : c->frames[i];
        lines[i].wanted = symbolize(ctx, at, lines[i].name, sizeof(lines[i].name));
        if (lines[i].wanted) last = i;
    }
    if (last < 0) last = (c->frame_count < CRASH_UNNAMED_FRAMES ? c->frame_count : CRASH_UNNAMED_FRAMES) - 1;
    size_t len = 0;
    out[len++] = '[';
    for (int i = 0; i <= last;) {
        int repeats = 1;
        while (i + repeats <= last && strcmp(lines[i + repeats].name, lines[i].name) == 0) repeats++;
        size_t before = len;
        len = crash_append_frame(out, cap, len, lines[i].name, repeats);
        if (len == before) break; /* full: the innermost frames are the ones that matter */
        i += repeats;
    }
    out[len++] = ']';
    out[len] = 0;
    return len;
}

void crash_summary(const crash_info *c, char *out, size_t cap)
{
    if (c->reason[0]) snprintf(out, cap, "%s", c->reason);
    else if (c->stack_overflow) snprintf(out, cap, "stack overflow (%s): runaway recursion?", c->name);
    else snprintf(out, cap, "%s (%s)", c->name, c->what);
}
