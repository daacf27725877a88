/* input_sdl.c - SDL2 events as game_input (input_sdl.h). */
#include "input_sdl.h"

typedef struct input_sdl_pair {
    SDL_Scancode scancode;
    int key;
} input_sdl_pair;

/* The keys whose game_key is not found by a range below. */
static const input_sdl_pair input_sdl_keys[] = {
    {SDL_SCANCODE_RETURN, GAME_KEY_ENTER},      {SDL_SCANCODE_KP_ENTER, GAME_KEY_ENTER},
    {SDL_SCANCODE_ESCAPE, GAME_KEY_ESCAPE},     {SDL_SCANCODE_BACKSPACE, GAME_KEY_BACKSPACE},
    {SDL_SCANCODE_TAB, GAME_KEY_TAB},           {SDL_SCANCODE_SPACE, ' '},
    {SDL_SCANCODE_MINUS, '-'},                  {SDL_SCANCODE_EQUALS, '='},
    {SDL_SCANCODE_LEFTBRACKET, '['},            {SDL_SCANCODE_RIGHTBRACKET, ']'},
    {SDL_SCANCODE_BACKSLASH, '\\'},             {SDL_SCANCODE_SEMICOLON, ';'},
    {SDL_SCANCODE_APOSTROPHE, '\''},            {SDL_SCANCODE_GRAVE, '`'},
    {SDL_SCANCODE_COMMA, ','},                  {SDL_SCANCODE_PERIOD, '.'},
    {SDL_SCANCODE_SLASH, '/'},                  {SDL_SCANCODE_0, '0'},
    {SDL_SCANCODE_KP_0, '0'},                   {SDL_SCANCODE_KP_DIVIDE, '/'},
    {SDL_SCANCODE_KP_MULTIPLY, '*'},            {SDL_SCANCODE_KP_MINUS, '-'},
    {SDL_SCANCODE_KP_PLUS, '+'},                {SDL_SCANCODE_KP_PERIOD, '.'},
    {SDL_SCANCODE_UP, GAME_KEY_UP},             {SDL_SCANCODE_DOWN, GAME_KEY_DOWN},
    {SDL_SCANCODE_LEFT, GAME_KEY_LEFT},         {SDL_SCANCODE_RIGHT, GAME_KEY_RIGHT},
    {SDL_SCANCODE_HOME, GAME_KEY_HOME},         {SDL_SCANCODE_END, GAME_KEY_END},
    {SDL_SCANCODE_PAGEUP, GAME_KEY_PAGE_UP},    {SDL_SCANCODE_PAGEDOWN, GAME_KEY_PAGE_DOWN},
    {SDL_SCANCODE_INSERT, GAME_KEY_INSERT},     {SDL_SCANCODE_DELETE, GAME_KEY_DELETE},
    {SDL_SCANCODE_LSHIFT, GAME_KEY_LEFT_SHIFT}, {SDL_SCANCODE_RSHIFT, GAME_KEY_RIGHT_SHIFT},
    {SDL_SCANCODE_LCTRL, GAME_KEY_LEFT_CTRL},   {SDL_SCANCODE_RCTRL, GAME_KEY_RIGHT_CTRL},
    {SDL_SCANCODE_LALT, GAME_KEY_LEFT_ALT},     {SDL_SCANCODE_RALT, GAME_KEY_RIGHT_ALT},
    {SDL_SCANCODE_LGUI, GAME_KEY_LEFT_SUPER},   {SDL_SCANCODE_RGUI, GAME_KEY_RIGHT_SUPER},
};

int input_sdl_key(SDL_Scancode sc)
{
    if (sc >= SDL_SCANCODE_A && sc <= SDL_SCANCODE_Z) return 'a' + (sc - SDL_SCANCODE_A);
    if (sc >= SDL_SCANCODE_1 && sc <= SDL_SCANCODE_9) return '1' + (sc - SDL_SCANCODE_1);
    if (sc >= SDL_SCANCODE_KP_1 && sc <= SDL_SCANCODE_KP_9) return '1' + (sc - SDL_SCANCODE_KP_1);
    if (sc >= SDL_SCANCODE_F1 && sc <= SDL_SCANCODE_F12) return GAME_KEY_F1 + (sc - SDL_SCANCODE_F1);
    for (size_t i = 0; i < sizeof(input_sdl_keys) / sizeof(input_sdl_keys[0]); i++)
        if (input_sdl_keys[i].scancode == sc) return input_sdl_keys[i].key;
    return 0;
}

