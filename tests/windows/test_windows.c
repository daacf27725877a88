/* test_windows.c - proves the Win32 halves where Windows differs from Linux (the portable unit
 * tests cover the rest): the block is reserved at exactly its base and committed only as arenas
 * grow; mimalloc's heap region works on reserved-only memory; the copies folder is private to the
 * user; files are created without replacing anything and replaced in one rename; the PE image check
 * refuses every truncation and foreign file before LoadLibrary; a copy loads, unloads for real, and
 * a copy still held is reported; the crash guard (vectored handler) turns every kind of crash into a
 * return with the exception, address and frames, again and again; the symbols of a PE library are
 * read from its COFF table or its exports; the clocks and the console check behave. Runs under Wine
 * (./build.sh test-windows) and on Windows (build.bat test), beside a built game.dll. */
#include "../unit/test_util.h"

#include "host/base/block.h"
#include "host/os/block_os.h"
#include "host/os/clock.h"
#include "host/os/crash.h"
#include "host/os/fs.h"
#include "host/os/loader.h"
#include "host/os/symbols.h"
#include "host/os/terminal.h"
#include "arena/heap.h"

#include <aclapi.h>
#include <ctype.h>
#include <sddl.h>

#define GAME_DLL "game.dll" /* put beside the test by the build script */
#define TEST_BASE0 0x320000000000ull
#define TEST_RESERVE MB(256)

static uint64_t next_base(void)
{
    static uint64_t n;
    return TEST_BASE0 + GB(1) * n++;
}

static MEMORY_BASIC_INFORMATION query(uint64_t address)
{
    MEMORY_BASIC_INFORMATION mbi;
    assert_int_equal(VirtualQuery((void *)(uintptr_t)address, &mbi, sizeof(mbi)), sizeof(mbi));
    return mbi;
}

static block_header *init_small_block(uint64_t base, block_config *cfg)
{
    *cfg = (block_config){.base = base, .reserve = TEST_RESERVE, .frame_size = MB(1), .scratch_size = MB(1),
                          .heap_size = MB(32), .host_size = MB(1), .media_size = MB(1)};
    block_region regions[BLOCK_REGION_COUNT];
    host_error err = {{0}};
    assert_true(block_plan(cfg, regions, &err));
    assert_true(block_reserve(base, cfg->reserve, &err));
    block_header *h = block_init(cfg, regions, &err);
    if (!h) print_error("block_init: %s\n", err.msg);
    assert_non_null(h);
    return h;
}

/* ---- the block ---------------------------------------------------------------------------------- */

static void reserve_takes_exactly_the_base_and_commits_nothing(void **state)
{
    uint64_t base = next_base();
    host_error err = {{0}};
    assert_true(block_reserve(base, TEST_RESERVE, &err));
    MEMORY_BASIC_INFORMATION mbi = query(base);
    assert_ptr_equal(mbi.AllocationBase, (void *)(uintptr_t)base);
    assert_int_equal(mbi.State, MEM_RESERVE);
    assert_true(mbi.RegionSize >= TEST_RESERVE);
    assert_false(block_reserve_is_committed);
    block_release(base, TEST_RESERVE);
    assert_int_equal(query(base).State, MEM_FREE);
}

static void a_taken_range_fails_naming_base_size_and_flag(void **state)
{
    uint64_t base = next_base();
    host_error err = {{0}};
    assert_true(block_reserve(base, TEST_RESERVE, &err));
    assert_false(block_reserve(base + MB(128), TEST_RESERVE, &err));
    char want[80];
    snprintf(want, sizeof(want), "cannot reserve the block of 256 MiB at 0x%llx", (unsigned long long)(base + MB(128)));
    assert_contains(err.msg, want);
    assert_contains(err.msg, "taken");
    assert_contains(err.msg, "--base");
    assert_int_equal(query(base).State, MEM_RESERVE); /* the first reservation is intact */
    block_release(base, TEST_RESERVE);
}

static void release_makes_the_range_reservable_again(void **state)
{
    uint64_t base = next_base();
    host_error err = {{0}};
    assert_true(block_reserve(base, MB(64), &err));
    block_release(base, MB(64));
    assert_true(block_reserve(base, MB(64), &err));
    block_release(base, MB(64));
}

