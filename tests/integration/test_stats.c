/* test_stats.c - the allocation stats of the real host on a real game (tests/games/stats), whose
 * scripted pushes give exact numbers: per arena, per call site, per tag, per pool, per frame, the
 * high-water across resets and across a reload. The JSON, CSV, trace and HTML outputs of one run
 * are read by stats_check.py (python3), which checks that they agree with each other and prints
 * the figures this test asserts. Also: the frame arena warning, the stats event on request (from
 * the game and from SIGUSR1), and one clear line for an output that cannot be written. */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define WAIT_MS 15000
#define OUT_MAX (256 * 1024)

/* What tests/games/stats/stats.c pushes (sizes fixed there by _Static_assert). */
#define GAME_TEXT 1000
#define GAME_SMALL 24
#define GAME_SCRATCH 4096
#define GAME_ENTITY 48
#define GAME_ENTITY_EVERY 10
#define GAME_BULLET 32
#define GAME_STATE 64

/* ---- stats_check.py ------------------------------------------------------------------------ */

typedef struct figures {
    char *text; /* key=value lines */
} figures;

/* Runs stats_check.py on the outputs in `dir` (s.json, and with `all` s.csv, t.json, r.html). */
static figures check_outputs(const char *dir, bool all)
{
    char script[HARNESS_PATH], json[HARNESS_PATH + 16], csv[HARNESS_PATH + 16], trace[HARNESS_PATH + 16],
        html[HARNESS_PATH + 16];
    snprintf(script, sizeof(script), "%s/tests/integration/stats_check.py", harness_root());
    snprintf(json, sizeof(json), "%s/s.json", dir);
    snprintf(csv, sizeof(csv), "%s/s.csv", dir);
    snprintf(trace, sizeof(trace), "%s/t.json", dir);
    snprintf(html, sizeof(html), "%s/r.html", dir);
    const char *argv[] = {"/usr/bin/env", "python3", script, json, all ? csv : NULL, trace, html, NULL};
    figures f = {calloc(1, OUT_MAX)};
    int rc = harness_run(argv, f.text, OUT_MAX);
    if (rc != 0) fail_msg("stats_check.py failed (%d): %s", rc, f.text);
    return f;
}

static uint64_t figure(const figures *f, const char *key)
{
    char want[256];
    snprintf(want, sizeof(want), "%s=", key);
    for (const char *line = f->text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, want, strlen(want)) == 0) return strtoull(line + strlen(want), NULL, 10);
    fail_msg("stats_check.py printed no %s", key);
    return 0;
}

