/* bench_present.c - what the window costs, on a real X server (Xvfb, started here) with SDL's
 * renderer.
 *
 * present: the host's per-frame present of a 1280x720 picture (the window backend's present:
 * upload, the overlay's status line blended over it, present) against the floor, a plain SDL loop
 * that only uploads the same picture to a streaming texture and presents it. Both windows are open
 * at once, side by side (a window another covers would present less), vsync off; the rounds
 * alternate and each keeps its best, so both meet the same machine.
 *
 * audio: the real host runs the template in a window with SDL's dummy audio driver (which drains
 * the device's buffer in real time) at 60 fps for 1200 frames, while the library is replaced 10
 * times (a reload each) and every update works 8 ms (half a frame) before it plays; the host's exit
 * event counts the gaps.
 * The window is small (a 320x180 picture on a screen of its own): on a machine without a GPU,
 * Xvfb's GL is software (llvmpipe) and a 1280x720 present alone takes most of a 60 fps frame, which
 * would measure the X server rather than the sound's way through reloads. */
#include "../integration/harness.h"
#include "bench.h"
#include "host/platform/video.h"

#include <SDL.h>
#include <stdlib.h>
#include <unistd.h>

#define WIDTH 1280
#define HEIGHT 720
#define FRAMES 100
#define ROUNDS 15
#define AUDIO_FRAMES "1200"
#define AUDIO_RELOADS 10

static uint32_t picture[WIDTH * HEIGHT];

/* A bar that moves every frame, so every upload carries a new picture. */
static void picture_step(int frame)
{
    for (int i = 0; i < WIDTH * HEIGHT; i++) picture[i] = 0xff203040u + (uint32_t)(i % WIDTH);
    int y0 = (frame * 7) % (HEIGHT - 16);
    for (int y = y0; y < y0 + 16; y++)
        for (int x = 0; x < WIDTH; x++) picture[y * WIDTH + x] = 0xffffd23fu;
}

typedef struct floor_window {
    SDL_Window *window;
    SDL_Renderer *renderer;
    SDL_Texture *texture;
} floor_window;

static bool floor_open(floor_window *f)
{
    f->window = SDL_CreateWindow("floor", WIDTH + 20, 0, WIDTH, HEIGHT, 0); /* beside the host's: neither covers the other */
    f->renderer = f->window ? SDL_CreateRenderer(f->window, -1, 0) : NULL;
    f->texture = f->renderer ? SDL_CreateTexture(f->renderer, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                                 WIDTH, HEIGHT)
                             : NULL;
    return f->texture != NULL;
}

static double floor_round(floor_window *f)
{
    uint64_t spent = 0;
    for (int i = 0; i < FRAMES; i++) {
        picture_step(i);
        SDL_PumpEvents();
        uint64_t t0 = bench_now_ns();
        SDL_UpdateTexture(f->texture, NULL, picture, WIDTH * 4);
        SDL_RenderCopy(f->renderer, f->texture, NULL, NULL);
        SDL_RenderPresent(f->renderer);
        spent += bench_now_ns() - t0;
    }
    return (double)spent / FRAMES / 1000.0;
}

static double host_round(void *state, const overlay_view *view)
{
    game_framebuffer fb = {picture, WIDTH, HEIGHT, WIDTH * 4};
    uint64_t spent = 0;
    for (int i = 0; i < FRAMES; i++) {
        picture_step(i);
        SDL_PumpEvents();
        uint64_t t0 = bench_now_ns();
        video_sdl_backend.present(state, &fb, view);
        spent += bench_now_ns() - t0;
    }
    return (double)spent / FRAMES / 1000.0;
}

