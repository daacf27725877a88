/* video_sdl.c - the window (video.h) on SDL2: a resizable, high-DPI window whose renderer shows the
 * game's picture from a streaming texture, scaled to the window (by whole numbers for a fixed
 * --resolution, letterboxed), with the overlay's pieces blended over it at the window's own
 * resolution. F11 toggles fullscreen. Vsync when asked for and the display honours it: the first
 * presents are timed, and only a present that really waits for the display paces the frames. */
#include "video.h"
#include "input_sdl.h"
#include "../os/clock.h"

#include <stdlib.h>
#include <string.h>

#define VIDEO_SDL_PROBE_FRAMES 30 /* presents timed to learn whether vsync waits */

typedef struct video_sdl {
    video_config cfg;
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *picture;
    int picture_w, picture_h;
    SDL_Rect dst; /* where the picture goes in the output */
    SDL_Texture *pieces[OVERLAY_PIECES];
    int piece_w[OVERLAY_PIECES], piece_h[OVERLAY_PIECES];
    overlay_image images[OVERLAY_PIECES];
    input_sdl_view view;
    int out_w, out_h; /* the renderer's output in pixels */
    SDL_GameController *pads[GAME_GAMEPAD_MAX];
    int32_t pad_ids[GAME_GAMEPAD_MAX];
    bool vsync;       /* the renderer says it has it */
    int probed;       /* presents timed so far */
    uint64_t probe_ns;
    double refresh_ns;
    bool paced;
} video_sdl;

/* ---- opening and closing ------------------------------------------------------------------------ */

/* The window's first size in points: a fixed picture at the largest whole scale that fits 90% of
 * the display, else the default size, shrunk to fit. */
static void video_sdl_first_size(const video_config *cfg, int *w, int *h)
{
    SDL_Rect usable = {0, 0, 1920, 1080};
    SDL_GetDisplayUsableBounds(0, &usable);
    int room_w = usable.w * 9 / 10, room_h = usable.h * 9 / 10;
    *w = cfg->width ? cfg->width : VIDEO_DEFAULT_WIDTH;
    *h = cfg->width ? cfg->height : VIDEO_DEFAULT_HEIGHT;
    int scale = 1;
    while (cfg->width && *w * (scale + 1) <= room_w && *h * (scale + 1) <= room_h) scale++;
    *w *= scale;
    *h *= scale;
    while (*w > room_w || *h > room_h) *w = *w * 9 / 10, *h = *h * 9 / 10;
}

static void video_sdl_measure(video_sdl *v)
{
    int pw = 1, ph = 1;
    SDL_GetRendererOutputSize(v->renderer, &v->out_w, &v->out_h);
    SDL_GetWindowSize(v->window, &pw, &ph);
    v->view.pixels_per_point_x = (float)v->out_w / (float)(pw > 0 ? pw : 1);
    v->view.pixels_per_point_y = (float)v->out_h / (float)(ph > 0 ? ph : 1);
}

