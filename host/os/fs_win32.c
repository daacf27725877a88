/* fs_win32.c - file operations on Windows.
 *
 * Paths are the host's char strings in the ANSI code page (what argv and fopen use). Every handle
 * the host opens on someone else's file shares read, write and delete, so a build can always
 * rename a new library over the one the host is looking at. */
#include "fs.h"
#include "util_win32.h"

#include <bcrypt.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>

#define FS_SHARE_ALL (FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)

fs_identity fs_identity_of(const char *path)
{
    fs_identity id = {0};
    /* by name, never through a handle: an open handle on the library, even for a moment, makes a
     * build's rename over it fail on Windows. So there is no file ID: a rebuild shows as a new
     * mtime or size (inode stays 0). */
    WIN32_FILE_ATTRIBUTE_DATA info;
    if (!GetFileAttributesExA(path, GetFileExInfoStandard, &info)) return id;
    id.exists = true;
    id.mtime_ns = win32_filetime_ns(info.ftLastWriteTime);
    id.size = (uint64_t)info.nFileSizeHigh << 32 | info.nFileSizeLow;
    return id;
}

bool fs_is_folder(const char *path)
{
    DWORD a = GetFileAttributesA(path);
    return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

fs_identity fs_folder_identity(const char *dir, const char *const *suffixes)
{
    fs_identity folder = {0};
    char pattern[FS_PATH_MAX];
    snprintf(pattern, sizeof(pattern), "%s\\*", dir);
    WIN32_FIND_DATAA f;
    HANDLE h = FindFirstFileA(pattern, &f);
    if (h == INVALID_HANDLE_VALUE) return folder;
    do {
        if ((f.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || !fs_name_has_suffix(f.cFileName, suffixes)) continue;
        fs_identity file = {true, win32_filetime_ns(f.ftLastWriteTime), (uint64_t)f.nFileSizeHigh << 32 | f.nFileSizeLow, 0};
        fs_identity_fold(&folder, f.cFileName, file);
    } while (FindNextFileA(h, &f));
    FindClose(h);
    return folder;
}

/* ---- the private folder ------------------------------------------------------------------ */

/* A security descriptor whose DACL lets only the current user in, inherited by the files made in
 * the folder and protected (P) from the ACEs of the temp folder above. LocalFree it. */
static bool fs_user_only_descriptor(PSECURITY_DESCRIPTOR *out)
{
    HANDLE token;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return false;
    union {
        TOKEN_USER user;
        char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    } info;
    DWORD n;
    bool ok = GetTokenInformation(token, TokenUser, &info, sizeof(info), &n);
    CloseHandle(token);
    char *sid = NULL;
    if (!ok || !ConvertSidToStringSidA(info.user.User.Sid, &sid)) return false;
    char sddl[256];
    snprintf(sddl, sizeof(sddl), "D:P(A;OICI;FA;;;%s)", sid);
    LocalFree(sid);
    return ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1, out, NULL);
}

bool fs_private_dir_create(char *out, size_t cap, host_error *err)
{
    char root[MAX_PATH + 1];
    DWORD n = GetTempPathA(sizeof(root), root); /* %TMP%, %TEMP% or the user's profile; ends in '\' */
    if (n == 0 || n >= sizeof(root))
        return host_fail(err, "cannot find the temporary folder for library copies; set TMP to a writable folder");
    PSECURITY_DESCRIPTOR sd;
    if (!fs_user_only_descriptor(&sd))
        return host_fail(err, "cannot build a user-only security descriptor for the copies folder: %s",
                         win32_error_text(GetLastError()).s);
    SECURITY_ATTRIBUTES sa = {sizeof(sa), sd, FALSE};
    snprintf(out, cap, "%shotreload-%016llx", root, (unsigned long long)fs_random());
    /* an unpredictable name, and CreateDirectory fails rather than reuse an existing path */
    bool ok = CreateDirectoryA(out, &sa);
    DWORD code = GetLastError();
    LocalFree(sd);
    if (!ok)
        return host_fail(err, "cannot create a private folder for library copies in %s: %s; set TMP to a writable "
                              "folder", root, win32_error_text(code).s);
    return true;
}

void fs_private_dir_remove(const char *dir)
{
    char pattern[FS_PATH_MAX], path[FS_PATH_MAX];
    snprintf(pattern, sizeof(pattern), "%s\\*", dir);
    WIN32_FIND_DATAA e;
    HANDLE find = FindFirstFileA(pattern, &e);
    if (find != INVALID_HANDLE_VALUE) {
        do {
            if (e.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) continue;
            snprintf(path, sizeof(path), "%s\\%s", dir, e.cFileName);
            DeleteFileA(path);
        } while (FindNextFileA(find, &e));
        FindClose(find);
    }
    RemoveDirectoryA(dir);
}

/* ---- reading ----------------------------------------------------------------------------- */

/* Opens a regular file for reading and gives its size. */
static HANDLE fs_open_regular(const char *path, uint64_t *size, host_error *err)
{
    HANDLE f = CreateFileA(path, GENERIC_READ, FS_SHARE_ALL, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f == INVALID_HANDLE_VALUE)
        return host_fail(err, "cannot open %s: %s", path, win32_error_text(GetLastError()).s), INVALID_HANDLE_VALUE;
    LARGE_INTEGER n;
    if (GetFileType(f) != FILE_TYPE_DISK || !GetFileSizeEx(f, &n)) {
        CloseHandle(f);
        return host_fail(err, "%s is not a regular file", path), INVALID_HANDLE_VALUE;
    }
    *size = (uint64_t)n.QuadPart;
    return f;
}

/* Reads exactly n bytes: ERROR_SUCCESS, the error, or ERROR_HANDLE_EOF when the file ended early. */
static DWORD fs_read_exactly(HANDLE f, void *dst, uint64_t n)
{
    char *p = dst;
    while (n) {
        DWORD chunk = (DWORD)MIN(n, (uint64_t)1 << 30), got = 0;
        if (!ReadFile(f, p, chunk, &got, NULL)) return GetLastError();
        if (got == 0) return ERROR_HANDLE_EOF;
        p += got;
        n -= got;
    }
    return ERROR_SUCCESS;
}

void *fs_read_file(const char *path, uint64_t *size, host_error *err)
{
    uint64_t n;
    HANDLE f = fs_open_regular(path, &n, err);
    if (f == INVALID_HANDLE_VALUE) return NULL;
    char *data = malloc(n ? n : 1);
    DWORD code = data ? fs_read_exactly(f, data, n) : ERROR_NOT_ENOUGH_MEMORY;
    CloseHandle(f);
    if (code != ERROR_SUCCESS) {
        free(data);
        return host_fail(err, "cannot read %s: %s", path,
                         code == ERROR_HANDLE_EOF ? "it shrank while read" : win32_error_text(code).s), NULL;
    }
    *size = n;
    return data;
}

void *fs_read_all(const char *path, arena *a, uint64_t *size, host_error *err)
{
    uint64_t n;
    HANDLE f = fs_open_regular(path, &n, err);
    if (f == INVALID_HANDLE_VALUE) return NULL;
    char *data = arena_try_push_no_zero(a, n + 1, 16);
    bool ok = data && fs_read_exactly(f, data, n) == ERROR_SUCCESS;
    CloseHandle(f);
    if (!data)
        return host_fail(err, "cannot read %s: %llu bytes do not fit in arena '%s'", path, (unsigned long long)n,
                         a->name), NULL;
    if (!ok) return host_fail(err, "cannot read %s: short read", path), NULL;
    data[n] = 0;
    if (size) *size = n;
    return data;
}

/* ---- writing ----------------------------------------------------------------------------- */

/* Creates `path`, which must not exist (CREATE_NEW: nothing is followed or replaced), and writes data. */
static bool fs_create_with(const char *path, const void *data, uint64_t size, DWORD *code)
{
    HANDLE f = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f == INVALID_HANDLE_VALUE) {
        *code = GetLastError();
        return false;
    }
    const char *p = data;
    bool ok = true;
    for (uint64_t left = size; ok && left;) {
        DWORD chunk = (DWORD)MIN(left, (uint64_t)1 << 30), wrote = 0;
        ok = WriteFile(f, p, chunk, &wrote, NULL) && wrote == chunk;
        p += wrote;
        left -= wrote;
    }
    if (!ok) *code = GetLastError();
    if (!CloseHandle(f) && ok) {
        *code = GetLastError();
        ok = false;
    }
    if (!ok) DeleteFileA(path);
    return ok;
}

