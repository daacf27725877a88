/* test_font.c - the host's pixel font (font.h) and the overlay drawn with it (overlay.h): text is
 * measured as it is drawn, scales, lines up in fixed-width cells, never writes outside the picture
 * however it is clipped, and shows unknown bytes as '?'; the overlay's pieces are rendered only
 * when what they show changes, sit where the window expects them, and graph the frame arena. */
#include "../test_util.h"

#include "host/platform/overlay.h"

#define GUARD 16
#define INK 0xff102030u
#define FRAME_PX 0xdeadbeefu

/* A picture inside a larger buffer whose border must stay untouched. */
typedef struct canvas {
    uint32_t *all;
    int all_w, all_h;
    game_framebuffer fb;
} canvas;

static canvas canvas_new(int w, int h)
{
    canvas c = {0};
    c.all_w = w + 2 * GUARD;
    c.all_h = h + 2 * GUARD;
    c.all = malloc(sizeof(uint32_t) * (size_t)c.all_w * (size_t)c.all_h);
    for (int i = 0; i < c.all_w * c.all_h; i++) c.all[i] = FRAME_PX;
    c.fb = (game_framebuffer){c.all + GUARD * c.all_w + GUARD, w, h, c.all_w * 4};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) game_pixel_row(&c.fb, y)[x] = 0;
    return c;
}

static void canvas_check_border(const canvas *c)
{
    for (int y = 0; y < c->all_h; y++)
        for (int x = 0; x < c->all_w; x++) {
            bool inside = x >= GUARD && y >= GUARD && x < GUARD + c->fb.width && y < GUARD + c->fb.height;
            if (!inside && c->all[y * c->all_w + x] != FRAME_PX) fail_msg("wrote outside the picture at %d,%d", x - GUARD, y - GUARD);
        }
}

/* Inked pixels, and their bounding box. */
static int canvas_ink(const canvas *c, int *x0, int *y0, int *x1, int *y1)
{
    int n = 0;
    *x0 = *y0 = 1 << 30;
    *x1 = *y1 = -1;
    for (int y = 0; y < c->fb.height; y++)
        for (int x = 0; x < c->fb.width; x++) {
            if (game_pixel_row(&c->fb, y)[x] != INK) continue;
            n++;
            *x0 = MIN(*x0, x), *y0 = MIN(*y0, y), *x1 = MAX(*x1, x), *y1 = MAX(*y1, y);
        }
    return n;
}

static void text_is_drawn_where_it_is_measured(void **state)
{
    canvas c = canvas_new(200, 60);
    int w = font_draw(NULL, 0, 0, 1, INK, "Hello", 0);
    assert_true(w > 15 && w < 50);
    assert_int_equal(font_draw(&c.fb, 10, 5, 1, INK, "Hello", 0), w);
    int x0, y0, x1, y1;
    assert_true(canvas_ink(&c, &x0, &y0, &x1, &y1) > 20);
    assert_true(x0 >= 10 && x1 < 10 + w && y0 >= 5 && y1 < 5 + FONT_LINE);
    canvas_check_border(&c);
    free(c.all);
}

static void scale_multiplies_every_stroke(void **state)
{
    canvas one = canvas_new(100, 40), three = canvas_new(300, 120);
    font_draw(&one.fb, 0, 0, 1, INK, "A1", 0);
    assert_int_equal(font_draw(&three.fb, 0, 0, 3, INK, "A1", 0), 3 * font_draw(NULL, 0, 0, 1, INK, "A1", 0));
    int a, b, cc, d;
    assert_int_equal(canvas_ink(&three, &a, &b, &cc, &d), 9 * canvas_ink(&one, &a, &b, &cc, &d));
    free(one.all);
    free(three.all);
}

static void fixed_cells_line_up_columns_and_lines_break(void **state)
{
    assert_int_equal(font_draw(NULL, 0, 0, 2, INK, "iiii", FONT_CELL), 4 * FONT_CELL * 2);
    assert_int_equal(font_draw(NULL, 0, 0, 2, INK, "WWWW", FONT_CELL), 4 * FONT_CELL * 2);
    assert_int_equal(font_draw(NULL, 0, 0, 1, INK, "ab\nabcd\nc", FONT_CELL), 4 * FONT_CELL); /* the widest line */
    canvas c = canvas_new(100, 60);
    font_draw(&c.fb, 0, 0, 1, INK, "-\n-", 0);
    int x0, y0, x1, y1;
    canvas_ink(&c, &x0, &y0, &x1, &y1);
    assert_true(y1 - y0 >= FONT_LINE - 1); /* the second line is a line below */
    free(c.all);
}

