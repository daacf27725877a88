/* dirty_win32.c - written pages on Windows: GetWriteWatch over the block, which block_win32.c
 * reserves with MEM_WRITE_WATCH (dirty.h). */
#include "dirty.h"
#include "util_win32.h"

#include <stdlib.h>

#define DIRTY_WATCH_BATCH 4096 /* page addresses per GetWriteWatch call */

struct dirty_os {
    uintptr_t base;
    uint64_t size;
    PVOID addresses[DIRTY_WATCH_BATCH];
};

uint64_t dirty_os_page_size(void)
{
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return info.dwPageSize;
}

dirty_os *dirty_os_start(dirty_method method, uintptr_t base, uint64_t size, host_error *err)
{
    if (method != DIRTY_WRITE_WATCH) return NULL;
    dirty_os *os = calloc(1, sizeof(*os));
    if (!os) return host_fail(err, "out of memory"), NULL;
    os->base = base;
    os->size = size;
    /* a query without a reset: fails when the block was reserved without MEM_WRITE_WATCH */
    ULONG_PTR count = 1;
    DWORD granularity;
    if (GetWriteWatch(0, (PVOID)base, (SIZE_T)dirty_os_page_size(), os->addresses, &count, &granularity) != 0) {
        host_fail(err, "GetWriteWatch: %s (the block needs MEM_WRITE_WATCH)", win32_error_text(GetLastError()).s);
        free(os);
        return NULL;
    }
    return os;
}

/* Marks the pages GetWriteWatch listed, folding neighbours into runs. */
static void dirty_watch_mark(dirty_tracker *t, PVOID *addresses, ULONG_PTR count, uint64_t page)
{
    for (ULONG_PTR i = 0; i < count;) {
        uintptr_t start = (uintptr_t)addresses[i], end = start + page;
        for (i++; i < count && (uintptr_t)addresses[i] == end; i++) end += page;
        dirty_mark(t, start, end);
    }
}

bool dirty_os_collect(dirty_os *os, dirty_tracker *t, const dirty_range *r, bool clear)
{
    uint64_t page = dirty_os_page_size();
    uintptr_t at = r->start & ~(page - 1), end = (r->start + r->size + page - 1) & ~(page - 1);
    while (at < end) {
        ULONG_PTR count = DIRTY_WATCH_BATCH;
        DWORD granularity;
        if (GetWriteWatch(clear ? WRITE_WATCH_FLAG_RESET : 0, (PVOID)at, (SIZE_T)(end - at), os->addresses, &count,
                          &granularity) != 0)
            return false;
        dirty_watch_mark(t, os->addresses, count, page);
        if (count < DIRTY_WATCH_BATCH) break;
        at = (uintptr_t)os->addresses[count - 1] + page; /* a full batch: the rest from after its last page */
    }
    return true;
}

void dirty_os_collected(dirty_os *os) { (void)os; }

void dirty_os_stop(dirty_os *os) { free(os); }

/* Writes are recorded as they happen; nothing to prepare. */
void dirty_os_before_write(dirty_os *os, uintptr_t start, uint64_t size) { (void)os, (void)start, (void)size; }

/* No watch on Windows (dirty.h says why): the consumer does all its work at its deadline, and
 * kicking, pausing and resuming have nothing to act on. */
bool dirty_watch_start(dirty_tracker *t, dirty_consumer c, const dirty_watcher *w) { return (void)t, (void)c, (void)w, false; }
void dirty_watch_kick(dirty_tracker *t) { (void)t; }
void dirty_watch_pause(dirty_tracker *t) { (void)t; }
void dirty_watch_resume(dirty_tracker *t) { (void)t; }
void dirty_watch_stop(dirty_tracker *t) { (void)t; }