bool fs_write_new(const char *path, const void *data, uint64_t size, host_error *err)
{
    DWORD code = 0;
    if (!fs_create_with(path, data, size, &code))
        return host_fail(err, "cannot create %s: %s", path, win32_error_text(code).s);
    return true;
}

bool fs_remove(const char *path) { return DeleteFileA(path) != 0; }

bool fs_write_atomic(const char *path, const void *data, uint64_t size, host_error *err)
{
    char tmp[FS_PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%llx", path, (unsigned long long)fs_random());
    DWORD code = 0;
    if (!fs_create_with(tmp, data, size, &code))
        return host_fail(err, "cannot write %s: %s", tmp, win32_error_text(code).s);
    /* rename() will not replace an existing file on Windows; MoveFileEx will, in one step */
    if (!MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        code = GetLastError();
        DeleteFileA(tmp);
        return host_fail(err, "cannot write %s: %s", path, win32_error_text(code).s);
    }
    return true;
}

uint64_t fs_random(void)
{
    uint64_t r = 0;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, (PUCHAR)&r, sizeof(r), BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
        r = (GetTickCount64() ^ GetCurrentProcessId()) * 0x9e3779b97f4a7c15ull;
    return r;
}

int fs_open_handle_count(void)
{
    DWORD n = 0;
    if (GetProcessHandleCount(GetCurrentProcess(), &n) && n > 0) return (int)n;
    /* Wine answers 0: count the handle table instead. Handles are multiples of 4 given out lowest
     * free first, so the table is dense and 1024 free values in a row mark its end. */
    int count = 0;
    for (ULONG_PTR h = 4, free_run = 0; free_run < 1024; h += 4) {
        DWORD flags;
        if (GetHandleInformation((HANDLE)h, &flags)) {
            count++;
            free_run = 0;
        } else {
            free_run++;
        }
    }
    return count;
}