static bool video_sdl_create(video_sdl *v, host_error *err)
{
    int w, h;
    video_sdl_first_size(&v->cfg, &w, &h);
    Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI | (v->cfg.fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
    v->window = SDL_CreateWindow(v->cfg.title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w, h, flags);
    if (!v->window) return host_fail(err, "cannot create the window: %s", SDL_GetError());
    v->renderer = SDL_CreateRenderer(v->window, -1, v->cfg.vsync ? SDL_RENDERER_PRESENTVSYNC : 0);
    if (!v->renderer) return host_fail(err, "cannot create a renderer for the window: %s", SDL_GetError());
    SDL_RendererInfo info;
    v->vsync = SDL_GetRendererInfo(v->renderer, &info) == 0 && (info.flags & SDL_RENDERER_PRESENTVSYNC);
    SDL_DisplayMode mode;
    int hz = SDL_GetWindowDisplayMode(v->window, &mode) == 0 && mode.refresh_rate > 0 ? mode.refresh_rate : 60;
    v->refresh_ns = 1e9 / hz;
    video_sdl_measure(v);
    SDL_StartTextInput();
    return true;
}

#define VIDEO_SDL_NO_DISPLAY                                                                                  \
    "cannot open a window: no display (DISPLAY and WAYLAND_DISPLAY are unset, or none answers); pass --headless " \
    "(no window, no sound) or --terminal"

/* Without a display SDL falls back to drivers that show nothing (offscreen, dummy), after its
 * Wayland probe has complained on stderr: no window, unless SDL_VIDEODRIVER asks for one of those. */
static bool video_sdl_displays(host_error *err)
{
    const char *asked = SDL_getenv("SDL_VIDEODRIVER");
    if (asked && *asked) return true;
    const char *driver = SDL_GetCurrentVideoDriver();
    if (!driver || (strcmp(driver, "offscreen") != 0 && strcmp(driver, "dummy") != 0)) return true;
    return host_fail(err, VIDEO_SDL_NO_DISPLAY);
}

static bool video_sdl_display_named(host_error *err)
{
#if defined(__linux__)
    const char *asked = SDL_getenv("SDL_VIDEODRIVER"), *x = SDL_getenv("DISPLAY"), *w = SDL_getenv("WAYLAND_DISPLAY");
    if (!(asked && *asked) && !(x && *x) && !(w && *w)) return host_fail(err, VIDEO_SDL_NO_DISPLAY);
#endif
    (void)err;
    return true;
}

static bool video_sdl_open(void **state, const video_config *cfg, host_error *err)
{
    *state = NULL;
    if (!video_sdl_display_named(err)) return false;
    video_sdl *v = calloc(1, sizeof(*v));
    *state = v;
    if (!v) return host_fail(err, "out of memory for the window");
    v->cfg = *cfg;
    v->view.scale = 1;
    input_pads_reset(v->pad_ids);
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1"); /* the host owns SIGINT and SIGTERM */
    if (SDL_InitSubSystem(SDL_INIT_VIDEO | SDL_INIT_GAMECONTROLLER) != 0 || !video_sdl_displays(err)) {
        if (SDL_WasInit(SDL_INIT_VIDEO)) SDL_QuitSubSystem(SDL_INIT_VIDEO | SDL_INIT_GAMECONTROLLER);
        else host_fail(err, "cannot open a window: %s; with no display pass --headless (no window, no sound) or "
                            "--terminal", SDL_GetError());
        free(v);
        *state = NULL;
        return false;
    }
    return video_sdl_create(v, err);
}

static void video_sdl_close(void *state)
{
    video_sdl *v = state;
    if (!v) return;
    for (int i = 0; i < OVERLAY_PIECES; i++) {
        if (v->pieces[i]) SDL_DestroyTexture(v->pieces[i]);
        overlay_image_free(&v->images[i]);
    }
    for (int i = 0; i < GAME_GAMEPAD_MAX; i++)
        if (v->pads[i]) SDL_GameControllerClose(v->pads[i]);
    if (v->picture) SDL_DestroyTexture(v->picture);
    if (v->renderer) SDL_DestroyRenderer(v->renderer);
    if (v->window) SDL_DestroyWindow(v->window);
    SDL_QuitSubSystem(SDL_INIT_VIDEO | SDL_INIT_GAMECONTROLLER);
    free(v);
}

/* ---- events ------------------------------------------------------------------------------------- */

static void video_sdl_pad_added(video_sdl *v, game_input *in, int device_index)
{
    SDL_GameController *pad = SDL_GameControllerOpen(device_index);
    if (!pad) return;
    SDL_JoystickID id = SDL_JoystickInstanceID(SDL_GameControllerGetJoystick(pad));
    int slot = input_pad_attach(in, v->pad_ids, id, SDL_GameControllerName(pad));
    if (slot < 0 || (v->pads[slot] && v->pads[slot] != pad)) {
        SDL_GameControllerClose(pad); /* all four slots taken, or already open in its slot */
        return;
    }
    v->pads[slot] = pad;
}

static void video_sdl_pad_removed(video_sdl *v, game_input *in, SDL_JoystickID id)
{
    int slot = input_pad_slot(v->pad_ids, id);
    if (slot < 0) return;
    SDL_GameControllerClose(v->pads[slot]);
    v->pads[slot] = NULL;
    input_pad_detach(in, v->pad_ids, id);
}

/* Sticks and triggers as they are now (their events are many; the state is one read). */
static void video_sdl_pad_axes(video_sdl *v, game_input *in)
{
    for (int i = 0; i < GAME_GAMEPAD_MAX; i++) {
        SDL_GameController *c = v->pads[i];
        if (!c) continue;
        game_gamepad *p = &in->gamepads[i];
        input_stick(SDL_GameControllerGetAxis(c, SDL_CONTROLLER_AXIS_LEFTX),
                    SDL_GameControllerGetAxis(c, SDL_CONTROLLER_AXIS_LEFTY), &p->left_x, &p->left_y);
        input_stick(SDL_GameControllerGetAxis(c, SDL_CONTROLLER_AXIS_RIGHTX),
                    SDL_GameControllerGetAxis(c, SDL_CONTROLLER_AXIS_RIGHTY), &p->right_x, &p->right_y);
        p->left_trigger = input_trigger(SDL_GameControllerGetAxis(c, SDL_CONTROLLER_AXIS_TRIGGERLEFT));
        p->right_trigger = input_trigger(SDL_GameControllerGetAxis(c, SDL_CONTROLLER_AXIS_TRIGGERRIGHT));
    }
}

static void video_sdl_toggle_fullscreen(video_sdl *v)
{
    bool full = SDL_GetWindowFlags(v->window) & SDL_WINDOW_FULLSCREEN_DESKTOP;
    SDL_SetWindowFullscreen(v->window, full ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP);
}

static void video_sdl_poll(void *state, game_input *in, int *width, int *height)
{
    video_sdl *v = state;
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        if (e.type == SDL_CONTROLLERDEVICEADDED) video_sdl_pad_added(v, in, e.cdevice.which);
        if (e.type == SDL_CONTROLLERDEVICEREMOVED) video_sdl_pad_removed(v, in, e.cdevice.which);
        if (e.type == SDL_KEYDOWN && e.key.keysym.scancode == SDL_SCANCODE_F11 && !e.key.repeat)
            video_sdl_toggle_fullscreen(v);
        input_sdl_event(&v->view, v->pad_ids, in, &e);
    }
    video_sdl_pad_axes(v, in);
    in->focused = (SDL_GetWindowFlags(v->window) & SDL_WINDOW_INPUT_FOCUS) != 0;
    video_sdl_measure(v);
    *width = v->cfg.width ? v->cfg.width : v->out_w;
    *height = v->cfg.width ? v->cfg.height : v->out_h;
}

