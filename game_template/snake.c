/* snake.c - the rules of the template game, its controls, and the game_api table the host loads.
 *
 * Every hook gets the memory and the host table as arguments and keeps nothing of them: after a
 * reload both may be new. The state is found again through mem->root on every call. */
#include "snake.h"

#include <limits.h>

#define SNAKE_HEADLESS_DT (1.0 / 60.0) /* simulated seconds per headless frame: runs repeat exactly */
#define SNAKE_MAX_DT 0.1               /* a stall (debugger, slow reload) does not teleport the snake */
#define SNAKE_MAX_STEPS_PER_FRAME 4
#define SNAKE_NEXT_ROUND_SECONDS 2.0   /* the autopilot starts a new round after this */
#define SNAKE_STICK 0.5f               /* how far a gamepad stick is pushed to steer */

static const snake_cell snake_deltas[4] = {{0, -1}, {1, 0}, {0, 1}, {-1, 0}}; /* by snake_dir */

/* ---- small helpers ---------------------------------------------------------------------------- */

static int snake_clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static bool snake_cell_eq(snake_cell a, snake_cell b) { return a.x == b.x && a.y == b.y; }

/* xorshift64*: n > 0, result in [0, n). */
static uint32_t snake_rand(snake_state *s, uint32_t n)
{
    uint64_t x = s->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32) % n;
}

/* Uniform in [-1, 1]. */
static float snake_rand_signed(snake_state *s) { return (float)snake_rand(s, 2001) / 1000.0f - 1.0f; }

double snake_speed(const snake_state *s)
{
    double speed = SNAKE_SPEED + SNAKE_SPEEDUP * s->eaten;
    if (speed > SNAKE_SPEED_MAX) speed = SNAKE_SPEED_MAX;
    return speed < 0.5 ? 0.5 : speed; /* an edit to 0 slows the game down instead of dividing by 0 */
}

snake_cell snake_segment(const snake_state *s, int i) { return s->body[(s->head - i + s->body_cap) % s->body_cap]; }

static bool snake_on_body(const snake_state *s, snake_cell c, bool skip_tail)
{
    int n = s->length - (skip_tail ? 1 : 0);
    for (int i = 0; i < n; i++)
        if (snake_cell_eq(snake_segment(s, i), c)) return true;
    return false;
}

/* The cell one step from the head in `dir`; false when that leaves the board and walls kill. */
static bool snake_ahead(const snake_state *s, int dir, snake_cell *out)
{
    snake_cell h = snake_segment(s, 0);
    snake_cell c = {h.x + snake_deltas[dir].x, h.y + snake_deltas[dir].y};
    if (c.x < 0 || c.y < 0 || c.x >= s->board_w || c.y >= s->board_h) {
        if (!SNAKE_WRAP) return false;
        c.x = (c.x + s->board_w) % s->board_w;
        c.y = (c.y + s->board_h) % s->board_h;
    }
    *out = c;
    return true;
}

/* ---- food and sparks: pooled, each with its own lifetime -------------------------------------- */

static snake_food *snake_food_at(const snake_state *s, snake_cell c)
{
    for (snake_food *f = s->foods; f; f = f->next)
        if (snake_cell_eq(f->at, c)) return f;
    return NULL;
}

static bool snake_cell_free(const snake_state *s, snake_cell c) { return !snake_on_body(s, c, false) && !snake_food_at(s, c); }

/* A random empty cell; false only when the board is full. Random tries first (cheap on an empty
 * board), then a scan, so a nearly full board still finds its last holes. */
static bool snake_random_free_cell(snake_state *s, snake_cell *out)
{
    int area = s->board_w * s->board_h;
    for (int i = 0; i < 64; i++) {
        int at = (int)snake_rand(s, (uint32_t)area);
        snake_cell c = {at % s->board_w, at / s->board_w};
        if (snake_cell_free(s, c)) return *out = c, true;
    }
    for (int at = 0; at < area; at++) {
        snake_cell c = {at % s->board_w, at / s->board_w};
        if (snake_cell_free(s, c)) return *out = c, true;
    }
    return false;
}

