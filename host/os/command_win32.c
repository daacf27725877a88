/* command_win32.c - a shell command in the background (command.h): cmd /c through CreateProcess,
 * in a job object so that stopping it stops the compilers it started too. */
#include "command.h"
#include "util_win32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
    PROCESS_INFORMATION pi;
    HANDLE job;
};

static HANDLE command_log(const char *log)
{
    SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, TRUE}; /* inherited by the child */
    return CreateFileA(log, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, CREATE_ALWAYS,
                       FILE_ATTRIBUTE_NORMAL, NULL);
}

command *command_start(const char *line, const char *log, host_error *err)
{
    command *c = calloc(1, sizeof(*c));
    char *cmdline = malloc(strlen(line) + 16);
    HANDLE out = command_log(log);
    if (!c || !cmdline || out == INVALID_HANDLE_VALUE) {
        free(c);
        free(cmdline);
        if (out != INVALID_HANDLE_VALUE) CloseHandle(out);
        return host_fail(err, "cannot start '%s': cannot open its log %s", line, log), NULL;
    }
    sprintf(cmdline, "cmd /c %s", line);
    STARTUPINFOA si = {.cb = sizeof(si), .dwFlags = STARTF_USESTDHANDLES, .hStdOutput = out, .hStdError = out};
    c->job = CreateJobObjectA(NULL, NULL);
    bool ok = CreateProcessA(NULL, cmdline, NULL, NULL, TRUE, CREATE_NO_WINDOW | CREATE_SUSPENDED, NULL, NULL, &si,
                             &c->pi);
    DWORD code = GetLastError();
    CloseHandle(out);
    free(cmdline);
    if (!ok) {
        if (c->job) CloseHandle(c->job);
        free(c);
        return host_fail(err, "cannot start '%s': %s", line, win32_error_text(code).s), NULL;
    }
    if (c->job) AssignProcessToJobObject(c->job, c->pi.hProcess);
    ResumeThread(c->pi.hThread);
    return c;
}

bool command_done(command *c, int *status)
{
    DWORD code;
    if (WaitForSingleObject(c->pi.hProcess, 0) != WAIT_OBJECT_0 || !GetExitCodeProcess(c->pi.hProcess, &code))
        return false;
    *status = (int)code;
    return true;
}

void command_stop(command *c)
{
    if (!c) return;
    if (WaitForSingleObject(c->pi.hProcess, 0) != WAIT_OBJECT_0) {
        if (c->job) TerminateJobObject(c->job, 1);
        else TerminateProcess(c->pi.hProcess, 1);
        WaitForSingleObject(c->pi.hProcess, INFINITE);
    }
    CloseHandle(c->pi.hThread);
    CloseHandle(c->pi.hProcess);
    if (c->job) CloseHandle(c->job);
    free(c);
}

void command_build_script(const char *dir, char *out, size_t cap) { snprintf(out, cap, "\"%s\\build.bat\"", dir); }