/* ---- presenting --------------------------------------------------------------------------------- */

/* The picture centred in the output: scaled by the largest whole number that fits (a picture that
 * follows the window fits at 1), or shrunk to fit when even 1 does not. */
static void video_sdl_place(video_sdl *v, int w, int h)
{
    double sx = (double)v->out_w / w, sy = (double)v->out_h / h;
    double s = sx < sy ? sx : sy;
    if (s >= 1) s = (int)s;
    v->dst.w = (int)(w * s);
    v->dst.h = (int)(h * s);
    v->dst.x = (v->out_w - v->dst.w) / 2;
    v->dst.y = (v->out_h - v->dst.h) / 2;
    v->view = (input_sdl_view){v->view.pixels_per_point_x, v->view.pixels_per_point_y, (float)v->dst.x,
                               (float)v->dst.y, (float)s, w, h};
}

static void video_sdl_upload(video_sdl *v, const game_framebuffer *fb)
{
    if (!v->picture || v->picture_w != fb->width || v->picture_h != fb->height) {
        if (v->picture) SDL_DestroyTexture(v->picture);
        v->picture = SDL_CreateTexture(v->renderer, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, fb->width,
                                       fb->height);
        v->picture_w = fb->width;
        v->picture_h = fb->height;
    }
    if (v->picture) SDL_UpdateTexture(v->picture, NULL, fb->pixels, fb->pitch);
    video_sdl_place(v, fb->width, fb->height);
}