/* False when the board is full. */
static bool snake_spawn_food(snake_state *s, int kind)
{
    snake_cell c;
    if (!snake_random_free_cell(s, &c)) return false;
    snake_food *f = arena_pool_alloc(s->food_pool);
    f->at = c;
    f->kind = kind;
    f->ttl = SNAKE_BONUS_SECONDS;
    f->next = s->foods;
    s->foods = f;
    return true;
}

static void snake_remove_food(snake_state *s, snake_food *food)
{
    for (snake_food **link = &s->foods; *link; link = &(*link)->next) {
        if (*link == food) {
            *link = food->next;
            arena_pool_free(s->food_pool, food);
            return;
        }
    }
}

/* Keeps exactly SNAKE_FOOD_COUNT plain food on the board, so an edit of the constant shows at once. */
static void snake_top_up_food(snake_state *s)
{
    int plain = 0;
    for (snake_food *f = s->foods, *next; f; f = next) {
        next = f->next;
        if (f->kind == SNAKE_FOOD_PLAIN && ++plain > SNAKE_FOOD_COUNT) snake_remove_food(s, f);
    }
    while (plain < SNAKE_FOOD_COUNT && snake_spawn_food(s, SNAKE_FOOD_PLAIN)) plain++;
}

static void snake_age_bonuses(snake_state *s, double dt)
{
    for (snake_food *f = s->foods, *next; f; f = next) {
        next = f->next;
        if (f->kind == SNAKE_FOOD_BONUS && (f->ttl -= dt) <= 0) snake_remove_food(s, f);
    }
}

static void snake_burst(snake_state *s, snake_cell at)
{
    for (int i = 0; i < SNAKE_SPARKS; i++) {
        snake_spark *p = arena_pool_alloc(s->spark_pool);
        p->x = (float)at.x + 0.5f;
        p->y = (float)at.y + 0.5f;
        p->vx = snake_rand_signed(s) * 8.0f;
        p->vy = snake_rand_signed(s) * 8.0f;
        p->life = 0.25f + (float)snake_rand(s, 100) / 200.0f;
        p->next = s->sparks;
        s->sparks = p;
    }
}

static void snake_update_sparks(snake_state *s, double dt)
{
    for (snake_spark **link = &s->sparks; *link;) {
        snake_spark *p = *link;
        p->x += p->vx * (float)dt;
        p->y += p->vy * (float)dt;
        p->life -= (float)dt;
        if (p->life > 0) {
            link = &p->next;
            continue;
        }
        *link = p->next;
        arena_pool_free(s->spark_pool, p);
    }
}

static void snake_clear_things(snake_state *s)
{
    while (s->foods) snake_remove_food(s, s->foods);
    while (s->sparks) {
        snake_spark *p = s->sparks;
        s->sparks = p->next;
        arena_pool_free(s->spark_pool, p);
    }
}

/* ---- the round -------------------------------------------------------------------------------- */

static void snake_new_round(snake_state *s)
{
    snake_clear_things(s);
    s->length = snake_clamp(SNAKE_START_LENGTH, 1, s->body_cap);
    s->head = s->length - 1;
    for (int i = 0; i < s->length; i++) { /* a horizontal line ending mid-board, heading right */
        int x = s->board_w / 2 - (s->length - 1) + i;
        s->body[i] = (snake_cell){(x % s->board_w + s->board_w) % s->board_w, s->board_h / 2};
    }
    s->dir = SNAKE_RIGHT;
    s->turn_count = 0;
    s->grow = 0;
    s->step_clock = 0;
    s->score = s->eaten = 0;
    s->over = s->paused = false;
    s->rounds++;
    snake_top_up_food(s);
    sound_play(s, SNAKE_SOUND_START, 0);
}

/* Appends to the round history, doubling its heap block when full (realloc keeps it in the heap). */
static void snake_history_add(snake_state *s, const host_api *host)
{
    if (s->history_count == s->history_cap) {
        s->history_cap = s->history_cap ? s->history_cap * 2 : 8;
        s->history = host->heap_realloc(s->history, (uint64_t)s->history_cap * sizeof(*s->history));
    }
    s->history[s->history_count++] = (snake_round){s->score, s->length};
}

double snake_history_average(const snake_state *s)
{
    double sum = 0;
    for (int i = 0; i < s->history_count; i++) sum += s->history[i].points;
    return s->history_count ? sum / s->history_count : 0.0;
}

