/* load.h - one build, from its bytes to an opened, validated copy: the image checked before the OS
 * loader sees it (os/loader.h), written to a fresh name in the private copy folder, opened, its
 * entry point called under the crash guard (game_get_api is game code: a build whose entry point
 * crashes is refused like any other bad build) and the table it returns checked against this host's
 * ABI and the layout rules. Nothing here touches the running code or the block.
 *
 * The same check runs first in the probe process (os/probe.h): load_probe_check is what the probe
 * does with a copy, and load_probe_reason turns the probe's answer into the reason a refused build
 * is given ("library constructor crashed: SIGSEGV (invalid memory access) in boom+0x4 (boom.c:12)"). */
#ifndef LOAD_H
#define LOAD_H

#include "../os/loader.h"
#include "../os/probe.h"

/* Writes `image` to a new copy named copy_dir/game.<number>.<random><suffix>; its path in `copy`. */
bool load_copy(const char *copy_dir, uint64_t number, const void *image, uint64_t size, char *copy, size_t cap,
               host_error *err);
/* Opens the copy at `path` (whose bytes are `image`) and validates it into *out; false with the
 * reason (the copy is left for the caller). */
bool load_open(const char *path, const void *image, uint64_t size, loader_lib *out, host_error *err);
/* load_copy and load_open; the copy removed on failure. */
bool load_bytes(const char *copy_dir, uint64_t number, const void *image, uint64_t size, loader_lib *out,
                host_error *err);
/* The game linked into the executable (the release build). */
bool load_linked(loader_lib *out, host_error *err);

/* In the probe: opens the copy, calls its entry point and validates the table (a probe_check_fn). */
bool load_probe_check(const char *path, probe_progress *p, host_error *err);
/* Why a probed copy (`path`, whose bytes are `image`) is refused, from the probe's answer; false
 * when it passed. */
bool load_probe_reason(const probe_result *r, const char *path, const void *image, uint64_t size,
                       uint64_t timeout_ms, host_error *err);

#endif
