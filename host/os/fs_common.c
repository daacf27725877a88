/* fs_common.c - file helpers shared by every OS. */
#include "fs.h"

bool fs_identity_equal(fs_identity a, fs_identity b)
{
    return a.exists == b.exists && a.mtime_ns == b.mtime_ns && a.size == b.size && a.inode == b.inode;
}

bool fs_exists(const char *path) { return fs_identity_of(path).exists; }
