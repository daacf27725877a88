/* watch_win32.c - FindFirstChangeNotification on the library's folder in a thread, polling as the
 * fallback. The notification does not say which file changed; the thread compares the library's
 * identity (file ID, size, mtime) after every wake, which also ignores the build's other files. */
#include "watch.h"
#include "clock.h"
#include "util_win32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_POLL_MS 50
#define WATCH_DIR_CHECK_MS 500 /* how often a quiet watch checks that its folder is still the same one */
/* a rename into place is a FILE_NAME change; LAST_WRITE and SIZE catch a build that writes in place */
#define WATCH_FILTER (FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_LAST_WRITE | FILE_NOTIFY_CHANGE_SIZE)

struct watch {
    char path[FS_PATH_MAX];
    char dir[FS_PATH_MAX];
    const char *const *suffixes; /* watching a folder: its names that end in one of these */
    HANDLE change;               /* the folder's change notification; INVALID_HANDLE_VALUE when polling */
    uint64_t dir_id;             /* the folder's file ID when the notification was set up */
    HANDLE stop;                 /* event: watch_stop asks the thread to end */
    HANDLE wake;                 /* event, set on a change until the next take: for a frame loop that sleeps */
    HANDLE thread;
    SRWLOCK lock;
    fs_identity seen;            /* last identity reported, owned by the thread */
    watch_change latest;         /* guarded by lock */
    uint64_t taken;              /* count at the last take, owned by the frame loop */
    volatile LONG64 published;   /* latest.count, readable without the lock */
    volatile LONG polling;       /* the thread polls (no notification, or it lost the folder) */
};

static fs_identity watch_identity(const watch *w)
{
    return w->suffixes ? fs_folder_identity(w->dir, w->suffixes) : fs_identity_of(w->path);
}

static void watch_record(watch *w)
{
    fs_identity id = watch_identity(w);
    if (!id.exists || fs_identity_equal(id, w->seen)) return;
    w->seen = id;
    AcquireSRWLockExclusive(&w->lock);
    w->latest.count++;
    w->latest.identity = id;
    w->latest.detect_ms = (double)(clock_wall_ns() - id.mtime_ns) / 1e6;
    w->latest.noticed_ns = clock_now_ns();
    InterlockedExchange64(&w->published, (LONG64)w->latest.count);
    ReleaseSRWLockExclusive(&w->lock);
    SetEvent(w->wake);
}

static void watch_fall_back(watch *w)
{
    if (w->change != INVALID_HANDLE_VALUE) FindCloseChangeNotification(w->change);
    w->change = INVALID_HANDLE_VALUE;
    InterlockedExchange(&w->polling, 1);
}

