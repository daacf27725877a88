/* rebuild.c - the edit-build loop inside the host (rebuild.h). */
#include "rebuild.h"
#include "../os/clock.h"
#include "../os/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rebuild_outputs[] = {".lock", ".result", NULL};
static const char *const rebuild_sources[] = {".c", ".h", ".cpp", ".cc", ".hpp", ".inl", NULL};

/* ---- the first error ---------------------------------------------------------------------------- */

/* Where the file name of a "file:line:" (gcc, clang) or "file(line)" (MSVC) message ends, or NULL. */
static const char *rebuild_file_end(const char *line, const char *end)
{
    for (const char *p = line + 1; p + 1 < end; p++)
        if ((*p == ':' || *p == '(') && p[1] >= '0' && p[1] <= '9') return p;
    return NULL;
}

static bool rebuild_is_error(const char *line, size_t len)
{
    static const char *const marks[] = {": error:", ": fatal error:", ": error C", ": fatal error C", "undefined reference to"};
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        size_t m = strlen(marks[i]);
        for (size_t at = 0; at + m <= len; at++)
            if (memcmp(line + at, marks[i], m) == 0) return true;
    }
    return false;
}

bool rebuild_first_error(const char *output, char *out, size_t cap)
{
    for (const char *line = output; *line;) {
        const char *end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        size_t len = (size_t)(end - line);
        if (rebuild_is_error(line, len)) {
            const char *file_end = rebuild_file_end(line, end), *name = line;
            for (const char *p = line; file_end && p < file_end; p++)
                if (*p == '/' || *p == '\\') name = p + 1;
            size_t n = (size_t)(end - name);
            if (n && name[n - 1] == '\r') n--;
            snprintf(out, cap, "%.*s", (int)n, name);
            return true;
        }
        line = *end ? end + 1 : end;
    }
    return false;
}

/* ---- events ------------------------------------------------------------------------------------- */

static void rebuild_event_started(rebuild *b, const char *by)
{
    if (b->building) return;
    b->building = true;
    b->started_ns = clock_now_ns();
    event e = event_begin(b->events, "build");
    event_str(&e, "state", "started");
    event_str(&e, "by", by);
    event_end(b->events, &e);
}

/* The outcome of a build: `output` is what the compiler said. */
static void rebuild_event_done(rebuild *b, bool ok, const char *output, const char *by)
{
    char first[512] = "";
    bool has_error = !ok && rebuild_first_error(output, first, sizeof(first));
    if (!ok && !has_error) snprintf(first, sizeof(first), "%.400s", output[0] ? output : "no compiler output");
    event e = event_begin(b->events, "build");
    event_str(&e, "state", ok ? "ok" : "failed");
    event_str(&e, "by", by);
    if (b->building) event_num(&e, "ms", (double)(clock_now_ns() - b->started_ns) / 1e6);
    if (!ok) event_str(&e, "error", first);
    if (output[0]) event_str(&e, "output", output);
    event_end(b->events, &e);
    if (!ok) event_say(b->events, "build failed: %s (the last good version keeps running)", first);
    b->building = false;
}

/* A whole text file, NUL-terminated (free it); NULL when it cannot be read. */
static char *rebuild_read_text(const char *path)
{
    host_error err;
    uint64_t size = 0;
    char *data = fs_read_file(path, &size, &err);
    char *text = data ? realloc(data, size + 1) : NULL;
    if (!text) {
        free(data);
        return NULL;
    }
    text[size] = 0;
    return text;
}

/* A result file that changed since it was last read: the build's outcome. False when unchanged. */
static bool rebuild_take_result(rebuild *b, const char *by)
{
    fs_identity now = fs_identity_of(b->result_path);
    if (!now.exists || fs_identity_equal(now, b->result)) return false;
    b->result = now;
    char *text = rebuild_read_text(b->result_path);
    if (!text) return false;
    char *nl = strchr(text, '\n');
    const char *output = nl ? nl + 1 : "";
    if (nl) *nl = 0;
    bool ok = strcmp(text, "ok") == 0 || strcmp(text, "ok\r") == 0;
    rebuild_event_done(b, ok, output, by);
    free(text);
    return true;
}

/* ---- the host's own builds ---------------------------------------------------------------------- */

static void rebuild_run(rebuild *b)
{
    host_error err;
    b->queued = false;
    b->running = command_start(b->cfg.command, b->log_path, &err);
    if (!b->running) {
        event_warn(b->events, "--watch: %s; check --build-command", err.msg);
        return;
    }
    rebuild_event_started(b, "host");
}

/* The host's build exited: its result file says how it went, or, when the command never wrote
 * one (no engine found, a script error), its own output does. */
static void rebuild_finished(rebuild *b, int status)
{
    command_stop(b->running);
    b->running = NULL;
    if (rebuild_take_result(b, "host")) return;
    char *log = rebuild_read_text(b->log_path);
    if (status != 0) rebuild_event_done(b, false, log ? log : "", "host");
    else b->building = false; /* nothing was built: the game was up to date */
    free(log);
}

/* ---- the frame ---------------------------------------------------------------------------------- */

void rebuild_poll(rebuild *b)
{
    watch_change change;
    if (b->sources && watch_take(b->sources, &change)) {
        b->queued = true;
        b->saved_ns = clock_now_ns();
    }
    if (b->queued && !b->running && clock_now_ns() - b->saved_ns >= REBUILD_DEBOUNCE_NS) rebuild_run(b);
    int status;
    if (b->running && command_done(b->running, &status)) rebuild_finished(b, status);
    if (!b->outputs || !watch_take(b->outputs, &change)) return;
    if (fs_exists(b->lock_path)) rebuild_event_started(b, b->running ? "host" : "script");
    else rebuild_take_result(b, b->running ? "host" : "script");
}

bool rebuild_start(rebuild *b, const rebuild_config *cfg, event_log *events, host_error *err)
{
    memset(b, 0, sizeof(*b));
    b->cfg = *cfg;
    b->events = events;
    snprintf(b->lock_path, sizeof(b->lock_path), "%s.lock", cfg->library);
    snprintf(b->result_path, sizeof(b->result_path), "%s.result", cfg->library);
    snprintf(b->log_path, sizeof(b->log_path), "%s.watch.log", cfg->library);
    b->result = fs_identity_of(b->result_path); /* a result from before the start is old news */
    char dir[FS_PATH_MAX];
    const char *slash = NULL;
    for (const char *p = cfg->library; *p; p++)
        if (*p == '/' || *p == '\\') slash = p;
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - cfg->library) : 1, slash ? cfg->library : ".");
    b->outputs = watch_start_folder(dir, rebuild_outputs, cfg->poll, err);
    if (!b->outputs) return false;
    if (!cfg->sources) return true;
    b->sources = watch_start_folder(cfg->sources, rebuild_sources, cfg->poll, err);
    return b->sources != NULL;
}

void rebuild_stop(rebuild *b)
{
    command_stop(b->running);
    b->running = NULL;
    watch_stop(b->sources);
    watch_stop(b->outputs);
    b->sources = b->outputs = NULL;
}
