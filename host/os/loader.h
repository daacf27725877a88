/* loader.h - opening and closing one copy of a game library (loader_posix.c, loader_win32.c,
 * loader_static.c for the release build). Copying and validating are the caller's (host.c). */
#ifndef LOADER_H
#define LOADER_H

#include "../base/error.h"
#include "fs.h"
#include "../api/game_api.h"

typedef struct loader_lib {
    void *handle;
    char path[FS_PATH_MAX + 64]; /* the copy that was opened */
    game_get_api_fn *entry; /* the library's game_get_api: the host calls it, under the crash guard */
    const game_api *api;    /* what entry returned */
    uintptr_t image_start; /* the library's mapped image, for stale-pointer checks */
    uintptr_t image_end;
    bool no_delete; /* built so that it can never be unloaded (-z nodelete) */
    bool has_tls;   /* has thread-local storage, which can keep it mapped */
} loader_lib;

/* Checks a library's bytes before the OS loader sees them: a complete image for this machine.
 * (The OS loader dies with SIGBUS on a truncated file instead of failing.) Pure: no I/O. */
bool loader_check_image(const void *data, uint64_t size, host_error *err);

/* Opens the (checked) library at `path` and finds its entry point (not called: that is game code).
 * err carries the OS loader's own message on failure (missing entry point, unresolved symbol, ...). */
bool loader_open(const char *path, loader_lib *out, host_error *err);

/* Where the library opened from `path` is mapped, found by its path: for a library whose loading
 * never returned (a constructor crashed in it). False when no library of that path is loaded. */
bool loader_find_image(const char *path, uintptr_t *start, uintptr_t *end);

/* Unloads it. */
void loader_close(loader_lib *lib);

/* After loader_close: false, with the reason in err, when the library is still mapped. */
bool loader_verify_unloaded(const loader_lib *lib, host_error *err);

extern const char *const loader_library_suffix; /* ".so" or ".dll" */
/* The file name a build writes: "libgame.so" / "game.dll". */
extern const char *const loader_library_file;

#endif
