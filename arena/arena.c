/* arena.c - bump arenas: push, pop, temp scopes, scratch selection, commit on demand. */
#include "arena.h"
#include "arena_os.h"
#include "arena_stats.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tests replace the abort to observe the fatal path in-process. */
#ifndef ARENA_ABORT
#define ARENA_ABORT() abort()
#endif

#define ARENA_HEADER_SIZE ((uint64_t)((sizeof(arena) + ARENA_BASE_ALIGN - 1) & ~(size_t)(ARENA_BASE_ALIGN - 1)))

/* ---- fatal errors: one line on stderr, then abort (the host's crash guard takes it from there) -- */

static BASE_NOINLINE void arena_fail_align(const arena *a, uint64_t align)
{
    fprintf(stderr, "arena '%s': alignment %llu is not a power of two; pass 1, 2, 4, 8, 16, ...\n",
            a->name, (unsigned long long)align);
    fflush(stderr);
    ARENA_ABORT();
}

static BASE_NOINLINE void *arena_fail_exhausted(arena *a, uint64_t size, uint64_t align, bool fatal)
{
    a->failure.count++;
    a->failure.request = size;
    a->failure.align = align;
    a->failure.used = a->pos;
    a->failure.capacity = a->capacity;
    if (!fatal) return NULL;
    fprintf(stderr,
            "arena '%s' exhausted: push of %llu bytes (align %llu) with %llu of %llu bytes used; "
            "give the arena more space or use arena_try_push where running out is expected\n",
            a->name, (unsigned long long)size, (unsigned long long)align, (unsigned long long)a->pos,
            (unsigned long long)a->capacity);
    fflush(stderr);
    ARENA_ABORT();
    return NULL;
}

/* ---- creation ---------------------------------------------------------------------------- */

static void arena_copy_name(char *dst, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= ARENA_NAME_MAX) n = ARENA_NAME_MAX - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = 0;
}

arena *arena_create(void *memory, uint64_t size, arena_params params)
{
    if (!memory || ((uintptr_t)memory & (ARENA_BASE_ALIGN - 1)) || size <= ARENA_HEADER_SIZE) return NULL;
    uint64_t step = params.commit_step ? params.commit_step : ARENA_DEFAULT_COMMIT_STEP;
    if (!size_is_pow2(step)) return NULL;
    if (!arena_os_commit(memory, ARENA_HEADER_SIZE)) return NULL;

    arena *a = (arena *)memory;
    memset(a, 0, sizeof(*a));
    arena_copy_name(a->name, params.name ? params.name : "arena");
    a->base = (uint8_t *)memory + ARENA_HEADER_SIZE;
    a->capacity = size - ARENA_HEADER_SIZE;
    a->commit_step = step;
    a->site_counters = &a->stats.own;
    return a;
}

/* ---- pushing ----------------------------------------------------------------------------- */

static bool arena_commit_to(arena *a, uint64_t end)
{
    uint64_t target;
    if (!size_align_up(end, a->commit_step, &target) || target > a->capacity) target = a->capacity;
    if (!arena_os_commit(a->base + a->committed, target - a->committed)) return false;
    BASE_POISON(a->base + a->committed, target - a->committed);
    a->committed = target;
    return true;
}

void *arena_push_slow(arena *a, uint64_t size, uint64_t align, int flags, arena_site *site, uintptr_t caller)
{
    bool fatal = (flags & ARENA_PUSH_FATAL) != 0;
    if (!size_is_pow2(align)) arena_fail_align(a, align);
    uintptr_t here = (uintptr_t)(a->base + a->pos);
    uint64_t pad = (uint64_t)((align - (here & (align - 1))) & (align - 1));
    uint64_t start, end;
    if (!size_add(a->pos, pad, &start) || !size_add(start, size, &end) || end > a->capacity)
        return arena_fail_exhausted(a, size, align, fatal);
    if (!arena_commit_to(a, end)) return arena_fail_exhausted(a, size, align, fatal);
    /* committed now covers the request: the fast path takes it from here */
    return arena_push_at(a, size, align, flags, site, caller);
}

void *arena_push_array_at(arena *a, uint64_t count, uint64_t size, uint64_t align, int flags, arena_site *site,
                          uintptr_t caller)
{
    uint64_t total;
    if (!size_mul(count, size, &total)) return arena_fail_exhausted(a, UINT64_MAX, align, flags & ARENA_PUSH_FATAL);
    return arena_push_at(a, total, align, flags, site, caller);
}

char *arena_push_str_at(arena *a, const char *s, arena_site *site, uintptr_t caller)
{
    size_t n = strlen(s);
    char *out = arena_push_at(a, (uint64_t)n + 1, 1, ARENA_PUSH_FATAL, site, caller);
    memcpy(out, s, n + 1);
    return out;
}

