/* harness.c - real processes, real files: see harness.h. */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *harness_root(void)
{
    const char *r = getenv("ENGINE_ROOT");
    return r && *r ? r : ".";
}

const char *harness_host_path(void)
{
    static char path[HARNESS_PATH + 16];
    const char *bin = getenv("HOST_BIN");
    if (bin && *bin) return bin;
    snprintf(path, sizeof(path), "%s/build/host", harness_root());
    return path;
}

void harness_sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static int harness_wait_child(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

/* fork + exec with stdout/stderr to `out_path` (or inherited when NULL). */
static pid_t harness_spawn(const char *const *argv, const char *out_path)
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    if (out_path) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
    }
    execvp(argv[0], (char *const *)argv); /* a bare name (gdb) is looked up on PATH */
    _exit(127);
}

char *harness_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = 0;
    if (len) *len = got;
    return buf;
}

int harness_run(const char *const *argv, char *out, size_t cap)
{
    char path[] = "/tmp/harness-run-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    int rc = harness_wait_child(harness_spawn(argv, path));
    if (out) {
        char *text = harness_read(path, NULL);
        snprintf(out, cap, "%s", text ? text : "");
        free(text);
    }
    unlink(path);
    return rc;
}

/* ---- games ------------------------------------------------------------------------------- */

bool harness_copy_file(const char *src, const char *dst)
{
    size_t n;
    char *data = harness_read(src, &n);
    if (!data) return false;
    FILE *f = fopen(dst, "wb");
    bool ok = f && fwrite(data, 1, n, f) == n;
    if (f) ok = fclose(f) == 0 && ok;
    free(data);
    return ok;
}

static bool harness_copy_into(const char *rel, harness_game *g);

bool harness_game_copy(const char *rel, harness_game *g)
{
    snprintf(g->dir, sizeof(g->dir), "/tmp/harness-game-XXXXXX");
    if (!mkdtemp(g->dir)) return false;
    snprintf(g->top, sizeof(g->top), "%s", g->dir);
    return harness_copy_into(rel, g);
}

bool harness_game_copy_isolated(const char *rel, harness_game *g)
{
    char top[64] = "/tmp/harness-iso-XXXXXX";
    if (!mkdtemp(top)) return false;
    snprintf(g->top, sizeof(g->top), "%s", top);
    snprintf(g->dir, sizeof(g->dir), "%s/a", top);
    mkdir(g->dir, 0700);
    snprintf(g->dir, sizeof(g->dir), "%s/a/b", top);
    mkdir(g->dir, 0700);
    snprintf(g->dir, sizeof(g->dir), "%s/a/b/game", top);
    return mkdir(g->dir, 0700) == 0 && harness_copy_into(rel, g);
}

