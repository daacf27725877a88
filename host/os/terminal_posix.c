/* terminal_posix.c - termios raw mode and ANSI output. */
#include "terminal.h"
#include "../api/game_api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios terminal_saved;
static volatile int terminal_active;

static void terminal_write_all(const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

bool terminal_open(void)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || tcgetattr(STDIN_FILENO, &terminal_saved) != 0) return false;
    struct termios raw = terminal_saved;
    /* no echo, no line buffering; ISIG stays on so Ctrl-C still asks the host to quit */
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) return false;
    terminal_active = 1;
    static const char enter[] = "\x1b[?1049h\x1b[?25l\x1b[2J";
    terminal_write_all(enter, sizeof(enter) - 1);
    return true;
}

void terminal_restore(void)
{
    if (!terminal_active) return;
    terminal_active = 0;
    static const char leave[] = "\x1b[0m\x1b[?25h\x1b[?1049l";
    terminal_write_all(leave, sizeof(leave) - 1); /* write and tcsetattr are async-signal-safe */
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &terminal_saved);
}

static int terminal_decode_escape(const unsigned char *b, int n, int *used)
{
    if (n >= 3 && (b[1] == '[' || b[1] == 'O')) {
        *used = 3;
        switch (b[2]) {
        case 'A': return GAME_KEY_UP;
        case 'B': return GAME_KEY_DOWN;
        case 'C': return GAME_KEY_RIGHT;
        case 'D': return GAME_KEY_LEFT;
        }
    }
    *used = 1;
    return GAME_KEY_ESCAPE;
}

int terminal_read_keys(int *keys, int max)
{
    if (!terminal_active) return 0;
    unsigned char buf[64];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    int count = 0;
    for (int i = 0; i < n && count < max;) {
        int used = 1;
        keys[count++] = buf[i] == 0x1b ? terminal_decode_escape(buf + i, (int)n - i, &used) : buf[i];
        i += used;
    }
    return count;
}

void terminal_size(int *width, int *height)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
        *width = ws.ws_col;
        *height = ws.ws_row;
        return;
    }
    *width = 80;
    *height = 24;
}

void terminal_write(const char *text, size_t size) { terminal_write_all(text, size); }
