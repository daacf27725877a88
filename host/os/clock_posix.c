/* clock_posix.c - clock_gettime and an absolute sleep that does not drift. */
#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

uint64_t clock_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int64_t clock_wall_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000ll + (int64_t)t.tv_nsec;
}

void clock_sleep_until(uint64_t deadline_ns)
{
    struct timespec t = {(time_t)(deadline_ns / 1000000000ull), (long)(deadline_ns % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
    }
}

bool clock_sleep_until_woken(uint64_t deadline_ns, const clock_wake *wakes, int count)
{
    struct pollfd fds[8];
    int n = count < 8 ? count : 8;
    for (int i = 0; i < n; i++) fds[i] = (struct pollfd){(int)wakes[i].os, POLLIN, 0};
    for (;;) {
        uint64_t now = clock_now_ns();
        if (now >= deadline_ns) return false;
        uint64_t left = deadline_ns - now;
        struct timespec t = {(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};
        int ready = ppoll(fds, (nfds_t)n, &t, NULL);
        if (ready > 0) return true;
        if (ready == 0 || errno != EINTR) return false;
    }
}
