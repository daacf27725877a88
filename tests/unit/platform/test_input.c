/* test_input.c - game_input as the platform fills it: button transitions (a press and a release
 * inside one frame are both seen), held keys across frames, key repeat, focus loss, typed text cut
 * at whole characters, terminal keys, SDL's events (keys by place, text, mouse in picture pixels
 * through a letterboxed and scaled window, wheel, gamepad buttons by slot, quit), stick dead zones
 * and gamepad hot-plug slots. SDL's events are built as SDL builds them; no device is needed. */
#include "../test_util.h"

#include "host/platform/input_sdl.h"

static game_input input_new(void)
{
    game_input in;
    memset(&in, 0, sizeof(in));
    input_frame_begin(&in);
    return in;
}

static void a_press_and_release_inside_one_frame_are_both_seen(void **state)
{
    game_input in = input_new();
    input_button(&in.keys['a'], true);
    input_button(&in.keys['a'], false);
    assert_int_equal(in.keys['a'].down, 0);
    assert_int_equal(in.keys['a'].transitions, 2);
    assert_true(game_pressed(in.keys['a']));
    assert_true(game_released(in.keys['a']));
    assert_true(game_key_pressed(&in, 'a'));
    /* the next frame knows nothing of it */
    input_frame_begin(&in);
    assert_false(game_pressed(in.keys['a']));
    assert_false(game_released(in.keys['a']));
}

static void a_held_key_is_pressed_once_and_stays_down(void **state)
{
    game_input in = input_new();
    input_button(&in.keys[GAME_KEY_LEFT], true);
    assert_true(game_pressed(in.keys[GAME_KEY_LEFT]));
    assert_false(game_released(in.keys[GAME_KEY_LEFT]));
    for (int frame = 0; frame < 3; frame++) {
        input_frame_begin(&in);
        input_button(&in.keys[GAME_KEY_LEFT], true); /* a key repeat: no transition */
        assert_int_equal(in.keys[GAME_KEY_LEFT].down, 1);
        assert_int_equal(in.keys[GAME_KEY_LEFT].transitions, 0);
        assert_false(game_pressed(in.keys[GAME_KEY_LEFT]));
    }
    input_button(&in.keys[GAME_KEY_LEFT], false);
    assert_true(game_released(in.keys[GAME_KEY_LEFT]));
    assert_false(game_pressed(in.keys[GAME_KEY_LEFT]));
    /* released, then pressed again in one frame: both, and it is down at the end */
    input_frame_begin(&in);
    input_button(&in.keys['x'], true);
    input_frame_begin(&in);
    input_button(&in.keys['x'], false);
    input_button(&in.keys['x'], true);
    assert_true(game_pressed(in.keys['x']) && game_released(in.keys['x']));
    assert_int_equal(in.keys['x'].down, 1);
}

static void transitions_saturate_instead_of_wrapping(void **state)
{
    game_input in = input_new();
    for (int i = 0; i < 600; i++) input_tap(&in.keys['z']);
    assert_int_equal(in.keys['z'].transitions, 255);
    assert_true(game_pressed(in.keys['z']));
}

static void losing_focus_releases_everything_held(void **state)
{
    game_input in = input_new();
    input_button(&in.keys['w'], true);
    input_button(&in.mouse.buttons[GAME_MOUSE_LEFT], true);
    input_frame_begin(&in);
    input_release_all(&in);
    assert_true(game_released(in.keys['w']));
    assert_true(game_released(in.mouse.buttons[GAME_MOUSE_LEFT]));
    assert_int_equal(in.keys['w'].down, 0);
}

static void text_keeps_whole_utf8_characters_and_ends_with_nul(void **state)
{
    game_input in = input_new();
    input_text(&in, "h\xc3\xa9");       /* h, e-acute */
    input_text(&in, "\xe2\x82\xac!"); /* euro sign, ! */
    assert_string_equal(in.text, "h\xc3\xa9\xe2\x82\xac!");
    char many[64];
    memset(many, 'x', sizeof(many) - 1);
    many[sizeof(many) - 1] = 0;
    input_text(&in, many);
    assert_int_equal(strlen(in.text), GAME_TEXT_MAX - 1);
    input_frame_begin(&in);
    assert_string_equal(in.text, "");
    /* a three-byte character that does not fit whole is left out */
    memset(many, 'y', GAME_TEXT_MAX - 3);
    many[GAME_TEXT_MAX - 3] = 0;
    input_text(&in, many);
    input_text(&in, "\xe2\x82\xac");
    assert_int_equal(strlen(in.text), GAME_TEXT_MAX - 3);
}

