/* fake_cl.c - stands in for MSVC's cl.exe under Wine, so that build.bat's own steps (the build
 * lock, the temporary name and the move into place, the PDB names, the check for a running host)
 * can run on Linux. It compiles nothing: it appends its command line to %FAKE_CL_LOG% (with
 * "lock=yes" when %FAKE_CL_LOCK% names a file that exists at that moment) and writes the /Fe output
 * as a copy of %FAKE_CL_DLL% or %FAKE_CL_EXE%, and an empty /PDB: file. When %FAKE_CL_FAIL% is set
 * and a game source is on the command line, it fails like a compile error. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

/* The value of a /Fe"..." or /PDB:"..." argument, without quotes. */
static bool fake_value(const char *arg, const char *flag, char *out, size_t cap)
{
    size_t n = strlen(flag);
    if (_strnicmp(arg, flag, n) != 0) return false;
    snprintf(out, cap, "%s", arg + n);
    size_t len = strlen(out);
    if (len && out[len - 1] == '"') out[--len] = 0;
    if (out[0] == '"') memmove(out, out + 1, len);
    return true;
}

static bool fake_ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && _stricmp(s + n - m, tail) == 0;
}

int main(int argc, char **argv)
{
    const char *log_path = getenv("FAKE_CL_LOG"), *lock = getenv("FAKE_CL_LOCK");
    FILE *log = log_path ? fopen(log_path, "ab") : NULL;
    if (log) {
        fprintf(log, "%s lock=%s\n", GetCommandLineA(), lock && GetFileAttributesA(lock) != INVALID_FILE_ATTRIBUTES ? "yes" : "no");
        fclose(log);
    }
    char out[MAX_PATH] = "", pdb[MAX_PATH] = "";
    bool game = false;
    for (int i = 1; i < argc; i++) {
        fake_value(argv[i], "/Fe", out, sizeof(out));
        fake_value(argv[i], "/PDB:", pdb, sizeof(pdb));
        if (strcmp(argv[i], "/LD") == 0) game = true;
    }
    if (game && getenv("FAKE_CL_FAIL")) {
        fprintf(stderr, "fake_cl: error C2143: syntax error (FAKE_CL_FAIL is set)\n");
        return 2;
    }
    const char *from = getenv(fake_ends_with(out, ".dll") ? "FAKE_CL_DLL" : "FAKE_CL_EXE");
    if (!out[0] || !from || !CopyFileA(from, out, FALSE)) {
        fprintf(stderr, "fake_cl: cannot write /Fe output '%s' from '%s'\n", out, from ? from : "(unset)");
        return 3;
    }
    if (pdb[0]) {
        FILE *f = fopen(pdb, "wb");
        if (f) fclose(f);
    }
    return 0;
}
