/* fs.h - the file operations the host needs (fs_posix.c, fs_win32.c). */
#ifndef FS_H
#define FS_H

#include "../../arena/arena.h"
#include "../base/error.h"

#define FS_PATH_MAX 1024

/* What identifies one build of a file: a rename gives a new inode, a rewrite a new mtime or size. */
typedef struct fs_identity {
    bool exists;
    int64_t mtime_ns; /* wall clock, nanoseconds */
    uint64_t size;
    uint64_t inode;
} fs_identity;

fs_identity fs_identity_of(const char *path);
bool fs_identity_equal(fs_identity a, fs_identity b);
/* One identity for the files of `dir` whose names end in one of `suffixes` (NULL-terminated): it
 * changes when any of them is written, added, renamed or removed (newest mtime, total size, and a
 * hash of every name and identity in `inode`). `exists` is false when no file matches. */
fs_identity fs_folder_identity(const char *dir, const char *const *suffixes);
/* True when `name` ends with one of `suffixes`. */
bool fs_name_has_suffix(const char *name, const char *const *suffixes);
/* fs_folder_identity's step: one matching file folded into the folder's identity. */
void fs_identity_fold(fs_identity *folder, const char *name, fs_identity file);
bool fs_exists(const char *path);
bool fs_is_folder(const char *path);
/* A file the host will write later: its folder exists and takes new files, and it is no folder
 * itself. False with the reason, so that a bad path is found at start, not at exit. */
bool fs_check_output(const char *path, host_error *err);

/* A new folder only this user can enter (0700), with an unpredictable name, for library copies. */
bool fs_private_dir_create(char *out, size_t cap, host_error *err);
/* Removes the folder and the files in it (not recursive beyond that). */
void fs_private_dir_remove(const char *dir);

/* The whole file in a malloc'd buffer (free it); NULL with err on failure. */
void *fs_read_file(const char *path, uint64_t *size, host_error *err);
/* Writes a new file (mode 0700) that must not exist yet: never follows or replaces anything. */
bool fs_write_new(const char *path, const void *data, uint64_t size, host_error *err);
bool fs_remove(const char *path);

/* The whole file pushed onto `a` with a NUL after it; NULL with err on failure. */
void *fs_read_all(const char *path, arena *a, uint64_t *size, host_error *err);
/* Writes through a temporary name in the same folder and renames it into place. */
bool fs_write_atomic(const char *path, const void *data, uint64_t size, host_error *err);

/* A few unpredictable bytes as a number, for unique names. */
uint64_t fs_random(void);

/* Number of open file descriptors / handles of this process, for leak checks; -1 if unknown. */
int fs_open_handle_count(void);

#endif
