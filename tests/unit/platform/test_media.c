/* test_media.c - the picture and the audio buffer in the media region (media.h): the picture's first
 * pixel never moves, a resize re-plans width, height and pitch and keeps what the picture showed
 * in its place (the rest black), growing and shrinking alike, sizes are fitted to the region and
 * to the largest side, and the audio buffer sits before the pixels. */
#include "../test_util.h"

#include "host/platform/media.h"

#define REGION MB(4)

typedef struct fixture {
    void *memory;
    media m;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->memory = map_memory(REGION);
    host_error err;
    assert_true(media_init(&f->m, f->memory, REGION, &err));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    unmap_memory(f->memory, REGION);
    free(f);
    return 0;
}

/* Paints each pixel with its own coordinates, so a moved pixel is seen. */
static void paint(const game_framebuffer *fb)
{
    for (int y = 0; y < fb->height; y++)
        for (int x = 0; x < fb->width; x++) game_pixel_row(fb, y)[x] = 0xff000000u | (uint32_t)(y << 12 | x);
}

static void expect_painted(const game_framebuffer *fb, int w, int h)
{
    for (int y = 0; y < fb->height; y++)
        for (int x = 0; x < fb->width; x++) {
            uint32_t want = x < w && y < h ? 0xff000000u | (uint32_t)(y << 12 | x) : 0;
            if (game_pixel_row(fb, y)[x] != want) fail_msg("pixel %d,%d is 0x%08x, not 0x%08x", x, y, game_pixel_row(fb, y)[x], want);
        }
}

static void the_picture_starts_empty_after_the_audio_buffer(void **state)
{
    fixture *f = *state;
    assert_int_equal(f->m.screen.width, 0);
    assert_int_equal(f->m.screen.height, 0);
    assert_ptr_equal(f->m.samples, f->memory);
    assert_ptr_equal(f->m.screen.pixels, (uint8_t *)f->memory + MEDIA_AUDIO_BYTES);
    assert_true(MEDIA_AUDIO_FRAMES_MAX * MEDIA_AUDIO_CHANNELS * sizeof(float) <= MEDIA_AUDIO_BYTES);
}

static void a_resize_keeps_the_first_pixel_and_what_the_picture_showed(void **state)
{
    fixture *f = *state;
    host_error err;
    uint32_t *first = f->m.screen.pixels;
    assert_true(media_resize(&f->m, 100, 60, &err));
    assert_int_equal(f->m.screen.pitch, 400);
    expect_painted(&f->m.screen, 0, 0); /* black */
    paint(&f->m.screen);
    assert_true(media_resize(&f->m, 160, 90, &err)); /* wider and taller: rows move down */
    assert_ptr_equal(f->m.screen.pixels, first);
    assert_int_equal(f->m.screen.width, 160);
    assert_int_equal(f->m.screen.height, 90);
    assert_int_equal(f->m.screen.pitch, 640);
    expect_painted(&f->m.screen, 100, 60);
    assert_true(media_resize(&f->m, 40, 200, &err)); /* narrower and taller: rows move up */
    expect_painted(&f->m.screen, 40, 60);
    paint(&f->m.screen);
    assert_true(media_resize(&f->m, 30, 10, &err));
    expect_painted(&f->m.screen, 30, 10);
    assert_ptr_equal(f->m.screen.pixels, first);
}

static void the_same_size_changes_nothing(void **state)
{
    fixture *f = *state;
    host_error err;
    assert_true(media_resize(&f->m, 64, 64, &err));
    paint(&f->m.screen);
    assert_true(media_resize(&f->m, 64, 64, &err));
    expect_painted(&f->m.screen, 64, 64);
}

static void sizes_fit_the_region_and_the_largest_side(void **state)
{
    fixture *f = *state;
    int w = 4000, h = 3000; /* 48 MB: more than the 4 MiB region holds */
    media_fit(&f->m, &w, &h);
    assert_true((uint64_t)w * (uint64_t)h * 4 <= REGION - MEDIA_AUDIO_BYTES);
    assert_true(w > 0 && h > 0);
    assert_true(w * 3 / 4 - h <= 2 && h - w * 3 / 4 <= 2); /* the same shape */
    w = 20000, h = 10;
    media_fit(&f->m, &w, &h);
    assert_true(w <= MEDIA_SIDE_MAX && h >= 1);
    w = 0, h = 50;
    media_fit(&f->m, &w, &h);
    assert_true(w == 0 && h == 0);
    host_error err;
    assert_true(media_resize(&f->m, 4000, 3000, &err)); /* fitted, committed, usable to the last pixel */
    game_pixel_row(&f->m.screen, f->m.screen.height - 1)[f->m.screen.width - 1] = 1;
    assert_true(media_resize(&f->m, 0, 0, &err));
    assert_int_equal(f->m.screen.width, 0);
}

static void a_region_with_no_room_for_a_picture_is_refused(void **state)
{
    media m;
    host_error err;
    assert_false(media_init(&m, (void *)(uintptr_t)0x1000, MEDIA_AUDIO_BYTES, &err));
    assert_non_null(strstr(err.msg, "no room for a picture"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_picture_starts_empty_after_the_audio_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(a_resize_keeps_the_first_pixel_and_what_the_picture_showed, setup, teardown),
        cmocka_unit_test_setup_teardown(the_same_size_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(sizes_fit_the_region_and_the_largest_side, setup, teardown),
        cmocka_unit_test(a_region_with_no_room_for_a_picture_is_refused),
    };
    return cmocka_run_group_tests_name("platform: media", tests, NULL, NULL);
}
