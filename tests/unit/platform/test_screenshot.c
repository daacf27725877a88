/* test_screenshot.c - the picture as a PNG file (screenshot.h), read back by a real PNG decoder
 * (stb_image, Debian's libstb-dev): every pixel's colour, the size of a picture whose pitch is
 * wider than its rows, no temporary file left, a 0 x 0 picture refused with one line, and F12's
 * numbered names that never overwrite a file. */
#include "../test_util.h"

#include "host/platform/screenshot.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_LINEAR /* no HDR, no libm */
#define STBI_NO_HDR
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

static int setup(void **state)
{
    *state = temp_file_new("screenshot", "shot.png");
    return 0;
}

static void a_png_holds_every_pixel_of_the_picture(void **state)
{
    temp_file *f = *state;
    enum { W = 37, H = 23, PITCH_PX = 50 }; /* rows padded: only W of every PITCH_PX are the picture */
    static uint32_t pixels[PITCH_PX * H];
    for (int i = 0; i < PITCH_PX * H; i++) pixels[i] = 0xffabcdefu;
    game_framebuffer fb = {pixels, W, H, PITCH_PX * 4};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) game_pixel_row(&fb, y)[x] = 0x7f000000u | (uint32_t)(x * 7) << 16 | (uint32_t)(y * 11) << 8 | (uint32_t)(x ^ y);
    host_error err;
    assert_true(screenshot_write(&fb, f->path, &err));
    assert_int_equal(dir_entry_count(f->dir), 1); /* written through a temporary name, renamed */
    int w = 0, h = 0, n = 0;
    unsigned char *rgb = stbi_load(f->path, &w, &h, &n, 3);
    assert_non_null(rgb);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    assert_int_equal(n, 3); /* RGB: the picture's alpha means nothing */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const unsigned char *p = rgb + (y * W + x) * 3;
            assert_int_equal(p[0], (x * 7) & 255);
            assert_int_equal(p[1], (y * 11) & 255);
            assert_int_equal(p[2], x ^ y);
        }
    stbi_image_free(rgb);
}

static void an_empty_picture_is_refused_in_one_line(void **state)
{
    temp_file *f = *state;
    game_framebuffer fb = {NULL, 0, 0, 0};
    host_error err;
    assert_false(screenshot_write(&fb, f->path, &err));
    assert_contains(err.msg, "no picture to save in");
    assert_contains(err.msg, "shot.png");
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(dir_entry_count(f->dir), 0);
}

static void a_folder_that_is_not_there_is_named(void **state)
{
    temp_file *f = *state;
    uint32_t pixel = 0xff000000u;
    game_framebuffer fb = {&pixel, 1, 1, 4};
    char path[700];
    snprintf(path, sizeof(path), "%s/missing/shot.png", f->dir);
    host_error err;
    assert_false(screenshot_write(&fb, path, &err));
    assert_contains(err.msg, "missing");
}

static void numbered_names_take_the_first_free_one(void **state)
{
    temp_file *f = *state;
    char cwd[1024], name[64];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(f->dir), 0);
    screenshot_next_name(name, sizeof(name));
    assert_string_equal(name, "screenshot-0001.png");
    write_text("screenshot-0001.png", "taken");
    write_text("screenshot-0003.png", "taken");
    screenshot_next_name(name, sizeof(name));
    assert_string_equal(name, "screenshot-0002.png");
    assert_int_equal(chdir(cwd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_png_holds_every_pixel_of_the_picture, setup, temp_file_teardown),
        cmocka_unit_test_setup_teardown(an_empty_picture_is_refused_in_one_line, setup, temp_file_teardown),
        cmocka_unit_test_setup_teardown(a_folder_that_is_not_there_is_named, setup, temp_file_teardown),
        cmocka_unit_test_setup_teardown(numbered_names_take_the_first_free_one, setup, temp_file_teardown),
    };
    return cmocka_run_group_tests_name("platform: screenshot", tests, NULL, NULL);
}