/* A window position (points) as a picture position (pixels). */
static void input_sdl_point(const input_sdl_view *v, int x, int y, float *px, float *py)
{
    *px = ((float)x * v->pixels_per_point_x - v->x0) / v->scale;
    *py = ((float)y * v->pixels_per_point_y - v->y0) / v->scale;
}

static void input_sdl_motion(const input_sdl_view *v, game_input *in, const SDL_MouseMotionEvent *m)
{
    float x, y;
    input_sdl_point(v, m->x, m->y, &x, &y);
    in->mouse.dx += (float)m->xrel * v->pixels_per_point_x / v->scale;
    in->mouse.dy += (float)m->yrel * v->pixels_per_point_y / v->scale;
    in->mouse.x = x;
    in->mouse.y = y;
    in->mouse.inside = x >= 0 && y >= 0 && x < (float)v->width && y < (float)v->height;
}

static void input_sdl_mouse_button(game_input *in, const SDL_MouseButtonEvent *b)
{
    static const int buttons[] = {[SDL_BUTTON_LEFT] = GAME_MOUSE_LEFT + 1, [SDL_BUTTON_MIDDLE] = GAME_MOUSE_MIDDLE + 1,
                                  [SDL_BUTTON_RIGHT] = GAME_MOUSE_RIGHT + 1, [SDL_BUTTON_X1] = GAME_MOUSE_X1 + 1,
                                  [SDL_BUTTON_X2] = GAME_MOUSE_X2 + 1};
    if (b->button >= sizeof(buttons) / sizeof(buttons[0]) || !buttons[b->button]) return;
    input_button(&in->mouse.buttons[buttons[b->button] - 1], b->state == SDL_PRESSED);
}

static void input_sdl_window(game_input *in, const SDL_WindowEvent *w)
{
    switch (w->event) {
    case SDL_WINDOWEVENT_FOCUS_GAINED: in->focused = 1; break;
    case SDL_WINDOWEVENT_FOCUS_LOST:
        in->focused = 0;
        input_release_all(in); /* the key-ups of what is held now go to another window */
        break;
    case SDL_WINDOWEVENT_LEAVE: in->mouse.inside = 0; break;
    case SDL_WINDOWEVENT_CLOSE: in->quit_requested = 1; break;
    }
}

static void input_sdl_pad_button(const int32_t pad_ids[GAME_GAMEPAD_MAX], game_input *in,
                                 const SDL_ControllerButtonEvent *b)
{
    int slot = input_pad_slot(pad_ids, b->which);
    if (slot < 0 || b->button >= GAME_PAD_BUTTON_COUNT) return; /* SDL's buttons 0..14 are game_pad_button's */
    input_button(&in->gamepads[slot].buttons[b->button], b->state == SDL_PRESSED);
}

void input_sdl_event(const input_sdl_view *v, const int32_t pad_ids[GAME_GAMEPAD_MAX], game_input *in,
                     const SDL_Event *e)
{
    int key;
    switch (e->type) {
    case SDL_KEYDOWN:
    case SDL_KEYUP:
        if ((key = input_sdl_key(e->key.keysym.scancode))) input_button(&in->keys[key], e->type == SDL_KEYDOWN);
        break;
    case SDL_TEXTINPUT: input_text(in, e->text.text); break;
    case SDL_MOUSEMOTION: input_sdl_motion(v, in, &e->motion); break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: input_sdl_mouse_button(in, &e->button); break;
    case SDL_MOUSEWHEEL:
        in->mouse.wheel_x += e->wheel.preciseX * (e->wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -1.0f : 1.0f);
        in->mouse.wheel_y += e->wheel.preciseY * (e->wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -1.0f : 1.0f);
        break;
    case SDL_CONTROLLERBUTTONDOWN:
    case SDL_CONTROLLERBUTTONUP: input_sdl_pad_button(pad_ids, in, &e->cbutton); break;
    case SDL_WINDOWEVENT: input_sdl_window(in, &e->window); break;
    case SDL_QUIT: in->quit_requested = 1; break;
    }
}
