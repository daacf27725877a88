/* input.c - filling game_input (input.h). */
#include "input.h"

#include <stdio.h>
#include <string.h>

void input_frame_begin(game_input *in)
{
    for (int i = 0; i < GAME_KEY_COUNT; i++) in->keys[i].transitions = 0;
    for (int i = 0; i < GAME_MOUSE_BUTTON_COUNT; i++) in->mouse.buttons[i].transitions = 0;
    for (int p = 0; p < GAME_GAMEPAD_MAX; p++) {
        in->gamepads[p].plugged = 0;
        for (int i = 0; i < GAME_PAD_BUTTON_COUNT; i++) in->gamepads[p].buttons[i].transitions = 0;
    }
    in->text[0] = 0;
    in->mouse.dx = in->mouse.dy = 0;
    in->mouse.wheel_x = in->mouse.wheel_y = 0;
    in->quit_requested = 0;
}

void input_button(game_button *b, bool down)
{
    if (b->down == (uint8_t)down) return;
    b->down = (uint8_t)down;
    if (b->transitions < 255) b->transitions++;
}

void input_tap(game_button *b)
{
    input_button(b, true);
    input_button(b, false);
}

static void input_release(game_button *buttons, int count)
{
    for (int i = 0; i < count; i++) input_button(&buttons[i], false);
}

void input_release_all(game_input *in)
{
    input_release(in->keys, GAME_KEY_COUNT);
    input_release(in->mouse.buttons, GAME_MOUSE_BUTTON_COUNT);
}

void input_text(game_input *in, const char *utf8)
{
    size_t have = strlen(in->text);
    for (const unsigned char *c = (const unsigned char *)utf8; *c;) {
        size_t n = *c < 0x80 ? 1 : *c >= 0xf0 ? 4 : *c >= 0xe0 ? 3 : 2;
        if (have + n >= GAME_TEXT_MAX || strnlen((const char *)c, n) < n) return;
        memcpy(in->text + have, c, n);
        have += n;
        in->text[have] = 0;
        c += n;
    }
}

/* ---- key names ------------------------------------------------------------------------------- */

typedef struct input_named_key {
    const char *name;
    int key;
} input_named_key;

static const input_named_key input_key_names[] = {
    {"Space", GAME_KEY_SPACE},   {"Tab", GAME_KEY_TAB},         {"Enter", GAME_KEY_ENTER},
    {"Backspace", GAME_KEY_BACKSPACE}, {"Escape", GAME_KEY_ESCAPE}, {"Up", GAME_KEY_UP},
    {"Down", GAME_KEY_DOWN},     {"Left", GAME_KEY_LEFT},       {"Right", GAME_KEY_RIGHT},
    {"Home", GAME_KEY_HOME},     {"End", GAME_KEY_END},         {"PageUp", GAME_KEY_PAGE_UP},
    {"PageDown", GAME_KEY_PAGE_DOWN}, {"Insert", GAME_KEY_INSERT}, {"Delete", GAME_KEY_DELETE},
};

static bool input_same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if ((*a | 0x20) != (*b | 0x20)) return false;
    return !*a && !*b;
}

int input_key_named(const char *name)
{
    if (name[0] > ' ' && name[0] < 127 && !name[1]) return name[0] >= 'A' && name[0] <= 'Z' ? name[0] + 32 : name[0];
    if ((name[0] | 0x20) == 'f' && name[1] >= '1' && name[1] <= '9') {
        int n = name[1] - '0';
        if (name[2] >= '0' && name[2] <= '9' && !name[3]) n = n * 10 + name[2] - '0';
        else if (name[2]) n = 0;
        if (n >= 1 && n <= 12) return GAME_KEY_F1 + n - 1;
    }
    for (size_t i = 0; i < sizeof(input_key_names) / sizeof(input_key_names[0]); i++)
        if (input_same_name(name, input_key_names[i].name)) return input_key_names[i].key;
    return -1;
}

