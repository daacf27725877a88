/* test_timeline.c - the live loop, rewind, state files and recordings, on the real host with the
 * real rebuilt test game tests/games/timeline (a linked list over the persistent arena, the heap
 * and a pool, a realloc'd history, frame data). Keys reach the host through a pseudo-terminal.
 *  - the loop: ~120 frames, passes on three builds that move the state differently; every pass
 *    starts from the checkpoint's checksum and the same heap contents and addresses, passes on the
 *    same build end alike (no divergence, with the game's sound in its state: each replayed frame
 *    asks for the recorded sound), and leaving the loop plays on;
 *  - rewind after a crash: the checkpoint offered after the rollback brings back the frame's state;
 *    an offer not taken is kept a ring longer, then lapses (at once when a live loop begins), and a
 *    rewind right after a lapse leaves the heap pages its frees emptied to the heap that took them;
 *  - the game asks for a rewind: the frame it goes back to starts from the same state again;
 *  - the game's threads are stopped around each checkpoint and restore (before/after_reload);
 *  - --leaks with checkpoints live reports the game's blocks, not the frees checkpoints defer;
 *  - a state saved with the save key (after a loop) survives kill -9 and goes on in a new host
 *    exactly as the saving host went on (its next save's checksum, the same addresses);
 *  - a state saved by an older build migrates to a new field;
 *  - recordings replay to the same checksum at another pace (the sound asked for is the
 *    recording's), --expect-checksum exits 5 on another;
 *  - every bad file kind (truncated, foreign, wrong base, wrong ABI) is one line and nothing loaded. */
#include "expect.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#define WAIT_MS 30000
#define LOOP_FRAMES 120
#define LINE 16384
#define KEY_LOOP "l"
#define KEY_REWIND "\x1b[18~" /* F7, as a terminal sends it */
#define KEY_SAVE "\x1b[19~"   /* F8 */

typedef struct fixture {
    harness_game game;
    harness_host host;
    char dir[HARNESS_PATH]; /* for state files and recordings: removed with the game */
} fixture;

static void fixture_start(fixture *f)
{
    memset(f, 0, sizeof(*f));
    assert_true(harness_game_copy("tests/games/timeline", &f->game));
    assert_int_equal(harness_game_build(&f->game), 0);
    snprintf(f->dir, sizeof(f->dir), "%s", f->game.top);
}

static void fixture_end(fixture *f) { harness_game_remove(&f->game); }

static void path_in(const fixture *f, const char *name, char *out, size_t cap) { snprintf(out, cap, "%s/%s", f->dir, name); }

static uint64_t field(const char *line, const char *key)
{
    uint64_t v = harness_field_u64(line, key);
    if (v == UINT64_MAX) fail_msg("no %s in: %s", key, line ? line : "(no line)");
    return v;
}

static void text_field(const char *line, const char *key, char *out, size_t cap)
{
    if (!line || !harness_field(line, key, out, cap)) fail_msg("no %s in: %s", key, line ? line : "(no line)");
}

/* The game's report of the state frame `frame` started from, the n-th time it ran (waits for it). */
static const char *frame_report(const harness_host *h, uint64_t frame, int n)
{
    char needle[64];
    snprintf(needle, sizeof(needle), "timeline frame=%llu ", (unsigned long long)frame);
    const char *line = harness_wait_event(h, "log", needle, n, WAIT_MS);
    if (!line) fail_msg("no report of frame %llu (time %d)", (unsigned long long)frame, n + 1);
    return line;
}

/* "digest=... where=..." of a report: the state's contents and where its items are. */
static void report_state(const char *line, char *out, size_t cap)
{
    char digest[32], where[32];
    text_field(line, "digest", digest, sizeof(digest));
    text_field(line, "where", where, sizeof(where));
    snprintf(out, cap, "digest=%s where=%s", digest, where);
}

static void edit(fixture *f, const char *from, const char *to)
{
    if (!harness_edit(&f->game, "timeline.c", from, to)) fail_msg("'%s' not in timeline.c", from);
}

/* The host headless to its end with `args`: its exit status; the events stay in h. */
static int run(fixture *f, harness_host *h, const char *const *args)
{
    if (!harness_host_start(h, f->game.lib, args)) fail_msg("the host did not load the game");
    return harness_host_wait(h, WAIT_MS);
}

