/* test_window.c - the template in a real window: Xvfb started here, SDL's x11 video driver and its
 * dummy audio driver, keys sent with xdotool (XTEST), pictures read back with a real PNG decoder
 * (stb_image) and from the X server itself (Xlib's XGetImage).
 *
 * Proven: --screenshot saves the last frame; --resolution gives a fixed picture scaled by a whole
 * number in the window; keys reach the game (it pauses); a rebuild with another colour while the
 * window is open changes exactly the snake's pixels and nothing of the state (the paused picture is
 * otherwise the same to the pixel); the host's overlay (F1) is drawn in the window but never into
 * the game's picture; F2 sets a stats mark, F5 reloads, F6 restarts, Esc quits cleanly; with no
 * display the host says in one line what to pass, and --headless needs no display. */
#include "harness.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_NO_LINEAR /* no HDR, no libm */
#define STBI_NO_HDR
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image.h>
#pragma GCC diagnostic pop

#define WAIT_MS 30000
#define BODY 0x3bb273u  /* SNAKE_COLOR_BODY as the template ships */
#define BODY2 0xb2337bu /* what the test rebuilds it with */

static harness_xvfb xvfb;
static harness_game template_game;

static int group_setup(void **unused)
{
    if (!harness_xvfb_start(&xvfb, 1280, 800)) return -1;
    if (!harness_game_copy("game_template", &template_game)) return -1;
    return harness_game_build(&template_game) == 0 ? 0 : -1;
}

static int group_teardown(void **unused)
{
    harness_game_remove(&template_game);
    harness_xvfb_stop(&xvfb);
    return 0;
}

/* ---- pictures ------------------------------------------------------------------------------- */

typedef struct picture {
    unsigned char *rgb;
    int w, h;
} picture;

static picture picture_load(const char *path)
{
    picture p = {0};
    int n;
    p.rgb = stbi_load(path, &p.w, &p.h, &n, 3);
    if (!p.rgb) fail_msg("%s is not a PNG picture: %s", path, stbi_failure_reason());
    return p;
}

static uint32_t pixel(const picture *p, int x, int y)
{
    const unsigned char *c = p->rgb + ((size_t)y * (size_t)p->w + (size_t)x) * 3;
    return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
}

static int colours(const picture *p)
{
    uint32_t seen[64];
    int n = 0;
    for (int i = 0; i < p->w * p->h && n < 64; i += 7) {
        uint32_t c = pixel(p, i % p->w, i / p->w);
        bool old = false;
        for (int k = 0; k < n; k++) old |= seen[k] == c;
        if (!old) seen[n++] = c;
    }
    return n;
}

static int count_colour(const picture *p, uint32_t c)
{
    int n = 0;
    for (int y = 0; y < p->h; y++)
        for (int x = 0; x < p->w; x++) n += pixel(p, x, y) == c;
    return n;
}

static bool pictures_equal(const picture *a, const picture *b)
{
    return a->w == b->w && a->h == b->h && memcmp(a->rgb, b->rgb, (size_t)a->w * (size_t)a->h * 3) == 0;
}

/* ---- the window ----------------------------------------------------------------------------- */

static void x_run(const char *first, ...)
{
    const char *argv[16] = {first};
    int n = 1;
    va_list args;
    va_start(args, first);
    while (n < 15 && (argv[n] = va_arg(args, const char *))) n++;
    va_end(args);
    argv[n] = NULL;
    char out[2048];
    int rc = harness_x(&xvfb, argv, out, sizeof(out));
    if (rc != 0) fail_msg("%s failed (%d): %s", first, rc, out);
}

/* The host's window, focused, so that XTEST's keys go to it. */
static void window_focus(char *id, size_t cap)
{
    const char *argv[] = {"xdotool", "search", "--sync", "--name", "hotblock", NULL};
    char out[64];
    assert_int_equal(harness_x(&xvfb, argv, out, sizeof(out)), 0);
    out[strcspn(out, "\n")] = 0;
    snprintf(id, cap, "%.60s", out);
    x_run("xdotool", "windowfocus", "--sync", id, NULL);
}

static void key(const char *name)
{
    x_run("xdotool", "key", "--delay", "60", name, NULL);
    harness_sleep_ms(150); /* a few frames see it */
}

typedef struct window {
    harness_host host;
    char id[64];
    int shots;
    char dir[HARNESS_PATH];
} window;

static window *open_window; /* closed by the test's teardown, also when the test fails */

static int window_teardown(void **unused)
{
    if (open_window && harness_host_alive(&open_window->host)) harness_host_stop(&open_window->host);
    open_window = NULL;
    return 0;
}

/* The host in a window, in the game's folder (where F12's screenshots go). */
static void window_open(window *w, const char *const *args)
{
    memset(w, 0, sizeof(*w));
    open_window = w;
    char cwd[HARNESS_PATH];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(template_game.dir), 0);
    bool started = harness_window_start(&w->host, &xvfb, template_game.lib, args);
    assert_int_equal(chdir(cwd), 0);
    if (!started) fail_msg("no load event from the windowed host");
    snprintf(w->dir, sizeof(w->dir), "%s", template_game.dir);
    window_focus(w->id, sizeof(w->id));
}

