/* crash.c - the words for a crash, the same on every OS. */
#include "crash.h"
#include "../base/events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRASH_NAME_MAX 192

/* Atomics the signal handlers and the main thread share (no C11 atomics in MSVC's C). */
#if defined(_MSC_VER)
#include <intrin.h>
#define CRASH_CLAIM(p, from, to) (_InterlockedCompareExchange((p), (to), (from)) == (from))
#define CRASH_PUBLISH(p, v) _InterlockedExchange((p), (v))
#define CRASH_PEEK(p) _InterlockedCompareExchange((p), 0, 0)
#define CRASH_ADD(p, v) _InterlockedExchangeAdd((p), (v))
#else
#define CRASH_CLAIM(p, from, to) __sync_bool_compare_and_swap((p), (from), (to))
#define CRASH_PUBLISH(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define CRASH_PEEK(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define CRASH_ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_ACQ_REL)
#endif
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

/* ---- game threads ----------------------------------------------------------------------------- */

enum { CRASH_SLOT_FREE, CRASH_SLOT_WRITING, CRASH_SLOT_READY };

typedef struct crash_thread_slot {
    volatile long state;
    crash_thread_report report;
} crash_thread_slot;

static crash_thread_slot crash_thread_slots[CRASH_THREAD_SLOTS];
static volatile uintptr_t crash_code[CRASH_CODE_RANGES][2]; /* read by handlers on any thread */
static _Thread_local char crash_thread_name[CRASH_THREAD_NAME_MAX];
static _Thread_local bool crash_thread_counted; /* this thread is one of crash_threads */
static volatile long crash_threads;              /* game threads announced and not ended */

/* The count changes on the thread itself (begin, end, or its crash, which ends it). */
static void crash_thread_count_as(bool game)
{
    if (game != crash_thread_counted) CRASH_ADD(&crash_threads, game ? 1 : -1);
    crash_thread_counted = game;
}

void crash_thread_announce(const char *name)
{
    snprintf(crash_thread_name, sizeof(crash_thread_name), "%s", name ? name : "");
    crash_thread_count_as(name != NULL);
}

int crash_thread_count(void) { return (int)CRASH_PEEK(&crash_threads); }

void crash_code_range(int slot, uintptr_t start, uintptr_t end)
{
    if (slot < 0 || slot >= CRASH_CODE_RANGES) return;
    crash_code[slot][1] = 0; /* a handler reading meanwhile sees an empty range */
    crash_code[slot][0] = start;
    crash_code[slot][1] = end;
}

static bool crash_in_game_code(uintptr_t addr)
{
    for (int i = 0; i < CRASH_CODE_RANGES; i++)
        if (addr >= crash_code[i][0] && addr < crash_code[i][1]) return true;
    return false;
}

bool crash_thread_is_game(const crash_info *c)
{
    if (crash_thread_name[0] || crash_in_game_code(c->pc)) return true;
    for (int i = 1; i < c->frame_count; i++)
        if (crash_in_game_code(c->frames[i] - 1)) return true;
    return false;
}

void crash_thread_publish(const crash_info *c, uint64_t thread_id)
{
    crash_thread_count_as(false); /* the thread ends right after this */
    for (int i = 0; i < CRASH_THREAD_SLOTS; i++) {
        crash_thread_slot *s = &crash_thread_slots[i];
        if (!CRASH_CLAIM(&s->state, CRASH_SLOT_FREE, CRASH_SLOT_WRITING)) continue;
        s->report.crash = *c;
        memcpy(s->report.name, crash_thread_name, sizeof(s->report.name));
        s->report.thread_id = thread_id;
        CRASH_PUBLISH(&s->state, CRASH_SLOT_READY);
        return;
    }
    /* every slot full: more crashes at once than the main thread has taken; this one goes unreported */
}

bool crash_thread_take(crash_thread_report *out)
{
    for (int i = 0; i < CRASH_THREAD_SLOTS; i++) {
        crash_thread_slot *s = &crash_thread_slots[i];
        if (CRASH_PEEK(&s->state) != CRASH_SLOT_READY) continue;
        *out = s->report;
        CRASH_PUBLISH(&s->state, CRASH_SLOT_FREE);
        return true;
    }
    return false;
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
