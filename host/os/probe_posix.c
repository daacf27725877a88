/* probe_posix.c - the probe on Linux: a helper process started once with posix_spawn (the host's own
 * executable, PROBE_ARG), single-threaded, that forks a fresh child per candidate (probe.h).
 *
 * Pipes: the host writes requests to the helper's stdin and reads answers from its stdout; each
 * child reports to the helper on a pipe of its own and writes nothing else anywhere (its stdout and
 * stderr are the null device: a game's printf in a constructor must not land in an answer). The
 * helper runs in a process group of its own, so the terminal's Ctrl-C reaches only the host, and the
 * host's probe_stop kills the whole group: a child stuck in an endless loop dies with it. */
#include "probe.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#define PROBE_SELF "/proc/self/exe"
#define PROBE_CHILD_POLL_MS 20           /* how often the helper looks at a child that writes nothing */
#define PROBE_HELPER_GRACE_NS 5000000000ull /* beyond the timeout: the helper itself must be stuck */

extern char **environ;

typedef struct probe_request {
    uint32_t serial;
    uint64_t timeout_ms;
    char path[FS_PATH_MAX + 64];
} probe_request;

struct probe {
    pid_t helper;
    int request_fd; /* the helper's stdin */
    int answer_fd;  /* its stdout, non-blocking */
    bool busy;
    bool restarted;
    probe_request request; /* in flight: sent again to a helper started anew */
    uint64_t submitted_ns;
    probe_record answer;   /* read in pieces: the pipe is non-blocking */
    size_t have;
};

static bool probe_write_all(int fd, const void *data, size_t size)
{
    const char *p = data;
    while (size) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= (size_t)n;
    }
    return true;
}