static void snake_game_over(snake_state *s, const host_api *host)
{
    s->over = true;
    s->over_clock = 0;
    sound_play(s, SNAKE_SOUND_OVER, 0);
    if (s->score > s->best) s->best = s->score;
    snake_history_add(s, host);
    host->log("game over: score %d (average %.1f over %d rounds)", s->score, snake_history_average(s),
              s->history_count);
}

static void snake_eat(snake_state *s, snake_food *f, const host_api *host)
{
    bool bonus = f->kind == SNAKE_FOOD_BONUS;
    s->score += bonus ? SNAKE_BONUS_POINTS : 1;
    s->eaten++;
    s->grow += SNAKE_GROW;
    snake_burst(s, f->at);
    sound_play(s, bonus ? SNAKE_SOUND_BONUS : SNAKE_SOUND_EAT, 2.0f * (float)f->at.x / (float)s->board_w - 1.0f);
    snake_remove_food(s, f);
    if (!bonus && (int)snake_rand(s, 100) < SNAKE_BONUS_CHANCE) snake_spawn_food(s, SNAKE_FOOD_BONUS);
    /* one line per bite: rare enough for the event log; short, as the host shows it on its status line */
    host->log("%s: score %d, length %d", bonus ? "bonus" : "food", s->score, s->length + s->grow);
}

/* Distance along one axis, the short way round when the edges wrap. */
static int snake_axis_distance(int a, int b, int size)
{
    int d = a > b ? a - b : b - a;
    return SNAKE_WRAP && size - d < d ? size - d : d;
}

static int snake_food_distance(const snake_state *s, snake_cell c)
{
    int best = INT_MAX;
    for (const snake_food *f = s->foods; f; f = f->next) {
        int d = snake_axis_distance(c.x, f->at.x, s->board_w) + snake_axis_distance(c.y, f->at.y, s->board_h);
        if (d < best) best = d;
    }
    return best == INT_MAX ? 0 : best;
}

/* Greedy: of straight, left and right, the safe move that gets closest to food, avoiding cells
 * with no way out. It can still trap itself, which is fine: it only keeps headless runs and the
 * attract mode busy. */
static int snake_autopilot(const snake_state *s)
{
    static const int turns[3] = {0, 3, 1}; /* straight, left, right */
    int best_dir = s->dir, best_cost = INT_MAX;
    for (int t = 0; t < 3; t++) {
        int dir = (s->dir + turns[t]) % 4;
        snake_cell c;
        if (!snake_ahead(s, dir, &c) || snake_on_body(s, c, s->grow == 0)) continue;
        int exits = 0;
        for (int d = 0; d < 4; d++) {
            snake_cell n = {(c.x + snake_deltas[d].x + s->board_w) % s->board_w,
                            (c.y + snake_deltas[d].y + s->board_h) % s->board_h};
            exits += !snake_on_body(s, n, false);
        }
        int cost = snake_food_distance(s, c) + (exits <= 1 ? 1000 : 0);
        if (cost < best_cost) best_cost = cost, best_dir = dir;
    }
    return best_dir;
}

static void snake_step(snake_state *s, const host_api *host)
{
    if (s->turn_count) {
        s->dir = s->turns[0];
        s->turn_count--;
        for (int i = 0; i < s->turn_count; i++) s->turns[i] = s->turns[i + 1];
    } else if (s->autopilot) {
        s->dir = snake_autopilot(s);
    }
    snake_cell next;
    bool growing = s->grow > 0 && s->length < s->body_cap;
    /* the tail moves out of the way this step unless the snake is growing */
    if (!snake_ahead(s, s->dir, &next) || snake_on_body(s, next, !growing)) {
        snake_game_over(s, host);
        return;
    }
    if (growing) s->length++;
    if (s->grow > 0) s->grow--;
    s->head = (s->head + 1) % s->body_cap;
    s->body[s->head] = next;
    snake_food *f = snake_food_at(s, next);
    if (f) snake_eat(s, f, host);
}

