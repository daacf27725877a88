/* test_util_win32.h - the few POSIX calls that test_util.h and the portable unit tests use, for
 * the MinGW build that runs under Wine (and under build.bat on Windows). Included by test_util.h
 * on _WIN32 only; test code, never linked into the host. */
#ifndef TEST_UTIL_WIN32_H
#define TEST_UTIL_WIN32_H

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#undef EVENT_MAX /* winuser.h's WinEvent bound, not events.h's line size: the tests mean the latter */

#include <direct.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_MSC_VER)
/* MSVC has no <unistd.h> or <dirent.h>: the few calls the tests make (build.bat compiles them with
 * _CRT_DECLARE_NONSTDC_NAMES, which declares open, read, write, close, unlink and rmdir in io.h). */
#include <io.h>

typedef intptr_t ssize_t;

static inline int nanosleep(const struct timespec *t, struct timespec *rest)
{
    (void)rest;
    Sleep((DWORD)(t->tv_sec * 1000 + t->tv_nsec / 1000000));
    return 0;
}

struct dirent {
    char d_name[MAX_PATH];
};

typedef struct DIR {
    HANDLE find;
    WIN32_FIND_DATAA data;
    bool first; /* data holds an entry not returned yet */
    struct dirent entry;
} DIR;

static inline DIR *opendir(const char *dir)
{
    char pattern[MAX_PATH];
    snprintf(pattern, sizeof(pattern), "%s\\*", dir);
    DIR *d = calloc(1, sizeof(*d));
    if (d) d->find = FindFirstFileA(pattern, &d->data);
    if (d && d->find == INVALID_HANDLE_VALUE) {
        free(d);
        return NULL;
    }
    if (d) d->first = true;
    return d;
}

static inline struct dirent *readdir(DIR *d)
{
    if (!d->first && !FindNextFileA(d->find, &d->data)) return NULL;
    d->first = false;
    snprintf(d->entry.d_name, sizeof(d->entry.d_name), "%s", d->data.cFileName);
    return &d->entry;
}

static inline int closedir(DIR *d)
{
    FindClose(d->find);
    free(d);
    return 0;
}
#else
#include <dirent.h>
#include <unistd.h>
#endif

#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 0
#define MAP_ANONYMOUS 0
#define MAP_NORESERVE 0
#define MAP_FAILED ((void *)-1)

/* Anonymous memory only, committed at once (the tests write to it without an arena commit). */
static inline void *test_win32_mmap(void *want, size_t size, int prot, int flags, int fd, long off)
{
    (void)want, (void)prot, (void)flags, (void)fd, (void)off;
    void *p = VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    return p ? p : MAP_FAILED;
}
#define mmap test_win32_mmap

static inline int test_win32_munmap(void *p, size_t size)
{
    (void)size;
    return VirtualFree(p, 0, MEM_RELEASE) ? 0 : -1;
}
#define munmap test_win32_munmap

/* No close-on-exec flag on Windows; what the helpers need there is binary mode (no CRLF rewriting). */
#define O_CLOEXEC O_BINARY

/* mkdir takes no mode on Windows; the folders are the test's own. */
#define mkdir(path, mode) _mkdir(path)

/* rename() will not replace an existing file on Windows; the tests mean POSIX rename. */
static inline int test_win32_rename(const char *from, const char *to)
{
    return MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING) ? 0 : -1;
}
#define rename test_win32_rename

/* The name's last six X become random hex. "/tmp/..." is \tmp on the current drive: Z:\tmp, the
 * real /tmp, under Wine started from a Linux folder; made when missing on Windows. */
static inline char *test_win32_mkdtemp(char *tmpl)
{
    size_t n = strlen(tmpl);
    if (n < 6 || strcmp(tmpl + n - 6, "XXXXXX") != 0) return NULL;
    if (strncmp(tmpl, "/tmp/", 5) == 0) CreateDirectoryA("/tmp", NULL);
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        unsigned r = (unsigned)GetTickCount() * 2654435761u ^ (unsigned)GetCurrentProcessId() ^ attempt * 40503u;
        snprintf(tmpl + n - 6, 7, "%06x", r & 0xffffff);
        if (CreateDirectoryA(tmpl, NULL)) return tmpl;
    }
    return NULL;
}
#define mkdtemp test_win32_mkdtemp

/* Wine differs from Windows in a few corners a test may have to step around. */
static inline bool test_win32_is_wine(void)
{
    HMODULE ntdll = GetModuleHandleA("ntdll.dll");
    return ntdll && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

#endif