/* The folder's volume serial and file ID; 0 when it cannot be opened (gone, or being deleted). */
static uint64_t watch_dir_id(const char *dir)
{
    HANDLE d = CreateFileA(dir, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                           FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (d == INVALID_HANDLE_VALUE) return 0;
    BY_HANDLE_FILE_INFORMATION info;
    bool ok = GetFileInformationByHandle(d, &info);
    CloseHandle(d);
    if (!ok) return 0;
    uint64_t index = (uint64_t)info.nFileIndexHigh << 32 | info.nFileIndexLow;
    return (index ^ (uint64_t)info.dwVolumeSerialNumber << 40) | 1; /* never 0 */
}

static DWORD WINAPI watch_thread(void *arg)
{
    watch *w = arg;
    for (;;) {
        bool polling = w->change == INVALID_HANDLE_VALUE;
        HANDLE handles[2] = {w->stop, w->change};
        DWORD r = WaitForMultipleObjects(polling ? 1 : 2, handles, FALSE, polling ? WATCH_POLL_MS : WATCH_DIR_CHECK_MS);
        if (r == WAIT_OBJECT_0) break;
        if (r == WAIT_TIMEOUT && !polling) {
            /* a removed (or removed and re-made) folder does not always signal: notice it here */
            if (watch_dir_id(w->dir) == w->dir_id) continue;
            watch_fall_back(w);
        }
        /* re-arm before looking, so a change that lands while we look wakes us again */
        if (r == WAIT_OBJECT_0 + 1 && !FindNextChangeNotification(w->change)) watch_fall_back(w); /* folder gone */
        if (r == WAIT_FAILED) watch_fall_back(w);
        watch_record(w);
    }
    return 0;
}

/* The folder part of path: "." for a bare name, and a drive root keeps its separator. */
static void watch_split_dir(const char *path, char *dir, size_t cap)
{
    const char *sep = NULL;
    for (const char *c = path; *c; c++)
        if (*c == '/' || *c == '\\') sep = c;
    if (!sep) snprintf(dir, cap, ".");
    else if (sep == path || sep[-1] == ':') snprintf(dir, cap, "%.*s", (int)(sep - path + 1), path);
    else snprintf(dir, cap, "%.*s", (int)(sep - path), path);
}

/* Starts the thread on a watch whose path, dir and suffixes are set. */
static watch *watch_begin(watch *w, bool force_polling, host_error *err)
{
    w->seen = watch_identity(w);
    InitializeSRWLock(&w->lock);
    w->dir_id = watch_dir_id(w->dir);
    w->change = force_polling || !w->dir_id ? INVALID_HANDLE_VALUE
                                            : FindFirstChangeNotificationA(w->dir, FALSE, WATCH_FILTER);
    w->polling = w->change == INVALID_HANDLE_VALUE;
    w->stop = CreateEventA(NULL, TRUE, FALSE, NULL);
    w->wake = CreateEventA(NULL, TRUE, FALSE, NULL);
    w->thread = w->stop && w->wake ? CreateThread(NULL, 0, watch_thread, w, 0, NULL) : NULL;
    if (!w->thread) {
        DWORD code = GetLastError();
        if (w->stop) CloseHandle(w->stop);
        if (w->wake) CloseHandle(w->wake);
        if (w->change != INVALID_HANDLE_VALUE) FindCloseChangeNotification(w->change);
        free(w);
        return host_fail(err, "cannot start the file watch thread: %s", win32_error_text(code).s), NULL;
    }
    return w;
}

watch *watch_start(const char *path, bool force_polling, host_error *err)
{
    watch *w = calloc(1, sizeof(*w));
    if (!w) return host_fail(err, "out of memory starting the file watch"), NULL;
    snprintf(w->path, sizeof(w->path), "%s", path);
    watch_split_dir(w->path, w->dir, sizeof(w->dir));
    return watch_begin(w, force_polling, err);
}

watch *watch_start_folder(const char *dir, const char *const *suffixes, bool force_polling, host_error *err)
{
    watch *w = calloc(1, sizeof(*w));
    if (!w) return host_fail(err, "out of memory starting the file watch"), NULL;
    snprintf(w->path, sizeof(w->path), "%s", dir);
    snprintf(w->dir, sizeof(w->dir), "%s", dir);
    w->suffixes = suffixes;
    return watch_begin(w, force_polling, err);
}

bool watch_take(watch *w, watch_change *out)
{
    if ((uint64_t)InterlockedCompareExchange64(&w->published, 0, 0) == w->taken) return false; /* an atomic read */
    ResetEvent(w->wake);
    AcquireSRWLockExclusive(&w->lock);
    *out = w->latest;
    ReleaseSRWLockExclusive(&w->lock);
    w->taken = out->count;
    return true;
}

bool watch_is_polling(const watch *w) { return w->polling != 0; } /* an aligned LONG reads whole */

clock_wake watch_wake(const watch *w) { return (clock_wake){(intptr_t)w->wake}; }

void watch_stop(watch *w)
{
    if (!w) return;
    SetEvent(w->stop);
    WaitForSingleObject(w->thread, INFINITE);
    CloseHandle(w->thread);
    CloseHandle(w->stop);
    CloseHandle(w->wake);
    if (w->change != INVALID_HANDLE_VALUE) FindCloseChangeNotification(w->change);
    free(w);
}
