/* probe_win32.c - the probe on Windows (probe.h). Windows has no fork: every candidate gets a process
 * of its own, host.exe started in probe mode with CreateProcess ("host.exe --probe-helper COPY"),
 * which loads the copy (its DllMain runs), calls its entry point, checks the table and writes its
 * records to a pipe; the host reads them as they come, and kills a probe that overruns its time.
 * The probe ends with TerminateProcess, never ExitProcess: after a crash in DllMain the loader lock
 * is still held, and ExitProcess would call every DllMain again under it. */
#include "probe.h"
#include "clock.h"
#include "util_win32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_PIPE_SIZE (64u * 1024u) /* every record a probe writes fits: it never blocks on the host */
#define PROBE_WAIT_STEP_MS 20

struct probe {
    char exe[MAX_PATH];
    bool busy;
    PROCESS_INFORMATION pi;
    HANDLE records; /* the read end of the probe's stdout */
    uint64_t submitted_ns;
    uint64_t timeout_ms;
    probe_record last; /* the last whole record read */
    probe_record reading;
    size_t have;
};

/* ---- the probe's side ------------------------------------------------------------------------ */

static void probe_emit(void *ctx, const probe_record *r)
{
    DWORD written;
    WriteFile((HANDLE)ctx, r, (DWORD)sizeof(*r), &written, NULL);
}

bool probe_mode(int argc, char **argv) { return argc == 3 && strcmp(argv[1], PROBE_ARG) == 0; }

int probe_serve(int argc, char **argv, probe_check_fn *check)
{
    (void)argc;
    probe_run_check(argv[2], 0, 0, check, probe_emit, GetStdHandle(STD_OUTPUT_HANDLE)); /* the host keeps the time */
    TerminateProcess(GetCurrentProcess(), 0);
    return 0;
}

/* ---- the host's side -------------------------------------------------------------------------- */

probe *probe_start(host_error *err)
{
    probe *p = calloc(1, sizeof(*p));
    if (!p) return host_fail(err, "out of memory starting the probe"), NULL;
    DWORD n = GetModuleFileNameA(NULL, p->exe, sizeof(p->exe));
    if (n && n < sizeof(p->exe)) return p;
    free(p);
    return host_fail(err, "cannot find the host executable's path for the probe: %s; pass --no-probe",
                     win32_error_text(GetLastError()).s), NULL;
}

static void probe_close(probe *p)
{
    if (!p->busy) return;
    if (WaitForSingleObject(p->pi.hProcess, 0) != WAIT_OBJECT_0) {
        TerminateProcess(p->pi.hProcess, 1);
        WaitForSingleObject(p->pi.hProcess, INFINITE);
    }
    CloseHandle(p->pi.hProcess);
    CloseHandle(p->pi.hThread);
    CloseHandle(p->records);
    p->busy = false;
}

/* Starts the probe process on `path`, its stdout a pipe to us and its stderr the null device. */
static bool probe_launch(probe *p, const char *path, host_error *err)
{
    SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, TRUE};
    HANDLE write_end, nul = CreateFileA("NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                                        OPEN_EXISTING, 0, NULL);
    if (!CreatePipe(&p->records, &write_end, &sa, PROBE_PIPE_SIZE)) {
        if (nul != INVALID_HANDLE_VALUE) CloseHandle(nul);
        return host_fail(err, "cannot start the probe: %s", win32_error_text(GetLastError()).s);
    }
    SetHandleInformation(p->records, HANDLE_FLAG_INHERIT, 0);
    char cmdline[MAX_PATH + FS_PATH_MAX + 96];
    snprintf(cmdline, sizeof(cmdline), "\"%s\" %s \"%s\"", p->exe, PROBE_ARG, path);
    STARTUPINFOA si = {.cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES, .hStdInput = nul, .hStdOutput = write_end,
                       .hStdError = nul};
    /* a start can fail for a moment (a scanner holding host.exe; Wine's server busy: "internal
     * error"): two more tries before the probe is given up */
    bool ok = false;
    DWORD code = 0;
    for (int attempt = 0; attempt < 3 && !ok; attempt++) {
        if (attempt) Sleep(50);
        ok = CreateProcessA(p->exe, cmdline, NULL, NULL, TRUE, CREATE_NO_WINDOW, NULL, NULL, &si, &p->pi);
        code = GetLastError();
    }
    CloseHandle(write_end);
    if (nul != INVALID_HANDLE_VALUE) CloseHandle(nul);
    if (ok) return true;
    CloseHandle(p->records);
    return host_fail(err, "cannot start the probe %s: %s; pass --no-probe", p->exe, win32_error_text(code).s);
}

bool probe_submit(probe *p, const char *path, uint64_t timeout_ms, host_error *err)
{
    probe_close(p); /* a candidate in flight is given up */
    memset(&p->last, 0, sizeof(p->last));
    p->have = 0;
    p->timeout_ms = timeout_ms;
    p->submitted_ns = clock_now_ns();
    if (!probe_launch(p, path, err)) return false;
    p->busy = true;
    return true;
}

/* Whatever the probe has written so far. */
static void probe_drain(probe *p)
{
    DWORD avail = 0, got = 0;
    while (PeekNamedPipe(p->records, NULL, 0, NULL, &avail, NULL) && avail) {
        if (!ReadFile(p->records, (char *)&p->reading + p->have, (DWORD)(sizeof(p->reading) - p->have), &got, NULL) ||
            !got)
            return;
        p->have += got;
        if (p->have < sizeof(p->reading)) continue;
        p->last = p->reading;
        p->have = 0;
    }
}

bool probe_poll(probe *p, probe_result *out)
{
    if (!p->busy) return false;
    probe_drain(p);
    bool exited = WaitForSingleObject(p->pi.hProcess, 0) == WAIT_OBJECT_0;
    bool timed_out = !exited && clock_now_ns() - p->submitted_ns > p->timeout_ms * 1000000ull;
    if (!exited && !timed_out) return false;
    if (exited) probe_drain(p);
    DWORD code = 0;
    if (exited) GetExitCodeProcess(p->pi.hProcess, &code);
    bool exception = code >= 0xC0000000u; /* an NTSTATUS: it died of an exception the guard did not take */
    probe_ended(&p->last, p->last.final != 0, timed_out, exited && !exception, (int)code, exception ? (int)code : 0);
    *out = p->last.result;
    out->ms = (double)(clock_now_ns() - p->submitted_ns) / 1e6;
    if (out->outcome == PROBE_CRASHED) crash_name(&out->crash);
    probe_close(p);
    return true;
}

void probe_wait(probe *p, probe_result *out)
{
    while (p->busy && !probe_poll(p, out)) WaitForSingleObject(p->pi.hProcess, PROBE_WAIT_STEP_MS);
}

/* The probe's process: it writes its final record and ends, or it is ended at its deadline (which
 * only probe_poll notices: the frame loop polls at every frame as well). */
clock_wake probe_wake(const probe *p) { return (clock_wake){(intptr_t)p->pi.hProcess}; }

void probe_stop(probe *p)
{
    if (!p) return;
    probe_close(p);
    free(p);
}
