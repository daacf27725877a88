/* crashy.c - the crash tests' game. It counts updates in its state, reports through host->log, and
 * can be built to go wrong in one chosen way: the tests edit CRASHY_MODE (and the other CRASHY_
 * constants) in a copy of this file and rebuild it while the host runs. */
#include "game_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    CRASHY_NONE,
    CRASHY_SEGV,          /* update writes to an unmapped address */
    CRASHY_ABORT,         /* update calls abort() */
    CRASHY_RECURSE,       /* update recurses until the stack runs out */
    CRASHY_FPE,           /* update divides by zero */
    CRASHY_TRAP,          /* update hits __builtin_trap (SIGILL) */
    CRASHY_ARENA,         /* update pushes more than the frame arena holds */
    CRASHY_HEAP,          /* update allocates more than the heap region holds */
    CRASHY_CALL_STALE,    /* update calls the function pointer an older build kept in the state */
    CRASHY_READ_STALE,    /* update reads the string literal an older build kept in the state */
    CRASHY_SPIN,          /* update spins until the file $CRASHY_RELEASE exists */
    CRASHY_INIT,          /* init crashes */
    CRASHY_AFTER_RELOAD,  /* after_reload crashes */
    CRASHY_BEFORE_RELOAD, /* before_reload crashes */
    CRASHY_ENTRY,         /* game_get_api crashes */
};

#define CRASHY_MODE CRASHY_NONE
#define CRASHY_AT 10          /* updates of this build before an update mode goes wrong */
#define CRASHY_MARK 1         /* tells builds apart in the log */
#define CRASHY_STEP 1         /* what crashy_step returns: the counter grows by it through the registry */
#define CRASHY_KEEP_POINTERS 0 /* 1: init keeps function pointers and a string literal in the state */
#define CRASHY_KEPT_TABLE 40   /* more function pointers kept in a table, when keeping pointers */

typedef void crashy_kept_fn(const host_api *host);

typedef struct crashy_state {
    uint64_t counter;
    uint64_t updates;
    uint32_t step;          /* function registry handle of crashy_step */
    crashy_kept_fn *kept_fn; /* pointers into this build: stale after a reload */
    const char *kept_text;
    crashy_kept_fn **kept_table;
} crashy_state;

/* Writable globals for the host's warning, and one marked as meant to reset. */
static int crashy_bss_global;
static int crashy_data_global = 7;
static GAME_TRANSIENT uint64_t crashy_build_updates; /* updates run by this build */

typedef uint64_t crashy_step_fn(void);

static uint64_t crashy_step(void) { return CRASHY_STEP; }

static BASE_NOINLINE void crashy_kept(const host_api *host) { host->log("crashy kept function called"); }

/* Crashes on purpose: under the sanitizers (the ASan test pass), the crash must come before a check. */
#define CRASHY_UNCHECKED __attribute__((no_sanitize("undefined")))

static BASE_NOINLINE CRASHY_UNCHECKED void crashy_segv(void)
{
    int *volatile unmapped = (int *)(uintptr_t)16;
    *unmapped = 1;
}

static BASE_NOINLINE void crashy_abort(void) { abort(); }

static BASE_NOINLINE uint64_t crashy_recurse(uint64_t depth)
{
    volatile char pad[512];
    if (depth == UINT64_MAX) return 0; /* never: the stack runs out long before */
    pad[depth % sizeof(pad)] = (char)depth;
    return crashy_recurse(depth + 1) + (uint64_t)pad[depth % sizeof(pad)]; /* not a tail call */
}

static BASE_NOINLINE CRASHY_UNCHECKED int crashy_fpe(void)
{
    volatile int dividend = 1000, zero = 0;
    return dividend / zero;
}

static BASE_NOINLINE void crashy_trap(void) { __builtin_trap(); }

static BASE_NOINLINE void crashy_spin(const char *release)
{
    for (;;) {
        for (volatile int i = 0; i < 1000000; i++) {
        }
        if (!release || access(release, F_OK) == 0) return;
    }
}

