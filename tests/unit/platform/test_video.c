/* test_video.c - the window backend (video_sdl.c) on SDL's dummy video driver, which needs no
 * display (nor GL): the picture's size follows the window, and a resize; events pushed into SDL's
 * queue come out as game input; a virtual gamepad (SDL's own) is plugged in, pressed, pushed and
 * unplugged, and the game sees it in slot 0 with its stick past the dead zone; a quit is asked for;
 * presents of a changing picture and its overlay go through (SDL's software renderer). */
#include "../test_util.h"

#include "host/platform/input_sdl.h"
#include "host/platform/video.h"

typedef struct fixture {
    void *video;
    game_input in;
} fixture;

static int setup(void **state)
{
    SDL_setenv("SDL_VIDEODRIVER", "dummy", 1); /* asked for by name: the backend takes it */
    SDL_setenv("SDL_RENDER_DRIVER", "software", 1);
    SDL_setenv("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1", 1); /* a dummy window never has the focus */
    fixture *f = calloc(1, sizeof(*f));
    video_config cfg = {0, 0, false, false, "test_video"};
    host_error err;
    if (!video_sdl_backend.open(&f->video, &cfg, &err)) fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    video_sdl_backend.close(f->video);
    SDL_Quit();
    free(f);
    return 0;
}

static void poll(fixture *f, int *w, int *h)
{
    input_frame_begin(&f->in);
    video_sdl_backend.poll(f->video, &f->in, w, h);
}

static void the_picture_follows_the_window(void **state)
{
    fixture *f = *state;
    int w, h;
    poll(f, &w, &h);
    SDL_Window *window = SDL_GetWindowFromID(1);
    assert_non_null(window);
    int out_w, out_h;
    SDL_GetRendererOutputSize(SDL_GetRenderer(window), &out_w, &out_h);
    assert_int_equal(w, out_w);
    assert_int_equal(h, out_h);
    SDL_SetWindowSize(window, 400, 300);
    poll(f, &w, &h);
    assert_int_equal(w, 400);
    assert_int_equal(h, 300);
}

static void queued_events_come_out_as_input(void **state)
{
    fixture *f = *state;
    int w, h;
    SDL_Event down = {.key = {.type = SDL_KEYDOWN, .state = SDL_PRESSED, .keysym = {.scancode = SDL_SCANCODE_F5}}};
    SDL_Event up = {.key = {.type = SDL_KEYUP, .state = SDL_RELEASED, .keysym = {.scancode = SDL_SCANCODE_F5}}};
    SDL_PushEvent(&down);
    SDL_PushEvent(&up);
    poll(f, &w, &h);
    assert_true(game_key_pressed(&f->in, GAME_KEY_F5));
    assert_int_equal(f->in.keys[GAME_KEY_F5].transitions, 2);
    assert_int_equal(f->in.quit_requested, 0);
    SDL_Event quit = {.type = SDL_QUIT};
    SDL_PushEvent(&quit);
    poll(f, &w, &h);
    assert_int_equal(f->in.quit_requested, 1);
}

static void a_gamepad_is_plugged_pressed_pushed_and_unplugged(void **state)
{
    fixture *f = *state;
    int w, h;
    SDL_VirtualJoystickDesc desc = {.version = SDL_VIRTUAL_JOYSTICK_DESC_VERSION,
                                    .type = SDL_JOYSTICK_TYPE_GAMECONTROLLER,
                                    .naxes = SDL_CONTROLLER_AXIS_MAX,
                                    .nbuttons = SDL_CONTROLLER_BUTTON_MAX,
                                    .button_mask = (1u << SDL_CONTROLLER_BUTTON_MAX) - 1, /* joystick button i is pad button i */
                                    .axis_mask = (1u << SDL_CONTROLLER_AXIS_MAX) - 1,
                                    .name = "virtual pad"};
    int index = SDL_JoystickAttachVirtualEx(&desc);
    assert_true(index >= 0);
    poll(f, &w, &h);
    assert_int_equal(f->in.gamepads[0].connected, 1);
    assert_int_equal(f->in.gamepads[0].plugged, 1);
    assert_non_null(strstr(f->in.gamepads[0].name, "virtual pad"));
    SDL_Joystick *stick = SDL_JoystickOpen(index);
    assert_non_null(stick);
    SDL_JoystickSetVirtualButton(stick, SDL_CONTROLLER_BUTTON_A, SDL_PRESSED);
    SDL_JoystickSetVirtualAxis(stick, SDL_CONTROLLER_AXIS_LEFTX, 32767);
    SDL_JoystickSetVirtualAxis(stick, SDL_CONTROLLER_AXIS_TRIGGERRIGHT, 32767);
    poll(f, &w, &h);
    assert_int_equal(f->in.gamepads[0].plugged, 0);
    assert_true(game_pressed(f->in.gamepads[0].buttons[GAME_PAD_A]));
    assert_true(f->in.gamepads[0].left_x > 0.99f);
    assert_true(f->in.gamepads[0].left_y == 0);
    assert_true(f->in.gamepads[0].right_trigger > 0.99f);
    SDL_JoystickClose(stick);
    assert_int_equal(SDL_JoystickDetachVirtual(index), 0);
    poll(f, &w, &h);
    assert_int_equal(f->in.gamepads[0].connected, 0);
    assert_true(game_released(f->in.gamepads[0].buttons[GAME_PAD_A]));
}

static void presents_take_pictures_of_any_size_and_the_overlay(void **state)
{
    fixture *f = *state;
    static uint32_t pixels[320 * 180];
    overlay_view view = {.status = " v1 | watching for rebuilds ", .banner = "paused after a crash"};
    for (int i = 0; i < 8; i++) {
        int w = i < 4 ? 320 : 160, h = i < 4 ? 180 : 90; /* a resize on the way */
        for (int p = 0; p < w * h; p++) pixels[p] = GAME_RGB(i * 30, p & 255, 0);
        game_framebuffer fb = {pixels, w, h, w * 4};
        video_frame frame = {.picture = &fb};
        video_sdl_backend.present(f->video, &frame, &view);
    }
    view.status = NULL;
    video_frame nothing = {.picture = NULL};
    video_sdl_backend.present(f->video, &nothing, &view); /* nothing new to show: the last picture */
    assert_false(video_sdl_backend.paced(f->video)); /* no vsync was asked for */
    int columns, rows;
    video_sdl_backend.cells(f->video, &columns, &rows);
    assert_true(columns > 0 && rows > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_picture_follows_the_window, setup, teardown),
        cmocka_unit_test_setup_teardown(queued_events_come_out_as_input, setup, teardown),
        cmocka_unit_test_setup_teardown(a_gamepad_is_plugged_pressed_pushed_and_unplugged, setup, teardown),
        cmocka_unit_test_setup_teardown(presents_take_pictures_of_any_size_and_the_overlay, setup, teardown),
    };
    return cmocka_run_group_tests_name("platform: window backend (offscreen)", tests, NULL, NULL);
}