/* The checksum a run's exit event carries. */
static void exit_checksum(const harness_host *h, char *out, size_t cap)
{
    text_field(harness_event(h, "exit", NULL, 0), "checksum", out, cap);
}

/* The checksum of the state after `frames` frames from init, headless. */
static void straight_checksum(fixture *f, uint64_t frames, char *out, size_t cap)
{
    char n[32];
    snprintf(n, sizeof(n), "%llu", (unsigned long long)frames);
    const char *args[] = {"--fps", "0", "--frames", n, NULL};
    harness_host h;
    assert_int_equal(run(f, &h, args), 0);
    exit_checksum(&h, out, cap);
}

/* ---- the live loop ------------------------------------------------------------------------ */

/* The next `count` passes after *at (an offset in the event log) on build `version`: the same end
 * checksum each (returned in sum), started from the loop's checkpoint (`start`). */
static void loop_passes(fixture *f, long *at, int count, uint64_t version, const char *start, char *sum, size_t cap)
{
    for (int i = 0; i < count; i++) {
        const char *pass = harness_next_event(&f->host, "loop", "\"phase\":\"pass\"", at, WAIT_MS);
        assert_non_null(pass);
        char s[32], c[32];
        text_field(pass, "start", s, sizeof(s));
        assert_string_equal(s, start);
        assert_int_equal(field(pass, "version"), version);
        text_field(pass, "checksum", c, sizeof(c));
        if (i == 0) snprintf(sum, cap, "%s", c);
        else assert_string_equal(c, sum);
    }
}

/* A new build moves the state on differently; its first pass may have begun on the old one. */
static void loop_rebuild(fixture *f, long *at, int step, uint64_t version)
{
    char from[64], to[64];
    snprintf(from, sizeof(from), "#define TIMELINE_STEP %d ", step - 1);
    snprintf(to, sizeof(to), "#define TIMELINE_STEP %d ", step);
    edit(f, from, to);
    assert_int_equal(harness_game_build(&f->game), 0);
    assert_true(harness_wait(&f->host, "reload", (int)version - 1, WAIT_MS));
    assert_non_null(harness_next_event(&f->host, "reload", NULL, at, WAIT_MS));
    assert_non_null(harness_next_event(&f->host, "loop", "\"phase\":\"pass\"", at, WAIT_MS));
}

static void test_the_live_loop_replays_each_pass_on_the_newest_code(void **unused)
{
    fixture f;
    fixture_start(&f);
    edit(&f, "#define TIMELINE_SOUND 0 ", "#define TIMELINE_SOUND 1 "); /* passes ask for the recorded sound */
    assert_int_equal(harness_game_build(&f.game), 0);
    const char *args[] = {"--fps", "240", NULL};
    assert_true(harness_tty_start(&f.host, f.game.lib, args));
    frame_report(&f.host, 30, 0);
    assert_true(harness_tty_keys(&f.host, KEY_LOOP));
    const char *begin = harness_wait_event(&f.host, "loop", "\"phase\":\"begin\"", 0, WAIT_MS);
    uint64_t first = field(begin, "frame");
    char start[32], sums[3][32];
    text_field(begin, "start", start, sizeof(start));
    char first_state[128];
    report_state(frame_report(&f.host, first, 0), first_state, sizeof(first_state));
    frame_report(&f.host, first + LOOP_FRAMES - 1, 0);
    assert_true(harness_tty_keys(&f.host, KEY_LOOP));

    long at = 0;
    loop_passes(&f, &at, 2, 1, start, sums[0], sizeof(sums[0]));
    loop_rebuild(&f, &at, 4, 2);
    loop_passes(&f, &at, 2, 2, start, sums[1], sizeof(sums[1]));
    loop_rebuild(&f, &at, 5, 3);
    loop_passes(&f, &at, 1, 3, start, sums[2], sizeof(sums[2]));
    assert_string_not_equal(sums[0], sums[1]); /* each build moved the state on its own way */
    assert_string_not_equal(sums[1], sums[2]);
    assert_int_equal(harness_count(&f.host, "divergence"), 0);
    assert_null(harness_event(&f.host, "loop", "\"phase\":\"divergence\"", 0));

    /* every time the loop's first frame ran, it started from the same contents at the same addresses */
    int runs = 0;
    char needle[64];
    snprintf(needle, sizeof(needle), "timeline frame=%llu ", (unsigned long long)first);
    for (const char *line; (line = harness_event(&f.host, "log", needle, runs)); runs++) {
        char state[128];
        report_state(line, state, sizeof(state));
        assert_string_equal(state, first_state);
    }
    assert_true(runs >= 1 + 5 + 2); /* the recording, five passes, the passes that began on older builds */
    const char *recorded = harness_event(&f.host, "loop", "\"phase\":\"pass\"", 0);
    assert_in_range(field(recorded, "frames"), LOOP_FRAMES, LOOP_FRAMES + 30);

    int reports = harness_count(&f.host, "log");
    assert_true(harness_tty_keys(&f.host, KEY_LOOP));
    assert_non_null(harness_wait_event(&f.host, "loop", "\"phase\":\"end\"", 0, WAIT_MS));
    assert_true(harness_wait(&f.host, "log", reports + 60, WAIT_MS)); /* play goes on */
    assert_int_equal(harness_host_stop(&f.host), 0);
    fixture_end(&f);
}

