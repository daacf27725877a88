/* test_fs.c - proves the file helpers: identities change on rewrite and rename and stay equal
 * otherwise; private folders are 0700, unpredictable and removed with their files; fs_read_file +
 * fs_write_new (the host's library copy) copy exactly, and fs_write_new never overwrites or follows
 * an existing destination; fs_read_all reads into an arena and fails softly (message, no abort) when
 * the file is missing or the arena too small; fs_write_atomic replaces through a rename and leaves
 * no temp files; fd counting sees a new fd. */
#include "../test_util.h"

#include "host/os/fs.h"

#include <sys/time.h>

typedef struct fixture {
    char dir[256];
    void *memory;
    arena *a;
} fixture;

#define ARENA_REGION KB(512)

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    temp_dir_create(f->dir, sizeof(f->dir), "fs");
    f->memory = map_memory(ARENA_REGION);
    f->a = arena_create(f->memory, ARENA_REGION, (arena_params){.name = "files"});
    *state = f;
    return f->a ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    temp_dir_remove(f->dir);
    unmap_memory(f->memory, ARENA_REGION);
    free(f);
    return 0;
}

#define F ((fixture *)*state)

/* dir/name into out */
static char *path_in(void **state, char *out, const char *name)
{
    snprintf(out, FS_PATH_MAX, "%s/%s", F->dir, name);
    return out;
}