static void figures_free(figures *f) { free(f->text); }

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *text = calloc(1, OUT_MAX);
    size_t n = fread(text, 1, OUT_MAX - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

/* A game copy with its outputs folder. */
typedef struct run {
    harness_game game;
    char out[HARNESS_PATH];
} run;

static void run_prepare(run *r, const char *const *edits)
{
    assert_true(harness_game_copy("tests/games/stats", &r->game));
    for (; edits && *edits; edits += 2) assert_true(harness_edit(&r->game, "stats.c", edits[0], edits[1]));
    assert_int_equal(harness_game_build(&r->game), 0);
    snprintf(r->out, sizeof(r->out), "%.1000s/out", r->game.top);
    char cmd[HARNESS_PATH + 16];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", r->out);
    assert_int_equal(system(cmd), 0);
}

static void out_path(const run *r, const char *name, char *path, size_t cap) { snprintf(path, cap, "%s/%s", r->out, name); }

/* ---- one run, every output ----------------------------------------------------------------- */

static void test_outputs_agree_and_counts_are_exact(void **unused)
{
    run r;
    run_prepare(&r, NULL);
    char json[HARNESS_PATH + 16], csv[HARNESS_PATH + 16], trace[HARNESS_PATH + 16], html[HARNESS_PATH + 16];
    out_path(&r, "s.json", json, sizeof(json));
    out_path(&r, "s.csv", csv, sizeof(csv));
    out_path(&r, "t.json", trace, sizeof(trace));
    out_path(&r, "r.html", html, sizeof(html));
    const char *argv[] = {harness_host_path(), "--headless", "--frames", "120", "--fps", "0", "--stats", json,
                          "--stats-csv", csv, "--trace", trace, "--report", html, r.game.lib, NULL};
    char *out = calloc(1, OUT_MAX);
    int rc = harness_run(argv, out, OUT_MAX);
    if (rc != 0) fail_msg("host exited %d: %s", rc, out);
    free(out);

    figures f = check_outputs(r.out, true);
    const uint64_t frames = 120, spawns = 12; /* frames 0, 10, ..., 110 */
    assert_int_equal(figure(&f, "frames"), frames);
    assert_int_equal(figure(&f, "frame"), frames - 1);
    /* per call site */
    assert_int_equal(figure(&f, "site.stats_frame_text.pushes"), frames);
    assert_int_equal(figure(&f, "site.stats_frame_text.bytes"), frames * GAME_TEXT);
    assert_int_equal(figure(&f, "site.stats_frame_text.frame_bytes"), GAME_TEXT);
    assert_int_equal(figure(&f, "site.stats_frame_text.peak_bytes"), GAME_TEXT);
    assert_int_equal(figure(&f, "site.stats_frame_small.pushes"), 3 * frames);
    assert_int_equal(figure(&f, "site.stats_frame_small.frame_bytes"), 3 * GAME_SMALL);
    assert_int_equal(figure(&f, "site.stats_spawn.pushes"), spawns);
    assert_int_equal(figure(&f, "site.stats_spawn.bytes"), spawns * GAME_ENTITY);
    assert_int_equal(figure(&f, "site.stats_spawn.frame_bytes"), 0); /* frame 119 spawned nothing */
    assert_int_equal(figure(&f, "site.stats_scratch_work.bytes"), frames * GAME_SCRATCH);
    assert_int_equal(figure(&f, "site.stats_make_state.bytes"), GAME_STATE);
    /* the pool: two bullets a frame, one freed and reused by the next frame */
    assert_int_equal(figure(&f, "site.(pool)bullets.pushes"), frames + 1);
    assert_int_equal(figure(&f, "site.(pool)bullets.peak_bytes"), 2 * GAME_BULLET);
    assert_int_equal(figure(&f, "pool.bullets.live"), frames);
    assert_int_equal(figure(&f, "pool.bullets.slots"), frames + 1);
    assert_int_equal(figure(&f, "pool.bullets.allocs"), 2 * frames);
    assert_int_equal(figure(&f, "pool.bullets.high_water"), frames + 1);
    /* per tag */
    assert_int_equal(figure(&f, "tag.entities.pushes"), spawns);
    assert_int_equal(figure(&f, "tag.entities.bytes"), spawns * GAME_ENTITY);
    assert_int_equal(figure(&f, "tag.bullets.bytes"), (frames + 1) * GAME_BULLET);
    assert_int_equal(figure(&f, "tag.(untagged).pushes"), 2 + 4 * frames + frames); /* init, frame, scratch */
    /* per arena: the two frame arenas take turns, 60 frames each */
    assert_int_equal(figure(&f, "arena.frame0.pushes"), 4 * frames / 2);
    assert_int_equal(figure(&f, "arena.frame1.bytes"), frames / 2 * (GAME_TEXT + 3 * GAME_SMALL));
    assert_int_equal(figure(&f, "arena.frame0.high_water"), GAME_TEXT + 3 * GAME_SMALL);
    assert_int_equal(figure(&f, "arena.frame0.resets"), frames / 2);
    assert_int_equal(figure(&f, "arena.frame1.frame_pushes"), 0); /* the last frame (119) used frame0 */
    assert_int_equal(figure(&f, "arena.frame0.frame_pushes"), 4);
    /* high-water across resets: scratch is back to 0 every frame, its high-water stays */
    assert_int_equal(figure(&f, "arena.scratch0.used"), 0);
    assert_int_equal(figure(&f, "arena.scratch0.high_water"), GAME_SCRATCH);
    assert_int_equal(figure(&f, "arena.scratch0.frame_high_water"), GAME_SCRATCH);
    assert_int_equal(figure(&f, "arena.scratch0.resets"), frames);
    uint64_t persistent = GAME_STATE + figure(&f, "site.stats_make_pool.bytes") + (frames + 1) * GAME_BULLET +
                          spawns * GAME_ENTITY;
    assert_int_equal(figure(&f, "arena.persistent.bytes"), persistent);
    assert_int_equal(figure(&f, "arena.persistent.used"), persistent);
    assert_int_equal(figure(&f, "arena.persistent.pushes"), 2 + (frames + 1) + spawns);
    assert_int_equal(figure(&f, "arena.persistent.padding"), 0);
    /* before the first frame: init's two pushes (the CSV counts frames only) */
    assert_int_equal(figure(&f, "before.persistent"), 2);
    assert_int_equal(figure(&f, "before.frame0"), 0);
    assert_true(figure(&f, "html.svg") >= 2);
    figures_free(&f);
    harness_game_remove(&r.game);
}

/* ---- a reload ------------------------------------------------------------------------------ */

/* Waits for the snapshot file to say `reason`, and returns its figures. */
static figures wait_snapshot(const run *r, const char *reason)
{
    char json[HARNESS_PATH + 16], want[64];
    out_path(r, "s.json", json, sizeof(json));
    snprintf(want, sizeof(want), "\"reason\":\"%s\"", reason);
    for (int waited = 0; waited < WAIT_MS; waited += 20) {
        char *text = read_all(json);
        bool found = text && strstr(text, want);
        free(text);
        if (found) return check_outputs(r->out, false);
        harness_sleep_ms(20);
    }
    fail_msg("no snapshot with %s in %s", want, json);
    return (figures){NULL};
}

static void test_counts_and_high_water_carry_across_a_reload(void **unused)
{
    run r;
    run_prepare(&r, NULL);
    char json[HARNESS_PATH + 16];
    out_path(&r, "s.json", json, sizeof(json));
    const char *args[] = {"--stats", json, NULL};
    harness_host h;
    assert_true(harness_host_start(&h, r.game.lib, args));
    assert_non_null(harness_wait_event(&h, "log", "stats tick", 0, WAIT_MS));
    assert_true(harness_edit(&r.game, "stats.c", "#define STATS_MARK 1 ", "#define STATS_MARK 2 "));
    assert_int_equal(harness_game_build(&r.game), 0);
    assert_true(harness_wait(&h, "reload", 1, WAIT_MS));
    assert_non_null(harness_wait_event(&h, "log", "mark=2", 0, WAIT_MS));

    /* the snapshot written after the reload: every frame so far counted at the same sites */
    figures f = wait_snapshot(&r, "reload");
    uint64_t frames = figure(&f, "frames");
    assert_true(frames >= 30);
    assert_int_equal(figure(&f, "reloads"), 1);
    assert_int_equal(figure(&f, "version"), 2);
    assert_int_equal(figure(&f, "site.stats_frame_text.pushes"), frames);
    assert_int_equal(figure(&f, "site.stats_frame_small.pushes"), 3 * frames);
    assert_int_equal(figure(&f, "arena.scratch0.high_water"), GAME_SCRATCH);
    figures_free(&f);

    assert_non_null(harness_wait_event(&h, "log", "mark=2", 1, WAIT_MS)); /* a tick of the new code */
    assert_int_equal(harness_host_stop(&h), 0);
    f = wait_snapshot(&r, "exit");
    frames = figure(&f, "frames");
    uint64_t spawns = (frames + GAME_ENTITY_EVERY - 1) / GAME_ENTITY_EVERY;
    assert_int_equal(figure(&f, "site.stats_frame_text.pushes"), frames);
    assert_int_equal(figure(&f, "site.stats_spawn.pushes"), spawns);
    assert_int_equal(figure(&f, "tag.entities.bytes"), spawns * GAME_ENTITY); /* the tag id kept its name */
    assert_int_equal(figure(&f, "tag.bullets.pushes"), frames + 1);
    assert_int_equal(figure(&f, "arena.persistent.pushes"), 2 + (frames + 1) + spawns);
    assert_int_equal(figure(&f, "arena.scratch0.high_water"), GAME_SCRATCH);
    assert_int_equal(figure(&f, "arena.frame0.high_water"), GAME_TEXT + 3 * GAME_SMALL);
    assert_int_equal(figure(&f, "arena.frame1.high_water"), GAME_TEXT + 3 * GAME_SMALL);
    assert_int_equal(figure(&f, "arena.frame0.pushes") + figure(&f, "arena.frame1.pushes"), 4 * frames);
    figures_free(&f);
    harness_game_remove(&r.game);
}

/* ---- callers, the allocation profile, leaks ------------------------------------------------ */

/* Runs profile_read.py (Debian's python3, whose python3-protobuf decodes pprof files) on a profile. */
static figures read_profile(const char *path)
{
    char script[HARNESS_PATH], proto[HARNESS_PATH];
    snprintf(script, sizeof(script), "%s/tests/integration/profile_read.py", harness_root());
    snprintf(proto, sizeof(proto), "%s/host/stats/profile.proto", harness_root());
    const char *argv[] = {"/usr/bin/python3", script, path, proto, NULL};
    figures f = {calloc(1, OUT_MAX)};
    int rc = harness_run(argv, f.text, OUT_MAX);
    if (rc != 0 || !strstr(f.text, "\nok")) fail_msg("profile_read.py failed (%d): %s", rc, f.text);
    return f;
}

/* The line of the profile that starts with `stack` (whole, up to the space before the values). */
static const char *profile_stack(const figures *f, const char *stack)
{
    char want[512];
    snprintf(want, sizeof(want), "stack=%s ", stack);
    const char *line = strstr(f->text, want);
    if (!line) fail_msg("no stack %s in the profile:\n%s", stack, f->text);
    return line;
}

static uint64_t profile_value(const char *line, const char *key)
{
    char want[64];
    snprintf(want, sizeof(want), " %s=", key);
    const char *at = strstr(line, want);
    const char *end = strchr(line, '\n');
    if (!at || (end && at > end)) fail_msg("no %s in: %.200s", key, line);
    return strtoull(at + strlen(want), NULL, 10);
}

/* The line of `needle` in this test's copy of stats.c (1-based), to name call sites by line. */
static int game_line(const run *r, const char *needle)
{
    char path[HARNESS_PATH + 16];
    snprintf(path, sizeof(path), "%s/stats.c", r->game.dir);
    char *text = read_all(path);
    assert_non_null(text);
    const char *at = strstr(text, needle);
    if (!at) fail_msg("no '%s' in stats.c", needle);
    int line = 1;
    for (const char *c = text; c < at; c++) line += *c == '\n';
    free(text);
    return line;
}

static void test_a_helper_with_two_callers_is_two_stacks_and_leaks_are_named(void **unused)
{
    run r;
    const char *edits[] = {"#define STATS_CALLERS 0 ", "#define STATS_CALLERS 1 ", NULL};
    run_prepare(&r, edits);
    char json[HARNESS_PATH + 16], prof[HARNESS_PATH + 16], folded[HARNESS_PATH + 16];
    out_path(&r, "s.json", json, sizeof(json));
    out_path(&r, "prof.pb", prof, sizeof(prof));
    out_path(&r, "prof.folded", folded, sizeof(folded));
    const uint64_t frames = 60;
    const char *argv[] = {harness_host_path(), "--headless", "--frames", "60", "--fps", "0", "--stats", json,
                          "--alloc-profile", prof, "--leaks=fail", r.game.lib, NULL};
    char *out = calloc(1, OUT_MAX);
    assert_int_equal(harness_run(argv, out, OUT_MAX), 3); /* --leaks=fail: leaks found */

    /* the leak report: the block shutdown did not free, by the line that allocated it; the pool's
     * live slots by the line that made the pool */
    char want[256];
    snprintf(want, sizeof(want), "5 KiB in 1 heap block from stats_heap_blocks (stats.c:%d)",
             game_line(&r, "s->kept = host->heap_alloc"));
    if (!strstr(out, want)) fail_msg("no '%s' in:\n%s", want, out);
    assert_null(strstr(out, "7 KiB in 1 heap block")); /* freed by shutdown */
    snprintf(want, sizeof(want), "in %llu pool 'bullets' slots from stats_make_pool (stats.c:%d)",
             (unsigned long long)frames, game_line(&r, "return pool_create(a, bullet"));
    if (!strstr(out, want)) fail_msg("no '%s' in:\n%s", want, out);
    free(out);

    /* one helper, two callers: two sites in the snapshot, each with its own call stack */
    figures f = check_outputs(r.out, false);
    assert_int_equal(figure(&f, "site.stats_particle<stats_emit_sparks.bytes"), frames * 40);
    assert_int_equal(figure(&f, "site.stats_particle<stats_emit_smoke.bytes"), frames * 72);
    assert_int_equal(figure(&f, "site.stats_particle<stats_emit_smoke.line"), (uint64_t)game_line(&r, "uint8_t *p = push_array_no_zero(frame, uint8_t, size)"));
    figures_free(&f);

    /* the pprof profile, read with python3-protobuf: the same two stacks, root first */
    f = read_profile(prof);
    char stack[512];
    snprintf(stack, sizeof(stack), "stats_update@stats.c:%d;stats_emit_sparks@stats.c:%d;stats_particle@stats.c:%d",
             game_line(&r, "if (STATS_CALLERS && stats_emit_sparks"), game_line(&r, "return stats_particle(frame, STATS_SPARK)"),
             game_line(&r, "uint8_t *p = push_array_no_zero(frame, uint8_t, size)"));
    const char *line = profile_stack(&f, stack);
    assert_int_equal(profile_value(line, "alloc_objects"), frames);
    assert_int_equal(profile_value(line, "alloc_space"), frames * 40);
    line = strstr(f.text, "stats_emit_smoke@");
    assert_non_null(line);
    assert_int_equal(profile_value(line, "alloc_space"), frames * 72);
    /* the heap: the live block, as inuse, by the line that allocated it (shutdown ran after the profile) */
    snprintf(stack, sizeof(stack), "heap_alloc@stats.c:%d", game_line(&r, "s->kept = host->heap_alloc"));
    line = strstr(f.text, stack);
    assert_non_null(line);
    assert_int_equal(profile_value(line, "inuse_objects"), 1);
    assert_true(profile_value(line, "inuse_space") >= 5000);
    /* the pool's live slots */
    line = strstr(f.text, "(pool) bullets@");
    assert_non_null(line);
    assert_int_equal(profile_value(line, "inuse_objects"), frames);
    figures_free(&f);

    /* the same run as collapsed stacks */
    const char *again[] = {harness_host_path(), "--headless", "--frames", "60", "--fps", "0", "--alloc-profile", folded,
                           "--leaks=off", r.game.lib, NULL};
    out = calloc(1, OUT_MAX);
    assert_int_equal(harness_run(again, out, OUT_MAX), 0);
    assert_null(strstr(out, "leaks at")); /* --leaks=off */
    free(out);
    f = read_profile(folded);
    line = profile_stack(&f, "stats_update;stats_emit_smoke;stats_particle");
    assert_int_equal(profile_value(line, "value"), frames * 72);
    figures_free(&f);
    harness_game_remove(&r.game);
}

/* ---- marks and reloads: what changed ------------------------------------------------------- */

/* The game sets a mark; a rebuild makes one site push more per frame. The snapshot's since_mark
 * and the HTML report's reload section name it. */
static void test_a_mark_and_a_reload_show_what_changed(void **unused)
{
    run r;
    const char *edits[] = {"#define STATS_CALLERS 0 ", "#define STATS_CALLERS 1 ", "#define STATS_MARK_AT 0 ",
                           "#define STATS_MARK_AT 10 ", NULL};
    run_prepare(&r, edits);
    char json[HARNESS_PATH + 16], html[HARNESS_PATH + 16];
    out_path(&r, "s.json", json, sizeof(json));
    out_path(&r, "r.html", html, sizeof(html));
    const char *args[] = {"--stats", json, "--report", html, NULL};
    harness_host h;
    assert_true(harness_host_start(&h, r.game.lib, args));
    const char *mark = harness_wait_event(&h, "mark", NULL, 0, WAIT_MS);
    assert_non_null(mark);
    assert_non_null(strstr(mark, "\"name\":\"level 2\""));
    assert_non_null(harness_wait_event(&h, "log", "stats tick frames=60", 0, WAIT_MS));
    assert_true(harness_edit(&r.game, "stats.c", "#define STATS_SPARK 40", "#define STATS_SPARK 400"));
    assert_true(harness_edit(&r.game, "stats.c", "#define STATS_MARK 1 ", "#define STATS_MARK 2 "));
    assert_int_equal(harness_game_build(&r.game), 0);
    assert_true(harness_wait(&h, "reload", 1, WAIT_MS));
    assert_non_null(harness_wait_event(&h, "log", "mark=2", 2, WAIT_MS)); /* 90 frames of the new code */
    assert_int_equal(harness_host_stop(&h), 0);

    char *text = read_all(json);
    assert_non_null(text);
    /* since the mark (frame 10): the sparks now push 400 bytes a frame, not 40 */
    const char *since = strstr(text, "\"since_mark\":{\"name\":\"level 2\",\"frame\":10,");
    if (!since) fail_msg("no since_mark in %s", text);
    const char *row = strstr(since, "\"name\":\"stats.c:");
    assert_non_null(row);
    if (!strstr(since, "stats_particle \\u003c stats_emit_sparks\",\"unit\":\"B/frame\",\"before\":40.0,"))
        fail_msg("the sparks' site is not in since_mark: %.3000s", since);
    assert_non_null(strstr(since, "\"change\":\"grew\""));
    free(text);
    text = read_all(html);
    assert_non_null(text);
    const char *section = strstr(text, "<h3 id=\"reload-0\">");
    assert_non_null(section);
    if (!strstr(section, "stats_particle &lt; stats_emit_sparks</code></td><td>40 B/frame</td><td>400 B/frame</td>"))
        fail_msg("the sparks' site is not among the reload's changes: %.4000s", strstr(section, "stats_emit_sparks") ? strstr(section, "stats_emit_sparks") : section);
    assert_non_null(strstr(text, "<a href=\"#reload-0\">")); /* the reload's marker links to it */
    assert_non_null(strstr(text, "<h2>Since mark \"level 2\" (frame 10)</h2>"));
    free(text);
    harness_game_remove(&r.game);
}

/* ---- warnings and requests ----------------------------------------------------------------- */

static void test_frame_arena_warning_and_stats_requests(void **unused)
{
    run r;
    const char *edits[] = {"#define STATS_BIG_AT 0 ", "#define STATS_BIG_AT 5 ", "#define STATS_REQUEST_AT 0 ",
                           "#define STATS_REQUEST_AT 7 ", NULL};
    run_prepare(&r, edits);
    const char *args[] = {"--frame-arena", "64K", NULL};
    harness_host h;
    assert_true(harness_host_start(&h, r.game.lib, args));
    /* frame 5 held 1072 + 60000 bytes of a 64 KiB frame arena: above 90% */
    const char *warning = harness_wait_event(&h, "warning", "frame arena", 0, WAIT_MS);
    assert_non_null(warning);
    assert_non_null(strstr(warning, "\"arena\":\"frame0\",\"used\":61072,\"capacity\":"));
    assert_non_null(strstr(warning, "--frame-arena"));
    /* the game asked at frame 7; then the user asks with SIGUSR1 */
    const char *stats = harness_wait_event(&h, "stats", NULL, 0, WAIT_MS);
    assert_non_null(stats);
    assert_int_equal(harness_field_u64(stats, "last_frame"), 7);
    assert_non_null(strstr(stats, "\"top_sites\":[{\"file\":\""));
    assert_non_null(harness_wait_event(&h, "log", "stats tick", 0, WAIT_MS));
    kill(h.pid, SIGUSR1);
    assert_true(harness_wait(&h, "stats", 2, WAIT_MS));
    assert_int_equal(harness_host_stop(&h), 0);
    assert_int_equal(harness_count(&h, "warning"), 1); /* one per new record, not one per frame */
    char *out = read_all(h.output);
    assert_non_null(out);
    assert_non_null(strstr(out, "top call sites"));
    assert_non_null(strstr(out, "stats.c:"));
    free(out);
    harness_game_remove(&r.game);
}

/* Every output is checked at start: a path that cannot be written is one line and exit 1 before the
 * game runs, never a warning after the whole session. */
static void test_an_output_that_cannot_be_written_is_one_line_at_start(void **unused)
{
    static const char *const flags[] = {"--stats", "--stats-csv", "--trace", "--report", "--events"};
    run r;
    run_prepare(&r, NULL);
    char out[4096], want[256];
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        const char *argv[] = {harness_host_path(), "--headless", "--frames", "100000", flags[i], "/nonexistent/dir/o.x",
                              r.game.lib, NULL};
        assert_int_equal(harness_run(argv, out, sizeof(out)), 1);
        snprintf(want, sizeof(want), "host: %s /nonexistent/dir/o.x: the folder /nonexistent/dir does not exist", flags[i]);
        if (!strstr(out, want)) fail_msg("'%s' not in %s", want, out);
        assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* exactly one line */
    }
    const char *folder[] = {harness_host_path(), "--headless", "--report", "/tmp", r.game.lib, NULL};
    assert_int_equal(harness_run(folder, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "--report /tmp: /tmp is a folder; name a file in it"));
    harness_game_remove(&r.game);
}

