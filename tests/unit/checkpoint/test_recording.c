/* test_recording.c - recordings (host/checkpoint/recording.c): frames come back as they went in,
 * through a file too, with the starting state and the checksum; a file is read only when it is a
 * whole recording of this host's ABI and block: truncated, padded, foreign, corrupted, another ABI
 * or another base are each refused with a line saying so; a write that fails leaves the previous
 * file whole. */
#include "../test_util.h"

#include "host/checkpoint/recording.h"
#include "host/os/fs.h"

#define FRAMES 300

static void fill_input(game_input *in, uint64_t i)
{
    memset(in, 0, sizeof(*in));
    in->frame = i;
    in->dt = 1.0 / 60;
    in->time = (double)i / 60;
    for (uint64_t k = 0; k < i % 3; k++) in->keys['a' + (i + k) % 26] = (game_button){1, 1};
    in->mouse.x = (float)i;
    in->audio.frames = (int32_t)(800 + i % 2);
}

static void record(recording *r, uint64_t frames)
{
    memset(r, 0, sizeof(*r));
    for (uint64_t i = 0; i < frames; i++) {
        game_input in;
        fill_input(&in, i);
        recording_add(r, &in);
    }
}

static void assert_frames(const recording *r, uint64_t frames)
{
    assert_int_equal(r->frames, frames);
    for (uint64_t i = 0; i < frames; i++) {
        game_input want, got;
        fill_input(&want, i);
        recording_get(r, i, &got);
        assert_memory_equal(&got, &want, sizeof(want));
    }
}

static void test_frames_come_back_in_order(void **unused)
{
    recording r;
    record(&r, FRAMES); /* past the first growth of its buffer */
    assert_false(r.out_of_memory);
    assert_frames(&r, FRAMES);
    recording_free(&r);
    assert_null(r.inputs);
}

/* A recording with a starting state, written and read back. */
static void write_one(const char *path, const block_config *cfg)
{
    recording r;
    record(&r, FRAMES);
    r.start_frame = 77;
    r.checksum = 0x1234567890abcdefull;
    r.state_size = 1000;
    r.state = malloc(1000);
    for (int i = 0; i < 1000; i++) r.state[i] = (uint8_t)(i * 7);
    host_error err = {{0}};
    assert_true(recording_write(path, &r, cfg->base, cfg->reserve, &err));
    recording_free(&r);
}

static void test_a_file_reads_back_whole(void **unused)
{
    char dir[256], path[512];
    temp_dir_create(dir, sizeof(dir), "recording");
    snprintf(path, sizeof(path), "%s/run.rec", dir);
    block_config cfg = block_config_default();
    write_one(path, &cfg);
    recording r;
    host_error err = {{0}};
    assert_true(recording_read(path, &cfg, &r, &err));
    assert_frames(&r, FRAMES);
    assert_int_equal(r.start_frame, 77);
    assert_int_equal(r.checksum, 0x1234567890abcdefull);
    assert_int_equal(r.state_size, 1000);
    for (int i = 0; i < 1000; i++) assert_int_equal(r.state[i], (uint8_t)(i * 7));
    recording_free(&r);
    temp_dir_remove(dir);
}

/* The bytes of a good recording, changed by `change`, must be refused with `why` in the line. */
static void assert_refused(const uint8_t *good, uint64_t size, void (*change)(uint8_t *data, uint64_t *size),
                           const block_config *cfg, const char *why)
{
    uint8_t *data = malloc((size_t)size + 64);
    memcpy(data, good, (size_t)size);
    uint64_t n = size;
    change(data, &n);
    recording r;
    host_error err = {{0}};
    assert_false(recording_decode(data, n, cfg, &r, &err));
    if (!strstr(err.msg, why)) fail_msg("'%s' not in: %s", why, err.msg);
    assert_null(r.inputs);
    free(data);
}

static void cut_half(uint8_t *data, uint64_t *size) { (void)data, *size /= 2; }
static void cut_header(uint8_t *data, uint64_t *size) { (void)data, *size = 12; }
static void pad(uint8_t *data, uint64_t *size) { data[(*size)++] = 0; }
static void foreign(uint8_t *data, uint64_t *size) { memcpy(data, "HBSTATE1", 8), (void)size; }
static void flip_byte(uint8_t *data, uint64_t *size) { data[*size - 5] ^= 0x40; }
static void other_abi(uint8_t *data, uint64_t *size)
{
    uint32_t abi = GAME_API_VERSION + 1;
    memcpy(data + offsetof(recording_header, game_abi), &abi, 4), (void)size;
}
static void other_input(uint8_t *data, uint64_t *size)
{
    uint32_t n = (uint32_t)sizeof(game_input) + 8;
    memcpy(data + offsetof(recording_header, input_size), &n, 4), (void)size;
}
static void nothing(uint8_t *data, uint64_t *size) { (void)data, (void)size; }

static void test_bad_files_are_refused_with_a_reason(void **unused)
{
    char dir[256], path[512];
    temp_dir_create(dir, sizeof(dir), "recording");
    snprintf(path, sizeof(path), "%s/run.rec", dir);
    block_config cfg = block_config_default();
    write_one(path, &cfg);
    uint64_t size;
    host_error err = {{0}};
    uint8_t *good = fs_read_file(path, &size, &err);
    assert_non_null(good);
    assert_refused(good, size, cut_half, &cfg, "truncated");
    assert_refused(good, size, cut_header, &cfg, "truncated");
    assert_refused(good, size, pad, &cfg, "padded");
    assert_refused(good, size, foreign, &cfg, "not a hotblock recording");
    assert_refused(good, size, flip_byte, &cfg, "corrupted");
    assert_refused(good, size, other_abi, &cfg, "ABI");
    assert_refused(good, size, other_input, &cfg, "game_input");
    block_config moved = cfg;
    moved.base += GB(1);
    assert_refused(good, size, nothing, &moved, "--base 0x200000000000");
    free(good);

    recording r;
    assert_false(recording_read(path, &moved, &r, &err));
    assert_non_null(strstr(err.msg, "refused, nothing loaded"));
    assert_non_null(strstr(err.msg, path));
    temp_dir_remove(dir);
}

/* A write that cannot finish (its folder is gone) reports it and leaves no file behind. */
static void test_a_failed_write_leaves_nothing(void **unused)
{
    char dir[256], path[512];
    temp_dir_create(dir, sizeof(dir), "recording");
    snprintf(path, sizeof(path), "%s/missing/run.rec", dir);
    recording r;
    record(&r, 10);
    host_error err = {{0}};
    assert_false(recording_write(path, &r, 0x200000000000ull, GB(64), &err));
    assert_true(err.msg[0] != 0);
    recording_free(&r);
    temp_dir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_come_back_in_order),
        cmocka_unit_test(test_a_file_reads_back_whole),
        cmocka_unit_test(test_bad_files_are_refused_with_a_reason),
        cmocka_unit_test(test_a_failed_write_leaves_nothing),
    };
    return cmocka_run_group_tests_name("checkpoint/recording", tests, NULL, NULL);
}
