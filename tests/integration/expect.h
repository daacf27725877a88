/* expect.h - cmocka assertions on the host's event log, shared by the integration tests (header
 * only: harness.c is also linked into the benchmarks, which have no cmocka). Include after
 * <cmocka.h> and harness.h. */
#ifndef EXPECT_H
#define EXPECT_H

#define EXPECT_LINE 16384 /* a copy of one event line (harness lines live until the next call) */

/* Waits for the n-th event `name` containing `needle` (NULL: any) and copies it into out
 * (EXPECT_LINE bytes); fails the test naming what it waited for. */
static inline void expect_event(const harness_host *h, const char *name, const char *needle, int n, int timeout_ms,
                                char *out)
{
    const char *line = harness_wait_event(h, name, needle, n, timeout_ms);
    if (!line) fail_msg("no %s event #%d with '%s'", name, n, needle ? needle : "");
    snprintf(out, EXPECT_LINE, "%s", line);
}

static inline void expect_in(const char *line, const char *part)
{
    if (!strstr(line, part)) fail_msg("'%s' not in %s", part, line);
}

#endif
