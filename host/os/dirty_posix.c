/* dirty_posix.c - written pages on Linux (like the rest of the _posix halves): PAGEMAP_SCAN over a
 * userfaultfd write-protect-async registration, else pagemap's soft-dirty bits (dirty.h). */
#include "dirty.h"
#include "../../arena/base.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Linux 6.7's uapi (linux/fs.h, linux/userfaultfd.h), for older headers. */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_WRITTEN (1 << 1)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
struct page_region {
    uint64_t start, end, categories;
};
struct pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

#define DIRTY_REGIONS 512       /* page runs per PAGEMAP_SCAN call */
#define DIRTY_PAGEMAP_BATCH 4096 /* pagemap entries per read (soft-dirty) */
#define DIRTY_WATCH_TAX_US 15     /* a watch round waits this long per page it found written */
#define DIRTY_WATCH_WAIT_MAX_MS 1000
#define DIRTY_PM_SOFT_DIRTY (1ull << 55)
#define DIRTY_PM_PRESENT_OR_SWAPPED (3ull << 62)

typedef struct dirty_watch dirty_watch;

struct dirty_os {
    dirty_method method;
    uintptr_t base;
    uint64_t size;
    int uffd;     /* PAGEMAP_SCAN: the write-protect registration */
    int pagemap;  /* /proc/self/pagemap */
    int clear_refs; /* soft-dirty: /proc/self/clear_refs */
    dirty_watch *watch;
};

uint64_t dirty_os_page_size(void) { return (uint64_t)sysconf(_SC_PAGESIZE); }

static void dirty_os_close(dirty_os *os)
{
    if (os->uffd >= 0) close(os->uffd);
    if (os->pagemap >= 0) close(os->pagemap);
    if (os->clear_refs >= 0) close(os->clear_refs);
    free(os);
}

static bool dirty_errno(host_error *err, const char *what)
{
    return host_fail(err, "%s: %s", what, strerror(errno));
}

/* ---- PAGEMAP_SCAN + userfaultfd write-protect (async) ----------------------------------------- */

static bool dirty_uffd_register(dirty_os *os, host_error *err)
{
    struct uffdio_register reg = {.range = {os->base, os->size}, .mode = UFFDIO_REGISTER_MODE_WP};
    return ioctl(os->uffd, UFFDIO_REGISTER, &reg) == 0 || dirty_errno(err, "UFFDIO_REGISTER (write-protect)");
}

/* One PAGEMAP_SCAN call from *at to end: the written pages it found, write-protected again. */
static long dirty_scan_call(dirty_os *os, uint64_t *at, uint64_t end, struct page_region *vec, bool wp)
{
    struct pm_scan_arg a = {
        .size = sizeof(a),
        .flags = wp ? PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC : 0,
        .start = *at,
        .end = end,
        .vec = (uintptr_t)vec,
        .vec_len = DIRTY_REGIONS,
        .category_mask = PAGE_IS_WRITTEN,
        /* a page never touched is a hole, which the scan would otherwise call written (and mark,
         * giving a huge page's range a page table) */
        .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
        .return_mask = PAGE_IS_WRITTEN,
    };
    long n;
    do n = ioctl(os->pagemap, PAGEMAP_SCAN, &a);
    while (n < 0 && errno == EINTR);
    if (n >= 0) *at = a.walk_end > *at ? a.walk_end : end;
    return n;
}

/* The host writes these pages itself: unprotected now, they count as written without a fault each. */
static void dirty_uffd_unprotect(dirty_os *os, uintptr_t start, uint64_t size)
{
    uint64_t page = dirty_os_page_size();
    struct uffdio_writeprotect wp = {.range = {start, (size + page - 1) & ~(page - 1)}, .mode = 0};
    ioctl(os->uffd, UFFDIO_WRITEPROTECT, &wp); /* on failure the writes fault as usual */
}