static void terminal_keys_tap_their_game_key_and_type_their_text(void **state)
{
    game_input in = input_new();
    input_terminal_key(&in, 'A');
    input_terminal_key(&in, '\r');
    input_terminal_key(&in, 127);
    input_terminal_key(&in, GAME_KEY_F5);
    input_terminal_key(&in, 3); /* Ctrl-C as a key: 'c' */
    assert_int_equal(in.keys['a'].transitions, 2);
    assert_int_equal(in.keys['a'].down, 0);
    assert_true(game_key_pressed(&in, GAME_KEY_ENTER));
    assert_true(game_key_pressed(&in, GAME_KEY_BACKSPACE));
    assert_true(game_key_pressed(&in, GAME_KEY_F5));
    assert_true(game_key_pressed(&in, 'c'));
    assert_string_equal(in.text, "A");
}

static void sdl_keys_map_by_their_place(void **state)
{
    assert_int_equal(input_sdl_key(SDL_SCANCODE_A), 'a');
    assert_int_equal(input_sdl_key(SDL_SCANCODE_Z), 'z');
    assert_int_equal(input_sdl_key(SDL_SCANCODE_1), '1');
    assert_int_equal(input_sdl_key(SDL_SCANCODE_0), '0');
    assert_int_equal(input_sdl_key(SDL_SCANCODE_SPACE), ' ');
    assert_int_equal(input_sdl_key(SDL_SCANCODE_RETURN), GAME_KEY_ENTER);
    assert_int_equal(input_sdl_key(SDL_SCANCODE_ESCAPE), GAME_KEY_ESCAPE);
    assert_int_equal(input_sdl_key(SDL_SCANCODE_F12), GAME_KEY_F12);
    assert_int_equal(input_sdl_key(SDL_SCANCODE_UP), GAME_KEY_UP);
    assert_int_equal(input_sdl_key(SDL_SCANCODE_PAGEDOWN), GAME_KEY_PAGE_DOWN);
    assert_int_equal(input_sdl_key(SDL_SCANCODE_RGUI), GAME_KEY_RIGHT_SUPER);
    assert_int_equal(input_sdl_key(SDL_SCANCODE_KP_7), '7');
    assert_int_equal(input_sdl_key(SDL_SCANCODE_CAPSLOCK), 0);
    /* every key fits the table, and no two named keys collide with ASCII ones */
    for (int sc = 0; sc < SDL_NUM_SCANCODES; sc++) assert_true(input_sdl_key((SDL_Scancode)sc) < GAME_KEY_COUNT);
}

static const input_sdl_view view_1280_in_a_letterbox = {
    .pixels_per_point_x = 2, .pixels_per_point_y = 2, /* high-DPI: 2 pixels per point */
    .x0 = 100, .y0 = 40, .scale = 4, .width = 320, .height = 180,
};

static void sdl_event(game_input *in, SDL_Event e) { input_sdl_event(&view_1280_in_a_letterbox, (int32_t[4]){7, -1, -1, -1}, in, &e); }

static void sdl_key_events_press_and_release_in_one_frame(void **state)
{
    game_input in = input_new();
    SDL_Event down = {.key = {.type = SDL_KEYDOWN, .state = SDL_PRESSED, .keysym = {.scancode = SDL_SCANCODE_W}}};
    SDL_Event repeat = down;
    repeat.key.repeat = 1;
    SDL_Event up = {.key = {.type = SDL_KEYUP, .state = SDL_RELEASED, .keysym = {.scancode = SDL_SCANCODE_W}}};
    sdl_event(&in, down);
    sdl_event(&in, repeat);
    sdl_event(&in, up);
    assert_int_equal(in.keys['w'].transitions, 2);
    assert_true(game_pressed(in.keys['w']) && game_released(in.keys['w']));
    SDL_Event text = {.text = {.type = SDL_TEXTINPUT, .text = "W"}};
    sdl_event(&in, text);
    assert_string_equal(in.text, "W");
}

