/* clock.h - time for the frame loop and the event log (clock_posix.c, clock_win32.c). */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Monotonic nanoseconds from an arbitrary start. */
uint64_t clock_now_ns(void);
/* Wall-clock nanoseconds since 1970, comparable with file modification times. */
int64_t clock_wall_ns(void);
/* Sleeps until the monotonic time `deadline_ns` (returns at once if it has passed). */
void clock_sleep_until(uint64_t deadline_ns);

/* What can end such a sleep early: a descriptor ready to read (POSIX) or a handle that is signaled
 * (Windows). The watch and the probe hand theirs out, so the frame loop can sleep until the next
 * frame and still move a new build along the moment it lands or its probe answers. */
typedef struct clock_wake {
    intptr_t os;
} clock_wake;

/* Sleeps until `deadline_ns` or until one of `wakes` is ready; true when one woke it. */
bool clock_sleep_until_woken(uint64_t deadline_ns, const clock_wake *wakes, int count);

#endif
