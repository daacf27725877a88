/* load.h - one build, from its bytes to an opened, validated copy: the image checked before the OS
 * loader sees it (os/loader.h), written to a fresh name in the private copy folder, opened, its
 * entry point called under the crash guard (game_get_api is game code: a build whose entry point
 * crashes is refused like any other bad build) and the table it returns checked against this host's
 * ABI and the layout rules. Nothing here touches the running code or the block. */
#ifndef LOAD_H
#define LOAD_H

#include "../os/loader.h"

/* A copy named copy_dir/game.<number>.<random><suffix> of `image`, opened and validated into *out;
 * false with the reason (the copy removed). */
bool load_bytes(const char *copy_dir, uint64_t number, const void *image, uint64_t size, loader_lib *out,
                host_error *err);
/* The game linked into the executable (the release build). */
bool load_linked(loader_lib *out, host_error *err);

#endif