static void sdl_mouse_positions_are_picture_pixels(void **state)
{
    game_input in = input_new();
    /* point (70, 40) is output pixel (140, 80): 40, 40 into the picture at 4x, its pixel (10, 10) */
    SDL_Event move = {.motion = {.type = SDL_MOUSEMOTION, .x = 70, .y = 40, .xrel = 2, .yrel = -4}};
    sdl_event(&in, move);
    assert_true(in.mouse.x == 10.0f && in.mouse.y == 10.0f);
    assert_true(in.mouse.dx == 1.0f && in.mouse.dy == -2.0f);
    assert_int_equal(in.mouse.inside, 1);
    SDL_Event bar = {.motion = {.type = SDL_MOUSEMOTION, .x = 10, .y = 10}}; /* in the black bar */
    sdl_event(&in, bar);
    assert_int_equal(in.mouse.inside, 0);
    assert_true(in.mouse.x < 0);
    SDL_Event click = {.button = {.type = SDL_MOUSEBUTTONDOWN, .button = SDL_BUTTON_RIGHT, .state = SDL_PRESSED}};
    sdl_event(&in, click);
    assert_true(game_pressed(in.mouse.buttons[GAME_MOUSE_RIGHT]));
    SDL_Event wheel = {.wheel = {.type = SDL_MOUSEWHEEL, .preciseY = 1.5f, .direction = SDL_MOUSEWHEEL_FLIPPED}};
    sdl_event(&in, wheel);
    assert_true(in.mouse.wheel_y == -1.5f);
    input_frame_begin(&in);
    assert_true(in.mouse.wheel_y == 0 && in.mouse.dx == 0);
    assert_int_equal(in.mouse.buttons[GAME_MOUSE_RIGHT].down, 1);
}

static void sdl_gamepad_buttons_go_to_their_slot_and_quit_is_asked(void **state)
{
    game_input in = input_new();
    SDL_Event a = {.cbutton = {.type = SDL_CONTROLLERBUTTONDOWN, .which = 7, .button = SDL_CONTROLLER_BUTTON_A,
                               .state = SDL_PRESSED}};
    SDL_Event stranger = a;
    stranger.cbutton.which = 9; /* a pad in no slot */
    SDL_Event up = {.cbutton = {.type = SDL_CONTROLLERBUTTONDOWN, .which = 7, .button = SDL_CONTROLLER_BUTTON_DPAD_UP,
                                .state = SDL_PRESSED}};
    sdl_event(&in, a);
    sdl_event(&in, stranger);
    sdl_event(&in, up);
    assert_true(game_pressed(in.gamepads[0].buttons[GAME_PAD_A]));
    assert_true(game_pressed(in.gamepads[0].buttons[GAME_PAD_UP]));
    assert_false(game_pressed(in.gamepads[1].buttons[GAME_PAD_A]));
    assert_int_equal(in.quit_requested, 0);
    SDL_Event close = {.window = {.type = SDL_WINDOWEVENT, .event = SDL_WINDOWEVENT_CLOSE}};
    sdl_event(&in, close);
    assert_int_equal(in.quit_requested, 1);
    input_frame_begin(&in);
    assert_int_equal(in.quit_requested, 0);
    SDL_Event quit = {.type = SDL_QUIT};
    sdl_event(&in, quit);
    assert_int_equal(in.quit_requested, 1);
}

static void sticks_have_a_round_dead_zone_and_reach_one_at_the_rim(void **state)
{
    float x, y;
    input_stick(7000, 0, &x, &y); /* inside the dead zone (0.24 of 32767 is 7864) */
    assert_true(x == 0 && y == 0);
    input_stick(6000, 6000, &x, &y); /* each axis inside, but not the length: 0.259 */
    assert_true(x > 0 && x < 0.05f && y > 0 && y < 0.05f);
    input_stick(32767, 0, &x, &y);
    assert_true(x > 0.999f && x <= 1.0f && y == 0);
    input_stick(-32768, 0, &x, &y);
    assert_true(x < -0.999f && x >= -1.0f);
    input_stick(32767, 32767, &x, &y); /* the corner: no longer than 1 */
    assert_true(x * x + y * y <= 1.0001f && x > 0.7f);
    assert_true(input_trigger(0) == 0 && input_trigger(3000) == 0);
    assert_true(input_trigger(32767) == 1.0f);
    assert_true(input_trigger(20000) > 0.5f && input_trigger(20000) < 0.6f);
}