static int bench_present(void)
{
    video_config cfg = {WIDTH, HEIGHT, false, false, "bench"};
    void *host = NULL;
    host_error err;
    floor_window floor = {0};
    if (!video_sdl_backend.open(&host, &cfg, &err) || !floor_open(&floor)) {
        fprintf(stderr, "bench_present: no window: %s %s\n", err.msg, SDL_GetError());
        return 1;
    }
    SDL_SetWindowPosition(SDL_GetWindowFromID(1), 0, 0); /* a covered window would present less */
    overlay_view view = {.status = " v3 | reloaded version 3 in 0.52 ms "};
    double best_floor = 1e30, best_host = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        double f = floor_round(&floor), h = host_round(host, &view);
        best_floor = f < best_floor ? f : best_floor;
        best_host = h < best_host ? h : best_host;
    }
    SDL_RendererInfo info;
    SDL_GetRendererInfo(floor.renderer, &info);
    printf("bench_present: a %dx%d picture, %d frames a round, best of %d rounds, SDL's %s renderer on Xvfb\n", WIDTH,
           HEIGHT, FRAMES, ROUNDS, info.name);
    bench_print_machine();
    printf("%-46s %10s %10s\n", "present", "us/frame", "vs floor");
    printf("%-46s %10.1f %9.2fx\n", "SDL floor (upload + present)", best_floor, 1.0);
    printf("%-46s %10.1f %9.2fx\n", "host (upload + status line overlay + present)", best_host, best_host / best_floor);
    bench_ratio("present_vs_sdl_floor", best_host / best_floor);
    SDL_DestroyTexture(floor.texture);
    SDL_DestroyRenderer(floor.renderer);
    SDL_DestroyWindow(floor.window);
    video_sdl_backend.close(host);
    return 0;
}

/* ---- audio under reloads and load -------------------------------------------------------------- */

static int bench_audio(const harness_xvfb *x)
{
    harness_game g;
    const char *anchor = "    if (snake_controls(s, host, in) == GAME_QUIT) return GAME_QUIT;\n";
    char loaded[256];
    snprintf(loaded, sizeof(loaded), "%s    for (double t = host->time_now() + 0.008; host->time_now() < t;) {}\n", anchor);
    if (!harness_game_copy("game_template", &g) || !harness_edit(&g, "snake.c", anchor, loaded) ||
        harness_game_build(&g) != 0) {
        fprintf(stderr, "bench_audio: cannot build a copy of game_template that works 8 ms an update\n");
        return 1;
    }
    char good[HARNESS_PATH + 96];
    snprintf(good, sizeof(good), "%s.good", g.lib);
    harness_copy_file(g.lib, good);
    harness_host host;
    const char *args[] = {"--fps", "60", "--frames", AUDIO_FRAMES, "--resolution", "320x180", NULL};
    bool started = harness_window_start(&host, x, g.lib, args);
    int reloads = 0;
    for (int i = 0; started && i < AUDIO_RELOADS; i++) {
        harness_sleep_ms(1500);
        harness_put_library(&g, good);
        reloads += harness_wait(&host, "reload", i + 1, 10000);
    }
    int rc = started ? harness_host_wait(&host, 60000) : -1;
    const char *exit = started ? harness_event(&host, "exit", NULL, 0) : NULL;
    if (rc != 0 || !exit) {
        fprintf(stderr, "bench_audio: the windowed host failed (%d): see %s\n", rc, host.output);
        return 1;
    }
    uint64_t frames = harness_field_u64(exit, "frames"), gaps = harness_field_u64(exit, "audio_underruns");
    uint64_t silent = harness_field_u64(exit, "audio_silent_frames");
    printf("\nbench_audio: the template in a 320x180 window at 60 fps, SDL's dummy audio driver, %d reloads, 8 ms of "
           "work in every update\n", reloads);
    printf("frames %llu, underruns %llu, frames of silence in them %llu\n", (unsigned long long)frames,
           (unsigned long long)gaps, (unsigned long long)silent);
    bench_ratio("audio_underruns_per_1000_frames", frames ? 1000.0 * (double)gaps / (double)frames : 0);
    harness_game_remove(&g);
    return 0;
}

int main(void)
{
    harness_xvfb x;
    if (!harness_xvfb_start(&x, 2 * WIDTH + 40, HEIGHT * 10 / 9 + 20)) { /* two windows side by side */
        fprintf(stderr, "bench_present: cannot start Xvfb\n");
        return 1;
    }
    setenv("DISPLAY", x.display, 1);
    setenv("SDL_VIDEODRIVER", "x11", 1);
    int rc = bench_present();
    SDL_Quit();
    harness_xvfb_stop(&x);
    if (rc == 0 && harness_xvfb_start(&x, 400, 240)) { /* the window's first size: 320x180, the largest fit */
        rc = bench_audio(&x);
        harness_xvfb_stop(&x);
    }
    return rc;
}
