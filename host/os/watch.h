/* watch.h - noticing that the game library was rebuilt (watch_posix.c, watch_win32.c).
 *
 * A background thread waits for the OS to report a change to the library's folder (inotify,
 * ReadDirectoryChangesW) and falls back to polling the file's identity every 50 ms. The frame loop
 * only reads a counter: no system call per frame. */
#ifndef WATCH_H
#define WATCH_H

#include "../base/error.h"
#include "clock.h"
#include "fs.h"

typedef struct watch watch;

typedef struct watch_change {
    uint64_t count;      /* changes seen since the watch started */
    double detect_ms;    /* from the file's new mtime to the watch noticing it */
    uint64_t noticed_ns; /* when the watch noticed it (clock_now_ns) */
    fs_identity identity;
} watch_change;

/* Starts watching `path`; polling is used when the OS facility is missing or `force_polling`. */
watch *watch_start(const char *path, bool force_polling, host_error *err);
/* Watches the files of the folder `dir` whose names end in one of `suffixes` (NULL-terminated, kept
 * by the caller): a change is any of them written, added, renamed or removed (fs_folder_identity);
 * subfolders are not watched. */
watch *watch_start_folder(const char *dir, const char *const *suffixes, bool force_polling, host_error *err);
/* True when the file changed since the last take; fills `out` with the latest change. */
bool watch_take(watch *w, watch_change *out);
/* Ready (clock_sleep_until_woken) from a change until the next watch_take. */
clock_wake watch_wake(const watch *w);
bool watch_is_polling(const watch *w);
void watch_stop(watch *w);

#endif
