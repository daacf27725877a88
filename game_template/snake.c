/* snake.c - the rules of the template game, and the game_api table the host loads.
 *
 * Every hook gets the memory and the host table as arguments and keeps nothing of them: after a
 * reload both may be new. The state is found again through mem->root on every call. */
#include "snake.h"

#include <limits.h>

#define SNAKE_HEADLESS_DT (1.0 / 60.0) /* simulated seconds per headless frame: runs repeat exactly */
#define SNAKE_MAX_DT 0.1               /* a stall (debugger, slow reload) does not teleport the snake */
#define SNAKE_MAX_STEPS_PER_FRAME 4
#define SNAKE_NEXT_ROUND_SECONDS 2.0   /* the autopilot starts a new round after this */
#define SNAKE_MIN_W 10                 /* smallest board worth playing */
#define SNAKE_MIN_H 4

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
        p->vx = snake_rand_signed(s) * 12.0f; /* cells are twice as tall as wide: half speed in y */
        p->vy = snake_rand_signed(s) * 6.0f;
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

/* ---- input ------------------------------------------------------------------------------------ */

static int snake_key_dir(int key)
{
    switch (key) {
    case GAME_KEY_UP: case 'w': case 'W': return SNAKE_UP;
    case GAME_KEY_RIGHT: case 'd': case 'D': return SNAKE_RIGHT;
    case GAME_KEY_DOWN: case 's': case 'S': return SNAKE_DOWN;
    case GAME_KEY_LEFT: case 'a': case 'A': return SNAKE_LEFT;
    default: return -1;
    }
}

/* Queues a turn unless it repeats or reverses the last one (reversing would bite the neck). */
static void snake_queue_turn(snake_state *s, int dir)
{
    int last = s->turn_count ? s->turns[s->turn_count - 1] : s->dir;
    if (dir == last || dir == (last + 2) % 4 || s->turn_count == SNAKE_TURN_QUEUE) return;
    s->turns[s->turn_count++] = dir;
}

static game_status snake_handle_keys(snake_state *s, const host_api *host, const game_input *input)
{
    for (int i = 0; i < input->key_count; i++) {
        int key = input->keys[i];
        int dir = snake_key_dir(key);
        if (dir >= 0) {
            if (s->over) continue;
            s->autopilot = false; /* the player takes over */
            s->paused = false;
            snake_queue_turn(s, dir);
            continue;
        }
        switch (key) {
        case 'q': case 'Q': return GAME_QUIT;
        case 'r': case 'R': host->request_restart(); break; /* the host throws the state away and calls init */
        case 'p': case 'P': case GAME_KEY_ESCAPE: s->paused = !s->paused && !s->over; break;
        case 't': case 'T': s->autopilot = !s->autopilot; break;
        case 'm': case 'M': host->stats_request(); break; /* the host's memory stats: an overlay, again to hide */
        case ' ': case '\r': case '\n':
            if (s->over) snake_new_round(s);
            break;
        }
    }
    return GAME_CONTINUE;
}

/* ---- layout ----------------------------------------------------------------------------------- */

static snake_layout snake_layout_for(const game_input *in)
{
    snake_layout l = {0};
    l.screen_w = in->width;
    l.screen_h = in->height - 1; /* the bottom row is the host's status line */
    /* rows: the HUD, the top border, the board, the bottom border, maybe the key help */
    l.board_w = snake_clamp(l.screen_w - 2, SNAKE_MIN_W, SNAKE_BOARD_MAX_W);
    l.board_h = snake_clamp(l.screen_h - 3, SNAKE_MIN_H, SNAKE_BOARD_MAX_H);
    l.too_small = l.board_w + 2 > l.screen_w || l.board_h + 3 > l.screen_h;
    l.board_x = (l.screen_w - (l.board_w + 2)) / 2 + 1;
    l.board_y = 2;
    l.help = l.screen_h >= l.board_h + 4;
    return l;
}

/* The board follows the terminal. After a resize, whatever is outside the new board wraps back in. */
static void snake_fit_board(snake_state *s, const snake_layout *l)
{
    if (l->board_w == s->board_w && l->board_h == s->board_h) return;
    s->board_w = l->board_w;
    s->board_h = l->board_h;
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
                                               GAME_LAYOUT(snake_food), GAME_LAYOUT(snake_spark),
                                               GAME_LAYOUT(snake_round)};

static void snake_init(game_memory *mem, const host_api *host)
{
    (void)host;
    arena *a = mem->persistent;
    snake_state *s = push_struct(a, snake_state);
    s->body_cap = SNAKE_BOARD_MAX_W * SNAKE_BOARD_MAX_H; /* a snake can fill the largest board */
    s->body = push_array(a, snake_cell, s->body_cap);
    s->food_pool = pool_create(a, snake_food, "food");
    s->spark_pool = pool_create(a, snake_spark, "sparks");
    s->rng = 0x9e3779b97f4a7c15ull;
    mem->root = s;
    mem->root_size = sizeof(*s);
}

/* The first update knows the terminal size, so the first round starts here rather than in init. */
static void snake_start(snake_state *s, const host_api *host, const game_input *input, const snake_layout *l)
{
    /* headless runs keep the fixed seed so they repeat exactly; a player gets a new game each time */
    if (!input->headless) s->rng ^= (uint64_t)(host->time_now() * 1e9);
    if (!s->rng) s->rng = 1;
    s->autopilot = input->headless; /* no keys arrive headless: let the autopilot play */
    s->board_w = l->board_w;
    s->board_h = l->board_h;
    s->started = true;
    snake_new_round(s);
}

static game_status snake_update(game_memory *mem, const host_api *host, const game_input *input)
{
    snake_state *s = mem->root;
    snake_layout layout = snake_layout_for(input);
    if (!s->started) snake_start(s, host, input, &layout);
    if (snake_handle_keys(s, host, input) == GAME_QUIT) return GAME_QUIT;
    if (!layout.too_small) {
        snake_fit_board(s, &layout);
        snake_simulate(s, host, input->headless ? SNAKE_HEADLESS_DT : MIN(input->dt, SNAKE_MAX_DT));
    }
    /* built headless too, where the host drops it: the drawing code runs in every test */
    uint64_t size;
    char *frame = screen_build(s, &layout, mem->frame, &size);
    host->draw(frame, size);
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
    host->log("reloaded: state kept (reload %llu)", (unsigned long long)mem->reloads);
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
