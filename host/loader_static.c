/* loader_static.c - the release build: the game is linked into the executable, nothing to load. */
#include "loader.h"

#include <string.h>

const char *const loader_library_suffix = "";

bool loader_open(const char *path, loader_lib *out, host_error *err)
{
    (void)path;
    (void)err;
    memset(out, 0, sizeof(*out));
    out->api = game_get_api(GAME_API_VERSION);
    return true;
}

bool loader_close(loader_lib *lib, host_error *err)
{
    (void)err;
    lib->api = NULL;
    return true;
}