/* F12, and the picture it saved. */
static picture window_shot(window *w)
{
    key("F12");
    const char *ev = harness_wait_event(&w->host, "screenshot", NULL, w->shots++, WAIT_MS);
    if (!ev) fail_msg("no screenshot event after F12");
    char name[256], path[HARNESS_PATH + 300];
    assert_true(harness_field(ev, "path", name, sizeof(name)));
    snprintf(path, sizeof(path), "%s/%s", w->dir, name);
    return picture_load(path);
}

/* What the X server shows of the window (Xlib's XGetImage): the host's picture with its overlay. */
static picture window_capture(window *w)
{
    Display *d = XOpenDisplay(xvfb.display);
    assert_non_null(d);
    Window id = (Window)strtoul(w->id, NULL, 10);
    XWindowAttributes a;
    assert_true(XGetWindowAttributes(d, id, &a));
    XImage *img = XGetImage(d, id, 0, 0, (unsigned)a.width, (unsigned)a.height, AllPlanes, ZPixmap);
    assert_non_null(img);
    picture p = {malloc((size_t)a.width * (size_t)a.height * 3), a.width, a.height};
    for (int y = 0; y < a.height; y++)
        for (int x = 0; x < a.width; x++) {
            unsigned long v = XGetPixel(img, x, y); /* 24-bit TrueColor: 0xRRGGBB */
            unsigned char *c = p.rgb + ((size_t)y * (size_t)a.width + (size_t)x) * 3;
            c[0] = (unsigned char)(v >> 16), c[1] = (unsigned char)(v >> 8), c[2] = (unsigned char)v;
        }
    XDestroyImage(img);
    XCloseDisplay(d);
    return p;
}

/* ---- the tests ------------------------------------------------------------------------------- */

static void test_screenshot_saves_the_last_frame_of_a_window(void **unused)
{
    char png[HARNESS_PATH + 32], display[32], out[4096];
    snprintf(png, sizeof(png), "%s/last.png", template_game.dir);
    snprintf(display, sizeof(display), "DISPLAY=%s", xvfb.display);
    const char *argv[] = {"env", display, "SDL_AUDIODRIVER=dummy", harness_host_path(), "--frames", "60",
                          "--screenshot", png, template_game.lib, NULL};
    int rc = harness_run(argv, out, sizeof(out));
    if (rc != 0) fail_msg("the windowed host exited %d: %s", rc, out);
    picture p = picture_load(png);
    assert_true(p.w >= 640 && p.h >= 360); /* the window's size: 90% of the screen at most */
    assert_true(p.w <= 1280 * 9 / 10 && p.h <= 800 * 9 / 10);
    assert_true(colours(&p) >= 5);
    assert_true(count_colour(&p, BODY) > 100); /* the snake is there */
    stbi_image_free(p.rgb);
}

static void test_a_fixed_resolution_is_scaled_by_a_whole_number(void **unused)
{
    window w;
    const char *args[] = {"--resolution", "320x180", NULL};
    window_open(&w, args);
    key("p"); /* a still picture */
    picture shot = window_shot(&w);
    assert_int_equal(shot.w, 320);
    assert_int_equal(shot.h, 180);
    picture seen = window_capture(&w);
    assert_int_equal(seen.w, 960); /* the largest whole scale that fits 90% of the 1280x800 screen: 3 */
    assert_int_equal(seen.h, 540);
    for (int y = 0; y < 90; y += 3) /* the upper half: the status line is at the bottom */
        for (int x = 0; x < 320; x += 5)
            if (pixel(&seen, x * 3 + 1, y * 3 + 1) != pixel(&shot, x, y))
                fail_msg("window pixel %d,%d is 0x%06x, picture pixel %d,%d 0x%06x", x * 3 + 1, y * 3 + 1,
                         pixel(&seen, x * 3 + 1, y * 3 + 1), x, y, pixel(&shot, x, y));
    key("Escape");
    assert_int_equal(harness_host_wait(&w.host, WAIT_MS), 0);
    stbi_image_free(shot.rgb);
    free(seen.rgb);
}

