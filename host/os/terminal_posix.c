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

/* The keys of "ESC [ N ~" by N (VT220 style: Home, Insert, Delete, End, PgUp, PgDn, F1-F12). */
static int terminal_tilde_key(int n)
{
    static const int keys[] = {
        [1] = GAME_KEY_HOME,  [2] = GAME_KEY_INSERT, [3] = GAME_KEY_DELETE, [4] = GAME_KEY_END,
        [5] = GAME_KEY_PAGE_UP, [6] = GAME_KEY_PAGE_DOWN, [7] = GAME_KEY_HOME, [8] = GAME_KEY_END,
        [11] = GAME_KEY_F1,   [12] = GAME_KEY_F2,    [13] = GAME_KEY_F3,    [14] = GAME_KEY_F4,
        [15] = GAME_KEY_F5,   [17] = GAME_KEY_F6,    [18] = GAME_KEY_F7,    [19] = GAME_KEY_F8,
        [20] = GAME_KEY_F9,   [21] = GAME_KEY_F10,   [23] = GAME_KEY_F11,   [24] = GAME_KEY_F12,
    };
    return n > 0 && n < (int)ARRAY_COUNT(keys) && keys[n] ? keys[n] : GAME_KEY_ESCAPE;
}

/* The key of a final byte: "ESC [ A" or "ESC O P" (modifiers, as in "ESC [ 1 ; 5 A", are ignored). */
static int terminal_final_key(unsigned char c)
{
    switch (c) {
    case 'A': return GAME_KEY_UP;
    case 'B': return GAME_KEY_DOWN;
    case 'C': return GAME_KEY_RIGHT;
    case 'D': return GAME_KEY_LEFT;
    case 'H': return GAME_KEY_HOME;
    case 'F': return GAME_KEY_END;
    case 'P': return GAME_KEY_F1;
    case 'Q': return GAME_KEY_F2;
    case 'R': return GAME_KEY_F3;
    case 'S': return GAME_KEY_F4;
    default: return GAME_KEY_ESCAPE;
    }
}

/* An escape sequence at b (n bytes) as one key; a lone ESC is Escape. */
static int terminal_decode_escape(const unsigned char *b, int n, int *used)
{
    *used = 1;
    if (n < 3 || (b[1] != '[' && b[1] != 'O')) return GAME_KEY_ESCAPE;
    int i = 2, number = 0;
    bool modifiers = false; /* the first number is the key's; after a ';' come modifiers */
    for (; i < n && ((b[i] >= '0' && b[i] <= '9') || b[i] == ';'); i++) {
        if (b[i] == ';') modifiers = true;
        else if (!modifiers) number = number * 10 + (b[i] - '0');
    }
    if (i >= n) return GAME_KEY_ESCAPE;
    *used = i + 1;
    return b[i] == '~' ? terminal_tilde_key(number) : terminal_final_key(b[i]);
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
