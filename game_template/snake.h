/* snake.h - the template game: a snake in a window, drawn in pixels, with sound, that reloads while
 * it runs.
 *
 * Start here. The constants under "Tweak me" are read every frame, never copied into the state,
 * so editing one and running ./build.sh while the host runs changes the game within a frame and
 * keeps the snake where it is. snake.c holds the rules, the controls and the game_api table;
 * draw.c turns the state into pixels (input->screen); sound.c synthesizes the sound effects into
 * the frame's audio buffer (input->audio).
 *
 * Where things live (the rules that make hot reload safe, see README.md):
 *  - everything that lasts is in snake_state, pushed on mem->persistent; pointers inside it point
 *    into the block (the body ring, the pools, the food and spark lists, the voices), never into
 *    the library;
 *  - everything for one frame (the layout, the HUD strings) is on the stack or mem->frame, which
 *    the host clears before every update;
 *  - the library has no writable globals: a reload would reset them. */
#ifndef SNAKE_H
#define SNAKE_H

#include "game_layout.h"

/* ---- Tweak me --------------------------------------------------------------------------------
 * Colours are 0xRRGGBB. */
#define SNAKE_COLOR_BACKGROUND 0x0b1016
#define SNAKE_COLOR_BOARD 0x16202b
#define SNAKE_COLOR_BOARD_ALT 0x1a2531 /* every other cell, a faint checkerboard */
#define SNAKE_COLOR_BORDER 0x2f7f8f
#define SNAKE_COLOR_HEAD 0xffd23f
#define SNAKE_COLOR_BODY 0x3bb273
#define SNAKE_COLOR_DEAD 0x59636e  /* the snake after a game over */
#define SNAKE_COLOR_FOOD 0xe84855
#define SNAKE_COLOR_BONUS 0xc86cf0 /* food that disappears after a while */
#define SNAKE_COLOR_SPARK 0xffb03b /* the burst when something is eaten */
#define SNAKE_COLOR_TEXT 0xf2f2f2
#define SNAKE_COLOR_DIM 0x8a96a3   /* the key help */
#define SNAKE_COLOR_PANEL 0x203a5c /* messages over the board */

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

#define SNAKE_BOARD_W 32          /* the board in cells; the window scales it to fit */
#define SNAKE_BOARD_H 18

#define SNAKE_VOLUME 0.25f        /* of every sound effect; 0 is silence */

/* ---- the state ----------------------------------------------------------------------------------
 * A reload keeps the state's bytes where they are. Each struct kept in the block is declared with a
 * field list (host/api/game_layout.h), which also describes it to the host: when a rebuild adds,
 * removes, reorders or retypes a field, the host moves the state to the new layout and keeps every
 * field it still has, by name (a new field starts at zero). To add a field, add one X(type, name)
 * line; see README.md. */
#define SNAKE_TURN_QUEUE 3 /* turns typed faster than the snake steps wait here */
#define SNAKE_BOARD_MAX 64 /* the largest board side the body ring has room for */
#define SNAKE_VOICES 8     /* sound effects playing at once */

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

typedef enum snake_sound { SNAKE_SOUND_NONE, SNAKE_SOUND_EAT, SNAKE_SOUND_BONUS, SNAKE_SOUND_TURN, SNAKE_SOUND_OVER,
                           SNAKE_SOUND_START } snake_sound;

/* A sound effect being played: where it is in its sound, so it goes on across frames and reloads. */
#define SNAKE_VOICE_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR) \
    X(int, sound)   /* snake_sound; NONE: the voice is free */ \
    X(double, time) /* seconds since it started */    \
    X(double, phase) /* of its oscillator, 0..1 */    \
    X(float, pan)   /* -1 left .. 1 right */
GAME_STRUCT(snake_voice, SNAKE_VOICE_FIELDS);

/* The snake is a ring of cells: body[head] is the head, the `length` cells before it the rest. */
#define SNAKE_STATE_FIELDS(X, X_ARRAY, X_PTR, X_POOL, X_FN, X_STR)                     \
    X(bool, started)      /* the first update began a round */                         \
    X(int, board_w)                                                                    \
    X(int, board_h)       /* the board in cells, as last fitted to SNAKE_BOARD_W/H */  \
    X_ARRAY(snake_cell, body, body_cap)                                                \
    X(int, body_cap)                                                                   \
    X(int, head)                                                                       \
    X(int, length)                                                                     \
    X(int, grow)          /* segments still to add, one per step */                    \
    X(int, dir)           /* snake_dir */                                              \
    X(snake_turns, turns)                                                              \
    X(int, turn_count)                                                                 \
    X(int, stick_dir)     /* the gamepad stick's direction last frame, -1 centred */   \
    X(double, step_clock) /* seconds saved toward the next step */                     \
    X_POOL(snake_food, food_pool)                                                      \
    X_PTR(snake_food, foods)                                                           \
    X_POOL(snake_spark, spark_pool)                                                    \
    X_PTR(snake_spark, sparks)                                                         \
    X_ARRAY(snake_voice, voices, voice_count)                                          \
    X(int, voice_count)                                                                \
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

/* snake.c */
double snake_speed(const snake_state *s);
double snake_history_average(const snake_state *s);
snake_cell snake_segment(const snake_state *s, int i); /* 0 is the head */

/* draw.c: the frame's picture into input->screen. */
void draw_frame(const snake_state *s, const game_input *in, const host_api *host, arena *frame);

/* sound.c: start an effect at a stereo position, and write the frame's sound into input->audio. */
void sound_play(snake_state *s, snake_sound sound, float pan);
void sound_mix(snake_state *s, const game_input *in);

#endif