/* ---- rewind ------------------------------------------------------------------------------- */

static void test_a_crash_offers_the_checkpoint_before_it(void **unused)
{
    fixture f;
    fixture_start(&f);
    const char *args[] = {"--fps", "240", "--rewind", "2", "--rewind-every", "10", NULL};
    assert_true(harness_tty_start(&f.host, f.game.lib, args));
    frame_report(&f.host, 40, 0);
    edit(&f, "#define TIMELINE_CRASH_AFTER 0 ", "#define TIMELINE_CRASH_AFTER 25 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    const char *offer = harness_wait_event(&f.host, "rewind_offer", NULL, 0, WAIT_MS);
    assert_non_null(offer);
    uint64_t to = field(offer, "to_frame");
    const char *crash = harness_event(&f.host, "crash", NULL, 0);
    assert_non_null(crash);
    assert_true(to <= field(crash, "frame"));
    char before[128], after[128];
    report_state(frame_report(&f.host, to, 0), before, sizeof(before));
    assert_true(harness_wait(&f.host, "checkpoint", harness_count(&f.host, "checkpoint") + 3, WAIT_MS)); /* newer ones */
    assert_true(harness_tty_keys(&f.host, KEY_REWIND));
    const char *restore = harness_wait_event(&f.host, "restore", NULL, 0, WAIT_MS);
    assert_int_equal(field(restore, "to_frame"), to);
    report_state(frame_report(&f.host, to, 1), after, sizeof(after));
    assert_string_equal(after, before);
    assert_int_equal(harness_host_stop(&f.host), 3); /* the game crashed during the run */
    fixture_end(&f);
}

/* Not taken, the offer stays one ring longer than the ring's other checkpoints, then lapses: the
 * rewind key steps back one checkpoint again. */
static void test_an_offer_not_taken_lapses(void **unused)
{
    fixture f;
    fixture_start(&f);
    const char *args[] = {"--fps", "240", "--rewind", "1", "--rewind-every", "10", NULL};
    assert_true(harness_tty_start(&f.host, f.game.lib, args));
    frame_report(&f.host, 40, 0);
    edit(&f, "#define TIMELINE_CRASH_AFTER 0 ", "#define TIMELINE_CRASH_AFTER 25 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    uint64_t offered = field(harness_wait_event(&f.host, "rewind_offer", NULL, 0, WAIT_MS), "to_frame");
    uint64_t ring = 240 / 10;
    const char *lapsed = harness_wait_event(&f.host, "rewind_offer", "\"lapsed\":true", 0, WAIT_MS);
    assert_int_equal(field(lapsed, "to_frame"), offered);
    assert_true(field(lapsed, "frame") >= offered + 2 * ring * 10); /* kept past the ring's own */
    assert_true(harness_tty_keys(&f.host, KEY_REWIND));
    const char *restore = harness_wait_event(&f.host, "restore", NULL, 0, WAIT_MS);
    assert_true(field(restore, "to_frame") > offered);
    assert_int_equal(harness_host_stop(&f.host), 3);
    fixture_end(&f);
}

/* A live loop drops the ring for a checkpoint of its own: an offer lapses as the loop begins. */
static void test_an_offer_lapses_when_a_live_loop_begins(void **unused)
{
    fixture f;
    fixture_start(&f);
    const char *args[] = {"--fps", "240", "--rewind", "10", "--rewind-every", "10", NULL};
    assert_true(harness_tty_start(&f.host, f.game.lib, args));
    frame_report(&f.host, 40, 0);
    edit(&f, "#define TIMELINE_CRASH_AFTER 0 ", "#define TIMELINE_CRASH_AFTER 25 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    uint64_t offered = field(harness_wait_event(&f.host, "rewind_offer", NULL, 0, WAIT_MS), "to_frame");
    assert_true(harness_tty_keys(&f.host, KEY_LOOP));
    uint64_t begun = field(harness_wait_event(&f.host, "loop", "\"phase\":\"begin\"", 0, WAIT_MS), "frame");
    const char *lapsed = harness_wait_event(&f.host, "rewind_offer", "\"lapsed\":true", 0, WAIT_MS);
    assert_int_equal(field(lapsed, "to_frame"), offered);
    assert_int_equal(field(lapsed, "frame"), begun);
    assert_int_equal(harness_host_stop(&f.host), 3);
    fixture_end(&f);
}

/* A rewind just after an offer lapsed: the lapse drops half the ring at once, and the frees that
 * carries out empty heap pages that the game's history (freed and started again every 300 frames,
 * at 2102 here) then takes: the restore to frame 2100 must leave them to the heap that took them,
 * and the game goes on. */
static void test_a_rewind_after_a_lapse_leaves_the_pages_the_heap_took_again(void **unused)
{
    fixture f;
    fixture_start(&f);
    edit(&f, "#define TIMELINE_REWIND_AT 0 ", "#define TIMELINE_REWIND_AT 2102 ");
    edit(&f, "#define TIMELINE_REWIND_BY 25", "#define TIMELINE_REWIND_BY 2");
    assert_int_equal(harness_game_build(&f.game), 0);
    const char *args[] = {"--fps", "240", "--rewind", "2", "--rewind-every", "10", NULL};
    if (!harness_host_start(&f.host, f.game.lib, args)) fail_msg("the host did not load the game");
    frame_report(&f.host, 20, 0);
    edit(&f, "#define TIMELINE_CRASH_FROM 0 ", "#define TIMELINE_CRASH_FROM 1140 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    /* a ring of 48 checkpoints: the one offered at 1140 is kept to 2100, then 49 go at once */
    uint64_t offered = field(harness_wait_event(&f.host, "rewind_offer", NULL, 0, WAIT_MS), "to_frame");
    assert_int_equal(field(harness_wait_event(&f.host, "restore", NULL, 0, WAIT_MS), "to_frame"), 2100);
    frame_report(&f.host, 2120, 0);
    const char *lapsed = harness_event(&f.host, "rewind_offer", "\"lapsed\":true", 0);
    if (lapsed) assert_int_equal(field(lapsed, "frame"), offered + 960);
    else print_message("the crashing build landed after frame 1140: the rewind came before the lapse\n");
    assert_true(harness_host_alive(&f.host));
    assert_int_equal(harness_host_stop(&f.host), 3);
    fixture_end(&f);
}

static void test_the_game_asks_for_a_rewind(void **unused)
{
    fixture f;
    fixture_start(&f);
    edit(&f, "#define TIMELINE_REWIND_AT 0 ", "#define TIMELINE_REWIND_AT 60 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    const char *args[] = {"--fps", "0", "--frames", "120", "--rewind", "1", "--rewind-every", "10", NULL};
    assert_int_equal(run(&f, &f.host, args), 0);
    const char *restore = harness_event(&f.host, "restore", NULL, 0);
    assert_non_null(restore);
    assert_int_equal(field(restore, "to_frame"), 30); /* the newest checkpoint at or before 60 - 25 */
    char first[128], again[128];
    report_state(frame_report(&f.host, 30, 0), first, sizeof(first));
    report_state(frame_report(&f.host, 30, 1), again, sizeof(again));
    assert_string_equal(again, first);
    assert_null(harness_event(&f.host, "log", "timeline frame=30 ", 2));
    fixture_end(&f);
}

/* A game whose worker thread allocates from the heap: every checkpoint and restore of the ring
 * happens with the worker stopped (before_reload) and started again after (after_reload). */
static void test_checkpoints_stop_the_games_threads(void **unused)
{
    fixture f;
    fixture_start(&f);
    edit(&f, "#define TIMELINE_WORKER 0 ", "#define TIMELINE_WORKER 1 ");
    edit(&f, "#define TIMELINE_REWIND_AT 0 ", "#define TIMELINE_REWIND_AT 60 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    const char *args[] = {"--fps", "0", "--frames", "100", "--rewind", "1", "--rewind-every", "10", NULL};
    assert_int_equal(run(&f, &f.host, args), 0);
    int checkpoints = harness_count(&f.host, "checkpoint"), restores = harness_count(&f.host, "restore");
    assert_true(checkpoints >= 10);
    assert_int_equal(restores, 1);
    int stopped = 0;
    for (const char *line; (line = harness_event(&f.host, "log", "timeline worker stopped", stopped)); stopped++)
        assert_int_equal(field(line, "running"), 0);
    assert_int_equal(stopped, checkpoints + restores + 1); /* and at shutdown */
    assert_true(field(harness_event(&f.host, "log", "timeline worker stopped", stopped - 1), "passes") > 0);
    char first[128], again[128];
    report_state(frame_report(&f.host, 30, 0), first, sizeof(first));
    report_state(frame_report(&f.host, 30, 1), again, sizeof(again));
    assert_string_equal(again, first);
    fixture_end(&f);
}

/* --leaks with checkpoints live (every allocation noted; frees deferred): the report at a restart
 * lists what the state holds, not the blocks it freed that checkpoints keep, and the game's
 * shutdown frees everything, so nothing is left at exit. */
static void test_leaks_are_the_games_with_checkpoints_live(void **unused)
{
    fixture f;
    fixture_start(&f);
    edit(&f, "#define TIMELINE_RESTART_AT 0 ", "#define TIMELINE_RESTART_AT 60 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    const char *args[] = {"--fps", "0", "--frames", "90", "--rewind", "1", "--rewind-every", "5", "--leaks", "report", NULL};
    assert_int_equal(run(&f, &f.host, args), 0);
    assert_true(harness_count(&f.host, "checkpoint") >= 10);
    const char *held = harness_event(&f.host, "log", "timeline held", 0);
    uint64_t holds = field(held, "heap_blocks") + field(held, "pool_slots");
    assert_true(holds > 10);
    assert_int_equal(field(harness_event(&f.host, "leaks", "\"when\":\"restart\"", 0), "count"), holds);
    assert_null(harness_event(&f.host, "leaks", "\"when\":\"shutdown\"", 0));
    fixture_end(&f);
}

/* ---- state files -------------------------------------------------------------------------- */

/* The save key at frame `after` or later: the frame saved and its checksum. */
static uint64_t save_now(fixture *f, uint64_t after, int n, char *sum, size_t cap)
{
    frame_report(&f->host, after, 0);
    assert_true(harness_tty_keys(&f->host, KEY_SAVE));
    const char *saved = harness_wait_event(&f->host, "state_saved", NULL, n, WAIT_MS);
    assert_non_null(saved);
    text_field(saved, "checksum", sum, cap);
    return field(saved, "frame");
}

static void test_a_saved_state_survives_kill_9_and_goes_on_in_a_new_host(void **unused)
{
    fixture f;
    fixture_start(&f);
    char state[HARNESS_PATH + 32], first[HARNESS_PATH + 32];
    path_in(&f, "game.state", state, sizeof(state));
    path_in(&f, "first.state", first, sizeof(first));
    const char *args[] = {"--fps", "240", "--save-state", state, NULL};
    assert_true(harness_tty_start(&f.host, f.game.lib, args));
    /* a short loop first: checkpoints, restores and checksums walk and settle the heap, and a
     * state saved afterwards must still load */
    frame_report(&f.host, 20, 0);
    assert_true(harness_tty_keys(&f.host, KEY_LOOP));
    const char *begin = harness_wait_event(&f.host, "loop", "\"phase\":\"begin\"", 0, WAIT_MS);
    assert_non_null(begin);
    frame_report(&f.host, field(begin, "frame") + 30, 0);
    assert_true(harness_tty_keys(&f.host, KEY_LOOP));
    assert_non_null(harness_wait_event(&f.host, "loop", "\"phase\":\"pass\"", 0, WAIT_MS));
    assert_true(harness_tty_keys(&f.host, KEY_LOOP));
    assert_non_null(harness_wait_event(&f.host, "loop", "\"phase\":\"end\"", 0, WAIT_MS));
    char saved_sum[32], later_sum[32], straight[32], loaded_sum[32], kept[128], loaded[128];
    uint64_t frame = save_now(&f, 90, 0, saved_sum, sizeof(saved_sum)); /* past every frame the loop ran */
    assert_true(harness_copy_file(state, first));
    uint64_t later = save_now(&f, frame + 40, 1, later_sum, sizeof(later_sum));
    report_state(frame_report(&f.host, frame + 20, 0), kept, sizeof(kept));
    kill(f.host.pid, SIGKILL);
    assert_int_equal(harness_host_wait(&f.host, WAIT_MS), -SIGKILL);

    straight_checksum(&f, frame, straight, sizeof(straight)); /* the loop left no trace: the same state */
    assert_string_equal(saved_sum, straight);

    harness_host h;
    char frames[32];
    snprintf(frames, sizeof(frames), "%llu", (unsigned long long)(later - frame));
    const char *load[] = {"--fps", "0", "--frames", frames, "--load-state", first, NULL};
    assert_int_equal(run(&f, &h, load), 0);
    assert_int_equal(field(harness_event(&h, "state_loaded", NULL, 0), "to_frame"), frame);
    /* the same contents at the same addresses as the host that went on after the save */
    report_state(frame_report(&h, frame + 20, 0), loaded, sizeof(loaded));
    assert_string_equal(loaded, kept);
    exit_checksum(&h, loaded_sum, sizeof(loaded_sum));
    assert_string_equal(loaded_sum, later_sum);
    fixture_end(&f);
}

static void test_a_state_from_an_older_build_migrates(void **unused)
{
    fixture f;
    fixture_start(&f);
    char state[HARNESS_PATH + 32];
    path_in(&f, "old.state", state, sizeof(state));
    const char *save[] = {"--fps", "0", "--frames", "30", "--save-state", state, NULL};
    assert_int_equal(run(&f, &f.host, save), 0);
    edit(&f, "#define TIMELINE_EXTRA 0 ", "#define TIMELINE_EXTRA 1 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    harness_host h;
    const char *load[] = {"--fps", "0", "--frames", "5", "--load-state", state, NULL};
    assert_int_equal(run(&f, &h, load), 0);
    assert_non_null(harness_event(&h, "layout", "\"action\":\"migrate\"", 0));
    const char *reloaded = harness_event(&h, "log", "timeline reloaded", 0);
    assert_int_equal(field(reloaded, "updates"), 30);
    assert_int_equal(field(reloaded, "last"), 29);
    assert_int_equal(field(harness_event(&h, "log", "timeline extra=", 0), "extra"), 0);
    frame_report(&h, 34, 0);
    fixture_end(&f);
}

/* ---- recordings ----------------------------------------------------------------------------- */

static void test_a_recording_replays_to_the_same_checksum(void **unused)
{
    fixture f;
    fixture_start(&f);
    edit(&f, "#define TIMELINE_SOUND 0 ", "#define TIMELINE_SOUND 1 ");
    assert_int_equal(harness_game_build(&f.game), 0);
    char rec[HARNESS_PATH + 32], recorded[32], replayed[32];
    path_in(&f, "run.rec", rec, sizeof(rec));
    /* recorded at 240 frames a second, replayed as fast as it goes: the sound asked for each frame
     * is the recording's, not what this host's pace would ask */
    const char *record[] = {"--fps", "240", "--frames", "45", "--record", rec, NULL};
    assert_int_equal(run(&f, &f.host, record), 0);
    exit_checksum(&f.host, recorded, sizeof(recorded));
    harness_host h;
    const char *replay[] = {"--fps", "0", "--replay", rec, "--expect-checksum", recorded, NULL};
    assert_int_equal(run(&f, &h, replay), 0);
    exit_checksum(&h, replayed, sizeof(replayed));
    assert_string_equal(replayed, recorded);
    assert_int_equal(field(harness_event(&h, "exit", NULL, 0), "frames"), 45);

    char out[LINE];
    const char *wrong[] = {harness_host_path(), "--headless", "--fps", "0", "--replay", rec, "--expect-checksum",
                           "0123456789abcdef", f.game.lib, NULL};
    assert_int_equal(harness_run(wrong, out, sizeof(out)), 5);
    expect_in(out, "not the expected 0123456789abcdef");
    fixture_end(&f);
}

/* ---- bad files ------------------------------------------------------------------------------ */

static bool write_bytes(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    bool ok = fp && fwrite(data, 1, n, fp) == n;
    return fp && fclose(fp) == 0 && ok;
}

/* The host refuses a file (args: the flag, the path, more options) with one line naming `why`, and
 * never runs the game's init or update. */
static void assert_refused(fixture *f, const char *const *args, const char *why)
{
    char out[LINE];
    const char *argv[16] = {harness_host_path(), "--headless", "--fps", "0", "--frames", "3"};
    int n = 6;
    for (; *args; args++) argv[n++] = *args;
    argv[n++] = f->game.lib;
    argv[n] = NULL;
    assert_int_not_equal(harness_run(argv, out, sizeof(out)), 0);
    expect_in(out, "refused, nothing loaded");
    expect_in(out, why);
    assert_null(strstr(out, "timeline frame="));
    const char *nl = strchr(out, '\n');
    if (!nl || nl[1]) fail_msg("not one line: %s", out);
}

/* Writes `name` in the fixture's folder: the n first bytes of data, with `patch` at `at` (size 4). */
static void write_variant(fixture *f, const char *name, const char *data, size_t n, size_t at, uint32_t patch, char *path,
                          size_t cap)
{
    path_in(f, name, path, cap);
    char *copy = malloc(n);
    memcpy(copy, data, n);
    if (at) memcpy(copy + at, &patch, 4);
    assert_true(write_bytes(path, copy, n));
    free(copy);
}

/* Every kind of bad file, state (flag --load-state) or recording (--replay), made from a good one. */
static void assert_bad_files_refused(fixture *f, const char *flag, const char *good)
{
    size_t n;
    char *data = harness_read(good, &n);
    assert_non_null(data);
    char path[HARNESS_PATH + 64];
    write_variant(f, "truncated", data, n / 2, 0, 0, path, sizeof(path));
    assert_refused(f, (const char *[]){flag, path, NULL}, "truncated");
    write_variant(f, "foreign", "not a state at all, nor a recording", 36, 0, 0, path, sizeof(path));
    assert_refused(f, (const char *[]){flag, path, NULL}, "not a hotblock");
    write_variant(f, "abi", data, n, 16, 9999, path, sizeof(path)); /* the header's game_abi */
    assert_refused(f, (const char *[]){flag, path, NULL}, "ABI 9999");
    assert_refused(f, (const char *[]){flag, good, "--base", "0x300000000000", NULL}, "--base 0x200000000000");
    free(data);
}

static void test_bad_state_files_and_recordings_are_refused(void **unused)
{
    fixture f;
    fixture_start(&f);
    char state[HARNESS_PATH + 32], rec[HARNESS_PATH + 32];
    path_in(&f, "good.state", state, sizeof(state));
    path_in(&f, "good.rec", rec, sizeof(rec));
    const char *save[] = {"--fps", "0", "--frames", "10", "--save-state", state, "--record", rec, NULL};
    assert_int_equal(run(&f, &f.host, save), 0);
    assert_bad_files_refused(&f, "--load-state", state);
    assert_bad_files_refused(&f, "--replay", rec);
    fixture_end(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_live_loop_replays_each_pass_on_the_newest_code),
        cmocka_unit_test(test_a_crash_offers_the_checkpoint_before_it),
        cmocka_unit_test(test_an_offer_not_taken_lapses),
        cmocka_unit_test(test_an_offer_lapses_when_a_live_loop_begins),
        cmocka_unit_test(test_a_rewind_after_a_lapse_leaves_the_pages_the_heap_took_again),
        cmocka_unit_test(test_the_game_asks_for_a_rewind),
        cmocka_unit_test(test_checkpoints_stop_the_games_threads),
        cmocka_unit_test(test_leaks_are_the_games_with_checkpoints_live),
        cmocka_unit_test(test_a_saved_state_survives_kill_9_and_goes_on_in_a_new_host),
        cmocka_unit_test(test_a_state_from_an_older_build_migrates),
        cmocka_unit_test(test_a_recording_replays_to_the_same_checksum),
        cmocka_unit_test(test_bad_state_files_and_recordings_are_refused),
    };
    return harness_finish(cmocka_run_group_tests_name("integration: timeline", tests, NULL, NULL));
}