static bool probe_read_all(int fd, void *data, size_t size)
{
    char *p = data;
    while (size) {
        ssize_t n = read(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= (size_t)n;
    }
    return true;
}

/* The probe dies with the process that started it (the helper with the host, a child with the
 * helper), so nothing is left running after a SIGKILL of the host. */
static void probe_die_with_parent(void)
{
#if defined(__linux__)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
}

/* ---- the probe's side: the helper and its children --------------------------------------------- */

/* Where a child writes: every record to the helper, the final one to the host too. */
typedef struct probe_child_out {
    int helper;
    int host;
} probe_child_out;

static void probe_child_emit(void *ctx, const probe_record *r)
{
    const probe_child_out *out = ctx;
    probe_write_all(out->helper, r, sizeof(*r));
    if (r->final) probe_write_all(out->host, r, sizeof(*r)); /* straight to the host: the helper is no hop */
}

/* In the child, forked ahead: waits for the host's next request, runs the check; never returns. */
static _Noreturn void probe_child(probe_check_fn *check, probe_child_out out)
{
    probe_die_with_parent();
    probe_request req;
    if (!probe_read_all(STDIN_FILENO, &req, sizeof(req))) _exit(0); /* the host is done */
    req.path[sizeof(req.path) - 1] = 0;
    probe_run_check(req.path, req.serial, req.timeout_ms, check, probe_child_emit, &out);
    _exit(0); /* no atexit handlers: the library's destructors are not the probe's business */
}

/* Reads a child's records until it ends, or until its time is up once it has taken a request (its
 * first record). True when it took one: *last is its last record. */
static bool probe_watch_child(pid_t pid, int fd, probe_record *last)
{
    bool taken = false, final = false, timed_out = false, reaped = false;
    uint64_t deadline = 0, started = 0;
    int status = 0;
    for (;;) {
        uint64_t now = clock_now_ns();
        if (taken && !reaped && now >= deadline) {
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        uint64_t left_ms = taken ? (deadline - now + 999999) / 1000000 : PROBE_CHILD_POLL_MS;
        struct pollfd p = {fd, POLLIN, 0};
        int ready = reaped ? poll(&p, 1, 0) : poll(&p, 1, (int)(left_ms < PROBE_CHILD_POLL_MS ? left_ms : PROBE_CHILD_POLL_MS));
        probe_record r;
        ssize_t n = ready > 0 ? read(fd, &r, sizeof(r)) : -1;
        if (n == (ssize_t)sizeof(r)) {
            if (!taken) started = now, deadline = now + r.timeout_ms * 1000000ull;
            taken = true;
            *last = r;
            final = r.final != 0;
        } else if (n == 0 || reaped) {
            break; /* every end of the pipe closed, or the child gone and its records all read */
        } else if (ready == 0 && waitpid(pid, &status, WNOHANG) == pid) {
            reaped = true; /* gone (something it started may hold the pipe): read what it wrote */
        }
    }
    while (!reaped && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!taken) return false;
    if (!final) last->result.ms = (double)(clock_now_ns() - started) / 1e6;
    probe_ended(last, final, timed_out && !final, WIFEXITED(status), WIFEXITED(status) ? WEXITSTATUS(status) : 0,
                WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return true;
}

/* One child, forked ahead of its request, watched to its end. False once the host is done (the
 * child found no more requests) or no child can be made. */
static bool probe_next_child(probe_check_fn *check, int answers)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        probe_child(check, (probe_child_out){fds[1], answers});
    }
    close(fds[1]);
    probe_record last;
    bool taken = pid > 0 && probe_watch_child(pid, fds[0], &last);
    close(fds[0]);
    /* an answer the child did not give itself: it exited, was killed, or ran out of time */
    if (taken && !last.final && !probe_write_all(answers, &last, sizeof(last))) return false;
    return taken;
}

bool probe_mode(int argc, char **argv) { return argc == 2 && strcmp(argv[1], PROBE_ARG) == 0; }

int probe_serve(int argc, char **argv, probe_check_fn *check)
{
    (void)argc;
    (void)argv;
    probe_die_with_parent();
    int answers = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    int null = open("/dev/null", O_RDWR);
    if (answers < 0 || null < 0) return 1;
    dup2(null, STDOUT_FILENO); /* what a child prints goes nowhere */
    dup2(null, STDERR_FILENO);
    crash_install(); /* once: the children inherit the handlers and the alternate stack */
    while (probe_next_child(check, answers)) {
    }
    return 0;
}

/* ---- the host's side ---------------------------------------------------------------------------- */

static bool probe_spawn_helper(probe *p, host_error *err)
{
#if !defined(__linux__)
    return host_fail(err, "the probe process needs Linux's /proc/self/exe here; pass --no-probe");
#endif
    int req[2], ans[2];
    if (pipe2(req, O_CLOEXEC) != 0) return host_fail(err, "cannot start the probe process: %s", strerror(errno));
    if (pipe2(ans, O_CLOEXEC) != 0) {
        close(req[0]);
        close(req[1]);
        return host_fail(err, "cannot start the probe process: %s", strerror(errno));
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    char *argv[] = {PROBE_SELF, PROBE_ARG, NULL};
    int rc = ENOMEM;
    if (posix_spawn_file_actions_init(&fa) == 0) {
        if (posix_spawn_file_actions_adddup2(&fa, req[0], STDIN_FILENO) == 0 &&
            posix_spawn_file_actions_adddup2(&fa, ans[1], STDOUT_FILENO) == 0 && posix_spawnattr_init(&attr) == 0) {
            posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
            posix_spawnattr_setpgroup(&attr, 0);
            rc = posix_spawn(&p->helper, PROBE_SELF, &fa, &attr, argv, environ);
            posix_spawnattr_destroy(&attr);
        }
        posix_spawn_file_actions_destroy(&fa);
    }
    close(req[0]);
    close(ans[1]);
    if (rc != 0) {
        close(req[1]);
        close(ans[0]);
        return host_fail(err, "cannot start the probe process %s: %s; pass --no-probe to load builds unprobed",
                         PROBE_SELF, strerror(rc));
    }
    p->request_fd = req[1];
    p->answer_fd = ans[0];
    fcntl(p->answer_fd, F_SETFL, fcntl(p->answer_fd, F_GETFL) | O_NONBLOCK);
    p->have = 0;
    return true;
}

/* The helper and any child it runs, gone. */
static void probe_end_helper(probe *p)
{
    if (p->helper <= 0) return;
    kill(-p->helper, SIGKILL);
    while (waitpid(p->helper, NULL, 0) < 0 && errno == EINTR) {
    }
    close(p->request_fd);
    close(p->answer_fd);
    p->helper = 0;
}

probe *probe_start(host_error *err)
{
    probe *p = calloc(1, sizeof(*p));
    if (!p) return host_fail(err, "out of memory starting the probe process"), NULL;
    if (probe_spawn_helper(p, err)) return p;
    free(p);
    return NULL;
}

bool probe_submit(probe *p, const char *path, uint64_t timeout_ms, host_error *err)
{
    p->request.serial++;
    p->request.timeout_ms = timeout_ms;
    snprintf(p->request.path, sizeof(p->request.path), "%s", path);
    p->busy = true;
    p->restarted = false;
    p->submitted_ns = clock_now_ns();
    if (p->helper > 0 && probe_write_all(p->request_fd, &p->request, sizeof(p->request))) return true;
    /* the helper is gone: a new one takes the candidate */
    probe_end_helper(p);
    p->restarted = true;
    bool started = probe_spawn_helper(p, err);
    if (started && probe_write_all(p->request_fd, &p->request, sizeof(p->request))) return true;
    p->busy = false;
    return started ? host_fail(err, "cannot reach the probe process: %s", strerror(errno)) : false;
}

/* The answer when the probe cannot give one. */
static bool probe_fail(probe *p, probe_result *out, const char *why)
{
    memset(out, 0, sizeof(*out));
    out->outcome = PROBE_FAILED;
    snprintf(out->message, sizeof(out->message), "%s", why);
    p->busy = false;
    return true;
}

/* The helper died: a new one gets the candidate again, once. */
static bool probe_restart(probe *p, probe_result *out)
{
    host_error err = {"it died again"};
    bool again = !p->restarted;
    probe_end_helper(p);
    p->restarted = true;
    p->submitted_ns = clock_now_ns();
    if (again && probe_spawn_helper(p, &err) && probe_write_all(p->request_fd, &p->request, sizeof(p->request)))
        return false;
    char why[HOST_ERROR_MAX];
    snprintf(why, sizeof(why), "the probe process died and could not be started again: %.400s", err.msg);
    return probe_fail(p, out, why);
}

/* The helper has not answered long after the child's time was up: something holds it. A new helper
 * is started for the next candidate; this one is not probed again. */
static bool probe_give_up(probe *p, probe_result *out)
{
    host_error err;
    probe_end_helper(p);
    probe_fail(p, out, "the probe process did not answer; it was stopped");
    if (!probe_spawn_helper(p, &err)) snprintf(out->message, sizeof(out->message), "%s", err.msg);
    return true;
}

bool probe_poll(probe *p, probe_result *out)
{
    while (p->busy) {
        ssize_t n = read(p->answer_fd, (char *)&p->answer + p->have, sizeof(p->answer) - p->have);
        if (n > 0) {
            p->have += (size_t)n;
            if (p->have < sizeof(p->answer)) continue;
            p->have = 0;
            if (p->answer.serial != p->request.serial) continue; /* for a candidate given up since */
            *out = p->answer.result;
            out->restarted = p->restarted;
            if (out->outcome == PROBE_CRASHED) crash_name(&out->crash);
            p->busy = false;
            return true;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 || errno != EAGAIN) return probe_restart(p, out);
        if (clock_now_ns() - p->submitted_ns > p->request.timeout_ms * 1000000ull + PROBE_HELPER_GRACE_NS)
            return probe_give_up(p, out);
        return false;
    }
    return false;
}

void probe_wait(probe *p, probe_result *out)
{
    while (p->busy && !probe_poll(p, out)) {
        struct pollfd fd = {p->answer_fd, POLLIN, 0};
        poll(&fd, 1, 100);
    }
}

clock_wake probe_wake(const probe *p) { return (clock_wake){p->answer_fd}; }

void probe_stop(probe *p)
{
    if (!p) return;
    probe_end_helper(p);
    free(p);
}
