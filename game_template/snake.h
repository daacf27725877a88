/* snake.h - the template game: a terminal snake that reloads while it runs.
 *
 * Start here. The constants under "Tweak me" are read every frame, never copied into the state,
 * so editing one and running ./build.sh while the host runs changes the game within a frame and
 * keeps the snake where it is. snake.c holds the rules and the game_api table; screen.c turns the
 * state into one string of ANSI escapes per frame.
 *
 * Where things live (the rules that make hot reload safe, see README.md):
 *  - everything that lasts is in snake_state, pushed on mem->persistent; pointers inside it point
 *    into the block (the body ring, the pools, the food and spark lists), never into the library;
 *  - everything for one frame (the cell grid, the HUD strings, the output text) is on mem->frame,
 *    which the host clears before every update;
 *  - the library has no writable globals: a reload would reset them. */
#ifndef SNAKE_H
#define SNAKE_H

#include "game_layout.h"

/* ---- Tweak me --------------------------------------------------------------------------------
 * Colours are SGR parameters: 31 red, 32 green, 33 yellow, 34 blue, 35 magenta, 36 cyan, 37 white,
 * 90-97 the bright versions, 1 bold, 2 dim, 7 reverse, "38;5;N" one of 256 colours. */
#define SNAKE_COLOR_HEAD "1;93"
#define SNAKE_COLOR_BODY "32"
#define SNAKE_COLOR_DEAD "2;37"   /* the snake after a game over */
#define SNAKE_COLOR_FOOD "1;91"
#define SNAKE_COLOR_BONUS "1;95"  /* food that disappears after a while */
#define SNAKE_COLOR_SPARK "33"    /* the burst when something is eaten */
#define SNAKE_COLOR_BORDER "36"
#define SNAKE_COLOR_HUD "1;97"
#define SNAKE_COLOR_TEXT "1;97;44" /* messages over the board */

#define SNAKE_SPEED 8.0      /* steps per second at the start of a round */
#define SNAKE_SPEEDUP 0.25   /* steps per second added per food eaten */
#define SNAKE_SPEED_MAX 20.0

#define SNAKE_WRAP 1              /* 1: leaving one edge enters at the other; 0: the walls kill */
#define SNAKE_START_LENGTH 4
#define SNAKE_GROW 2              /* segments gained per food */
#define SNAKE_FOOD_COUNT 2        /* plain food on the board at once */
#define SNAKE_BONUS_CHANCE 25     /* percent: eating may spawn a bonus that expires */
#define SNAKE_BONUS_SECONDS 6.0
#define SNAKE_BONUS_POINTS 5
#define SNAKE_SPARKS 10           /* sparks per bite */

#define SNAKE_BOARD_MAX_W 60      /* the board follows the terminal size up to this */
#define SNAKE_BOARD_MAX_H 18
#define SNAKE_UTF8 0              /* 1: block and box-drawing characters instead of ASCII */

/* ---- the state ----------------------------------------------------------------------------------
 * A reload keeps the state's bytes where they are. Each struct kept in the block is declared with a
 * field list (host/api/game_layout.h), which also describes it to the host: when a rebuild adds,
 * removes, reorders or retypes a field, the host moves the state to the new layout and keeps every
 * field it still has, by name (a new field starts at zero). To add a field, add one X(type, name)
 * line; see README.md. */
#define SNAKE_TURN_QUEUE 3 /* turns typed faster than the snake steps wait here */

typedef int snake_turns[SNAKE_TURN_QUEUE];

#define SNAKE_CELL_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(int, x)                                        \
    X(int, y)
GAME_STRUCT(snake_cell, SNAKE_CELL_FIELDS);

typedef enum snake_dir { SNAKE_UP, SNAKE_RIGHT, SNAKE_DOWN, SNAKE_LEFT } snake_dir;

typedef enum snake_food_kind { SNAKE_FOOD_PLAIN, SNAKE_FOOD_BONUS } snake_food_kind;

/* Food and sparks come and go one by one, so each kind has a pool and a list. */
#define SNAKE_FOOD_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X_PTR(snake_food, next)                          \
    X(snake_cell, at)                                \
    X(int, kind)   /* snake_food_kind */             \
    X(double, ttl) /* seconds a bonus has left; plain food stays until eaten */
GAME_STRUCT(snake_food, SNAKE_FOOD_FIELDS);

#define SNAKE_SPARK_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X_PTR(snake_spark, next)                          \
    X(float, x)                                       \
    X(float, y)    /* in cells, on the board */       \
    X(float, vx)                                      \
    X(float, vy)   /* cells per second */             \
    X(float, life) /* seconds left */
GAME_STRUCT(snake_spark, SNAKE_SPARK_FIELDS);

/* One finished round. The history of rounds grows for as long as the game runs, so it lives in the
 * block's heap (host->heap_realloc): its address survives reloads like the arenas'. */
#define SNAKE_ROUND_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(int, points)                                    \
    X(int, segments)
GAME_STRUCT(snake_round, SNAKE_ROUND_FIELDS);

/* The snake is a ring of cells: body[head] is the head, the `length` cells before it the rest. */
#define SNAKE_STATE_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR)                                  \
    X(bool, started)      /* the first update has sized the board and begun a round */ \
    X(int, board_w)                                                                    \
    X(int, board_h)       /* the board in cells, as last fitted to the terminal */     \
    X_ARRAY(snake_cell, body, body_cap)                                                \
    X(int, body_cap)                                                                   \
    X(int, head)                                                                       \
    X(int, length)                                                                     \
    X(int, grow)          /* segments still to add, one per step */                    \
    X(int, dir)           /* snake_dir */                                              \
    X(snake_turns, turns)                                                              \
    X(int, turn_count)                                                                 \
    X(double, step_clock) /* seconds saved toward the next step */                     \
    X_POOL(snake_food, food_pool)                                                      \
    X_PTR(snake_food, foods)                                                           \
    X_POOL(snake_spark, spark_pool)                                                    \
    X_PTR(snake_spark, sparks)                                                         \
    X(int, score)                                                                      \
    X(int, best)                                                                       \
    X(int, eaten)                                                                      \
    X(int, rounds)                                                                     \
    X(bool, over)                                                                      \
    X(bool, paused)                                                                    \
    X(bool, autopilot)                                                                 \
    X(double, over_clock) /* seconds since the game ended */                           \
    X(uint64_t, rng)      /* xorshift state: a reload continues the same sequence */    \
    X_ARRAY(snake_round, history, history_count) /* in the heap, see snake_round */     \
    X(int, history_count)                                                              \
    X(int, history_cap)
GAME_STRUCT(snake_state, SNAKE_STATE_FIELDS);

/* Where things go on the terminal this frame; computed from game_input every frame. */
typedef struct snake_layout {
    int screen_w, screen_h; /* cells the game may draw: the terminal minus the host's status row */
    int board_w, board_h;
    int board_x, board_y;   /* screen cell of the board's top-left inner cell */
    bool help;              /* a spare row below the board for the key help */
    bool too_small;
} snake_layout;

/* snake.c */
double snake_speed(const snake_state *s);
double snake_history_average(const snake_state *s);
snake_cell snake_segment(const snake_state *s, int i); /* 0 is the head */

/* screen.c: the whole frame as one string on `frame`. */
char *screen_build(const snake_state *s, const snake_layout *l, arena *frame, uint64_t *size);

#endif