/* Copies the regular files of ENGINE_ROOT/<rel> into g->dir. */
static bool harness_copy_into(const char *rel, harness_game *g)
{
    snprintf(g->lib, sizeof(g->lib), "%s/build/libgame.so", g->dir);
    char src[HARNESS_PATH];
    snprintf(src, sizeof(src), "%s/%s", harness_root(), rel);
    DIR *d = opendir(src);
    if (!d) return false;
    struct dirent *e;
    bool ok = true;
    while ((e = readdir(d))) {
        char from[HARNESS_PATH * 2], to[HARNESS_PATH * 2];
        snprintf(from, sizeof(from), "%s/%s", src, e->d_name);
        struct stat st;
        if (stat(from, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        snprintf(to, sizeof(to), "%s/%s", g->dir, e->d_name);
        ok = harness_copy_file(from, to) && ok;
        chmod(to, st.st_mode & 0777);
    }
    closedir(d);
    return ok;
}

int harness_game_build(const harness_game *g)
{
    char script[HARNESS_PATH];
    snprintf(script, sizeof(script), "%s/build.sh", harness_root());
    const char *argv[] = {"/bin/bash", script, "game", g->dir, NULL};
    char out[8192];
    int rc = harness_run(argv, out, sizeof(out));
    if (rc != 0) fprintf(stderr, "build of %s failed (%d):\n%s\n", g->dir, rc, out);
    return rc;
}

void harness_game_remove(harness_game *g)
{
    if (!g->top[0]) return;
    const char *argv[] = {"/bin/rm", "-rf", g->top, NULL};
    harness_run(argv, NULL, 0);
    g->top[0] = 0;
}

bool harness_edit(const harness_game *g, const char *file, const char *from, const char *to)
{
    char path[HARNESS_PATH * 2];
    snprintf(path, sizeof(path), "%s/%s", g->dir, file);
    size_t n;
    char *text = harness_read(path, &n);
    if (!text) return false;
    char *at = strstr(text, from);
    if (!at) {
        free(text);
        return false;
    }
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(to, f);
    fputs(at + strlen(from), f);
    fclose(f);
    free(text);
    return true;
}

bool harness_define(const harness_game *g, const char *file, const char *name, const char *value)
{
    char path[HARNESS_PATH * 2], start[128];
    snprintf(path, sizeof(path), "%s/%s", g->dir, file);
    snprintf(start, sizeof(start), "#define %s ", name);
    char *text = harness_read(path, NULL);
    char *at = text;
    while (at && (at = strstr(at, start)) && at != text && at[-1] != '\n') at++; /* at a line's start only */
    if (!at) {
        free(text);
        return false;
    }
    char *end = at + strcspn(at, "\n");
    FILE *f = fopen(path, "wb");
    fprintf(f, "%.*s%s%s%s", (int)(at - text), text, start, value, end);
    fclose(f);
    free(text);
    return true;
}

bool harness_put_bytes(const harness_game *g, const void *data, size_t size)
{
    char tmp[HARNESS_PATH + 96];
    snprintf(tmp, sizeof(tmp), "%s.put", g->lib);
    FILE *f = fopen(tmp, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, size, f) == size;
    ok = fclose(f) == 0 && ok;
    return ok && rename(tmp, g->lib) == 0;
}

bool harness_put_library(const harness_game *g, const char *src)
{
    static unsigned serial;
    size_t n;
    char *data = harness_read(src, &n);
    if (!data) return false;
    char trailer[64];
    int t = snprintf(trailer, sizeof(trailer), "trailer %u %ld", ++serial, (long)time(NULL));
    data = realloc(data, n + (size_t)t);
    memcpy(data + n, trailer, (size_t)t);
    bool ok = harness_put_bytes(g, data, n + (size_t)t);
    free(data);
    return ok;
}

/* ---- the host ---------------------------------------------------------------------------- */

/* The hosts this process started and has not reaped, and the folder of their event logs and output:
 * harness_finish ends the first and removes the second. */
static pid_t harness_live[256];
static char harness_files[256];

static void harness_track(pid_t pid)
{
    for (size_t i = 0; pid > 0 && i < sizeof(harness_live) / sizeof(harness_live[0]); i++)
        if (!harness_live[i]) {
            harness_live[i] = pid;
            return;
        }
}

static void harness_reaped(harness_host *h)
{
    for (size_t i = 0; i < sizeof(harness_live) / sizeof(harness_live[0]); i++)
        if (harness_live[i] == h->pid) harness_live[i] = 0;
    h->pid = 0;
}

/* The path of this process's file NAME-SERIAL.EXT in its own folder under /tmp. */
static void harness_file(char *out, size_t cap, const char *name, unsigned serial, const char *ext)
{
    if (!harness_files[0]) {
        snprintf(harness_files, sizeof(harness_files), "/tmp/harness-%d-XXXXXX", (int)getpid());
        if (!mkdtemp(harness_files)) snprintf(harness_files, sizeof(harness_files), "/tmp");
    }
    snprintf(out, cap, "%s/%s-%u.%s", harness_files, name, serial, ext);
}

int harness_finish(int failed)
{
    for (size_t i = 0; i < sizeof(harness_live) / sizeof(harness_live[0]); i++)
        if (harness_live[i]) {
            kill(harness_live[i], SIGKILL);
            harness_wait_child(harness_live[i]);
        }
    bool keep = failed || getenv("HARNESS_KEEP"); /* HARNESS_KEEP=1: kept even when all passed */
    if (keep && harness_files[0]) fprintf(stderr, "the hosts' event logs and output are kept in %s\n", harness_files);
    if (!keep && harness_files[0] && strcmp(harness_files, "/tmp") != 0) {
        const char *argv[] = {"/bin/rm", "-rf", harness_files, NULL};
        harness_run(argv, NULL, 0);
    }
    return failed;
}

/* The host's command line, after `prefix` (NULL-terminated, may be empty), with `mode` (--headless,
 * or NULL for a window); its events in h->events. */
static pid_t harness_host_spawn(harness_host *h, const char *const *prefix, const char *mode, const char *lib,
                                const char *const *args)
{
    static unsigned serial;
    h->tty = 0;
    harness_file(h->events, sizeof(h->events), "events", ++serial, "jsonl");
    harness_file(h->output, sizeof(h->output), "output", serial, "log");
    const char *argv[80];
    int n = 0;
    for (; prefix && *prefix && n < 16; prefix++) argv[n++] = *prefix;
    argv[n++] = harness_host_path();
    if (mode) argv[n++] = mode;
    argv[n++] = "--events";
    argv[n++] = h->events;
    for (; args && *args && n < 76; args++) argv[n++] = *args;
    argv[n++] = lib;
    argv[n] = NULL;
    pid_t pid = harness_spawn(argv, h->output);
    harness_track(pid);
    return pid;
}

bool harness_host_start(harness_host *h, const char *lib, const char *const *args)
{
    h->pid = harness_host_spawn(h, NULL, "--headless", lib, args);
    return h->pid > 0 && harness_wait(h, "load", 1, 10000);
}

typedef struct harness_tty_reader {
    int tty;
    char path[HARNESS_PATH];
} harness_tty_reader;

/* Everything the host writes to its terminal goes to a file: its pictures and, when it dies, what
 * it (or a sanitizer) said last. */
static void *harness_tty_drain(void *arg)
{
    harness_tty_reader *r = arg;
    FILE *out = fopen(r->path, "wb");
    char buf[4096];
    ssize_t n;
    while ((n = read(r->tty, buf, sizeof(buf))) > 0)
        if (out) fwrite(buf, 1, (size_t)n, out);
    if (out) fclose(out);
    free(r);
    return NULL; /* EIO: the host closed the terminal */
}

bool harness_tty_start(harness_host *h, const char *lib, const char *const *args)
{
    static unsigned serial;
    harness_file(h->events, sizeof(h->events), "tty-events", ++serial, "jsonl");
    harness_file(h->output, sizeof(h->output), "tty-output", serial, "log");
    const char *argv[80];
    int n = 0;
    argv[n++] = harness_host_path();
    argv[n++] = "--terminal";
    argv[n++] = "--events";
    argv[n++] = h->events;
    for (; args && *args && n < 78; args++) argv[n++] = *args;
    argv[n++] = lib;
    argv[n] = NULL;
    struct winsize ws = {.ws_row = 30, .ws_col = 100};
    h->pid = forkpty(&h->tty, NULL, NULL, &ws);
    if (h->pid == 0) {
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    harness_track(h->pid);
    harness_tty_reader *r = calloc(1, sizeof(*r));
    if (h->pid < 0 || !r) return free(r), false;
    r->tty = h->tty;
    snprintf(r->path, sizeof(r->path), "%s", h->output);
    pthread_t reader;
    if (pthread_create(&reader, NULL, harness_tty_drain, r) != 0) return free(r), false;
    h->reader = (unsigned long)reader;
    return harness_wait(h, "load", 1, 10000);
}

bool harness_tty_keys(const harness_host *h, const char *keys)
{
    size_t n = strlen(keys);
    return h->tty > 0 && write(h->tty, keys, n) == (ssize_t)n;
}

/* After the host ended: the reader has seen the terminal close. */
static void harness_tty_close(harness_host *h)
{
    if (h->tty <= 0) return;
    pthread_join((pthread_t)h->reader, NULL);
    close(h->tty);
    h->tty = 0;
}

bool harness_window_start(harness_host *h, const harness_xvfb *x, const char *lib, const char *const *args)
{
    char display[32];
    snprintf(display, sizeof(display), "DISPLAY=%s", x->display);
    const char *env[] = {"env", display, "SDL_VIDEODRIVER=x11", "SDL_AUDIODRIVER=dummy", NULL};
    h->pid = harness_host_spawn(h, env, NULL, lib, args);
    return h->pid > 0 && harness_wait(h, "load", 1, 30000);
}

bool harness_debug_start(harness_host *h, harness_debugger d, const char *script, const char *lib,
                         const char *const *args)
{
    const char *gdb[] = {"gdb", "-batch", "-nx", "-x", script, "--args", NULL};
    const char *lldb[] = {"lldb", "-b", "-x", "-s", script, "--", NULL};
    h->pid = harness_host_spawn(h, d == HARNESS_GDB ? gdb : lldb, "--headless", lib, args);
    return h->pid > 0;
}

int harness_host_wait(harness_host *h, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        int st;
        if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
            harness_reaped(h);
            harness_tty_close(h);
            return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        }
        harness_sleep_ms(20);
    }
    kill(h->pid, SIGKILL);
    harness_wait_child(h->pid);
    harness_reaped(h);
    harness_tty_close(h);
    return -1000;
}

bool harness_host_alive(const harness_host *h)
{
    return h->pid > 0 && waitpid(h->pid, NULL, WNOHANG) == 0;
}

int harness_host_stop(harness_host *h)
{
    if (h->pid <= 0) return -1;
    kill(h->pid, SIGTERM);
    int rc = harness_wait_child(h->pid);
    harness_reaped(h);
    harness_tty_close(h);
    return rc;
}

/* ---- an X server ------------------------------------------------------------------------- */

/* Xvfb on display `number`, once its socket is there; false when the number is taken or it died. */
static bool harness_xvfb_try(harness_xvfb *x, int number, const char *screen)
{
    char lock[64], sock[64], name[16];
    snprintf(lock, sizeof(lock), "/tmp/.X%d-lock", number);
    snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%d", number);
    if (access(lock, F_OK) == 0 || access(sock, F_OK) == 0) return false;
    snprintf(name, sizeof(name), ":%d", number);
    const char *argv[] = {"Xvfb", name, "-screen", "0", screen, "-nolisten", "tcp", NULL};
    x->pid = harness_spawn(argv, "/dev/null");
    for (int waited = 0; waited < 10000; waited += 20) {
        if (waitpid(x->pid, NULL, WNOHANG) == x->pid) return false; /* another server won the number */
        if (access(sock, F_OK) == 0) {
            snprintf(x->display, sizeof(x->display), "%s", name);
            harness_sleep_ms(200); /* listening: give it a moment to take clients */
            return true;
        }
        harness_sleep_ms(20);
    }
    kill(x->pid, SIGKILL);
    harness_wait_child(x->pid);
    return false;
}

/* Xvfb picks a free number itself and writes it to a pipe once it takes clients. */
static bool harness_xvfb_any(harness_xvfb *x, const char *screen)
{
    int fds[2];
    if (pipe(fds) != 0) return false;
    char fd[16];
    snprintf(fd, sizeof(fd), "%d", fds[1]);
    const char *argv[] = {"Xvfb", "-displayfd", fd, "-screen", "0", screen, "-nolisten", "tcp", NULL};
    x->pid = harness_spawn(argv, "/dev/null");
    close(fds[1]);
    char number[16] = "";
    ssize_t n = read(fds[0], number, sizeof(number) - 1);
    close(fds[0]);
    if (n <= 0) return false;
    number[n] = 0;
    number[strcspn(number, "\n")] = 0;
    snprintf(x->display, sizeof(x->display), ":%s", number);
    return true;
}

bool harness_xvfb_start(harness_xvfb *x, int width, int height)
{
    char screen[32];
    snprintf(screen, sizeof(screen), "%dx%dx24", width, height);
    memset(x, 0, sizeof(*x));
    int first, last;
    const char *range = getenv("HOTBLOCK_DISPLAYS");
    if (!range || sscanf(range, "%d-%d", &first, &last) != 2) return harness_xvfb_any(x, screen);
    for (int number = first; number <= last; number++)
        if (harness_xvfb_try(x, number, screen)) return true;
    return false;
}

void harness_xvfb_stop(harness_xvfb *x)
{
    if (x->pid <= 0) return;
    kill(x->pid, SIGTERM);
    harness_wait_child(x->pid);
    x->pid = 0;
}

int harness_x(const harness_xvfb *x, const char *const *argv, char *out, size_t cap)
{
    char display[32];
    snprintf(display, sizeof(display), "DISPLAY=%s", x->display);
    const char *full[40] = {"env", display};
    int n = 2;
    for (; *argv && n < 39; argv++) full[n++] = *argv;
    full[n] = NULL;
    return harness_run(full, out, cap);
}

/* ---- the event log ----------------------------------------------------------------------- */

static bool harness_is_event(const char *line, const char *name)
{
    char want[128];
    snprintf(want, sizeof(want), "{\"event\":\"%s\"", name);
    return strncmp(line, want, strlen(want)) == 0;
}

const char *harness_event(const harness_host *h, const char *name, const char *needle, int n)
{
    static char found[16384];
    char *text = harness_read(h->events, NULL);
    if (!text) return NULL;
    const char *result = NULL;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (!harness_is_event(line, name) || (needle && !strstr(line, needle))) continue;
        if (n-- == 0) {
            snprintf(found, sizeof(found), "%s", line);
            result = found;
            break;
        }
    }
    free(text);
    return result;
}