/* The font's scale for the overlay: bigger on big (high-DPI) outputs. */
static int video_sdl_overlay_scale(const video_sdl *v) { return v->out_h < 500 ? 1 : v->out_h < 1400 ? 2 : 3; }

static void video_sdl_piece(video_sdl *v, overlay_piece i, const overlay_view *view)
{
    int scale = video_sdl_overlay_scale(v);
    overlay_image *img = &v->images[i];
    if (overlay_render(img, i, view, v->out_w, v->out_h, scale) && img->width) {
        if (!v->pieces[i] || v->piece_w[i] != img->width || v->piece_h[i] != img->height) {
            if (v->pieces[i]) SDL_DestroyTexture(v->pieces[i]);
            v->pieces[i] = SDL_CreateTexture(v->renderer, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                             img->width, img->height);
            if (v->pieces[i]) SDL_SetTextureBlendMode(v->pieces[i], SDL_BLENDMODE_BLEND);
            v->piece_w[i] = img->width;
            v->piece_h[i] = img->height;
        }
        if (v->pieces[i]) SDL_UpdateTexture(v->pieces[i], NULL, img->pixels, img->width * 4);
    }
    if (!img->width || !v->pieces[i]) return;
    SDL_Rect at = {0, 0, img->width, img->height};
    overlay_place(i, img, v->out_w, v->out_h, scale, &at.x, &at.y);
    SDL_RenderCopy(v->renderer, v->pieces[i], NULL, &at);
}

static void video_sdl_probe(video_sdl *v, uint64_t ns)
{
    if (!v->vsync || v->probed >= VIDEO_SDL_PROBE_FRAMES) return;
    v->probe_ns += ns;
    if (++v->probed == VIDEO_SDL_PROBE_FRAMES) v->paced = (double)v->probe_ns / VIDEO_SDL_PROBE_FRAMES > v->refresh_ns / 4;
}

static void video_sdl_present(void *state, const video_frame *frame, const overlay_view *view)
{
    video_sdl *v = state;
    const game_framebuffer *fb = frame->picture;
    if (fb && fb->width) video_sdl_upload(v, fb);
    bool covered = v->picture && v->dst.x <= 0 && v->dst.y <= 0 && v->dst.w >= v->out_w && v->dst.h >= v->out_h;
    if (!covered) {
        SDL_SetRenderDrawColor(v->renderer, 0, 0, 0, 255);
        SDL_RenderClear(v->renderer);
    }
    if (v->picture) SDL_RenderCopy(v->renderer, v->picture, NULL, &v->dst);
    for (int i = 0; i < OVERLAY_PIECES; i++) video_sdl_piece(v, (overlay_piece)i, view);
    uint64_t t0 = clock_now_ns();
    SDL_RenderPresent(v->renderer);
    video_sdl_probe(v, clock_now_ns() - t0);
}

static bool video_sdl_paced(void *state) { return ((video_sdl *)state)->paced; }

static void video_sdl_cells(void *state, int *columns, int *rows)
{
    video_sdl *v = state;
    int scale = video_sdl_overlay_scale(v);
    *columns = v->out_w / (FONT_CELL * scale) - 4;
    *rows = v->out_h / (FONT_LINE * scale) - 10; /* room for the graph under the table */
}

const video_backend video_sdl_backend = {
    "window", video_sdl_open, video_sdl_close, video_sdl_poll, video_sdl_present, video_sdl_paced, video_sdl_cells,
};