static bool dirty_uffd_start(dirty_os *os, host_error *err)
{
    /* user-mode faults only: allowed without privileges (vm.unprivileged_userfaultfd=0), and the
     * async mode resolves kernel-mode writes without asking anyone either */
    os->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (os->uffd < 0) return dirty_errno(err, "userfaultfd");
    struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED};
    if (ioctl(os->uffd, UFFDIO_API, &api) != 0)
        return dirty_errno(err, "userfaultfd without write-protect async mode (Linux 6.7+)");
    os->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (os->pagemap < 0) return dirty_errno(err, "/proc/self/pagemap");
    if (!dirty_uffd_register(os, err)) return false;
    struct page_region vec[DIRTY_REGIONS];
    uint64_t at = os->base; /* a query of one page without write-protecting: is the ioctl there? */
    if (dirty_scan_call(os, &at, os->base + dirty_os_page_size(), vec, false) < 0)
        return dirty_errno(err, "PAGEMAP_SCAN (Linux 6.7+)");
    return true;
}

/* Protects the range again after a failed scan, reporting nothing: the caller marks it whole. */
static void dirty_uffd_reprotect(dirty_os *os, uint64_t at, uint64_t end, struct page_region *vec)
{
    host_error ignored;
    if (!dirty_uffd_register(os, &ignored)) return;
    while (at < end && dirty_scan_call(os, &at, end, vec, true) >= 0) {
    }
}

static bool dirty_uffd_collect(dirty_os *os, dirty_tracker *t, const dirty_range *r, bool clear)
{
    struct page_region vec[DIRTY_REGIONS];
    uint64_t page = dirty_os_page_size();
    uint64_t start = r->start & ~(page - 1), end = (r->start + r->size + page - 1) & ~(page - 1);
    for (uint64_t at = start; at < end;) {
        long n = dirty_scan_call(os, &at, end, vec, clear);
        if (n < 0) { /* EPERM: part of the range is no longer registered (a mapping was laid over it) */
            dirty_uffd_reprotect(os, start, end, vec);
            return false;
        }
        for (long i = 0; i < n; i++) dirty_mark(t, vec[i].start, vec[i].end);
    }
    return true;
}

/* ---- soft-dirty -------------------------------------------------------------------------------- */

static bool dirty_clear_soft(dirty_os *os) { return pwrite(os->clear_refs, "4", 1, 0) == 1; }

static bool dirty_pagemap_entry(dirty_os *os, uintptr_t addr, uint64_t *entry)
{
    off_t at = (off_t)(addr / dirty_os_page_size() * sizeof(uint64_t));
    return pread(os->pagemap, entry, sizeof(*entry), at) == (ssize_t)sizeof(*entry);
}

/* Soft-dirty works when a page written after a clear shows bit 55 and a page left alone does not. */
static bool dirty_soft_probe(dirty_os *os, host_error *err)
{
    uint64_t page = dirty_os_page_size();
    volatile uint8_t *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return dirty_errno(err, "mmap");
    p[0] = 1;
    uint64_t before = 0, after = 0;
    bool ok = dirty_clear_soft(os) && dirty_pagemap_entry(os, (uintptr_t)p, &before);
    p[0] = 2;
    ok = ok && dirty_pagemap_entry(os, (uintptr_t)p, &after);
    munmap((void *)p, page);
    if (!ok) return dirty_errno(err, "/proc/self/clear_refs");
    if ((before & DIRTY_PM_SOFT_DIRTY) || !(after & DIRTY_PM_SOFT_DIRTY))
        return host_fail(err, "the kernel keeps no soft-dirty bits (CONFIG_MEM_SOFT_DIRTY)");
    return true;
}

static bool dirty_soft_start(dirty_os *os, host_error *err)
{
    os->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (os->pagemap < 0) return dirty_errno(err, "/proc/self/pagemap");
    os->clear_refs = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (os->clear_refs < 0) return dirty_errno(err, "/proc/self/clear_refs");
    return dirty_soft_probe(os, err);
}

/* Marks the soft-dirty pages of `count` entries for the pages from `addr` on. */
static void dirty_soft_mark(dirty_tracker *t, const uint64_t *entries, uint64_t count, uintptr_t addr)
{
    uint64_t page = dirty_os_page_size(), run = 0;
    for (uint64_t i = 0; i <= count; i++) {
        bool dirty = i < count && (entries[i] & DIRTY_PM_SOFT_DIRTY) && (entries[i] & DIRTY_PM_PRESENT_OR_SWAPPED);
        if (dirty) continue;
        if (i > run) dirty_mark(t, addr + run * page, addr + i * page);
        run = i + 1;
    }
}

