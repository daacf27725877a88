/* terminal_win32.c - the console in VT mode (ANSI escapes, UTF-8 out) and raw keys through
 * ReadConsoleInput. Needs Windows 10 1511 or later for VT processing; elsewhere terminal_open
 * fails and the host runs as if headless. */
#include "terminal.h"
#include "../api/game_api.h"
#include "util_win32.h"

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif

static HANDLE terminal_in, terminal_out;
static DWORD terminal_saved_in, terminal_saved_out;
static UINT terminal_saved_cp;
static volatile LONG terminal_active;

static void terminal_write_all(const char *s, size_t n)
{
    while (n) {
        DWORD wrote = 0;
        if (!WriteFile(terminal_out, s, (DWORD)MIN(n, (size_t)1 << 30), &wrote, NULL) || wrote == 0) return;
        s += wrote;
        n -= wrote;
    }
}

bool terminal_open(void)
{
    terminal_in = GetStdHandle(STD_INPUT_HANDLE);
    terminal_out = GetStdHandle(STD_OUTPUT_HANDLE);
    /* GetConsoleMode fails on anything that is not a console: a file, a pipe, a Wine run without one */
    if (!GetConsoleMode(terminal_in, &terminal_saved_in) || !GetConsoleMode(terminal_out, &terminal_saved_out))
        return false;
    DWORD out_mode = terminal_saved_out | ENABLE_PROCESSED_OUTPUT | ENABLE_VIRTUAL_TERMINAL_PROCESSING;
    if (!SetConsoleMode(terminal_out, out_mode)) return false; /* no VT: escapes would print as text */
    /* no echo, no line editing; PROCESSED_INPUT stays on so Ctrl-C still reaches signals_win32.c */
    DWORD in_mode = (terminal_saved_in | ENABLE_PROCESSED_INPUT) & ~(DWORD)(ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT);
    if (!SetConsoleMode(terminal_in, in_mode)) {
        SetConsoleMode(terminal_out, terminal_saved_out);
        return false;
    }
    terminal_saved_cp = GetConsoleOutputCP();
    SetConsoleOutputCP(CP_UTF8); /* games draw UTF-8 */
    FlushConsoleInputBuffer(terminal_in);
    InterlockedExchange(&terminal_active, 1);
    static const char enter[] = "\x1b[?1049h\x1b[?25l\x1b[2J";
    terminal_write_all(enter, sizeof(enter) - 1);
    return true;
}

void terminal_restore(void)
{
    /* the exchange makes it once only, even when the Ctrl-C thread and the main thread race */
    if (!InterlockedExchange(&terminal_active, 0)) return;
    static const char leave[] = "\x1b[0m\x1b[?25h\x1b[?1049l";
    terminal_write_all(leave, sizeof(leave) - 1);
    SetConsoleOutputCP(terminal_saved_cp);
    SetConsoleMode(terminal_in, terminal_saved_in);
    SetConsoleMode(terminal_out, terminal_saved_out);
}

/* The named keys a console reports by virtual-key code. */
static const struct {
    WORD vk;
    int key;
} terminal_named_keys[] = {
    {VK_UP, GAME_KEY_UP},       {VK_DOWN, GAME_KEY_DOWN},          {VK_LEFT, GAME_KEY_LEFT},
    {VK_RIGHT, GAME_KEY_RIGHT}, {VK_ESCAPE, GAME_KEY_ESCAPE},      {VK_HOME, GAME_KEY_HOME},
    {VK_END, GAME_KEY_END},     {VK_PRIOR, GAME_KEY_PAGE_UP},      {VK_NEXT, GAME_KEY_PAGE_DOWN},
    {VK_INSERT, GAME_KEY_INSERT}, {VK_DELETE, GAME_KEY_DELETE},
};

/* A key-down record as a byte or a GAME_KEY_ code; 0 for keys a game does not see (shift alone). */
static int terminal_decode_key(const KEY_EVENT_RECORD *k)
{
    if (k->wVirtualKeyCode >= VK_F1 && k->wVirtualKeyCode <= VK_F12) return GAME_KEY_F1 + (k->wVirtualKeyCode - VK_F1);
    for (size_t i = 0; i < ARRAY_COUNT(terminal_named_keys); i++)
        if (terminal_named_keys[i].vk == k->wVirtualKeyCode) return terminal_named_keys[i].key;
    WCHAR c = k->uChar.UnicodeChar;
    return c > 0 && c < 0x80 ? (int)c : 0; /* Enter arrives as '\r', as from a raw POSIX terminal */
}

int terminal_read_keys(int *keys, int max)
{
    if (!terminal_active) return 0;
    DWORD waiting = 0;
    if (!GetNumberOfConsoleInputEvents(terminal_in, &waiting) || waiting == 0) return 0; /* never block */
    INPUT_RECORD records[64];
    DWORD got = 0;
    if (!ReadConsoleInputW(terminal_in, records, (DWORD)MIN(waiting, (DWORD)ARRAY_COUNT(records)), &got)) return 0;
    int count = 0;
    for (DWORD i = 0; i < got; i++) {
        const KEY_EVENT_RECORD *k = &records[i].Event.KeyEvent;
        if (records[i].EventType != KEY_EVENT || !k->bKeyDown) continue;
        int key = terminal_decode_key(k);
        for (WORD r = 0; key && r < k->wRepeatCount && count < max; r++) keys[count++] = key;
    }
    return count;
}

void terminal_size(int *width, int *height)
{
    CONSOLE_SCREEN_BUFFER_INFO info;
    if (GetConsoleScreenBufferInfo(GetStdHandle(STD_OUTPUT_HANDLE), &info)) {
        *width = info.srWindow.Right - info.srWindow.Left + 1;
        *height = info.srWindow.Bottom - info.srWindow.Top + 1;
        return;
    }
    *width = 80;
    *height = 24;
}

void terminal_write(const char *text, size_t size) { terminal_write_all(text, size); }