void input_key_name(int key, char *out, size_t cap)
{
    for (size_t i = 0; i < sizeof(input_key_names) / sizeof(input_key_names[0]); i++)
        if (input_key_names[i].key == key) {
            snprintf(out, cap, "%s", input_key_names[i].name);
            return;
        }
    if (key >= GAME_KEY_F1 && key <= GAME_KEY_F12) snprintf(out, cap, "F%d", key - GAME_KEY_F1 + 1);
    else if (key > ' ' && key < 127) snprintf(out, cap, "%c", key >= 'a' && key <= 'z' ? key - 32 : key);
    else snprintf(out, cap, "key %d", key);
}

static float input_axis(int raw) { return raw < 0 ? (float)raw / 32768.0f : (float)raw / 32767.0f; }

void input_stick(int raw_x, int raw_y, float *x, float *y)
{
    float fx = input_axis(raw_x), fy = input_axis(raw_y);
    float len2 = fx * fx + fy * fy;
    *x = *y = 0;
    if (len2 <= INPUT_STICK_DEAD_ZONE * INPUT_STICK_DEAD_ZONE) return;
    /* the length by Newton's method from 1 (no libm in the host's pure parts) */
    float len = 1.0f;
    for (int i = 0; i < 6; i++) len = 0.5f * (len + len2 / len);
    float scaled = (len - INPUT_STICK_DEAD_ZONE) / (1.0f - INPUT_STICK_DEAD_ZONE);
    if (scaled > 1.0f) scaled = 1.0f;
    *x = fx / len * scaled;
    *y = fy / len * scaled;
}

float input_trigger(int raw)
{
    float t = input_axis(raw);
    if (t <= INPUT_TRIGGER_DEAD_ZONE) return 0;
    t = (t - INPUT_TRIGGER_DEAD_ZONE) / (1.0f - INPUT_TRIGGER_DEAD_ZONE);
    return t > 1.0f ? 1.0f : t;
}

void input_pads_reset(int32_t ids[GAME_GAMEPAD_MAX])
{
    for (int i = 0; i < GAME_GAMEPAD_MAX; i++) ids[i] = -1;
}

int input_pad_slot(const int32_t ids[GAME_GAMEPAD_MAX], int32_t id)
{
    for (int i = 0; i < GAME_GAMEPAD_MAX; i++)
        if (ids[i] == id) return i;
    return -1;
}

int input_pad_attach(game_input *in, int32_t ids[GAME_GAMEPAD_MAX], int32_t id, const char *name)
{
    int slot = input_pad_slot(ids, id);
    if (slot < 0) slot = input_pad_slot(ids, -1);
    if (slot < 0) return -1;
    ids[slot] = id;
    game_gamepad *p = &in->gamepads[slot];
    memset(p, 0, sizeof(*p));
    p->connected = p->plugged = 1;
    snprintf(p->name, sizeof(p->name), "%s", name ? name : "gamepad");
    return slot;
}

void input_pad_detach(game_input *in, int32_t ids[GAME_GAMEPAD_MAX], int32_t id)
{
    int slot = input_pad_slot(ids, id);
    if (slot < 0) return;
    ids[slot] = -1;
    game_gamepad *p = &in->gamepads[slot];
    input_release(p->buttons, GAME_PAD_BUTTON_COUNT);
    p->connected = 0;
    p->left_x = p->left_y = p->right_x = p->right_y = p->left_trigger = p->right_trigger = 0;
}

void input_terminal_key(game_input *in, int key)
{
    int code = key;
    if (key == '\n' || key == '\r') code = GAME_KEY_ENTER;
    else if (key == 127) code = GAME_KEY_BACKSPACE;
    else if (key >= 'A' && key <= 'Z') code = key - 'A' + 'a';
    else if (key >= 1 && key <= 26 && key != GAME_KEY_BACKSPACE && key != GAME_KEY_TAB) code = key - 1 + 'a'; /* Ctrl+letter */
    if (code <= 0 || code >= GAME_KEY_COUNT) return;
    input_tap(&in->keys[code]);
    if (key >= 32 && key < 127) {
        char text[2] = {(char)key, 0};
        input_text(in, text);
    }
}