int harness_count(const harness_host *h, const char *name)
{
    int n = 0;
    while (harness_event(h, name, NULL, n)) n++;
    return n;
}

/* A wait that timed out says what it waited for and what the host did last (its events but the
 * game's log lines), so that a failure on a machine nobody can log into still tells its story. */
static void harness_report_timeout(const harness_host *h, const char *name, const char *needle, int n, int timeout_ms)
{
    fprintf(stderr, "harness: no '%s' event%s%s%s (number %d) in %s after %d ms; the host's last events:\n", name,
            needle ? " with '" : "", needle ? needle : "", needle ? "'" : "", n + 1, h->events, timeout_ms);
    char *text = harness_read(h->events, NULL);
    if (!text) return;
    enum { SHOWN = 12 };
    const char *last[SHOWN];
    int count = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (!harness_is_event(line, "log")) last[count++ % SHOWN] = line;
    for (int i = count > SHOWN ? count - SHOWN : 0; i < count; i++) fprintf(stderr, "  %.300s\n", last[i % SHOWN]);
    free(text);
}

bool harness_wait(const harness_host *h, const char *name, int count, int timeout_ms)
{
    return harness_wait_event(h, name, NULL, count - 1, timeout_ms) != NULL;
}

const char *harness_wait_event(const harness_host *h, const char *name, const char *needle, int n, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        const char *line = harness_event(h, name, needle, n);
        if (line) return line;
        harness_sleep_ms(20);
    }
    harness_report_timeout(h, name, needle, n, timeout_ms);
    return NULL;
}