/* Advances the round by dt seconds: as many steps as the speed says, then everything timed. */
static void snake_simulate(snake_state *s, const host_api *host, double dt)
{
    if (s->paused) return;
    snake_update_sparks(s, dt);
    if (s->over) {
        s->over_clock += dt;
        if (s->autopilot && s->over_clock >= SNAKE_NEXT_ROUND_SECONDS) snake_new_round(s);
        return;
    }
    snake_age_bonuses(s, dt);
    snake_top_up_food(s);
    double interval = 1.0 / snake_speed(s);
    s->step_clock += dt;
    for (int n = 0; s->step_clock >= interval && !s->over; n++) {
        if (n == SNAKE_MAX_STEPS_PER_FRAME) {
            s->step_clock = 0; /* too far behind: drop the rest rather than sprint */
            break;
        }
        s->step_clock -= interval;
        snake_step(s, host);
    }
}

/* ---- controls: keyboard, gamepad ---------------------------------------------------------------- */

/* Queues a turn unless it repeats or reverses the last one (reversing would bite the neck). */
static void snake_queue_turn(snake_state *s, int dir)
{
    if (s->over) return;
    s->autopilot = false; /* the player takes over */
    s->paused = false;
    int last = s->turn_count ? s->turns[s->turn_count - 1] : s->dir;
    if (dir == last || dir == (last + 2) % 4 || s->turn_count == SNAKE_TURN_QUEUE) return;
    s->turns[s->turn_count++] = dir;
    sound_play(s, SNAKE_SOUND_TURN, 0);
}

/* A direction pressed this frame: arrows, WASD, a gamepad's d-pad, or its left stick pushed over. */
static int snake_pressed_dir(snake_state *s, const game_input *in)
{
    static const int keys[4][2] = {{GAME_KEY_UP, 'w'}, {GAME_KEY_RIGHT, 'd'}, {GAME_KEY_DOWN, 's'}, {GAME_KEY_LEFT, 'a'}};
    static const int pad[4] = {GAME_PAD_UP, GAME_PAD_RIGHT, GAME_PAD_DOWN, GAME_PAD_LEFT};
    int dir = -1;
    for (int d = 0; d < 4; d++)
        if (game_key_pressed(in, keys[d][0]) || game_key_pressed(in, keys[d][1]) ||
            game_pressed(in->gamepads[0].buttons[pad[d]]))
            dir = d;
    const game_gamepad *p = &in->gamepads[0];
    int stick = -1; /* the stick steers when it crosses over into a new direction */
    if (p->left_x > SNAKE_STICK) stick = SNAKE_RIGHT;
    if (p->left_x < -SNAKE_STICK) stick = SNAKE_LEFT;
    if (p->left_y > SNAKE_STICK) stick = SNAKE_DOWN;
    if (p->left_y < -SNAKE_STICK) stick = SNAKE_UP;
    if (stick >= 0 && stick != s->stick_dir) dir = stick;
    s->stick_dir = stick;
    return dir;
}

static bool snake_action(const game_input *in, int key, int pad_button)
{
    return game_key_pressed(in, key) || game_pressed(in->gamepads[0].buttons[pad_button]);
}

static game_status snake_controls(snake_state *s, const host_api *host, const game_input *in)
{
    int dir = snake_pressed_dir(s, in);
    if (dir >= 0) snake_queue_turn(s, dir);
    if (game_key_pressed(in, 'q')) return GAME_QUIT;
    if (snake_action(in, 'r', GAME_PAD_BACK)) host->request_restart(); /* the host throws the state away and calls init */
    if (snake_action(in, 'p', GAME_PAD_START)) s->paused = !s->paused && !s->over;
    if (snake_action(in, 't', GAME_PAD_Y)) s->autopilot = !s->autopilot;
    if (game_key_pressed(in, 'm')) host->stats_request(); /* the host's memory stats over the game (F1 too) */
    if ((snake_action(in, ' ', GAME_PAD_A) || game_key_pressed(in, GAME_KEY_ENTER)) && s->over) snake_new_round(s);
    return GAME_CONTINUE;
}

/* The board follows SNAKE_BOARD_W and SNAKE_BOARD_H. After an edit, whatever is outside the new
 * board wraps back in. */
