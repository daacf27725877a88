/* watch_posix.c - inotify on the library's folder in a thread, polling as the fallback. */
#include "watch.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define WATCH_POLL_MS 50

struct watch {
    char path[FS_PATH_MAX];
    char dir[FS_PATH_MAX];
    const char *name; /* the file name inside dir; NULL when watching a folder */
    const char *const *suffixes; /* a folder's watched names end in one of these */
    int inotify_fd;   /* -1 when polling */
    int stop_pipe[2];
    int wake_pipe[2];        /* a byte per change, for a frame loop that sleeps (non-blocking) */
    pthread_t thread;
    pthread_mutex_t lock;
    fs_identity seen;        /* last identity reported, owned by the thread */
    watch_change latest;     /* guarded by lock */
    uint64_t taken;          /* count at the last take, owned by the frame loop */
    uint64_t published;      /* atomic: latest.count, readable without the lock */
    bool polling;            /* atomic: the thread polls (no inotify, or it lost the folder) */
};

static void watch_record(watch *w)
{
    fs_identity id = w->name ? fs_identity_of(w->path) : fs_folder_identity(w->dir, w->suffixes);
    if (!id.exists || fs_identity_equal(id, w->seen)) return;
    w->seen = id;
    pthread_mutex_lock(&w->lock);
    w->latest.count++;
    w->latest.identity = id;
    w->latest.detect_ms = (double)(clock_wall_ns() - id.mtime_ns) / 1e6;
    w->latest.noticed_ns = clock_now_ns();
    __atomic_store_n(&w->published, w->latest.count, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&w->lock);
    (void)!write(w->wake_pipe[1], "c", 1); /* full: the frame loop has not drained it yet, which is as good */
}

/* True when an event in buf concerns the library's file name. */
static bool watch_events_match(watch *w, const char *buf, ssize_t len)
{
    bool hit = false;
    for (const char *p = buf; p < buf + len;) {
        const struct inotify_event *e = (const struct inotify_event *)p;
        /* a lost event (queue overflow) may have been ours: check the file */
        bool ours = e->len && (w->name ? strcmp(e->name, w->name) == 0 : fs_name_has_suffix(e->name, w->suffixes));
        if (ours || (e->mask & IN_Q_OVERFLOW)) hit = true;
        if (e->mask & IN_IGNORED) {
            /* the folder itself went away: continue by polling */
            close(w->inotify_fd);
            w->inotify_fd = -1;
            __atomic_store_n(&w->polling, true, __ATOMIC_RELAXED);
        }
        p += sizeof(struct inotify_event) + e->len;
    }
    return hit;
}

static void *watch_thread(void *arg)
{
    watch *w = arg;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        struct pollfd fds[2] = {{w->stop_pipe[0], POLLIN, 0}, {w->inotify_fd, POLLIN, 0}};
        int n = poll(fds, w->inotify_fd >= 0 ? 2 : 1, w->inotify_fd >= 0 ? -1 : WATCH_POLL_MS);
        if (n < 0 && errno != EINTR) break;
        if (fds[0].revents) break;
        if (w->inotify_fd < 0) {
            watch_record(w);
            continue;
        }
        if (fds[1].revents & POLLIN) {
            ssize_t len = read(w->inotify_fd, buf, sizeof(buf));
            if (len > 0 && watch_events_match(w, buf, len)) watch_record(w);
        }
    }
    return NULL;
}

/* Starts the thread on a watch whose dir, name and suffixes are set. */
static watch *watch_begin(watch *w, bool force_polling, host_error *err)
{
    w->seen = w->name ? fs_identity_of(w->path) : fs_folder_identity(w->dir, w->suffixes);
    pthread_mutex_init(&w->lock, NULL);
    w->inotify_fd = -1;
    uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ATTRIB | (w->name ? 0 : IN_DELETE | IN_MOVED_FROM);
    if (!force_polling) {
        w->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (w->inotify_fd >= 0 && inotify_add_watch(w->inotify_fd, w->dir, mask) < 0) {
            close(w->inotify_fd);
            w->inotify_fd = -1;
        }
    }
    w->polling = w->inotify_fd < 0;
    if (pipe2(w->stop_pipe, O_CLOEXEC) != 0) {
        free(w);
        return host_fail(err, "cannot start the file watch: %s", strerror(errno)), NULL;
    }
    if (pipe2(w->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        close(w->stop_pipe[0]);
        close(w->stop_pipe[1]);
        free(w);
        return host_fail(err, "cannot start the file watch: %s", strerror(errno)), NULL;
    }
    if (pthread_create(&w->thread, NULL, watch_thread, w) != 0) {
        close(w->stop_pipe[0]);
        close(w->stop_pipe[1]);
        close(w->wake_pipe[0]);
        close(w->wake_pipe[1]);
        if (w->inotify_fd >= 0) close(w->inotify_fd);
        free(w);
        return host_fail(err, "cannot start the file watch thread"), NULL;
    }
    return w;
}

watch *watch_start(const char *path, bool force_polling, host_error *err)
{
    watch *w = calloc(1, sizeof(*w));
    if (!w) return host_fail(err, "out of memory starting the file watch"), NULL;
    snprintf(w->path, sizeof(w->path), "%s", path);
    const char *slash = strrchr(w->path, '/');
    w->name = slash ? slash + 1 : w->path;
    if (!slash) strcpy(w->dir, ".");
    else if (slash == w->path) strcpy(w->dir, "/");
    else snprintf(w->dir, sizeof(w->dir), "%.*s", (int)(slash - w->path), w->path);
    return watch_begin(w, force_polling, err);
}

watch *watch_start_folder(const char *dir, const char *const *suffixes, bool force_polling, host_error *err)
{
    watch *w = calloc(1, sizeof(*w));
    if (!w) return host_fail(err, "out of memory starting the file watch"), NULL;
    snprintf(w->dir, sizeof(w->dir), "%s", dir);
    snprintf(w->path, sizeof(w->path), "%s", dir);
    w->suffixes = suffixes;
    return watch_begin(w, force_polling, err);
}

bool watch_take(watch *w, watch_change *out)
{
    if (__atomic_load_n(&w->published, __ATOMIC_ACQUIRE) == w->taken) return false;
    char drain[64];
    while (read(w->wake_pipe[0], drain, sizeof(drain)) > 0) {
    }
    pthread_mutex_lock(&w->lock);
    *out = w->latest;
    pthread_mutex_unlock(&w->lock);
    w->taken = out->count;
    return true;
}

clock_wake watch_wake(const watch *w) { return (clock_wake){w->wake_pipe[0]}; }

bool watch_is_polling(const watch *w) { return __atomic_load_n(&w->polling, __ATOMIC_RELAXED); }

void watch_stop(watch *w)
{
    if (!w) return;
    (void)!write(w->stop_pipe[1], "x", 1);
    pthread_join(w->thread, NULL);
    close(w->stop_pipe[0]);
    close(w->stop_pipe[1]);
    close(w->wake_pipe[0]);
    close(w->wake_pipe[1]);
    if (w->inotify_fd >= 0) close(w->inotify_fd);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