char *arena_push_fmt_at(arena *a, arena_site *site, uintptr_t caller, const char *fmt, ...)
{
    va_list args, again;
    va_start(args, fmt);
    va_copy(again, args);
    int n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    char *out = arena_push_at(a, (uint64_t)(n < 0 ? 0 : n) + 1, 1, ARENA_PUSH_FATAL, site, caller);
    vsnprintf(out, (size_t)(n < 0 ? 0 : n) + 1, fmt, again);
    va_end(again);
    return out;
}

/* ---- positions, scopes, reset ------------------------------------------------------------ */

uint64_t arena_pos(const arena *a) { return a->pos; }

void arena_pop_to(arena *a, uint64_t pos)
{
    if (pos >= a->pos) return;
    BASE_POISON(a->base + pos, a->pos - pos);
#if !defined(ARENA_NO_STATS)
    if (a->pos > a->stats.high_water) a->stats.high_water = a->pos;
    if (a->pos > a->stats.frame_high) a->stats.frame_high = a->pos;
    a->stats.bytes_popped += a->pos - pos;
    if (pos == 0) a->stats.resets++;
#endif
    a->pos = pos;
}

void arena_pop(arena *a, uint64_t size) { arena_pop_to(a, size >= a->pos ? 0 : a->pos - size); }

void arena_clear(arena *a)
{
#if !defined(ARENA_NO_STATS)
    if (a->pos == 0) a->stats.resets++;
#endif
    arena_pop_to(a, 0);
}

void arena_decommit_unused(arena *a)
{
    uint64_t keep;
    if (!size_align_up(a->pos, a->commit_step, &keep) || keep >= a->committed) return;
    arena_os_decommit(a->base + keep, a->committed - keep);
    a->committed = keep;
}

bool arena_contains(const arena *a, const void *p)
{
    const uint8_t *b = (const uint8_t *)p;
    return b >= a->base && b < a->base + a->pos;
}

arena_temp arena_temp_begin(arena *a)
{
    arena_temp t = {a, a->pos};
    return t;
}

void arena_temp_end(arena_temp temp) { arena_pop_to(temp.arena, temp.pos); }

/* ---- scratch ----------------------------------------------------------------------------- */

static bool arena_in_list(const arena *a, arena *const *list, int count)
{
    for (int i = 0; i < count; i++)
        if (list[i] == a) return true;
    return false;
}

arena_temp arena_scratch_begin(arena *const *set, int set_count, arena *const *conflicts, int conflict_count)
{
    for (int i = 0; i < set_count; i++)
        if (!arena_in_list(set[i], conflicts, conflict_count)) return arena_temp_begin(set[i]);
    fprintf(stderr, "arena_scratch_begin: all %d scratch arenas are in the conflict list; "
                    "pass fewer conflicts or add a scratch arena\n", set_count);
    fflush(stderr);
    ARENA_ABORT();
    arena_temp none = {0, 0};
    return none;
}

/* ---- stats ------------------------------------------------------------------------------- */

/* The sum over the arena's site counters: with a table, one per site the table knows. */
static arena_site_counter arena_stats_total(const arena *a)
{
    uint32_t n = a->stats.table ? arena_stats_site_count(a->stats.table) : 1;
    arena_site_counter sum = {0, 0};
    for (uint32_t i = 0; i < n; i++) {
        sum.pushes += a->site_counters[i].pushes;
        sum.bytes += a->site_counters[i].bytes;
    }
    return sum;
}

uint64_t arena_stats_pushes(const arena *a) { return arena_stats_total(a).pushes; }

uint64_t arena_stats_bytes(const arena *a) { return arena_stats_total(a).bytes; }

void arena_stats_frame_begin(arena *a)
{
    arena_site_counter total = arena_stats_total(a);
    a->stats.frame_pushes_at = total.pushes;
    a->stats.frame_bytes_at = total.bytes;
    a->stats.frame_high = 0;
}

uint64_t arena_stats_high_water(const arena *a) { return MAX(a->stats.high_water, a->pos); }

/* Every byte the position ever advanced is either still below pos or was popped; what of it was not
 * requested was padding. */
uint64_t arena_stats_padding(const arena *a) { return a->pos + a->stats.bytes_popped - arena_stats_bytes(a); }

uint64_t arena_stats_frame_pushes(const arena *a) { return arena_stats_pushes(a) - a->stats.frame_pushes_at; }

uint64_t arena_stats_frame_bytes(const arena *a) { return arena_stats_bytes(a) - a->stats.frame_bytes_at; }

uint64_t arena_stats_frame_high_water(const arena *a) { return MAX(a->stats.frame_high, a->pos); }
