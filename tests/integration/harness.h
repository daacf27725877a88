/* harness.h - drives the real host process against real game libraries built by the real build
 * script, for the integration tests: copy a game, build it, start the host, wait for events in its
 * event log, edit sources, replace libraries, stop the host. */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HARNESS_PATH 1024

typedef struct harness_game {
    char dir[HARNESS_PATH]; /* a private copy of the game's folder */
    char top[HARNESS_PATH]; /* the temporary folder that holds it, removed with it */
    char lib[HARNESS_PATH + 64]; /* dir/build/libgame.so */
} harness_game;

typedef struct harness_host {
    pid_t pid;
    char events[HARNESS_PATH];
    char output[HARNESS_PATH]; /* the host's stdout and stderr (with a terminal: what it wrote there) */
    int tty;                   /* harness_tty_start: the terminal's master side, else 0 */
    unsigned long reader;      /* the thread that reads (and drops) what the host draws */
} harness_host;

/* A test program's end: `return harness_finish(cmocka_run_group_tests(...))`. Kills the hosts still
 * running (a failed test leaves its host behind) and removes their event logs and output, unless
 * a test failed: then it says where they are. Returns `failed`. */
int harness_finish(int failed);

/* The engine checkout (ENGINE_ROOT, else the current folder). */
const char *harness_root(void);
/* The host executable under test: HOST_BIN, else ENGINE_ROOT/build/host. */
const char *harness_host_path(void);

/* Copies ENGINE_ROOT/<rel> (e.g. "tests/games/probe") to a new temporary folder. */
bool harness_game_copy(const char *rel, harness_game *g);
/* The same, three levels below a new empty temporary folder, so that nothing near the copy looks
 * like an engine checkout (a game's build script searches its parents and their neighbours). */
bool harness_game_copy_isolated(const char *rel, harness_game *g);
/* ./build.sh game DIR; returns its exit status. */
int harness_game_build(const harness_game *g);
void harness_game_remove(harness_game *g);
/* Replaces `from` with `to` (first occurrence) in DIR/<file>; false if `from` is absent. */
bool harness_edit(const harness_game *g, const char *file, const char *from, const char *to);
/* Sets the line "#define NAME ..." of DIR/<file> to "#define NAME value"; false if there is none. */
bool harness_define(const harness_game *g, const char *file, const char *name, const char *value);
/* Puts `src` at the library path the way a build does: write a temporary name, then rename. A
 * trailer makes each copy byte-distinct. */
bool harness_put_library(const harness_game *g, const char *src);
bool harness_put_bytes(const harness_game *g, const void *data, size_t size);
bool harness_copy_file(const char *src, const char *dst);
/* The whole file, NUL-terminated, malloc'd (free it); its length in *len (may be NULL). NULL if unreadable. */
char *harness_read(const char *path, size_t *len);

/* An X server of its own for window tests: Xvfb on the first free display of HOTBLOCK_DISPLAYS
 * ("40-49"), or on any free one Xvfb picks (-displayfd). */
typedef struct harness_xvfb {
    pid_t pid;
    char display[16]; /* ":40" */
} harness_xvfb;

bool harness_xvfb_start(harness_xvfb *x, int width, int height);
void harness_xvfb_stop(harness_xvfb *x);
/* Runs a program (xdotool, import) against the server; like harness_run. */
int harness_x(const harness_xvfb *x, const char *const *argv, char *out, size_t cap);

/* Starts build/host --headless --events FILE [args...] LIB (args NULL-terminated). */
bool harness_host_start(harness_host *h, const char *lib, const char *const *args);
/* The host in a window on the X server (SDL's x11 video driver, its dummy audio driver):
 * build/host --events FILE [args...] LIB. Waits for the load. */
bool harness_window_start(harness_host *h, const harness_xvfb *x, const char *lib, const char *const *args);
typedef enum harness_debugger { HARNESS_GDB, HARNESS_LLDB } harness_debugger;
/* The host under a debugger in batch mode running SCRIPT: gdb -batch -nx -x SCRIPT --args HOST ...,
 * or lldb -b -s SCRIPT -- HOST ...; then --headless --events FILE [args...] LIB. The debugger's own
 * output goes to h->output. Does not wait for the load. */
bool harness_debug_start(harness_host *h, harness_debugger d, const char *script, const char *lib,
                         const char *const *args);
/* The host in a pseudo-terminal instead of --headless, so that it reads keys (harness_tty_keys):
 * --events FILE [args...] LIB; waits for the load. What it draws is read and dropped. */
bool harness_tty_start(harness_host *h, const char *lib, const char *const *args);
/* Types keys into the host's terminal. */
bool harness_tty_keys(const harness_host *h, const char *keys);
/* Waits up to timeout_ms for the process to end; its exit status, or -1000 (killed) on timeout. */
int harness_host_wait(harness_host *h, int timeout_ms);
/* SIGTERM, then waits; returns the exit status (or -signal). */
int harness_host_stop(harness_host *h);
bool harness_host_alive(const harness_host *h);
/* Runs the host to completion with args (NULL-terminated); returns the exit status and puts
 * stdout+stderr in out (may be NULL). */
int harness_run(const char *const *argv, char *out, size_t cap);

/* Events named `name` in the log so far. */
int harness_count(const harness_host *h, const char *name);
/* Waits up to timeout_ms for at least `count` events named `name`. */
bool harness_wait(const harness_host *h, const char *name, int count, int timeout_ms);
/* The n-th (0-based) event line named `name` whose text contains `needle` (NULL: any); NULL if none.
 * The result lives until the next call. */
const char *harness_event(const harness_host *h, const char *name, const char *needle, int n);
/* Waits for the n-th such event. */
const char *harness_wait_event(const harness_host *h, const char *name, const char *needle, int n, int timeout_ms);

/* Reads on from *offset (a byte position in the event log, 0 at first) to the next event named
 * `name` whose text contains `needle` (NULL: any), waiting up to timeout_ms; moves *offset past it.
 * For long runs: each call reads only what is new. The result lives until the next call. */
const char *harness_next_event(const harness_host *h, const char *name, const char *needle, long *offset,
                               int timeout_ms);

/* Resident memory of a process in KiB (VmRSS), -1 if unknown. */
long harness_rss_kib(pid_t pid);

/* A field of a JSON event line or of a log message ("key=value"); copies the value into out. */
bool harness_field(const char *line, const char *key, char *out, size_t cap);
/* The same as a number (hex or decimal). */
uint64_t harness_field_u64(const char *line, const char *key);

void harness_sleep_ms(int ms);
/* Open descriptors, mapped ranges of files under `path_part`, of a process. */
int harness_fd_count(pid_t pid);
int harness_map_count(pid_t pid, const char *path_part);
/* The folder that holds the host's library copies (found through its mappings). */
bool harness_copy_dir(pid_t pid, char *out, size_t cap);
/* Files in the folder that holds the host's library copies (found through its mappings); -1 if none. */
int harness_copy_dir_files(pid_t pid);
/* The same once it is down to `want` (the host deletes an old copy at the frame after a reload), or
 * what is there after timeout_ms. */
int harness_copy_dir_files_settled(pid_t pid, int want, int timeout_ms);

#endif
