/* fs_common.c - file helpers shared by every OS. */
#include "fs.h"

#include <stdio.h>
#include <string.h>

bool fs_identity_equal(fs_identity a, fs_identity b)
{
    return a.exists == b.exists && a.mtime_ns == b.mtime_ns && a.size == b.size && a.inode == b.inode;
}

bool fs_exists(const char *path) { return fs_identity_of(path).exists; }

bool fs_name_has_suffix(const char *name, const char *const *suffixes)
{
    size_t n = strlen(name);
    for (; *suffixes; suffixes++) {
        size_t s = strlen(*suffixes);
        if (n > s && strcmp(name + n - s, *suffixes) == 0) return true;
    }
    return false;
}

/* FNV-1a over the bytes, continuing from h. */
static uint64_t fs_hash(uint64_t h, const void *data, size_t size)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < size; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

void fs_identity_fold(fs_identity *folder, const char *name, fs_identity file)
{
    if (!folder->exists) folder->inode = 0xcbf29ce484222325ull;
    folder->exists = true;
    if (file.mtime_ns > folder->mtime_ns) folder->mtime_ns = file.mtime_ns;
    folder->size += file.size;
    /* a sum of per-file hashes: the same files give the same identity in any listing order */
    uint64_t h = fs_hash(0xcbf29ce484222325ull, name, strlen(name));
    h = fs_hash(h, &file.mtime_ns, sizeof(file.mtime_ns));
    h = fs_hash(h, &file.size, sizeof(file.size));
    h = fs_hash(h, &file.inode, sizeof(file.inode));
    folder->inode += h;
}

bool fs_check_output(const char *path, host_error *err)
{
    if (fs_is_folder(path)) return host_fail(err, "%s is a folder; name a file in it", path);
    char dir[FS_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *sep = NULL;
    for (char *p = dir; *p; p++)
        if (*p == '/' || *p == '\\') sep = p;
    if (!sep) snprintf(dir, sizeof(dir), ".");
    else sep[sep == dir] = 0; /* "/x" leaves "/" */
    if (!fs_is_folder(dir)) return host_fail(err, "the folder %s does not exist; create it or write elsewhere", dir);
    char trial[FS_PATH_MAX + 64];
    snprintf(trial, sizeof(trial), "%s/.hotblock-check-%08llx", dir, (unsigned long long)(fs_random() & 0xffffffffu));
    host_error why;
    if (!fs_write_new(trial, "", 0, &why)) return host_fail(err, "cannot write into the folder %s: %s", dir, why.msg);
    fs_remove(trial);
    return true;
}