/* Arenas commit in 64 KiB steps (ARENA_DEFAULT_COMMIT_STEP): after a push, committed memory ends at
 * the next step boundary past it and the rest of the region is still only reserved. */
static void arenas_commit_in_64_kib_steps_as_they_grow(void **state)
{
    block_config cfg;
    block_header *h = init_small_block(next_base(), &cfg);
    assert_int_equal(query(cfg.base).State, MEM_COMMIT); /* the header */
    arena *p = h->memory.persistent;
    uint64_t start = (uint64_t)(uintptr_t)p->base;
    assert_int_equal(query(start + KB(64)).State, MEM_RESERVE);
    uint8_t *bytes = push_array_no_zero(p, uint8_t, KB(100));
    bytes[KB(100) - 1] = 1;
    assert_int_equal(p->committed, KB(128));
    assert_int_equal(query(start + KB(127)).State, MEM_COMMIT);
    assert_int_equal(query(start + KB(132)).State, MEM_RESERVE); /* the page after the one holding 128 KiB */
    block_release(cfg.base, cfg.reserve);
}

/* The host hands mimalloc a reserved-only region (committed = false); mimalloc commits what it
 * uses. The block stays reserved afterwards: mimalloc keeps the region for the process's life. */
static void heap_region_on_reserved_memory_allocates_inside(void **state)
{
    block_config cfg;
    block_header *h = init_small_block(next_base(), &cfg);
    uint8_t *start = block_region_start(h, BLOCK_REGION_HEAP);
    assert_int_equal((uintptr_t)start % MB(32), 0);
    assert_int_equal(query((uint64_t)(uintptr_t)start).State, MEM_RESERVE);
    heap_region r;
    assert_int_equal(heap_region_init(&r, start, cfg.heap_size, block_reserve_is_committed, "heap"), HEAP_OK);
    uint64_t sizes[] = {24, MB(1), MB(20)};
    for (size_t i = 0; i < ARRAY_COUNT(sizes); i++) {
        uint8_t *q = heap_alloc(sizes[i], 0, 0);
        assert_non_null(q);
        assert_true(heap_contains(&r, q) && heap_contains(&r, q + sizes[i] - 1));
        q[0] = 1;
        q[sizes[i] - 1] = 2;
        heap_free(q);
    }
    heap_thread_unbind();
}

/* ---- files ---------------------------------------------------------------------------------------- */

typedef struct files {
    char dir[FS_PATH_MAX];
} files;

static int files_setup(void **state)
{
    files *f = calloc(1, sizeof(*f));
    host_error err = {{0}};
    *state = f;
    return fs_private_dir_create(f->dir, sizeof(f->dir), &err) ? 0 : -1;
}

static int files_teardown(void **state)
{
    files *f = *state;
    fs_private_dir_remove(f->dir);
    free(f);
    return 0;
}

static char *in_dir(void **state, char *out, const char *name)
{
    snprintf(out, FS_PATH_MAX, "%s\\%s", ((files *)*state)->dir, name);
    return out;
}

static void assert_file_text(const char *path, const char *want)
{
    char text[256];
    assert_int_equal(read_text(path, text, sizeof(text)), (long)strlen(want));
    assert_string_equal(text, want);
}

static PSID current_user_sid(void *buf, DWORD cap)
{
    HANDLE token;
    DWORD n;
    assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token));
    assert_true(GetTokenInformation(token, TokenUser, buf, cap, &n));
    CloseHandle(token);
    return ((TOKEN_USER *)buf)->User.Sid;
}

/* Only the user may enter: one ACE, for the user, and nothing inherited from the temp folder.
 * Wine keeps no DACL of its own: it turns ours into the folder's Unix mode (0700) and reports
 * that back as the owner plus SYSTEM, so under Wine SYSTEM may appear and "protected" is not kept. */
