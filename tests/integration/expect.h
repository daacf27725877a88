/* expect.h - cmocka expectations on the host's event log, shared by the integration tests (header
 * only: each test is one .c file linked with harness.c). A wait that runs out fails the test with
 * what was wanted. */
#ifndef EXPECT_H
#define EXPECT_H

#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define EXPECT_WAIT_MS 20000
#define EXPECT_LINE 16384 /* a copy of one event line (harness lines live until the next call) */

/* The n-th `name` event whose line holds `needle` (NULL: any), waited for and copied into out. */
static inline void expect_event(const harness_host *h, const char *name, const char *needle, int n,
                                char out[EXPECT_LINE])
{
    const char *line = harness_wait_event(h, name, needle, n, EXPECT_WAIT_MS);
    if (!line) fail_msg("no %s event #%d with '%s'", name, n, needle ? needle : "");
    snprintf(out, EXPECT_LINE, "%s", line);
}

static inline void expect_in(const char *line, const char *part)
{
    if (!strstr(line, part)) fail_msg("'%s' not in %s", part, line);
}

/* The next `log` line that holds `want`, after every such line logged so far, copied into out. */
static inline void expect_next_log(const harness_host *h, const char *want, char out[EXPECT_LINE])
{
    int before = 0;
    while (harness_event(h, "log", want, before)) before++;
    expect_event(h, "log", want, before, out);
}

#endif