/* The trace stays a valid Chrome trace after kill -9: the host writes it in whole records, so a strict
 * reader that only closes the array (one "]" appended) gets every frame that ended before the kill:
 * at least those before the last event the host logged, from frame 0 with no gap. */
static void test_the_trace_survives_sigkill_with_every_frame(void **unused)
{
    run r;
    run_prepare(&r, NULL);
    char trace[HARNESS_PATH + 16];
    out_path(&r, "t.json", trace, sizeof(trace));
    harness_host host;
    const char *args[] = {"--fps", "0", "--trace", trace, NULL};
    assert_true(harness_host_start(&host, r.game.lib, args));
    assert_non_null(harness_wait_event(&host, "log", "stats tick", 20, WAIT_MS));
    kill(host.pid, SIGKILL);
    assert_int_equal(harness_host_wait(&host, WAIT_MS), -SIGKILL);
    int n = 0;
    while (harness_event(&host, "log", "stats tick", n)) n++;
    uint64_t logged = harness_field_u64(harness_event(&host, "log", "stats tick", n - 1), "frame");
    const char *reader = "import json, sys\n"
                         "events = json.loads(open(sys.argv[1]).read() + ']')\n"
                         "frames = [e['args']['frame'] for e in events if e.get('name') == 'frame']\n"
                         "assert frames == list(range(len(frames))), 'frames out of order'\n"
                         "print(len(frames))\n";
    const char *argv[] = {"/usr/bin/env", "python3", "-c", reader, trace, NULL};
    char out[4096];
    if (harness_run(argv, out, sizeof(out)) != 0) fail_msg("the trace does not read after kill -9: %s", out);
    if (strtoull(out, NULL, 10) < logged) fail_msg("the trace has %s frames, the host had logged frame %llu", out,
                                                   (unsigned long long)logged);
    harness_game_remove(&r.game);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outputs_agree_and_counts_are_exact),
        cmocka_unit_test(test_counts_and_high_water_carry_across_a_reload),
        cmocka_unit_test(test_a_helper_with_two_callers_is_two_stacks_and_leaks_are_named),
        cmocka_unit_test(test_a_mark_and_a_reload_show_what_changed),
        cmocka_unit_test(test_frame_arena_warning_and_stats_requests),
        cmocka_unit_test(test_an_output_that_cannot_be_written_is_one_line_at_start),
        cmocka_unit_test(test_the_trace_survives_sigkill_with_every_frame),
    };
    return harness_finish(cmocka_run_group_tests_name("integration: stats", tests, NULL, NULL));
}