/* The first matching complete line in `text`; its end in *line_end. */
static const char *harness_match_line(char *text, const char *name, const char *needle, char **line_end)
{
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        if (!end) return NULL; /* a line still being written */
        *end = 0;
        if (harness_is_event(line, name) && (!needle || strstr(line, needle))) {
            *line_end = end + 1;
            return line;
        }
        line = end + 1;
    }
    return NULL;
}

const char *harness_next_event(const harness_host *h, const char *name, const char *needle, long *offset,
                               int timeout_ms)
{
    static char found[16384];
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        FILE *f = fopen(h->events, "rb");
        if (f && fseek(f, *offset, SEEK_SET) == 0) {
            static char chunk[1 << 20];
            size_t n = fread(chunk, 1, sizeof(chunk) - 1, f);
            chunk[n] = 0;
            fclose(f);
            char *end;
            const char *line = harness_match_line(chunk, name, needle, &end);
            if (line) {
                *offset += (long)(end - chunk);
                snprintf(found, sizeof(found), "%.16000s", line);
                return found;
            }
        } else if (f) {
            fclose(f);
        }
        harness_sleep_ms(10);
    }
    harness_report_timeout(h, name, needle, 0, timeout_ms);
    return NULL;
}

long harness_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

bool harness_field(const char *line, const char *key, char *out, size_t cap)
{
    char json_key[128], log_key[128];
    snprintf(json_key, sizeof(json_key), "\"%s\":", key);
    snprintf(log_key, sizeof(log_key), " %s=", key);
    const char *at = strstr(line, json_key);
    const char *end_chars = ",}";
    if (at) {
        at += strlen(json_key);
        if (*at == '"') {
            at++;
            end_chars = "\"";
        }
    } else if ((at = strstr(line, log_key))) {
        at += strlen(log_key);
        end_chars = " \"";
    } else {
        return false;
    }
    size_t len = strcspn(at, end_chars);
    snprintf(out, cap, "%.*s", (int)len, at);
    return true;
}

