/* test_terminal.c - the host owns the terminal: it switches it to raw mode and the alternate screen,
 * and gives it back on every way out. The real host runs game_template in a pseudo-terminal; after
 * each exit (the game's q, Ctrl-C, SIGTERM, a SIGSEGV in the host itself) the terminal must be in
 * canonical mode with echo again, the screen and cursor restored, and the exit what it should be.
 * While it runs, the template's picture is on the terminal in half-block characters (--terminal).
 * A game paused after a crash (tests/games/crashy) keeps its screen: the crash line in the status
 * line, the game's last frame drawn again, q, Esc and Ctrl-C quit (exit status 4), and the session's
 * summary follows on the restored terminal. */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct tty_host {
    pid_t pid;
    int master;
    char screen[1 << 16]; /* everything the host wrote */
    size_t len;
} tty_host;

static harness_game template_game, crashy_game;

static int group_setup(void **unused)
{
    if (!harness_game_copy("game_template", &template_game) || harness_game_build(&template_game) != 0) return -1;
    if (!harness_game_copy("tests/games/crashy", &crashy_game) ||
        !harness_edit(&crashy_game, "crashy.c", "#define CRASHY_MODE CRASHY_NONE", "#define CRASHY_MODE CRASHY_SEGV"))
        return -1;
    return harness_game_build(&crashy_game) == 0 ? 0 : -1;
}

static int group_teardown(void **unused)
{
    harness_game_remove(&template_game);
    harness_game_remove(&crashy_game);
    return 0;
}

/* Keeps the start of the output (the setup sequences) and the latest output (the teardown). */
static void tty_keep(tty_host *t, const char *buf, size_t n)
{
    size_t half = sizeof(t->screen) / 2;
    if (t->len + n >= sizeof(t->screen)) {
        size_t keep_tail = n < half - 1 ? half - 1 - n : 0;
        memmove(t->screen + half, t->screen + t->len - keep_tail, keep_tail);
        t->len = half + keep_tail;
        if (n > half - 1) {
            buf += n - (half - 1);
            n = half - 1;
        }
    }
    memcpy(t->screen + t->len, buf, n);
    t->len += n;
    t->screen[t->len] = 0;
}

/* Reads what the host wrote for about ms milliseconds (less if it closes the terminal). */
static void tty_drain(tty_host *t, int ms)
{
    struct pollfd p = {t->master, POLLIN, 0};
    for (int waited = 0; waited < ms && poll(&p, 1, 10) >= 0; waited += 10) {
        if (!(p.revents & (POLLIN | POLLHUP))) continue;
        char buf[4096];
        ssize_t n = read(t->master, buf, sizeof(buf));
        if (n <= 0) return;
        tty_keep(t, buf, (size_t)n);
    }
}

static void tty_start_on(tty_host *t, const char *lib)
{
    memset(t, 0, sizeof(*t));
    struct winsize ws = {.ws_row = 30, .ws_col = 200};
    t->pid = forkpty(&t->master, NULL, NULL, &ws);
    assert_true(t->pid >= 0);
    if (t->pid == 0) {
        execl(harness_host_path(), harness_host_path(), "--terminal", "--fps", "60", lib, (char *)NULL);
        _exit(127);
    }
    /* wait until the game has drawn (the alternate screen is on and the host's status line is there) */
    for (int i = 0; i < 50 && !strstr(t->screen, " v1 |"); i++) tty_drain(t, 100);
    tty_drain(t, 200); /* a few frames more: the game reads keys from now on */
    if (!strstr(t->screen, "\x1b[?1049h")) fail_msg("no alternate screen in %zu bytes: %.200s", t->len, t->screen);
    struct termios raw;
    assert_int_equal(tcgetattr(t->master, &raw), 0);
    assert_int_equal(raw.c_lflag & (ICANON | ECHO), 0); /* raw while the host runs */
}

static void tty_start(tty_host *t)
{
    tty_start_on(t, template_game.lib);
    /* the template draws pixels: the host shows them as half blocks in 24-bit colour */
    if (!strstr(t->screen, "\x1b[48;2;") || !strstr(t->screen, "\xe2\x96\x80")) fail_msg("no half-block picture drawn");
}

/* Waits for the host to end; returns its wait status. */
static int tty_wait(tty_host *t)
{
    int status = 0;
    /* drain returns at once when the host has closed the terminal, so sleep between the checks */
    for (int waited = 0; waited < 10000; waited += 20) {
        tty_drain(t, 10);
        if (waitpid(t->pid, &status, WNOHANG) == t->pid) return status;
        harness_sleep_ms(10);
    }
    kill(t->pid, SIGKILL);
    waitpid(t->pid, &status, 0);
    fail_msg("the host did not exit");
    return status;
}