static void set_mtime_ns(const char *path, int64_t ns)
{
    struct timespec ts[2] = {{ns / 1000000000, ns % 1000000000}, {ns / 1000000000, ns % 1000000000}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* ---- identity ----------------------------------------------------------------------------------- */

static void identity_of_a_missing_file_is_all_zero(void **state)
{
    char p[FS_PATH_MAX];
    fs_identity id = fs_identity_of(path_in(state, p, "missing"));
    assert_false(id.exists);
    assert_int_equal(id.size, 0);
    assert_int_equal(id.inode, 0);
    assert_int_equal(id.mtime_ns, 0);
    assert_false(fs_exists(p));
}

static void identity_reports_size_inode_and_exact_mtime(void **state)
{
    char p[FS_PATH_MAX];
    write_text(path_in(state, p, "lib.so"), "12345");
    set_mtime_ns(p, 1700000000123456789ll);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    fs_identity id = fs_identity_of(p);
    assert_true(id.exists);
    assert_int_equal(id.size, 5);
    assert_int_equal(id.inode, (uint64_t)st.st_ino);
    assert_int_equal(id.mtime_ns, 1700000000123456789ll);
    assert_true(fs_exists(p));
}

static void identity_of_an_unchanged_file_is_equal(void **state)
{
    char p[FS_PATH_MAX];
    write_text(path_in(state, p, "lib.so"), "same");
    fs_identity a = fs_identity_of(p);
    sleep_ms(20);
    fs_identity b = fs_identity_of(p);
    assert_true(fs_identity_equal(a, b));
    int fd = open(p, O_RDONLY); /* reading does not change it */
    char c;
    assert_int_equal(read(fd, &c, 1), 1);
    close(fd);
    assert_true(fs_identity_equal(a, fs_identity_of(p)));
}

static void identity_changes_on_a_rewrite_in_place(void **state)
{
    char p[FS_PATH_MAX];
    write_text(path_in(state, p, "lib.so"), "v1");
    set_mtime_ns(p, 1000000000000000000ll);
    fs_identity a = fs_identity_of(p);
    write_text(p, "v2"); /* same size, same inode: only the mtime tells */
    fs_identity b = fs_identity_of(p);
    assert_int_equal(a.inode, b.inode);
    assert_int_equal(a.size, b.size);
    assert_true(a.mtime_ns != b.mtime_ns);
    assert_false(fs_identity_equal(a, b));
    write_text(p, "v3-longer"); /* a size change is enough even within one clock tick */
    set_mtime_ns(p, b.mtime_ns);
    assert_false(fs_identity_equal(b, fs_identity_of(p)));
}

static void identity_changes_on_a_rename_over_even_with_same_size_and_mtime(void **state)
{
    char p[FS_PATH_MAX], tmp[FS_PATH_MAX];
    write_text(path_in(state, p, "lib.so"), "AAAA");
    write_text(path_in(state, tmp, "lib.so.tmp"), "BBBB");
    set_mtime_ns(p, 1600000000000000000ll);
    set_mtime_ns(tmp, 1600000000000000000ll);
    fs_identity a = fs_identity_of(p);
    assert_int_equal(rename(tmp, p), 0);
    fs_identity b = fs_identity_of(p);
    assert_int_equal(a.size, b.size);
    assert_int_equal(a.mtime_ns, b.mtime_ns);
    assert_true(a.inode != b.inode);
    assert_false(fs_identity_equal(a, b));
}

static void identity_equal_compares_existence(void **state)
{
    fs_identity none = {0};
    fs_identity empty = {.exists = true};
    assert_true(fs_identity_equal(none, none));
    assert_false(fs_identity_equal(none, empty));
}

/* ---- private folders ---------------------------------------------------------------------------- */

typedef struct env_save {
    char *xdg, *tmpdir;
} env_save;

/* Points fs_private_dir_create at the test folder. */
static env_save env_point_at(const char *dir)
{
    env_save s = {getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR")};
    if (s.xdg) s.xdg = strdup(s.xdg);
    if (s.tmpdir) s.tmpdir = strdup(s.tmpdir);
    unsetenv("XDG_RUNTIME_DIR");
    setenv("TMPDIR", dir, 1);
    return s;
}

static void env_restore(env_save *s)
{
    if (s->xdg) setenv("XDG_RUNTIME_DIR", s->xdg, 1);
    else unsetenv("XDG_RUNTIME_DIR");
    if (s->tmpdir) setenv("TMPDIR", s->tmpdir, 1);
    else unsetenv("TMPDIR");
    free(s->xdg);
    free(s->tmpdir);
}

static void private_dir_is_mode_0700_under_tmpdir(void **state)
{
    env_save env = env_point_at(F->dir);
    char d[FS_PATH_MAX];
    host_error err = {{0}};
    bool ok = fs_private_dir_create(d, sizeof(d), &err);
    env_restore(&env);
    assert_true(ok);
    assert_int_equal(strncmp(d, F->dir, strlen(F->dir)), 0);
    assert_int_equal(d[strlen(F->dir)], '/');
    struct stat st;
    assert_int_equal(lstat(d, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(st.st_uid, geteuid());
}

static void private_dirs_get_different_names(void **state)
{
    env_save env = env_point_at(F->dir);
    char a[FS_PATH_MAX], b[FS_PATH_MAX];
    host_error err = {{0}};
    bool ok = fs_private_dir_create(a, sizeof(a), &err) && fs_private_dir_create(b, sizeof(b), &err);
    env_restore(&env);
    assert_true(ok);
    assert_string_not_equal(a, b);
    assert_true(fs_exists(a));
    assert_true(fs_exists(b));
    assert_int_equal(dir_entry_count(F->dir), 2);
}

static void private_dir_remove_removes_its_files_and_itself(void **state)
{
    env_save env = env_point_at(F->dir);
    char d[FS_PATH_MAX], p[FS_PATH_MAX + 64];
    host_error err = {{0}};
    bool ok = fs_private_dir_create(d, sizeof(d), &err);
    env_restore(&env);
    assert_true(ok);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/libgame.%d.so", d, i);
        write_text(p, "copy");
    }
    assert_int_equal(dir_entry_count(d), 3);
    fs_private_dir_remove(d);
    assert_false(fs_exists(d));
    assert_int_equal(dir_entry_count(F->dir), 0);
}

/* ---- read_file / write_new: how the host copies a library ----------------------------------------- */

static uint8_t *pattern(size_t n)
{
    uint8_t *data = malloc(n);
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)(i * 7 + (i >> 9));
    return data;
}

static void read_file_returns_every_byte_in_a_malloced_buffer(void **state)
{
    char p[FS_PATH_MAX];
    size_t n = 200000;
    uint8_t *data = pattern(n);
    write_file(path_in(state, p, "libgame.so"), data, n);
    uint64_t size = 0;
    host_error err = {{0}};
    uint8_t *back = fs_read_file(p, &size, &err);
    assert_non_null(back);
    assert_int_equal(size, n);
    assert_memory_equal(back, data, n);
    free(back); /* malloc'd: ASan/LSan would complain otherwise */
    free(data);
}

static void read_file_of_an_empty_file_gives_size_zero(void **state)
{
    char p[FS_PATH_MAX];
    write_text(path_in(state, p, "empty"), "");
    uint64_t size = 99;
    host_error err = {{0}};
    void *data = fs_read_file(p, &size, &err);
    assert_non_null(data);
    assert_int_equal(size, 0);
    free(data);
}

static void read_file_of_a_missing_file_fails_with_a_message(void **state)
{
    char p[FS_PATH_MAX];
    uint64_t size = 99;
    host_error err = {{0}};
    assert_null(fs_read_file(path_in(state, p, "absent.so"), &size, &err));
    assert_contains(err.msg, "cannot open ");
    assert_contains(err.msg, p);
    assert_contains(err.msg, "No such file or directory");
    assert_int_equal(size, 99);
}

static void read_file_of_a_folder_fails_with_a_message(void **state)
{
    uint64_t size = 0;
    host_error err = {{0}};
    assert_null(fs_read_file(F->dir, &size, &err));
    assert_contains(err.msg, "not a regular file");
}

static void write_new_writes_every_byte_with_mode_0700(void **state)
{
    char p[FS_PATH_MAX];
    size_t n = 150001;
    uint8_t *data = pattern(n);
    host_error err = {{0}};
    mode_t old_mask = umask(0);
    bool ok = fs_write_new(path_in(state, p, "copy.so"), data, n, &err);
    umask(old_mask);
    assert_true(ok);
    struct stat st;
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    uint64_t size = 0;
    uint8_t *back = fs_read_file(p, &size, &err);
    assert_non_null(back);
    assert_int_equal(size, n);
    assert_memory_equal(back, data, n);
    free(back);
    free(data);
}

static void read_file_then_write_new_copies_a_file_exactly(void **state)
{
    char src[FS_PATH_MAX], dst[FS_PATH_MAX];
    const uint8_t bytes[] = {0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 255, 0};
    write_file(path_in(state, src, "libgame.so"), bytes, sizeof(bytes));
    uint64_t size = 0;
    host_error err = {{0}};
    void *image = fs_read_file(src, &size, &err);
    assert_non_null(image);
    assert_true(fs_write_new(path_in(state, dst, "libgame.1.so"), image, size, &err));
    free(image);
    char back[64];
    assert_int_equal(read_text(dst, back, sizeof(back)), (long)sizeof(bytes));
    assert_memory_equal(back, bytes, sizeof(bytes));
}

static void write_new_refuses_an_existing_destination(void **state)
{
    char dst[FS_PATH_MAX], text[64];
    write_text(path_in(state, dst, "old.so"), "old");
    host_error err = {{0}};
    assert_false(fs_write_new(dst, "new contents", 12, &err));
    assert_contains(err.msg, "cannot create ");
    assert_contains(err.msg, dst);
    assert_contains(err.msg, "File exists");
    assert_int_equal(read_text(dst, text, sizeof(text)), 3);
    assert_string_equal(text, "old");
}

static void write_new_refuses_a_symlink_destination_and_leaves_its_target(void **state)
{
    char dst[FS_PATH_MAX], target[FS_PATH_MAX], text[64];
    write_text(path_in(state, target, "victim"), "precious");
    assert_int_equal(symlink(target, path_in(state, dst, "link.so")), 0);
    host_error err = {{0}};
    assert_false(fs_write_new(dst, "evil", 4, &err));
    assert_contains(err.msg, dst);
    assert_int_equal(read_text(target, text, sizeof(text)), 8);
    assert_string_equal(text, "precious");
}

static void write_new_does_not_follow_a_dangling_symlink(void **state)
{
    char link_path[FS_PATH_MAX], nowhere[FS_PATH_MAX];
    assert_int_equal(symlink(path_in(state, nowhere, "nowhere"), path_in(state, link_path, "dangling.so")), 0);
    host_error err = {{0}};
    assert_false(fs_write_new(link_path, "evil", 4, &err));
    assert_false(fs_exists(nowhere));
}

static void write_new_into_a_missing_folder_fails_with_a_message(void **state)
{
    char p[FS_PATH_MAX];
    host_error err = {{0}};
    assert_false(fs_write_new(path_in(state, p, "no/such/copy.so"), "x", 1, &err));
    assert_contains(err.msg, p);
    assert_contains(err.msg, "No such file or directory");
    assert_int_equal(dir_entry_count(F->dir), 0);
}

/* ---- read_all ----------------------------------------------------------------------------------- */

static void read_all_pushes_the_file_with_a_nul_after_it(void **state)
{
    char p[FS_PATH_MAX];
    const char text[] = "line one\nline two\n";
    write_text(path_in(state, p, "data.txt"), text);
    uint64_t size = 99;
    host_error err = {{0}};
    char *data = fs_read_all(p, F->a, &size, &err);
    assert_non_null(data);
    assert_int_equal(size, sizeof(text) - 1);
    assert_memory_equal(data, text, sizeof(text) - 1);
    assert_int_equal(data[size], 0);
    assert_true(arena_contains(F->a, data));
    assert_true(arena_contains(F->a, data + size));
    assert_int_equal((uintptr_t)data % 16, 0);
}

static void read_all_keeps_binary_bytes(void **state)
{
    char p[FS_PATH_MAX];
    const uint8_t bytes[] = {0, 1, 0, 255, 10, 13, 0};
    write_file(path_in(state, p, "bin"), bytes, sizeof(bytes));
    uint64_t size = 0;
    host_error err = {{0}};
    uint8_t *data = fs_read_all(p, F->a, &size, &err);
    assert_non_null(data);
    assert_int_equal(size, sizeof(bytes));
    assert_memory_equal(data, bytes, sizeof(bytes));
}

static void read_all_of_an_empty_file_gives_an_empty_string(void **state)
{
    char p[FS_PATH_MAX];
    write_text(path_in(state, p, "empty"), "");
    uint64_t size = 99;
    host_error err = {{0}};
    char *data = fs_read_all(p, F->a, &size, &err);
    assert_non_null(data);
    assert_int_equal(size, 0);
    assert_string_equal(data, "");
}

static void read_all_of_a_missing_file_fails_with_a_message(void **state)
{
    char p[FS_PATH_MAX];
    host_error err = {{0}};
    uint64_t before = arena_pos(F->a);
    assert_null(fs_read_all(path_in(state, p, "absent.txt"), F->a, NULL, &err));
    assert_contains(err.msg, "cannot open ");
    assert_contains(err.msg, p);
    assert_contains(err.msg, "No such file or directory");
    assert_int_equal(arena_pos(F->a), before);
}

static void read_all_of_a_folder_fails_with_a_message(void **state)
{
    host_error err = {{0}};
    assert_null(fs_read_all(F->dir, F->a, NULL, &err));
    assert_contains(err.msg, F->dir);
    assert_contains(err.msg, "not a regular file");
}

static void read_all_into_a_too_small_arena_fails_softly(void **state)
{
    char p[FS_PATH_MAX];
    size_t n = ARENA_REGION; /* larger than the arena's capacity */
    uint8_t *data = calloc(1, n);
    write_file(path_in(state, p, "big.bin"), data, n);
    free(data);
    host_error err = {{0}};
    uint64_t size = 5;
    assert_null(fs_read_all(p, F->a, &size, &err));
    assert_contains(err.msg, "cannot read ");
    assert_contains(err.msg, "524288 bytes do not fit in arena 'files'");
    assert_int_equal(size, 5);
    assert_int_equal(arena_pos(F->a), 0);
    assert_int_equal(F->a->failure.count, 1);
    assert_int_equal(F->a->failure.request, n + 1);
}

/* ---- write_atomic ------------------------------------------------------------------------------- */

static void write_atomic_writes_the_bytes(void **state)
{
    char p[FS_PATH_MAX], text[64];
    host_error err = {{0}};
    assert_true(fs_write_atomic(path_in(state, p, "save.dat"), "hello\0world", 11, &err));
    assert_int_equal(read_text(p, text, sizeof(text)), 11);
    assert_memory_equal(text, "hello\0world", 11);
    assert_int_equal(dir_entry_count(F->dir), 1); /* no temp file left behind */
}

static void write_atomic_replaces_through_a_rename(void **state)
{
    char p[FS_PATH_MAX], text[64];
    write_text(path_in(state, p, "save.dat"), "old contents that are longer");
    fs_identity before = fs_identity_of(p);
    int fd = open(p, O_RDONLY); /* a reader holding the old file keeps seeing it */
    assert_true(fd >= 0);
    host_error err = {{0}};
    assert_true(fs_write_atomic(p, "new", 3, &err));
    fs_identity after = fs_identity_of(p);
    assert_true(after.inode != before.inode);
    assert_int_equal(read_text(p, text, sizeof(text)), 3);
    assert_string_equal(text, "new");
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    assert_int_equal(n, 28);
    assert_int_equal(dir_entry_count(F->dir), 1);
}

static void write_atomic_into_a_missing_folder_fails_and_leaves_nothing(void **state)
{
    char p[FS_PATH_MAX];
    host_error err = {{0}};
    assert_false(fs_write_atomic(path_in(state, p, "no/such/dir/save.dat"), "x", 1, &err));
    assert_contains(err.msg, "cannot write ");
    assert_contains(err.msg, "No such file or directory");
    assert_int_equal(dir_entry_count(F->dir), 0);
}

static void write_atomic_of_zero_bytes_gives_an_empty_file(void **state)
{
    char p[FS_PATH_MAX];
    host_error err = {{0}};
    assert_true(fs_write_atomic(path_in(state, p, "empty"), "", 0, &err));
    fs_identity id = fs_identity_of(p);
    assert_true(id.exists);
    assert_int_equal(id.size, 0);
}

/* ---- misc --------------------------------------------------------------------------------------- */

static void remove_deletes_a_file_and_fails_for_a_missing_one(void **state)
{
    char p[FS_PATH_MAX];
    write_text(path_in(state, p, "gone"), "x");
    assert_true(fs_remove(p));
    assert_false(fs_exists(p));
    assert_false(fs_remove(p));
}

static void open_handle_count_counts_a_new_descriptor(void **state)
{
    int before = fs_open_handle_count();
    assert_true(before >= 3); /* stdin, stdout, stderr at least */
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(fs_open_handle_count(), before + 1);
    int fd2 = dup(fd);
    assert_int_equal(fs_open_handle_count(), before + 2);
    close(fd2);
    close(fd);
    assert_int_equal(fs_open_handle_count(), before);
}

static void random_numbers_differ(void **state)
{
    uint64_t a = fs_random(), b = fs_random(), c = fs_random();
    assert_true(a != b || b != c);
    assert_true(a != 0 || b != 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(identity_of_a_missing_file_is_all_zero),
        T(identity_reports_size_inode_and_exact_mtime),
        T(identity_of_an_unchanged_file_is_equal),
        T(identity_changes_on_a_rewrite_in_place),
        T(identity_changes_on_a_rename_over_even_with_same_size_and_mtime),
        T(identity_equal_compares_existence),
        T(private_dir_is_mode_0700_under_tmpdir),
        T(private_dirs_get_different_names),
        T(private_dir_remove_removes_its_files_and_itself),
        T(read_file_returns_every_byte_in_a_malloced_buffer),
        T(read_file_of_an_empty_file_gives_size_zero),
        T(read_file_of_a_missing_file_fails_with_a_message),
        T(read_file_of_a_folder_fails_with_a_message),
        T(write_new_writes_every_byte_with_mode_0700),
        T(read_file_then_write_new_copies_a_file_exactly),
        T(write_new_refuses_an_existing_destination),
        T(write_new_refuses_a_symlink_destination_and_leaves_its_target),
        T(write_new_does_not_follow_a_dangling_symlink),
        T(write_new_into_a_missing_folder_fails_with_a_message),
        T(read_all_pushes_the_file_with_a_nul_after_it),
        T(read_all_keeps_binary_bytes),
        T(read_all_of_an_empty_file_gives_an_empty_string),
        T(read_all_of_a_missing_file_fails_with_a_message),
        T(read_all_of_a_folder_fails_with_a_message),
        T(read_all_into_a_too_small_arena_fails_softly),
        T(write_atomic_writes_the_bytes),
        T(write_atomic_replaces_through_a_rename),
        T(write_atomic_into_a_missing_folder_fails_and_leaves_nothing),
        T(write_atomic_of_zero_bytes_gives_an_empty_file),
        T(remove_deletes_a_file_and_fails_for_a_missing_one),
        T(open_handle_count_counts_a_new_descriptor),
        T(random_numbers_differ),
    };
    return cmocka_run_group_tests_name("fs", tests, NULL, NULL);
}
