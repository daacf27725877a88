/* clock.h - time for the frame loop and the event log (clock_posix.c, clock_win32.c). */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* Monotonic nanoseconds from an arbitrary start. */
uint64_t clock_now_ns(void);
/* Wall-clock nanoseconds since 1970, comparable with file modification times. */
int64_t clock_wall_ns(void);
/* Sleeps until the monotonic time `deadline_ns` (returns at once if it has passed). */
void clock_sleep_until(uint64_t deadline_ns);

#endif