static void private_dir_is_in_temp_and_only_the_user_may_enter(void **state)
{
    const char *dir = ((files *)*state)->dir;
    char temp[MAX_PATH + 1];
    assert_true(GetTempPathA(sizeof(temp), temp) > 0);
    assert_int_equal(strncmp(dir, temp, strlen(temp)), 0);
    assert_contains(dir, "hotreload-");
    PACL dacl = NULL;
    PSECURITY_DESCRIPTOR sd = NULL;
    assert_int_equal(GetNamedSecurityInfoA(dir, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd),
                     ERROR_SUCCESS);
    assert_non_null(dacl);
    bool wine = test_win32_is_wine();
    SECURITY_DESCRIPTOR_CONTROL control;
    DWORD revision;
    assert_true(GetSecurityDescriptorControl(sd, &control, &revision));
    if (!wine) assert_true(control & SE_DACL_PROTECTED);
    union {
        TOKEN_USER user;
        char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
    } user;
    PSID me = current_user_sid(&user, sizeof(user));
    int mine = 0;
    for (DWORD i = 0; i < dacl->AceCount; i++) {
        ACCESS_ALLOWED_ACE *ace;
        assert_true(GetAce(dacl, i, (void **)&ace));
        assert_int_equal(ace->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
        PSID who = (PSID)&ace->SidStart;
        if (EqualSid(who, me)) mine++;
        else assert_true(wine && IsWellKnownSid(who, WinLocalSystemSid));
    }
    assert_int_equal(mine, 1);
    if (!wine) assert_int_equal(dacl->AceCount, 1);
    LocalFree(sd);
}

static void private_dirs_get_new_names_and_go_with_their_files(void **state)
{
    char a[FS_PATH_MAX], b[FS_PATH_MAX], file[FS_PATH_MAX + 16];
    host_error err = {{0}};
    assert_true(fs_private_dir_create(a, sizeof(a), &err));
    assert_true(fs_private_dir_create(b, sizeof(b), &err));
    assert_string_not_equal(a, b);
    snprintf(file, sizeof(file), "%s\\game.1.dll", a);
    assert_true(fs_write_new(file, "x", 1, &err));
    fs_private_dir_remove(a);
    fs_private_dir_remove(b);
    assert_int_equal(GetFileAttributesA(a), INVALID_FILE_ATTRIBUTES);
    assert_int_equal(GetFileAttributesA(b), INVALID_FILE_ATTRIBUTES);
}

static void write_new_never_replaces_an_existing_file(void **state)
{
    char p[FS_PATH_MAX];
    host_error err = {{0}};
    assert_true(fs_write_new(in_dir(state, p, "copy.dll"), "first", 5, &err));
    assert_false(fs_write_new(p, "second", 6, &err));
    assert_contains(err.msg, "cannot create");
    assert_contains(err.msg, p);
    assert_file_text(p, "first");
}

static void write_atomic_replaces_in_one_rename_and_leaves_no_temp_file(void **state)
{
    char p[FS_PATH_MAX];
    host_error err = {{0}};
    assert_true(fs_write_atomic(in_dir(state, p, "save.bin"), "old", 3, &err));
    assert_true(fs_write_atomic(p, "newer", 5, &err));
    assert_file_text(p, "newer");
    assert_int_equal(dir_entry_count(((files *)*state)->dir), 1);
}

/* No file ID on Windows (the watch never opens the library): a rebuild of the same size shows as
 * a new mtime. */
static void identity_changes_when_a_build_renames_over_the_file(void **state)
{
    char p[FS_PATH_MAX], tmp[FS_PATH_MAX];
    host_error err = {{0}};
    assert_true(fs_write_new(in_dir(state, p, "game.dll"), "build 1", 7, &err));
    fs_identity before = fs_identity_of(p);
    assert_true(before.exists);
    assert_int_equal(before.size, 7);
    assert_true(fs_identity_equal(before, fs_identity_of(p)));
    sleep_ms(20);
    assert_true(fs_write_new(in_dir(state, tmp, "game.tmp"), "build 2", 7, &err));
    assert_true(MoveFileExA(tmp, p, MOVEFILE_REPLACE_EXISTING));
    fs_identity after = fs_identity_of(p);
    assert_true(after.exists);
    assert_false(fs_identity_equal(before, after));
    assert_false(fs_identity_of(tmp).exists);
}

static void read_file_returns_every_byte_and_refuses_a_folder(void **state)
{
    char p[FS_PATH_MAX];
    host_error err = {{0}};
    uint8_t data[3000];
    for (size_t i = 0; i < sizeof(data); i++) data[i] = (uint8_t)(i * 7 + (i >> 8)); /* \n and \r among them */
    assert_true(fs_write_new(in_dir(state, p, "bytes.bin"), data, sizeof(data), &err));
    uint64_t size = 0;
    void *got = fs_read_file(p, &size, &err);
    assert_non_null(got);
    assert_int_equal(size, sizeof(data));
    assert_memory_equal(got, data, sizeof(data));
    free(got);
    assert_null(fs_read_file(((files *)*state)->dir, &size, &err));
    assert_contains(err.msg, ((files *)*state)->dir);
}

static void handle_count_sees_a_new_handle(void **state)
{
    int before = fs_open_handle_count();
    assert_true(before > 0);
    HANDLE e = CreateEventA(NULL, TRUE, FALSE, NULL);
    assert_int_equal(fs_open_handle_count(), before + 1);
    CloseHandle(e);
    assert_int_equal(fs_open_handle_count(), before);
}

/* ---- the PE image check ------------------------------------------------------------------------- */

typedef struct image {
    uint8_t *data;
    uint64_t size;
    uint64_t nt;           /* offset of "PE\0\0" */
    uint64_t sections;     /* offset of the section table */
    uint64_t section_end;  /* end of the last section's raw data */
    unsigned section_count;
} image;

static image image_load(const char *path)
{
    image im = {0};
    host_error err = {{0}};
    im.data = fs_read_file(path, &im.size, &err);
    if (!im.data) print_error("%s (build game_template for Windows first)\n", err.msg);
    assert_non_null(im.data);
    IMAGE_DOS_HEADER dos;
    memcpy(&dos, im.data, sizeof(dos));
    im.nt = (uint64_t)dos.e_lfanew;
    IMAGE_FILE_HEADER fh;
    memcpy(&fh, im.data + im.nt + 4, sizeof(fh));
    im.sections = im.nt + 4 + sizeof(fh) + fh.SizeOfOptionalHeader;
    im.section_count = fh.NumberOfSections;
    for (unsigned i = 0; i < fh.NumberOfSections; i++) {
        IMAGE_SECTION_HEADER sh;
        memcpy(&sh, im.data + im.sections + i * sizeof(sh), sizeof(sh));
        im.section_end = MAX(im.section_end, (uint64_t)sh.PointerToRawData + sh.SizeOfRawData);
    }
    return im;
}

static void check_image_accepts_a_real_game_dll(void **state)
{
    image im = image_load(GAME_DLL);
    host_error err = {{0}};
    if (!loader_check_image(im.data, im.size, &err)) print_error("%s\n", err.msg);
    assert_true(loader_check_image(im.data, im.size, &err));
    free(im.data);
}

static void check_image_refuses_every_cut_before_the_last_section_ends(void **state)
{
    image im = image_load(GAME_DLL);
    uint64_t cuts[] = {0, 2, 0x3f, im.nt + 2, im.nt + 20, im.sections - 1, im.sections + 39,
                       im.sections + im.section_count * sizeof(IMAGE_SECTION_HEADER) - 1, im.size / 2,
                       im.section_end - 1};
    for (size_t i = 0; i < ARRAY_COUNT(cuts); i++) {
        host_error err = {{0}};
        if (loader_check_image(im.data, cuts[i], &err)) print_error("a cut at %llu passed\n", (unsigned long long)cuts[i]);
        assert_false(loader_check_image(im.data, cuts[i], &err));
        if (!strstr(err.msg, "truncated")) assert_contains(err.msg, "not a library");
    }
    free(im.data);
}

static void check_refusal(image *im, uint64_t at, const void *bytes, size_t n, const char *want)
{
    uint8_t saved[8];
    memcpy(saved, im->data + at, n);
    memcpy(im->data + at, bytes, n);
    host_error err = {{0}};
    assert_false(loader_check_image(im->data, im->size, &err));
    assert_contains(err.msg, want);
    memcpy(im->data + at, saved, n);
}

static void check_image_refuses_foreign_files(void **state)
{
    host_error err = {{0}};
    assert_false(loader_check_image("#!/bin/sh\necho not a dll\n", 25, &err));
    assert_contains(err.msg, "not a library");
    image im = image_load(GAME_DLL);
    check_refusal(&im, im.nt, "PX\0\0", 4, "not a PE image");
    uint16_t i386 = IMAGE_FILE_MACHINE_I386;
    check_refusal(&im, im.nt + 4 + offsetof(IMAGE_FILE_HEADER, Machine), &i386, 2, "another architecture");
    IMAGE_FILE_HEADER fh;
    memcpy(&fh, im.data + im.nt + 4, sizeof(fh));
    uint16_t exe = fh.Characteristics & (uint16_t)~IMAGE_FILE_DLL;
    check_refusal(&im, im.nt + 4 + offsetof(IMAGE_FILE_HEADER, Characteristics), &exe, 2, "not a DLL");
    uint16_t pe32 = IMAGE_NT_OPTIONAL_HDR32_MAGIC;
    check_refusal(&im, im.nt + 4 + sizeof(fh), &pe32, 2, "wrong width");
    free(im.data);
}

/* ---- loading copies ----------------------------------------------------------------------------- */

/* game.dll copied into the private folder under `name`, as the host does. */
static char *copy_game(void **state, char *out, const char *name)
{
    uint64_t size;
    host_error err = {{0}};
    void *data = fs_read_file(GAME_DLL, &size, &err);
    assert_non_null(data);
    assert_true(fs_write_new(in_dir(state, out, name), data, size, &err));
    free(data);
    return out;
}

static void assert_open(const char *path, loader_lib *lib)
{
    host_error err = {{0}};
    if (!loader_open(path, lib, &err)) print_error("%s\n", err.msg);
    assert_non_null(lib->handle);
    assert_null(lib->api); /* the entry point is game code: the host calls it under the crash guard */
    lib->api = lib->entry(GAME_API_VERSION);
    assert_non_null(lib->api);
    assert_int_equal(lib->api->abi_version, GAME_API_VERSION);
    /* the table is a static of the library: inside its image */
    assert_true(lib->image_start <= (uintptr_t)lib->api && (uintptr_t)lib->api < lib->image_end);
}

static void a_copy_loads_then_unloads_for_real_and_can_be_deleted(void **state)
{
    char p[FS_PATH_MAX];
    loader_lib lib;
    assert_open(copy_game(state, p, "game.1.dll"), &lib);
    loader_close(&lib);
    host_error err = {{0}};
    assert_true(loader_verify_unloaded(&lib, &err));
    assert_true(fs_remove(lib.path)); /* no longer mapped, so no longer locked */
}

static void two_copies_load_side_by_side_with_their_own_images(void **state)
{
    char a[FS_PATH_MAX], b[FS_PATH_MAX];
    loader_lib old_lib, new_lib;
    assert_open(copy_game(state, a, "game.1.dll"), &old_lib);
    assert_open(copy_game(state, b, "game.2.dll"), &new_lib);
    assert_true(new_lib.image_start >= old_lib.image_end || new_lib.image_end <= old_lib.image_start);
    assert_ptr_not_equal(old_lib.api, new_lib.api);
    loader_close(&old_lib);
    host_error err = {{0}};
    assert_true(loader_verify_unloaded(&old_lib, &err));
    assert_true(GetModuleHandleA(new_lib.path) != NULL); /* unloading one copy leaves the other */
    loader_close(&new_lib);
    assert_true(loader_verify_unloaded(&new_lib, &err));
}

static void a_copy_still_held_is_reported_by_path(void **state)
{
    char p[FS_PATH_MAX];
    loader_lib lib;
    assert_open(copy_game(state, p, "game.1.dll"), &lib);
    HMODULE extra = LoadLibraryA(lib.path); /* someone else holds it too */
    assert_non_null(extra);
    loader_close(&lib);
    host_error err = {{0}};
    assert_false(loader_verify_unloaded(&lib, &err));
    assert_contains(err.msg, lib.path);
    assert_contains(err.msg, "still loaded");
    FreeLibrary(extra);
    assert_true(loader_verify_unloaded(&lib, &err));
}

static void opening_a_missing_copy_fails_with_the_system_message(void **state)
{
    char p[FS_PATH_MAX];
    loader_lib lib;
    host_error err = {{0}};
    assert_false(loader_open(in_dir(state, p, "missing.dll"), &lib, &err));
    assert_contains(err.msg, "LoadLibrary failed");
    assert_contains(err.msg, "(error ");
    assert_null(lib.handle);
}

/* ---- the crash guard ------------------------------------------------------------------------------ */

static BASE_NOINLINE void write_at(void *ctx) { *(volatile uint8_t *)ctx = 1; }

static BASE_NOINLINE void write_low(void *ctx)
{
    (void)ctx;
    write_at((void *)(uintptr_t)16);
}

static BASE_NOINLINE uint64_t recurse(uint64_t depth)
{
    volatile char pad[512];
    pad[depth % sizeof(pad)] = (char)depth;
    if (depth == UINT64_MAX) return 0;
    return recurse(depth + 1) + (uint64_t)pad[depth % sizeof(pad)]; /* not a tail call */
}

static void overflow(void *ctx) { *(uint64_t *)ctx = recurse(0); }
static void call_abort(void *ctx) { (void)ctx, abort(); }
static void raise_reason(void *ctx) { crash_raise(ctx); }
static void nothing(void *ctx) { *(int *)ctx = 1; }

/* An inner guard takes the crash; the outer call goes on. */
static void nested(void *ctx)
{
    crash_info inner;
    *(bool *)ctx = !crash_guard_run(write_low, NULL, &inner) && inner.address == 16 && crash_guarded();
}

static void a_bad_write_returns_to_the_guard_with_address_and_frames(void **state)
{
    crash_install();
    crash_info info;
    assert_false(crash_guarded());
    assert_false(crash_guard_run(write_low, NULL, &info));
    assert_false(crash_guarded());
    assert_string_equal(info.name, "EXCEPTION_ACCESS_VIOLATION");
    assert_int_equal(info.signal, (int)EXCEPTION_ACCESS_VIOLATION);
    assert_int_equal(info.address, 16);
    assert_false(info.stack_overflow);
    assert_true(info.frame_count >= 2);
    assert_int_equal(info.frames[0], info.pc);
    assert_true(info.pc >= (uintptr_t)write_at && info.pc < (uintptr_t)write_at + 64);
    int ran = 0;
    assert_true(crash_guard_run(nothing, &ran, &info)); /* and a call that returns still returns */
    assert_int_equal(ran, 1);
}

static void a_thousand_crashes_in_a_row_all_return(void **state)
{
    crash_install();
    for (int i = 0; i < 1000; i++) {
        crash_info info;
        assert_false(crash_guard_run(write_low, NULL, &info));
        assert_int_equal(info.address, 16);
    }
}

/* Twice: the first overflow used up the stack's guard page, which the guard puts back. */
static void a_stack_overflow_is_caught_and_caught_again(void **state)
{
    crash_install();
    for (int i = 0; i < 2; i++) {
        crash_info info;
        uint64_t sink = 0;
        assert_false(crash_guard_run(overflow, &sink, &info));
        assert_string_equal(info.name, "EXCEPTION_STACK_OVERFLOW");
        assert_true(info.stack_overflow);
        assert_int_equal(info.frame_count, CRASH_MAX_FRAMES); /* deep in the recursion */
        assert_true(info.frames[1] >= (uintptr_t)recurse && info.frames[1] < (uintptr_t)recurse + 256);
    }
}

static void abort_raise_and_nesting_end_only_their_own_call(void **state)
{
    crash_install();
    crash_info info;
    assert_false(crash_guard_run(call_abort, NULL, &info));
    assert_string_equal(info.name, "SIGABRT");
    assert_string_equal(info.what, "abort() called");
    assert_false(crash_guard_run(raise_reason, "the new build has no function 'step'", &info));
    assert_string_equal(info.name, "error");
    assert_string_equal(info.reason, "the new build has no function 'step'");
    assert_true(info.frame_count > 0);
    bool inner_caught = false;
    assert_true(crash_guard_run(nested, &inner_caught, &info));
    assert_true(inner_caught);
}

static void a_fenced_range_faults_and_is_given_back(void **state)
{
    crash_install();
    uint8_t *p = VirtualAlloc(NULL, KB(128), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(p);
    assert_true(VirtualFree(p, 0, MEM_RELEASE)); /* as FreeLibrary leaves an unloaded image's range */
    assert_true(crash_fence((uintptr_t)p, (uintptr_t)p + KB(128)));
    assert_false(crash_fence((uintptr_t)p, (uintptr_t)p + KB(128))); /* taken now */
    crash_info info;
    assert_false(crash_guard_run(write_at, p + KB(64), &info)); /* a stale pointer into it */
    assert_int_equal(info.address, (uintptr_t)p + KB(64));
    assert_int_equal(query((uint64_t)(uintptr_t)p).AllocationProtect, PAGE_NOACCESS);
    crash_unfence((uintptr_t)p, (uintptr_t)p + KB(128));
    assert_int_equal(query((uint64_t)(uintptr_t)p).State, MEM_FREE);
}

static void foreign_addresses_are_named_by_module(void **state)
{
    char text[128];
    crash_describe_foreign((uintptr_t)GetTickCount, text, sizeof(text));
    for (char *c = text; *c; c++) *c = (char)tolower((unsigned char)*c);
    assert_contains(text, "kernel32.dll+0x");
    crash_describe_foreign(8, text, sizeof(text));
    assert_string_equal(text, "0x8");
}

/* ---- symbols of a PE library --------------------------------------------------------------------- */

static void symbols_of_game_dll_name_its_functions_at_their_addresses(void **state)
{
    image im = image_load(GAME_DLL);
    symbol_table t;
    host_error err = {{0}};
    assert_true(symbols_read(im.data, im.size, &t, &err));
    assert_int_equal(t.image_vaddr, 0);
    const symbol *entry = symbols_lookup(&t, GAME_ENTRY_NAME, SYMBOL_CODE, NULL);
    const symbol *helper = symbols_lookup(&t, "snake_ahead", SYMBOL_CODE, NULL); /* static: COFF only */
    assert_non_null(entry);
    assert_non_null(helper);
    HMODULE m = LoadLibraryA(GAME_DLL);
    assert_non_null(m);
    uintptr_t rva = (uintptr_t)(void *)GetProcAddress(m, GAME_ENTRY_NAME) - (uintptr_t)m;
    FreeLibrary(m);
    assert_int_equal(entry->vaddr, rva);
    char where[128];
    symbols_format(&t, entry->vaddr + 3, where, sizeof(where));
    assert_string_equal(where, GAME_ENTRY_NAME "+0x3");
    /* the writable globals of the C runtime linked into the DLL (seen in MinGW-w64 12's) are not the game's */
    static const char *const runtime[] = {"initialized", "was_init", "atexit_table", "maxSections", "key_dtor_list"};
    for (size_t i = 0; i < ARRAY_COUNT(runtime); i++) {
        const symbol *r = symbols_lookup(&t, runtime[i], SYMBOL_WRITABLE, NULL);
        if (r) print_error("the runtime's %s is listed as the game's\n", r->name);
        assert_null(r);
    }
    symbols_free(&t);
    free(im.data);
}

static void a_library_without_a_symbol_table_gives_its_exports(void **state)
{
    image im = image_load(GAME_DLL);
    IMAGE_FILE_HEADER fh;
    memcpy(&fh, im.data + im.nt + 4, sizeof(fh));
    fh.PointerToSymbolTable = 0; /* as an MSVC build (symbols in the PDB) or a stripped one */
    fh.NumberOfSymbols = 0;
    memcpy(im.data + im.nt + 4, &fh, sizeof(fh));
    symbol_table t;
    host_error err = {{0}};
    assert_true(symbols_read(im.data, im.size, &t, &err));
    assert_non_null(symbols_lookup(&t, GAME_ENTRY_NAME, SYMBOL_CODE, NULL));
    assert_null(symbols_lookup(&t, "snake_ahead", SYMBOL_CODE, NULL));
    symbols_free(&t);
    free(im.data);
}

static void symbols_of_a_cut_library_never_read_past_it(void **state)
{
    image im = image_load(GAME_DLL);
    for (uint64_t cut = 0; cut < im.size; cut += im.size / 97 + 1) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exactly `cut` bytes: a read past them is a heap error */
        memcpy(copy, im.data, cut);
        symbol_table t;
        host_error err = {{0}};
        if (symbols_read(copy, cut, &t, &err)) symbols_free(&t);
        free(copy);
    }
    free(im.data);
}

/* ---- clock and console -------------------------------------------------------------------------- */

static void wall_clock_counts_from_1970(void **state)
{
    int64_t wall_s = clock_wall_ns() / 1000000000;
    int64_t now_s = (int64_t)time(NULL);
    assert_in_range(wall_s, now_s - 2, now_s + 2);
}

static void sleep_until_never_returns_early(void **state)
{
    uint64_t last = clock_now_ns();
    for (int i = 1; i <= 5; i++) {
        uint64_t deadline = clock_now_ns() + (uint64_t)i * 1000000;
        clock_sleep_until(deadline);
        uint64_t now = clock_now_ns();
        assert_true(now >= deadline);
        assert_true(now >= last);
        last = now;
    }
    clock_sleep_until(0); /* a past deadline returns at once */
}

static void terminal_refuses_output_that_is_not_a_console(void **state)
{
    DWORD mode;
    if (GetConsoleMode(GetStdHandle(STD_OUTPUT_HANDLE), &mode)) skip(); /* run from a console: nothing to prove */
    assert_false(terminal_open());
    int keys[4];
    assert_int_equal(terminal_read_keys(keys, 4), 0);
    terminal_restore(); /* nothing to restore: harmless */
}

#define FILES(name) cmocka_unit_test_setup_teardown(name, files_setup, files_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reserve_takes_exactly_the_base_and_commits_nothing),
        cmocka_unit_test(a_taken_range_fails_naming_base_size_and_flag),
        cmocka_unit_test(release_makes_the_range_reservable_again),
        cmocka_unit_test(arenas_commit_in_64_kib_steps_as_they_grow),
        cmocka_unit_test(heap_region_on_reserved_memory_allocates_inside),
        FILES(private_dir_is_in_temp_and_only_the_user_may_enter),
        FILES(private_dirs_get_new_names_and_go_with_their_files),
        FILES(write_new_never_replaces_an_existing_file),
        FILES(write_atomic_replaces_in_one_rename_and_leaves_no_temp_file),
        FILES(identity_changes_when_a_build_renames_over_the_file),
        FILES(read_file_returns_every_byte_and_refuses_a_folder),
        cmocka_unit_test(handle_count_sees_a_new_handle),
        cmocka_unit_test(check_image_accepts_a_real_game_dll),
        cmocka_unit_test(check_image_refuses_every_cut_before_the_last_section_ends),
        cmocka_unit_test(check_image_refuses_foreign_files),
        FILES(a_copy_loads_then_unloads_for_real_and_can_be_deleted),
        FILES(two_copies_load_side_by_side_with_their_own_images),
        FILES(a_copy_still_held_is_reported_by_path),
        FILES(opening_a_missing_copy_fails_with_the_system_message),
        cmocka_unit_test(a_bad_write_returns_to_the_guard_with_address_and_frames),
        cmocka_unit_test(a_thousand_crashes_in_a_row_all_return),
        cmocka_unit_test(a_stack_overflow_is_caught_and_caught_again),
        cmocka_unit_test(abort_raise_and_nesting_end_only_their_own_call),
        cmocka_unit_test(a_fenced_range_faults_and_is_given_back),
        cmocka_unit_test(foreign_addresses_are_named_by_module),
        cmocka_unit_test(symbols_of_game_dll_name_its_functions_at_their_addresses),
        cmocka_unit_test(a_library_without_a_symbol_table_gives_its_exports),
        cmocka_unit_test(symbols_of_a_cut_library_never_read_past_it),
        cmocka_unit_test(wall_clock_counts_from_1970),
        cmocka_unit_test(sleep_until_never_returns_early),
        cmocka_unit_test(terminal_refuses_output_that_is_not_a_console),
    };
    return cmocka_run_group_tests_name("windows", tests, NULL, NULL);
}
