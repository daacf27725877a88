/* callee.c - a library of the process that is not the game: it keeps a callback the game registers
 * (a pointer into the game's code, outside the block, which no scan of the block repairs) and calls
 * it when asked. tests/integration/test_repair.c builds it on its own and hands its path to the game
 * (tests/games/forward) in FORWARD_CALLEE. */
#include <stdint.h>

typedef int64_t callee_fn(int64_t x);

static callee_fn *callee_kept;

__attribute__((visibility("default"))) void callee_register(callee_fn *fn) { callee_kept = fn; }

__attribute__((visibility("default"))) int64_t callee_fire(int64_t x) { return callee_kept ? callee_kept(x) : -1; }