static bool dirty_soft_collect(dirty_os *os, dirty_tracker *t, const dirty_range *r)
{
    uint64_t page = dirty_os_page_size();
    uint64_t entries[DIRTY_PAGEMAP_BATCH];
    uintptr_t at = r->start & ~(page - 1), end = (r->start + r->size + page - 1) & ~(page - 1);
    while (at < end) {
        uint64_t count = MIN((end - at) / page, (uint64_t)DIRTY_PAGEMAP_BATCH);
        ssize_t got = pread(os->pagemap, entries, count * sizeof(uint64_t), (off_t)(at / page * sizeof(uint64_t)));
        if (got != (ssize_t)(count * sizeof(uint64_t))) return false;
        dirty_soft_mark(t, entries, count, at);
        at += count * page;
    }
    return true;
}

/* ---- the interface -------------------------------------------------------------------------- */

dirty_os *dirty_os_start(dirty_method method, uintptr_t base, uint64_t size, host_error *err)
{
    if (method != DIRTY_PAGEMAP_SCAN && method != DIRTY_SOFT_DIRTY) return NULL;
    dirty_os *os = calloc(1, sizeof(*os));
    if (!os) return host_fail(err, "out of memory"), NULL;
    *os = (dirty_os){.method = method, .base = base, .size = size, .uffd = -1, .pagemap = -1, .clear_refs = -1};
    bool ok = method == DIRTY_PAGEMAP_SCAN ? dirty_uffd_start(os, err) : dirty_soft_start(os, err);
    if (ok) return os;
    dirty_os_close(os);
    return NULL;
}

/* Soft-dirty bits are cleared for the whole process after the collection (dirty_os_collected). */
bool dirty_os_collect(dirty_os *os, dirty_tracker *t, const dirty_range *r, bool clear)
{
    return os->method == DIRTY_PAGEMAP_SCAN ? dirty_uffd_collect(os, t, r, clear) : dirty_soft_collect(os, t, r);
}

void dirty_os_collected(dirty_os *os)
{
    if (os->method == DIRTY_SOFT_DIRTY) dirty_clear_soft(os);
}

void dirty_os_stop(dirty_os *os) { dirty_os_close(os); }

void dirty_os_before_write(dirty_os *os, uintptr_t start, uint64_t size)
{
    if (os->method == DIRTY_PAGEMAP_SCAN) dirty_uffd_unprotect(os, start, size);
}

/* ---- the watch: rounds on a thread of the tracker's own --------------------------------------- */

struct dirty_watch {
    dirty_tracker *t;
    dirty_consumer consumer;
    dirty_watcher w;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    uint32_t wait_ms;
    uint64_t rounds;
    bool kicked, paused, busy, stopping;
};

/* One round: the watcher's ranges collected, the consumer's runs handed to it. The next round
 * waits the period, or longer: ten times what this round took, and DIRTY_WATCH_TAX_US per page it
 * found written (each such page costs the game a write fault after the round, about a microsecond:
 * a game that rewrites many pages every frame pays about 5% for the watch, not a fault per page per
 * period), at most DIRTY_WATCH_WAIT_MAX_MS. The first round finds everything the game touched
 * before it, once, and sets no wait. */
static void dirty_watch_round(dirty_watch *dw)
{
    dirty_range ranges[DIRTY_WATCH_RANGES_MAX];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint32_t n = dw->w.ranges(dw->w.ctx, ranges, DIRTY_WATCH_RANGES_MAX);
    dirty_collect(dw->t, ranges, n);
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        bytes += dirty_take(dw->t, dw->consumer, ranges[i].start, ranges[i].size, dw->w.run, dw->w.ctx);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t took_ms = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000 + (uint64_t)(t1.tv_nsec - t0.tv_nsec) / 1000000;
    uint64_t tax_ms = bytes / dirty_os_page_size() * DIRTY_WATCH_TAX_US / 1000;
    uint64_t wait = MAX(MAX((uint64_t)dw->w.period_ms, 10 * took_ms), tax_ms);
    dw->wait_ms = dw->rounds++ ? (uint32_t)MIN(wait, (uint64_t)DIRTY_WATCH_WAIT_MAX_MS) : dw->w.period_ms;
}