static void snake_fit_board(snake_state *s)
{
    int w = snake_clamp(SNAKE_BOARD_W, 4, SNAKE_BOARD_MAX), h = snake_clamp(SNAKE_BOARD_H, 4, SNAKE_BOARD_MAX);
    if (w == s->board_w && h == s->board_h) return;
    s->board_w = w;
    s->board_h = h;
    for (int i = 0; i < s->length; i++) {
        snake_cell *c = &s->body[(s->head - i + s->body_cap) % s->body_cap];
        c->x %= s->board_w;
        c->y %= s->board_h;
    }
    for (snake_food *f = s->foods; f; f = f->next) {
        f->at.x %= s->board_w;
        f->at.y %= s->board_h;
    }
}

/* ---- the game_api hooks ----------------------------------------------------------------------- */

/* Every struct kept in the block, the root state's first: the host stores these layouts with the
 * state and compares them with each new build's (snake.h). */
static game_layout_fn *const snake_layouts[] = {GAME_LAYOUT(snake_state), GAME_LAYOUT(snake_cell),
                                               GAME_LAYOUT(snake_food),  GAME_LAYOUT(snake_spark),
                                               GAME_LAYOUT(snake_round), GAME_LAYOUT(snake_voice)};

static void snake_init(game_memory *mem, const host_api *host)
{
    (void)host;
    arena *a = mem->persistent;
    snake_state *s = push_struct(a, snake_state);
    s->body_cap = SNAKE_BOARD_MAX * SNAKE_BOARD_MAX; /* a snake can fill the largest board */
    s->body = push_array(a, snake_cell, s->body_cap);
    s->food_pool = pool_create(a, snake_food, "food");
    s->spark_pool = pool_create(a, snake_spark, "sparks");
    s->voice_count = SNAKE_VOICES;
    s->voices = push_array(a, snake_voice, s->voice_count);
    s->stick_dir = -1;
    s->rng = 0x9e3779b97f4a7c15ull;
    mem->root = s;
    mem->root_size = sizeof(*s);
}

/* The first round starts with the first update, which knows how the game is run. */
static void snake_start(snake_state *s, const host_api *host, const game_input *in)
{
    bool headless = in->mode == GAME_MODE_HEADLESS;
    /* headless runs keep the fixed seed so they repeat exactly; a player gets a new game each time */
    if (!headless) s->rng ^= (uint64_t)(host->time_now() * 1e9);
    if (!s->rng) s->rng = 1;
    s->autopilot = headless; /* no keys arrive headless: let the autopilot play */
    snake_fit_board(s);
    s->started = true;
    snake_new_round(s);
}

static game_status snake_update(game_memory *mem, const host_api *host, const game_input *in)
{
    snake_state *s = mem->root;
    if (!s->started) snake_start(s, host, in);
    if (snake_controls(s, host, in) == GAME_QUIT) return GAME_QUIT;
    snake_fit_board(s);
    snake_simulate(s, host, in->mode == GAME_MODE_HEADLESS ? SNAKE_HEADLESS_DT : MIN(in->dt, SNAKE_MAX_DT));
    /* drawn and mixed headless too: that code runs in every test */
    draw_frame(s, in, host, mem->frame);
    sound_mix(s, in);
    return GAME_CONTINUE;
}

/* This game runs no threads and registers no callbacks; a game that does stops them here. */
static void snake_before_reload(game_memory *mem, const host_api *host)
{
    (void)mem;
    (void)host;
}

static void snake_after_reload(game_memory *mem, const host_api *host)
{
    snake_state *s = mem->root;
    snake_cell head = snake_segment(s, 0);
    host->log("reloaded: state kept (reload %llu): score %d, length %d, head %d,%d", (unsigned long long)mem->reloads,
              s->score, s->length, head.x, head.y);
}

static void snake_shutdown(game_memory *mem, const host_api *host)
{
    snake_state *s = mem->root;
    if (s) host->log("bye: score %d, best %d, %d rounds", s->score, s->best > s->score ? s->best : s->score, s->rounds);
}

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi_version)
{
    (void)host_abi_version; /* the host checks the version in the table against its own */
    static const game_api api = {
        GAME_API_INIT,
        .init = snake_init,
        .update = snake_update,
        .before_reload = snake_before_reload,
        .after_reload = snake_after_reload,
        .shutdown = snake_shutdown,
        GAME_LAYOUTS(snake_layouts),
    };
    return &api;
}