static void gamepads_take_free_slots_and_leave_them_released(void **state)
{
    game_input in = input_new();
    int32_t ids[GAME_GAMEPAD_MAX];
    input_pads_reset(ids);
    assert_int_equal(input_pad_attach(&in, ids, 40, "first"), 0);
    assert_int_equal(input_pad_attach(&in, ids, 41, NULL), 1);
    assert_true(in.gamepads[0].connected && in.gamepads[0].plugged);
    assert_string_equal(in.gamepads[0].name, "first");
    assert_string_equal(in.gamepads[1].name, "gamepad");
    input_button(&in.gamepads[0].buttons[GAME_PAD_B], true);
    in.gamepads[0].left_x = 0.5f;
    input_frame_begin(&in);
    assert_int_equal(in.gamepads[0].plugged, 0);
    input_pad_detach(&in, ids, 40);
    assert_int_equal(in.gamepads[0].connected, 0);
    assert_true(game_released(in.gamepads[0].buttons[GAME_PAD_B]));
    assert_true(in.gamepads[0].left_x == 0);
    /* the freed slot is the next one taken; a fifth pad finds none */
    assert_int_equal(input_pad_attach(&in, ids, 42, "third"), 0);
    assert_int_equal(input_pad_attach(&in, ids, 43, "fourth"), 2);
    assert_int_equal(input_pad_attach(&in, ids, 44, "fifth"), 3);
    assert_int_equal(input_pad_attach(&in, ids, 45, "sixth"), -1);
    assert_int_equal(input_pad_slot(ids, 44), 3);
    input_pad_detach(&in, ids, 99); /* unknown: nothing happens */
    assert_int_equal(in.gamepads[3].connected, 1);
}

/* Options name keys as characters, F1-F12 or names, in any case; messages name them back. */
static void keys_are_named_both_ways(void **state)
{
    (void)state;
    assert_int_equal(input_key_named("l"), 'l');
    assert_int_equal(input_key_named("L"), 'l');
    assert_int_equal(input_key_named("/"), '/');
    assert_int_equal(input_key_named("F7"), GAME_KEY_F7);
    assert_int_equal(input_key_named("f12"), GAME_KEY_F12);
    assert_int_equal(input_key_named("pagedown"), GAME_KEY_PAGE_DOWN);
    assert_int_equal(input_key_named("SPACE"), GAME_KEY_SPACE);
    static const char *const bad[] = {"", "F0", "F13", "F1x", "ll", "loop", " "};
    for (size_t i = 0; i < ARRAY_COUNT(bad); i++) assert_int_equal(input_key_named(bad[i]), -1);
    char name[32];
    static const int keys[] = {'l', '/', GAME_KEY_F7, GAME_KEY_F12, GAME_KEY_SPACE, GAME_KEY_PAGE_UP};
    static const char *const names[] = {"L", "/", "F7", "F12", "Space", "PageUp"};
    for (size_t i = 0; i < ARRAY_COUNT(keys); i++) {
        input_key_name(keys[i], name, sizeof(name));
        assert_string_equal(name, names[i]);
        assert_int_equal(input_key_named(name), keys[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_press_and_release_inside_one_frame_are_both_seen),
        cmocka_unit_test(a_held_key_is_pressed_once_and_stays_down),
        cmocka_unit_test(transitions_saturate_instead_of_wrapping),
        cmocka_unit_test(losing_focus_releases_everything_held),
        cmocka_unit_test(text_keeps_whole_utf8_characters_and_ends_with_nul),
        cmocka_unit_test(terminal_keys_tap_their_game_key_and_type_their_text),
        cmocka_unit_test(sdl_keys_map_by_their_place),
        cmocka_unit_test(sdl_key_events_press_and_release_in_one_frame),
        cmocka_unit_test(sdl_mouse_positions_are_picture_pixels),
        cmocka_unit_test(sdl_gamepad_buttons_go_to_their_slot_and_quit_is_asked),
        cmocka_unit_test(sticks_have_a_round_dead_zone_and_reach_one_at_the_rim),
        cmocka_unit_test(gamepads_take_free_slots_and_leave_them_released),
        cmocka_unit_test(keys_are_named_both_ways),
    };
    return cmocka_run_group_tests_name("platform: input", tests, NULL, NULL);
}
