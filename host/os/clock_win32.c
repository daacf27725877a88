/* clock_win32.c - QueryPerformanceCounter, the precise system time, and a sleep finer than the
 * 15.6 ms default tick (a high-resolution waitable timer, Windows 10 1803+; Sleep elsewhere). */
#include "clock.h"
#include "util_win32.h"

#include <stdbool.h>

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x00000002
#endif

uint64_t clock_now_ns(void)
{
    static LARGE_INTEGER freq; /* fixed at boot; a racing first call writes the same value */
    if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    uint64_t f = (uint64_t)freq.QuadPart, t = (uint64_t)now.QuadPart;
    return t / f * 1000000000ull + t % f * 1000000000ull / f; /* split: t * 1e9 would overflow */
}

int64_t clock_wall_ns(void)
{
    FILETIME t;
    GetSystemTimePreciseAsFileTime(&t);
    return win32_filetime_ns(t);
}

/* One timer, made on first use, for the frame loop (the only caller of clock_sleep_until); NULL
 * when the system has no high-resolution timers. */
static HANDLE clock_timer(void)
{
    static HANDLE timer;
    static bool tried;
    if (!tried) {
        tried = true;
        timer = CreateWaitableTimerExW(NULL, NULL, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION, TIMER_ALL_ACCESS);
    }
    return timer;
}

void clock_sleep_until(uint64_t deadline_ns)
{
    uint64_t now = clock_now_ns();
    if (deadline_ns <= now) return;
    uint64_t wait = deadline_ns - now;
    HANDLE timer = clock_timer();
    LARGE_INTEGER due;
    due.QuadPart = -(LONGLONG)(wait / 100); /* negative: relative, in 100 ns steps */
    if (timer && SetWaitableTimer(timer, &due, 0, NULL, NULL, FALSE)) WaitForSingleObject(timer, INFINITE);
    else Sleep((DWORD)((wait + 999999) / 1000000));
}

bool clock_sleep_until_woken(uint64_t deadline_ns, const clock_wake *wakes, int count)
{
    uint64_t now = clock_now_ns();
    if (deadline_ns <= now) return false;
    uint64_t wait = deadline_ns - now;
    HANDLE handles[MAXIMUM_WAIT_OBJECTS];
    DWORD n = 0;
    for (int i = 0; i < count && n + 1 < MAXIMUM_WAIT_OBJECTS; i++) handles[n++] = (HANDLE)wakes[i].os;
    HANDLE timer = clock_timer();
    LARGE_INTEGER due;
    due.QuadPart = -(LONGLONG)(wait / 100); /* negative: relative, in 100 ns steps */
    bool timed = timer && SetWaitableTimer(timer, &due, 0, NULL, NULL, FALSE);
    if (timed) handles[n++] = timer;
    if (!n) {
        Sleep((DWORD)((wait + 999999) / 1000000));
        return false;
    }
    DWORD r = WaitForMultipleObjects(n, handles, FALSE, timed ? INFINITE : (DWORD)((wait + 999999) / 1000000));
    if (timed) CancelWaitableTimer(timer);
    return r < WAIT_OBJECT_0 + (DWORD)(timed ? n - 1 : n);
}