uint64_t harness_field_u64(const char *line, const char *key)
{
    char v[64];
    if (!line || !harness_field(line, key, v, sizeof(v))) return UINT64_MAX;
    return strtoull(v, NULL, 0);
}

/* ---- process resources ------------------------------------------------------------------- */

/* Entries of a folder, not counting "." and "..": -1 if it cannot be read. */
static int harness_dir_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

int harness_fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    return harness_dir_entries(path);
}

static char *harness_maps(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[len] = 0;
    return buf;
}

int harness_map_count(pid_t pid, const char *path_part)
{
    char *maps = harness_maps(pid);
    if (!maps) return -1;
    int n = 0;
    for (char *line = strtok(maps, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, path_part)) n++;
    free(maps);
    return n;
}

bool harness_copy_dir(pid_t pid, char *out, size_t cap)
{
    char *maps = harness_maps(pid);
    if (!maps) return false;
    out[0] = 0;
    char *at = strstr(maps, "/hotreload-");
    if (at) {
        char *start = at;
        while (start > maps && start[-1] != ' ') start--;
        char *slash = strchr(at + 1, '/');
        if (slash) snprintf(out, cap, "%.*s", (int)(slash - start), start);
    }
    free(maps);
    return out[0] != 0;
}

int harness_copy_dir_files(pid_t pid)
{
    char dir[HARNESS_PATH];
    return harness_copy_dir(pid, dir, sizeof(dir)) ? harness_dir_entries(dir) : -1;
}

int harness_copy_dir_files_settled(pid_t pid, int want, int timeout_ms)
{
    int files = harness_copy_dir_files(pid);
    for (int waited = 0; files > want && waited < timeout_ms; waited += 10) {
        harness_sleep_ms(10);
        files = harness_copy_dir_files(pid);
    }
    return files;
}
