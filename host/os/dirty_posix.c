/* dirty_posix.c - written pages on Linux (like the rest of the _posix halves): PAGEMAP_SCAN over a
 * userfaultfd write-protect-async registration, else pagemap's soft-dirty bits (dirty.h). */
#include "dirty.h"
#include "../../arena/base.h"

#include <errno.h>
#include <fcntl.h>
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
#define DIRTY_PM_SOFT_DIRTY (1ull << 55)
#define DIRTY_PM_PRESENT_OR_SWAPPED (3ull << 62)

struct dirty_os {
    dirty_method method;
    uintptr_t base;
    uint64_t size;
    int uffd;     /* PAGEMAP_SCAN: the write-protect registration */
    int pagemap;  /* /proc/self/pagemap */
    int clear_refs; /* soft-dirty: /proc/self/clear_refs */
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
static long dirty_scan_call(dirty_os *os, uint64_t *at, uint64_t end, bool sparse, struct page_region *vec, bool wp)
{
    struct pm_scan_arg a = {
        .size = sizeof(a),
        .flags = wp ? PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC : 0,
        .start = *at,
        .end = end,
        .vec = (uintptr_t)vec,
        .vec_len = DIRTY_REGIONS,
        .category_mask = PAGE_IS_WRITTEN,
        /* sparse: a page never touched is a hole, which the scan would otherwise call written */
        .category_anyof_mask = sparse ? PAGE_IS_PRESENT | PAGE_IS_SWAPPED : 0,
        .return_mask = PAGE_IS_WRITTEN,
    };
    long n;
    do n = ioctl(os->pagemap, PAGEMAP_SCAN, &a);
    while (n < 0 && errno == EINTR);
    if (n >= 0) *at = a.walk_end > *at ? a.walk_end : end;
    return n;
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
    if (dirty_scan_call(os, &at, os->base + dirty_os_page_size(), true, vec, false) < 0)
        return dirty_errno(err, "PAGEMAP_SCAN (Linux 6.7+)");
    return true;
}

/* Protects the range again after a failed scan, reporting nothing: the caller marks it whole. */
static void dirty_uffd_reprotect(dirty_os *os, uint64_t at, uint64_t end, bool sparse, struct page_region *vec)
{
    host_error ignored;
    if (!dirty_uffd_register(os, &ignored)) return;
    while (at < end && dirty_scan_call(os, &at, end, sparse, vec, true) >= 0) {
    }
}

static bool dirty_uffd_collect(dirty_os *os, dirty_tracker *t, const dirty_range *r, bool clear)
{
    struct page_region vec[DIRTY_REGIONS];
    uint64_t page = dirty_os_page_size();
    uint64_t start = r->start & ~(page - 1), end = (r->start + r->size + page - 1) & ~(page - 1);
    for (uint64_t at = start; at < end;) {
        long n = dirty_scan_call(os, &at, end, r->sparse, vec, clear);
        if (n < 0) { /* EPERM: part of the range is no longer registered (a mapping was laid over it) */
            dirty_uffd_reprotect(os, start, end, r->sparse, vec);
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
static void dirty_soft_mark(dirty_tracker *t, const uint64_t *entries, uint64_t count, uintptr_t addr, bool sparse)
{
    uint64_t page = dirty_os_page_size(), run = 0;
    for (uint64_t i = 0; i <= count; i++) {
        bool dirty = i < count && (entries[i] & DIRTY_PM_SOFT_DIRTY) &&
                     (!sparse || (entries[i] & DIRTY_PM_PRESENT_OR_SWAPPED));
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
        dirty_soft_mark(t, entries, count, at, r->sparse);
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
    *os = (dirty_os){method, base, size, -1, -1, -1};
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