/* Waits (holding the lock) for a kick, the end of the period, or the stop. */
static void dirty_watch_wait(dirty_watch *dw)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += dw->wait_ms / 1000;
    until.tv_nsec += (long)(dw->wait_ms % 1000) * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    while (!dw->kicked && !dw->stopping)
        if (pthread_cond_timedwait(&dw->wake, &dw->lock, &until) == ETIMEDOUT) break;
}

static void *dirty_watch_main(void *arg)
{
    dirty_watch *dw = arg;
    pthread_mutex_lock(&dw->lock);
    while (!dw->stopping) {
        if (dw->paused) { /* until resumed: a kick meanwhile waits for that */
            pthread_cond_wait(&dw->wake, &dw->lock);
            continue;
        }
        dirty_watch_wait(dw);
        if (dw->stopping || dw->paused) continue;
        dw->kicked = false;
        dw->busy = true;
        pthread_mutex_unlock(&dw->lock);
        dirty_watch_round(dw);
        pthread_mutex_lock(&dw->lock);
        dw->busy = false;
        pthread_cond_broadcast(&dw->wake);
    }
    pthread_mutex_unlock(&dw->lock);
    return NULL;
}

bool dirty_watch_start(dirty_tracker *t, dirty_consumer c, const dirty_watcher *w)
{
    dirty_os *os = dirty_os_of(t);
    if (!os || os->method != DIRTY_PAGEMAP_SCAN || os->watch) return false;
    dirty_watch *dw = calloc(1, sizeof(*dw));
    if (!dw) return false;
    *dw = (dirty_watch){.t = t, .consumer = c, .w = *w, .wait_ms = w->period_ms};
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&dw->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&dw->lock, NULL);
    if (pthread_create(&dw->thread, NULL, dirty_watch_main, dw) != 0) {
        pthread_cond_destroy(&dw->wake);
        pthread_mutex_destroy(&dw->lock);
        free(dw); /* the consumer does it all at its deadline instead */
        return false;
    }
    os->watch = dw;
    return true;
}

/* The watch of t under its lock, or NULL. */
static dirty_watch *dirty_watch_lock(dirty_tracker *t)
{
    dirty_os *os = dirty_os_of(t);
    dirty_watch *dw = os ? os->watch : NULL;
    if (dw) pthread_mutex_lock(&dw->lock);
    return dw;
}

void dirty_watch_kick(dirty_tracker *t)
{
    dirty_watch *dw = dirty_watch_lock(t);
    if (!dw) return;
    dw->kicked = true;
    pthread_cond_broadcast(&dw->wake);
    pthread_mutex_unlock(&dw->lock);
}

void dirty_watch_pause(dirty_tracker *t)
{
    dirty_watch *dw = dirty_watch_lock(t);
    if (!dw) return;
    dw->paused = true;
    while (dw->busy) pthread_cond_wait(&dw->wake, &dw->lock);
    pthread_mutex_unlock(&dw->lock);
}

void dirty_watch_resume(dirty_tracker *t)
{
    dirty_watch *dw = dirty_watch_lock(t);
    if (!dw) return;
    dw->paused = false;
    pthread_cond_broadcast(&dw->wake);
    pthread_mutex_unlock(&dw->lock);
}

void dirty_watch_stop(dirty_tracker *t)
{
    dirty_watch *dw = dirty_watch_lock(t);
    if (!dw) return;
    dw->stopping = true;
    pthread_cond_broadcast(&dw->wake);
    pthread_mutex_unlock(&dw->lock);
    pthread_join(dw->thread, NULL);
    pthread_cond_destroy(&dw->wake);
    pthread_mutex_destroy(&dw->lock);
    dirty_os_of(t)->watch = NULL;
    free(dw);
}
