/* fs_posix.c - file operations on POSIX. */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

fs_identity fs_identity_of(const char *path)
{
    fs_identity id = {0};
    struct stat st;
    if (stat(path, &st) != 0) return id;
    id.exists = true;
    id.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
    id.size = (uint64_t)st.st_size;
    id.inode = (uint64_t)st.st_ino;
    return id;
}

bool fs_is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

fs_identity fs_folder_identity(const char *dir, const char *const *suffixes)
{
    fs_identity folder = {0};
    DIR *d = opendir(dir);
    if (!d) return folder;
    char path[FS_PATH_MAX];
    for (struct dirent *e; (e = readdir(d));) {
        if (!fs_name_has_suffix(e->d_name, suffixes)) continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        fs_identity file = fs_identity_of(path);
        if (file.exists) fs_identity_fold(&folder, e->d_name, file);
    }
    closedir(d);
    return folder;
}

bool fs_private_dir_create(char *out, size_t cap, host_error *err)
{
    const char *root = getenv("XDG_RUNTIME_DIR");
    if (!root || access(root, W_OK) != 0) root = getenv("TMPDIR");
    if (!root || access(root, W_OK) != 0) root = "/tmp";
    snprintf(out, cap, "%s/hotreload-XXXXXX", root);
    /* mkdtemp: unpredictable name, mode 0700, fails rather than reuse an existing path */
    if (!mkdtemp(out))
        return host_fail(err, "cannot create a private folder for library copies in %s: %s; set TMPDIR to a "
                              "writable folder", root, strerror(errno));
    return true;
}

void fs_private_dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[FS_PATH_MAX];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

void *fs_read_file(const char *path, uint64_t *size, host_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return host_fail(err, "cannot open %s: %s", path, strerror(errno)), NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return host_fail(err, "%s is not a regular file", path), NULL;
    }
    uint64_t n = (uint64_t)st.st_size, got = 0;
    char *data = malloc(n ? n : 1);
    ssize_t r = 1;
    while (data && got < n && (r = read(fd, data + got, n - got)) > 0) got += (uint64_t)r;
    int e = errno;
    close(fd);
    if (!data || got != n) {
        free(data);
        return host_fail(err, "cannot read %s: %s", path, data ? (r < 0 ? strerror(e) : "it shrank while read") : "out of memory"), NULL;
    }
    *size = n;
    return data;
}

bool fs_write_new(const char *path, const void *data, uint64_t size, host_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
    if (fd < 0) return host_fail(err, "cannot create %s: %s", path, strerror(errno));
    const char *p = data;
    uint64_t left = size;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        left -= (uint64_t)w;
    }
    int e = errno;
    if (close(fd) != 0 && !left) left = 1;
    if (left) {
        unlink(path);
        return host_fail(err, "cannot write %s: %s", path, strerror(e));
    }
    return true;
}

bool fs_remove(const char *path) { return unlink(path) == 0; }

void *fs_read_all(const char *path, arena *a, uint64_t *size, host_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return host_fail(err, "cannot open %s: %s", path, strerror(errno)), NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return host_fail(err, "%s is not a regular file", path), NULL;
    }
    uint64_t n = (uint64_t)st.st_size;
    char *data = arena_try_push_no_zero(a, n + 1, 16);
    if (!data) {
        fclose(f);
        return host_fail(err, "cannot read %s: %llu bytes do not fit in arena '%s'", path,
                         (unsigned long long)n, a->name), NULL;
    }
    size_t got = fread(data, 1, (size_t)n, f);
    fclose(f);
    if (got != n) return host_fail(err, "cannot read %s: short read", path), NULL;
    data[n] = 0;
    if (size) *size = n;
    return data;
}

bool fs_write_atomic(const char *path, const void *data, uint64_t size, host_error *err)
{
    char tmp[FS_PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%llx", path, (unsigned long long)fs_random());
    FILE *f = fopen(tmp, "wb");
    if (!f) return host_fail(err, "cannot write %s: %s", tmp, strerror(errno));
    bool ok = fwrite(data, 1, (size_t)size, f) == size;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return host_fail(err, "cannot write %s: %s", path, strerror(e));
    }
    return true;
}

uint64_t fs_random(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) r = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull;
    return r;
}

int fs_open_handle_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    while (readdir(d)) n++;
    closedir(d);
    return n - 3; /* ".", ".." and the directory's own descriptor */
}