static void crashy_report(const char *what, game_memory *mem, const host_api *host)
{
    crashy_state *s = mem->root;
    host->log("crashy %s root=%p counter=%llu mark=%d step=%llu globals=%d", what, (void *)s,
              (unsigned long long)s->counter, CRASHY_MARK,
              (unsigned long long)((crashy_step_fn *)host->fn_get(s->step))(), crashy_bss_global + crashy_data_global);
}

static void crashy_init(game_memory *mem, const host_api *host)
{
    if (CRASHY_MODE == CRASHY_INIT) crashy_segv();
    crashy_state *s = push_struct(mem->persistent, crashy_state);
    s->step = GAME_FN_REGISTER(host, crashy_step);
    host->log("crashy registered step=%u by_name=%u", s->step, host->fn_register("crashy_step", NULL));
    if (CRASHY_KEEP_POINTERS) {
        s->kept_fn = crashy_kept;
        s->kept_text = "a string literal of the first build";
        s->kept_table = push_array(mem->persistent, crashy_kept_fn *, CRASHY_KEPT_TABLE);
        for (int i = 0; i < CRASHY_KEPT_TABLE; i++) s->kept_table[i] = crashy_kept;
    }
    mem->root = s;
    mem->root_size = sizeof(*s);
    crashy_report("init", mem, host);
}

static void crashy_go_wrong(game_memory *mem, const host_api *host)
{
    crashy_state *s = mem->root;
    switch (CRASHY_MODE) {
    case CRASHY_SEGV: crashy_segv(); break;
    case CRASHY_ABORT: crashy_abort(); break;
    case CRASHY_RECURSE: s->counter += crashy_recurse(0); break;
    case CRASHY_FPE: s->counter += (uint64_t)crashy_fpe(); break;
    case CRASHY_TRAP: crashy_trap(); break;
    case CRASHY_ARENA: push_array(mem->frame, uint8_t, mem->frame->capacity + 1); break;
    case CRASHY_HEAP: host->heap_alloc(GB(64)); break;
    case CRASHY_CALL_STALE: s->kept_fn(host); break;
    case CRASHY_READ_STALE: host->log("crashy kept text %s", s->kept_text); break;
    case CRASHY_SPIN: crashy_spin(getenv("CRASHY_RELEASE")); break;
    default: break;
    }
}

static game_status crashy_update(game_memory *mem, const host_api *host, const game_input *in)
{
    crashy_state *s = mem->root;
    s->counter += ((crashy_step_fn *)host->fn_get(s->step))();
    s->updates++;
    crashy_bss_global = (int)(in->frame & 1);
    crashy_data_global += crashy_bss_global;
    char board[64]; /* something on the screen, in a terminal */
    int n = snprintf(board, sizeof(board), "\x1b[2;3Hcrashy board mark=%d", CRASHY_MARK);
    host->draw(board, (uint64_t)n);
    if (++crashy_build_updates == CRASHY_AT) crashy_go_wrong(mem, host);
    if (s->updates % 30 == 0) crashy_report("tick", mem, host);
    return GAME_CONTINUE;
}

static void crashy_before_reload(game_memory *mem, const host_api *host)
{
    (void)mem;
    (void)host;
    if (CRASHY_MODE == CRASHY_BEFORE_RELOAD) crashy_segv();
}

static void crashy_after_reload(game_memory *mem, const host_api *host)
{
    if (CRASHY_MODE == CRASHY_AFTER_RELOAD) crashy_segv();
    crashy_report("reloaded", mem, host);
}

GAME_EXPORT const game_api *game_get_api(uint32_t host_abi)
{
    static const game_api api = {
        GAME_API_INIT,
        .init = crashy_init,
        .update = crashy_update,
        .before_reload = crashy_before_reload,
        .after_reload = crashy_after_reload,
    };
    (void)host_abi;
    if (CRASHY_MODE == CRASHY_ENTRY) crashy_segv();
    return &api;
}