static void tty_assert_restored(tty_host *t)
{
    struct termios after;
    assert_int_equal(tcgetattr(t->master, &after), 0);
    assert_int_equal(after.c_lflag & (ICANON | ECHO), ICANON | ECHO);
    assert_non_null(strstr(t->screen, "\x1b[?25h"));   /* cursor shown */
    assert_non_null(strstr(t->screen, "\x1b[?1049l")); /* main screen back */
    close(t->master);
}

static void test_q_quits_and_restores_the_terminal(void **unused)
{
    tty_host t;
    tty_start(&t);
    assert_int_equal(write(t.master, "q", 1), 1);
    int status = tty_wait(&t);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    tty_assert_restored(&t);
}

static void test_ctrl_c_quits_cleanly_and_restores_the_terminal(void **unused)
{
    tty_host t;
    tty_start(&t);
    assert_int_equal(write(t.master, "\x03", 1), 1); /* the terminal turns it into SIGINT */
    int status = tty_wait(&t);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    tty_assert_restored(&t);
}

static void test_sigterm_quits_cleanly_and_restores_the_terminal(void **unused)
{
    tty_host t;
    tty_start(&t);
    kill(t.pid, SIGTERM);
    int status = tty_wait(&t);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    tty_assert_restored(&t);
}

/* A crash of the host's own code is not swallowed: the host dies of it, after restoring the terminal. */
static void test_a_host_crash_restores_the_terminal_and_is_not_swallowed(void **unused)
{
    tty_host t;
    tty_start(&t);
    kill(t.pid, SIGSEGV);
    int status = tty_wait(&t);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
    tty_assert_restored(&t);
}

/* Where `what` last occurs in what the host wrote, or -1. */
static long tty_last(const tty_host *t, const char *what)
{
    long at = -1;
    for (const char *p = t->screen; (p = strstr(p, what)); p++) at = p - t->screen;
    return at;
}

static void tty_wait_for(tty_host *t, const char *what)
{
    for (int i = 0; i < 100 && tty_last(t, what) < 0; i++) tty_drain(t, 100);
    if (tty_last(t, what) < 0) fail_msg("'%s' never showed in %zu bytes: ...%.300s", what, t->len, t->screen + (t->len > 300 ? t->len - 300 : 0));
}

/* The crash pauses the game (no older build to roll back to): the crash line in the status line,
 * the screen cleared and the game's last frame drawn again; then `key` quits, exit status 4. */
static void check_paused_after_a_crash(const char *key)
{
    tty_host t;
    tty_start_on(&t, crashy_game.lib);
    tty_wait_for(&t, "game crashed in update of version 1: SIGSEGV (invalid memory access) at address 0x10 in crashy_segv+");
    long crash = tty_last(&t, "game crashed in update of version 1");
    long clear = tty_last(&t, "\x1b[2J");
    long board = tty_last(&t, "crashy board mark=1");
    assert_true(clear >= 0 && clear < crash);  /* the screen cleared ... */
    assert_true(board > clear && board < crash); /* ... the game's last frame drawn again, then the line */
    assert_true(tty_last(&t, "host: game crashed") < 0); /* never printed over the game's screen */
    tty_wait_for(&t, "paused after a crash in update of version 1: SIGSEGV in crashy_segv+"); /* once the alert has shown */
    assert_int_equal(write(t.master, key, 1), 1);
    int status = tty_wait(&t);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 4);
    long restored = tty_last(&t, "\x1b[?1049l");
    long summary = tty_last(&t, "host: this session: 1 crash, 0 rollbacks, 0 refused builds");
    assert_true(summary > restored && restored >= 0); /* the summary on the restored terminal */
    assert_true(tty_last(&t, "host:   game crashed in update of version 1") > summary);
    tty_assert_restored(&t);
}

static void test_paused_after_a_crash_q_quits(void **unused) { check_paused_after_a_crash("q"); }
static void test_paused_after_a_crash_escape_quits(void **unused) { check_paused_after_a_crash("\x1b"); }
static void test_paused_after_a_crash_ctrl_c_quits(void **unused) { check_paused_after_a_crash("\x03"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q_quits_and_restores_the_terminal),
        cmocka_unit_test(test_ctrl_c_quits_cleanly_and_restores_the_terminal),
        cmocka_unit_test(test_sigterm_quits_cleanly_and_restores_the_terminal),
        cmocka_unit_test(test_a_host_crash_restores_the_terminal_and_is_not_swallowed),
        cmocka_unit_test(test_paused_after_a_crash_q_quits),
        cmocka_unit_test(test_paused_after_a_crash_escape_quits),
        cmocka_unit_test(test_paused_after_a_crash_ctrl_c_quits),
    };
    return harness_finish(cmocka_run_group_tests_name("integration: terminal", tests, group_setup, group_teardown));
}
