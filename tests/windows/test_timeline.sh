#!/usr/bin/env bash
# test_timeline.sh - checkpoints, state files and recordings of the Windows host under Wine, with
# the dirty pages from GetWriteWatch (the block reserved with MEM_WRITE_WATCH): the timeline test
# game (tests/games/timeline) built by the real build path; headless runs, asserted on their event
# logs: a state saved in one run goes on in the next with the checksum of a run that never stopped
# (and is refused when cut short); the game asks for a rewind and the frame it goes back to starts
# from the same state again; a recording replays to the same checksum, and --expect-checksum exits
# 5 on another. Needs ./build.sh windows first (./build.sh test-windows runs both).
set -uo pipefail

# shellcheck source=cmocka.sh
source "$(dirname "${BASH_SOURCE[0]}")/cmocka.sh"
# shellcheck source=wine_host.sh
source "$(dirname "${BASH_SOURCE[0]}")/wine_host.sh" timeline # ROOT, Wine, WORK, winpath, rebuild, tail_of
GAME="$WORK/game"
LIB="$GAME/build/game.dll"
trap 'rm -rf "$WORK"' EXIT

lacks() { ! grep -q "$@"; }

# Runs the host to its end: host NAME [ARGS...]; its events in $WORK/NAME.jsonl, its output in
# $WORK/NAME.out, its exit status in RC.
host() {
  local name="$1"; shift
  RC=0
  (cd "$ROOT/build/win" && exec wine "$HOST_EXE" --headless --fps 0 --events "$(winpath "$WORK/$name.jsonl")" "$@" \
    "$(winpath "$LIB")" >"$WORK/$name.out" 2>&1 </dev/null) || RC=$?
}

# The value of "key":"value" / "key":123 in the first event named $2 of run $1.
event_field() { # RUN EVENT KEY
  grep "\"event\":\"$2\"" "$WORK/$1.jsonl" 2>/dev/null | head -n 1 | grep -oE "\"$3\":(\"[^\"]*\"|[0-9]+)" |
    head -n 1 | cut -d: -f2 | tr -d '"'
}
# "digest=... where=..." of the game's report of frame $2 in run $1, the n-th ($3, 1-based) time.
report() { # RUN FRAME N
  grep -o "timeline frame=$2 [^\"]*" "$WORK/$1.jsonl" | sed -n "${3}p" | grep -oE '(digest|where)=[0-9a-f]+' | tr '\n' ' '
}

the_timeline_game_builds_for_windows() {
  mkdir -p "$GAME" && cp "$ROOT/tests/games/timeline/timeline.c" "$GAME/"
  t_check "./build.sh windows game failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  t_check "no $HOST_EXE: run ./build.sh windows first" [ -f "$HOST_EXE" ] || return 1
}

a_saved_state_goes_on_in_a_new_host() {
  host saved --frames 40 --save-state "$(winpath "$WORK/game.state")"
  t_check "the saving run exited with $RC: $(tail_of "$WORK/saved.out")" [ $RC = 0 ] || return 1
  t_check "no state_saved event" [ -n "$(event_field saved state_saved bytes)" ] || return 1
  t_check "not GetWriteWatch: $(grep -o '"dirty_pages":"[a-z_]*"' "$WORK/saved.jsonl")" \
    grep -q '"dirty_pages":"write_watch"' "$WORK/saved.jsonl" || return 1
  host loaded --frames 25 --load-state "$(winpath "$WORK/game.state")"
  t_check "the loading run exited with $RC: $(tail_of "$WORK/loaded.out")" [ $RC = 0 ] || return 1
  t_check "no state_loaded to frame 40" [ "$(event_field loaded state_loaded to_frame)" = 40 ] || return 1
  host straight --frames 65
  local want got; want=$(event_field straight exit checksum); got=$(event_field loaded exit checksum)
  t_check "loaded and went on to $got, a straight run to $want" [ -n "$want" -a "$got" = "$want" ] || return 1
  t_check "frame 40 did not start from the saved state" [ "$(report loaded 40 1)" = "$(report straight 40 1)" ] || return 1
}

a_cut_state_is_refused_with_one_line() {
  head -c 300 "$WORK/game.state" >"$WORK/cut.state"
  host cut --frames 5 --load-state "$(winpath "$WORK/cut.state")"
  t_check "a cut state ran (status $RC)" [ $RC != 0 ] || return 1
  t_check "no refusal line: $(tail_of "$WORK/cut.out")" grep -q 'refused, nothing loaded: truncated' "$WORK/cut.out" || return 1
  t_check "the game ran on a refused state" lacks 'timeline frame=' "$WORK/cut.jsonl" || return 1
}

the_game_asks_for_a_rewind() {
  sed -i 's/^#define TIMELINE_REWIND_AT 0 /#define TIMELINE_REWIND_AT 60 /' "$GAME/timeline.c"
  t_check "rebuild failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  host rewind --frames 100 --rewind 1 --rewind-every 10
  t_check "the rewinding run exited with $RC: $(tail_of "$WORK/rewind.out")" [ $RC = 0 ] || return 1
  t_check "no restore to frame 30: $(grep '"restore"' "$WORK/rewind.jsonl")" [ "$(event_field rewind restore to_frame)" = 30 ] || return 1
  local first again; first=$(report rewind 30 1); again=$(report rewind 30 2)
  t_check "frame 30 started from another state after the rewind: $first / $again" [ -n "$first" -a "$first" = "$again" ] ||
    return 1
  sed -i 's/^#define TIMELINE_REWIND_AT 60 /#define TIMELINE_REWIND_AT 0 /' "$GAME/timeline.c"
  t_check "rebuild failed: $(tail_of "$WORK/build.log")" rebuild || return 1
}

a_recording_replays_to_its_checksum() {
  host recorded --frames 30 --record "$(winpath "$WORK/run.rec")"
  local want; want=$(event_field recorded exit checksum)
  host replayed --replay "$(winpath "$WORK/run.rec")" --expect-checksum "$want"
  t_check "the replay exited with $RC: $(tail_of "$WORK/replayed.out")" [ $RC = 0 ] || return 1
  t_check "the replay ended with $(event_field replayed exit checksum), not $want" \
    [ "$(event_field replayed exit checksum)" = "$want" ] || return 1
  host wrong --replay "$(winpath "$WORK/run.rec")" --expect-checksum 0123456789abcdef
  t_check "a wrong checksum exited with $RC" [ $RC = 5 ] || return 1
}

t_run the_timeline_game_builds_for_windows
t_run a_saved_state_goes_on_in_a_new_host
t_run a_cut_state_is_refused_with_one_line
t_run the_game_asks_for_a_rewind
t_run a_recording_replays_to_its_checksum
t_summary