/* Keys pause the game; then a rebuild recolours the snake and keeps every other pixel. */
static void test_a_rebuild_in_the_window_changes_the_colour_not_the_state(void **unused)
{
    window w;
    window_open(&w, NULL);
    key("Down"); /* the snake turns, and leaves the middle of the board, where the PAUSED panel goes */
    harness_sleep_ms(1000);
    key("p");
    picture a = window_shot(&w);
    harness_sleep_ms(300);
    picture b = window_shot(&w);
    assert_true(pictures_equal(&a, &b)); /* paused: the keys reached the game */
    int body = count_colour(&b, BODY);
    if (body < 100) fail_msg("%d pixels of the snake's colour in the paused picture %dx%d", body, b.w, b.h);
    char from[64], to[64];
    snprintf(from, sizeof(from), "#define SNAKE_COLOR_BODY 0x%06x", BODY);
    snprintf(to, sizeof(to), "#define SNAKE_COLOR_BODY 0x%06x", BODY2);
    assert_true(harness_edit(&template_game, "snake.h", from, to));
    assert_int_equal(harness_game_build(&template_game), 0);
    assert_non_null(harness_wait_event(&w.host, "reload", NULL, 0, WAIT_MS));
    harness_sleep_ms(200);
    picture c = window_shot(&w);
    assert_int_equal(count_colour(&c, BODY2), body);
    for (int y = 0; y < b.h; y++)
        for (int x = 0; x < b.w; x++) {
            uint32_t want = pixel(&b, x, y) == BODY ? BODY2 : pixel(&b, x, y);
            if (pixel(&c, x, y) != want) fail_msg("pixel %d,%d is 0x%06x after the reload, not 0x%06x", x, y, pixel(&c, x, y), want);
        }
    assert_true(harness_edit(&template_game, "snake.h", to, from));
    assert_int_equal(harness_game_build(&template_game), 0);
    assert_non_null(harness_wait_event(&w.host, "reload", NULL, 1, WAIT_MS));
    key("Escape");
    assert_int_equal(harness_host_wait(&w.host, WAIT_MS), 0);
    assert_non_null(harness_event(&w.host, "exit", NULL, 0));
    stbi_image_free(a.rgb);
    stbi_image_free(b.rgb);
    stbi_image_free(c.rgb);
}

static void test_the_overlay_is_in_the_window_never_in_the_picture(void **unused)
{
    window w;
    window_open(&w, NULL);
    key("p");
    harness_sleep_ms(5500); /* the status line's first seconds are over: nothing of the host shows */
    picture before = window_shot(&w);
    picture bare = window_capture(&w);
    key("F1");
    harness_sleep_ms(400);
    picture stats = window_capture(&w);
    picture after = window_shot(&w);
    assert_true(pictures_equal(&before, &after)); /* the game's picture knows nothing of the overlay */
    int changed = 0; /* the stats panel: the window's top-left quarter */
    for (int y = 0; y < stats.h / 2; y++)
        for (int x = 0; x < stats.w / 2; x++) changed += pixel(&stats, x, y) != pixel(&bare, x, y);
    assert_true(changed > stats.w * stats.h / 40);
    assert_non_null(harness_wait_event(&w.host, "stats", NULL, 0, WAIT_MS));
    key("Escape");
    assert_int_equal(harness_host_wait(&w.host, WAIT_MS), 0);
    stbi_image_free(before.rgb);
    stbi_image_free(after.rgb);
    free(bare.rgb);
    free(stats.rgb);
}

static void test_f2_marks_f5_reloads_f6_restarts_and_esc_quits(void **unused)
{
    window w;
    window_open(&w, NULL);
    key("F2");
    const char *mark = harness_wait_event(&w.host, "mark", NULL, 0, WAIT_MS);
    assert_non_null(mark);
    assert_non_null(strstr(mark, "\"name\":\"frame "));
    key("F5");
    assert_non_null(harness_wait_event(&w.host, "reload", NULL, 0, WAIT_MS));
    key("F6");
    assert_non_null(harness_wait_event(&w.host, "restart", NULL, 0, WAIT_MS));
    assert_true(harness_host_alive(&w.host));
    key("Escape");
    assert_int_equal(harness_host_wait(&w.host, WAIT_MS), 0);
    const char *exit = harness_event(&w.host, "exit", NULL, 0);
    assert_non_null(exit);
    assert_int_equal(harness_count(&w.host, "crash"), 0);
}

static void test_without_a_display_the_host_says_what_to_pass(void **unused)
{
    char out[4096];
    const char *argv[] = {"env", "-u", "DISPLAY", "-u", "WAYLAND_DISPLAY", harness_host_path(), template_game.lib, NULL};
    assert_int_equal(harness_run(argv, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "cannot open a window"));
    assert_non_null(strstr(out, "--headless"));
    assert_non_null(strstr(out, "--terminal"));
    assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
    const char *headless[] = {"env", "-u", "DISPLAY", harness_host_path(), "--headless", "--frames", "30", template_game.lib, NULL};
    assert_int_equal(harness_run(headless, out, sizeof(out)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_screenshot_saves_the_last_frame_of_a_window),
        cmocka_unit_test_teardown(test_a_fixed_resolution_is_scaled_by_a_whole_number, window_teardown),
        cmocka_unit_test_teardown(test_a_rebuild_in_the_window_changes_the_colour_not_the_state, window_teardown),
        cmocka_unit_test_teardown(test_the_overlay_is_in_the_window_never_in_the_picture, window_teardown),
        cmocka_unit_test_teardown(test_f2_marks_f5_reloads_f6_restarts_and_esc_quits, window_teardown),
        cmocka_unit_test(test_without_a_display_the_host_says_what_to_pass),
    };
    return harness_finish(cmocka_run_group_tests_name("integration: window", tests, group_setup, group_teardown));
}
