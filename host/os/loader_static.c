/* loader_static.c - the release build: the game is linked into the executable, nothing to load. */
#include "loader.h"

#include <string.h>

const char *const loader_library_suffix = "";
const char *const loader_library_file = "";

bool loader_open(const char *path, loader_lib *out, host_error *err)
{
    (void)path;
    (void)err;
    memset(out, 0, sizeof(*out));
    out->entry = game_get_api;
    return true;
}

bool loader_check_image(const void *data, uint64_t size, host_error *err)
{
    (void)data;
    (void)size;
    (void)err;
    return true;
}

bool loader_find_image(const char *path, uintptr_t *start, uintptr_t *end)
{
    (void)path;
    *start = *end = 0;
    return false;
}

void loader_close(loader_lib *lib) { lib->api = NULL; }

bool loader_verify_unloaded(const loader_lib *lib, host_error *err)
{
    (void)lib;
    (void)err;
    return true;
}
