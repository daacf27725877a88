/* test_util.h - helpers shared by the unit tests (header only: build.sh compiles one .c per test).
 *
 *  - map_memory / unmap_memory: anonymous mappings for arenas, unpoisoned before unmapping so a
 *    later mapping at the same address does not inherit stale ASan poison;
 *  - run_fatal: runs a call that must abort in a forked child and returns what it printed;
 *  - temp_dir_*: a scratch folder per test, removed with its files afterwards;
 *  - write_file / read_text: small file I/O for fixtures;
 *  - sleep_ms. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#if defined(_WIN32)
#include "../windows/test_util_win32.h" /* dirent, mmap, mkdtemp & co. on Windows (MinGW, MSVC) */
#else
#include <dirent.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "arena/base.h"

/* ---- memory -------------------------------------------------------------------------------- */

static inline void *map_memory(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(p != MAP_FAILED);
    assert_int_equal((uintptr_t)p & 4095, 0);
    return p;
}

static inline void unmap_memory(void *p, size_t size)
{
    if (!p) return;
    BASE_UNPOISON(p, size);
    munmap(p, size);
}

/* ---- fatal paths ----------------------------------------------------------------------------- */

typedef struct fatal_result {
    bool signaled;  /* the child was killed by a signal */
    int signal;     /* which one */
    int exit_code;  /* when it exited instead */
    char text[2048]; /* everything the child wrote to stderr */
    int lines;      /* newline count in text */
} fatal_result;

#if defined(_WIN32)
/* No fork on Windows: a test of a fatal path is skipped there (the Linux run proves it). */
static inline fatal_result run_fatal(void (*fn)(void *ctx), void *ctx)
{
    fatal_result r = {0};
    (void)fn, (void)ctx;
    skip();
    return r;
}
#else
/* Forks; the child sends stderr to a pipe and calls fn(ctx), which should abort. If fn returns,
 * the child exits with 0 so the caller's SIGABRT assertion fails. */
static inline fatal_result run_fatal(void (*fn)(void *ctx), void *ctx)
{
    fatal_result r;
    memset(&r, 0, sizeof(r));
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        close(fds[1]);
        fn(ctx);
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fds[0], r.text + len, sizeof(r.text) - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
        if (len == sizeof(r.text) - 1) break;
    }
    close(fds[0]);
    r.text[len] = 0;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.signaled = WIFSIGNALED(status);
    r.signal = r.signaled ? WTERMSIG(status) : 0;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    for (size_t i = 0; i < len; i++)
        if (r.text[i] == '\n') r.lines++;
    return r;
}
#endif

/* The child died of SIGABRT after printing exactly one line. */
static inline void assert_aborted_with_one_line(const fatal_result *r)
{
    if (!r->signaled || r->signal != SIGABRT || r->lines != 1)
        print_error("child: signaled=%d signal=%d exit=%d lines=%d text=<%s>\n", r->signaled, r->signal,
                    r->exit_code, r->lines, r->text);
    assert_true(r->signaled);
    assert_int_equal(r->signal, SIGABRT);
    assert_int_equal(r->lines, 1);
    size_t n = strlen(r->text);
    assert_true(n > 1);
    assert_int_equal(r->text[n - 1], '\n');
}

static inline void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle)) print_error("'%s' not found in '%s'\n", needle, haystack);
    assert_non_null(strstr(haystack, needle));
}

/* ---- files ------------------------------------------------------------------------------------ */

static inline void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* mkdtemp under /tmp; `out` holds FS-sized paths. */
static inline void temp_dir_create(char *out, size_t cap, const char *tag)
{
    snprintf(out, cap, "/tmp/unit-%s-XXXXXX", tag);
    assert_non_null(mkdtemp(out));
}

/* Removes the files in dir (one level) and dir itself. */
static inline void temp_dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[2048];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            if (unlink(path) != 0) rmdir(path); /* a folder left by the code under test */
        }
        closedir(d);
    }
    rmdir(dir);
}

/* A test's fixture: a fresh folder and the path of one file in it. */
typedef struct temp_file {
    char dir[512];
    char path[640];
} temp_file;

static inline temp_file *temp_file_new(const char *tag, const char *name)
{
    temp_file *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    temp_dir_create(t->dir, sizeof(t->dir), tag);
    snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
    return t;
}

/* cmocka's teardown for a temp_file state. */
static inline int temp_file_teardown(void **state)
{
    temp_file *t = *state;
    temp_dir_remove(t->dir);
    free(t);
    return 0;
}

/* Number of entries in dir other than . and .. */
static inline int dir_entry_count(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static inline void write_file(const char *path, const void *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    const char *p = data;
    while (size) {
        ssize_t w = write(fd, p, size);
        assert_true(w > 0);
        p += w;
        size -= (size_t)w;
    }
    assert_int_equal(close(fd), 0);
}

static inline void write_text(const char *path, const char *text) { write_file(path, text, strlen(text)); }

/* Reads up to cap-1 bytes of a file into out, NUL-terminated; returns the size or -1. */
static inline long read_text(const char *path, char *out, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, out + len, cap - 1 - len);
        if (n <= 0) break;
        len += (size_t)n;
        if (len == cap - 1) break;
    }
    close(fd);
    out[len] = 0;
    return (long)len;
}

#endif