static void text_is_clipped_on_every_side(void **state)
{
    canvas c = canvas_new(40, 20);
    const char *text = "clipped text with many letters\nand a second line\nand a third";
    font_draw(&c.fb, -13, -7, 2, INK, text, 0);
    font_draw(&c.fb, 30, 15, 2, INK, text, 0);
    font_draw(&c.fb, 5, -200, 1, INK, text, 0);
    font_draw(&c.fb, 5000, 5, 1, INK, text, FONT_CELL);
    int x0, y0, x1, y1;
    assert_true(canvas_ink(&c, &x0, &y0, &x1, &y1) > 0);
    canvas_check_border(&c);
    free(c.all);
}

static void unknown_bytes_show_as_a_question_mark(void **state)
{
    canvas a = canvas_new(40, 20), b = canvas_new(40, 20);
    font_draw(&a.fb, 0, 0, 1, INK, "\x01\xff", 0);
    font_draw(&b.fb, 0, 0, 1, INK, "??", 0);
    assert_memory_equal(a.all, b.all, sizeof(uint32_t) * (size_t)a.all_w * (size_t)a.all_h);
    free(a.all);
    free(b.all);
}

static void overlay_pieces_render_only_when_they_change(void **state)
{
    overlay_image img = {0};
    overlay_view view = {.status = " v1 | watching for rebuilds "};
    assert_true(overlay_render(&img, OVERLAY_STATUS, &view, 1280, 720, 2));
    assert_true(img.width > 100 && img.height >= FONT_LINE * 2);
    assert_int_equal(img.pixels[0] >> 24, 0xb0); /* a translucent plate */
    assert_false(overlay_render(&img, OVERLAY_STATUS, &view, 1280, 720, 2));
    view.status = " v2 | reloaded version 2 in 0.5 ms ";
    assert_true(overlay_render(&img, OVERLAY_STATUS, &view, 1280, 720, 2));
    int x, y;
    overlay_place(OVERLAY_STATUS, &img, 1280, 720, 2, &x, &y);
    assert_int_equal(x, 0);
    assert_int_equal(y + img.height, 720); /* at the bottom */
    view.status = NULL;
    assert_true(overlay_render(&img, OVERLAY_STATUS, &view, 1280, 720, 2));
    assert_int_equal(img.width, 0); /* hidden */
    overlay_image_free(&img);
}

static void the_banner_is_centred_and_notices_stack_above_the_status(void **state)
{
    overlay_image banner = {0}, notices = {0};
    overlay_view view = {.banner = "paused after a crash", .notices = {"one", "two"}, .notice_count = 2};
    assert_true(overlay_render(&banner, OVERLAY_BANNER, &view, 1000, 600, 1));
    int x, y;
    overlay_place(OVERLAY_BANNER, &banner, 1000, 600, 1, &x, &y);
    assert_int_equal(x, (1000 - banner.width) / 2);
    assert_true(overlay_render(&notices, OVERLAY_NOTICES, &view, 1000, 600, 1));
    assert_true(notices.height >= 2 * FONT_LINE);
    overlay_place(OVERLAY_NOTICES, &notices, 1000, 600, 1, &x, &y);
    assert_true(y + notices.height <= 600 - FONT_LINE);
    overlay_image_free(&banner);
    overlay_image_free(&notices);
}

static void the_stats_piece_graphs_each_frame_as_a_bar(void **state)
{
    float graph[40];
    for (int i = 0; i < 40; i++) graph[i] = i == 39 ? 1.0f : 0.0f; /* only the newest frame used anything */
    overlay_view view = {.stats = "arena  used\nframe0  1 KiB", .graph = graph, .graph_count = 40, .graph_label = "frame"};
    overlay_image img = {0};
    assert_true(overlay_render(&img, OVERLAY_STATS, &view, 1280, 720, 1));
    int tallest = 0, column = -1;
    for (int x = 0; x < img.width; x++) {
        int n = 0;
        for (int y = 0; y < img.height; y++) n += img.pixels[y * img.width + x] == 0xff60d0ffu;
        if (n > tallest) tallest = n, column = x;
    }
    assert_true(tallest > 30);
    assert_true(column >= img.width - 8); /* the newest frame at the right edge */
    overlay_image_free(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_is_drawn_where_it_is_measured),
        cmocka_unit_test(scale_multiplies_every_stroke),
        cmocka_unit_test(fixed_cells_line_up_columns_and_lines_break),
        cmocka_unit_test(text_is_clipped_on_every_side),
        cmocka_unit_test(unknown_bytes_show_as_a_question_mark),
        cmocka_unit_test(overlay_pieces_render_only_when_they_change),
        cmocka_unit_test(the_banner_is_centred_and_notices_stack_above_the_status),
        cmocka_unit_test(the_stats_piece_graphs_each_frame_as_a_bar),
    };
    return cmocka_run_group_tests_name("platform: font and overlay", tests, NULL, NULL);
}
