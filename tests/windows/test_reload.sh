#!/usr/bin/env bash
# test_reload.sh - the Windows host under Wine against a real game.dll that the real build path
# (./build.sh windows game DIR: a lock file, a temporary name, a rename) rebuilds while the host
# runs. One host run, one scenario, asserted on the host's event log: the fixed block, reloads that
# keep the root and the state, refused and held builds, crashes of every kind survived by rolling
# back, and a clean exit that removes the library copies. Needs ./build.sh windows first
# (./build.sh test-windows runs both). The game is tests/games/crashy, edited in a private copy.
set -uo pipefail

SCENARIO=reload SOURCE=crashy.c TICK="crashy tick"
# shellcheck source=scenario.sh
source "$(dirname "${BASH_SOURCE[0]}")/scenario.sh"

# Rebuilds with CRASHY_MODE and CRASHY_MARK set, then waits for the crash event it causes.
crash_build() { # MODE MARK
  local crashes; crashes=$(count crash)
  set_define CRASHY_MODE "$1"
  set_define CRASHY_MARK "$2"
  t_check "the build of mark $2 failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  t_check "no crash event for $1 within $WAIT_S s: $(tail_of "$OUT" 2)" wait_for at_least crash $((crashes + 1)) || return 1
  CRASH=$(grep '"event":"crash"' "$EV" | tail -n 1)
  t_check "the host died after $1: $(tail_of "$OUT")" host_alive || return 1
}

# The crash was reported, the fallback build (mark 2) runs again on the same root, and the state
# kept counting.
survived() { # SIGNAL
  t_check "crash signal is not $1: $CRASH" [ "$(field "$CRASH" signal)" = "$1" ] || return 1
  t_check "crash hook is not update: $CRASH" [ "$(field "$CRASH" hook)" = update ] || return 1
  t_check "no rollback after the crash: $CRASH" [ "$(field "$CRASH" action)" = rollback ] || return 1
  t_check "no tick of the fallback (mark 2) at root $ROOT_PTR: $(last_tick)" tick_with_mark 2 || return 1
}

# ---- the scenario ----------------------------------------------------------------------------------

host_reserves_the_fixed_block_and_loads_game_dll() {
  mkdir -p "$GAME" && cp "$ROOT/tests/games/crashy/crashy.c" "$GAME/"
  t_check "./build.sh windows game failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  t_check "no $HOST_EXE: run ./build.sh windows first" [ -f "$HOST_EXE" ] || return 1
  touch "$WORK/started"
  (cd "$ROOT/build/win" && exec wine "$HOST_EXE" --headless --fps 60 --events "$(winpath "$EV")" "$(winpath "$LIB")" \
    >"$OUT" 2>&1 </dev/null) &
  HOST_PID=$!
  t_check "no load event within $WAIT_S s: $(tail_of "$OUT")" wait_for at_least load 1 || return 1
  t_check "the block is not at 0x200000000000: $(event_line start base)" has_event start '"base":"0x200000000000"' || return 1
  t_check "no init log" wait_for has_event log 'crashy init root=' || return 1
  ROOT_PTR=$(field "$(event_line log 'crashy init')" root)
  local root=$((16#${ROOT_PTR#0x}))
  t_check "root $ROOT_PTR is not inside the block" [ $root -ge $((0x200000000000)) -a $root -lt $((0x200000000000 + (64 << 30))) ] ||
    return 1
  t_check "no tick of build 1" tick_with_mark 1 || return 1
}

copies_live_in_a_folder_only_the_user_may_enter() {
  local copy dir
  copy=$(find "$WINEPREFIX/drive_c" -path '*/hotreload-*/game.*.dll' -newer "$WORK/started" 2>/dev/null | head -n 1)
  t_check "no library copy in a hotreload-* folder of the Wine temp folder" [ -n "$copy" ] || return 1
  COPY_DIR=$(dirname "$copy")
  # Wine keeps no DACL: it turns the user-only one into the folder's mode, 0750 (nothing for others)
  local mode; mode=$(stat -c %a "$COPY_DIR")
  t_check "$COPY_DIR has mode $mode: others may enter" [ $((8#$mode & 8#007)) = 0 ] || return 1
  t_check "the load event does not name the library" has_event load 'game.dll' || return 1
}

a_rebuild_while_running_reloads_with_the_same_root() {
  local before; before=$(field "$(last_tick)" counter)
  set_define CRASHY_MARK 2
  t_check "rebuild failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  t_check "no reload event within $WAIT_S s: $(tail_of "$OUT")" wait_for at_least reload 1 || return 1
  local reloaded; reloaded=$(event_line log 'crashy reloaded')
  t_check "no 'reloaded' log from the new build" [ -n "$reloaded" ] || return 1
  t_check "the root moved: $reloaded" [ "$(field "$reloaded" root)" = "$ROOT_PTR" ] || return 1
  t_check "the reloaded build is not mark 2: $reloaded" [ "$(field "$reloaded" mark)" = 2 ] || return 1
  t_check "the counter went back: $before -> $(field "$reloaded" counter)" [ "$(field "$reloaded" counter)" -ge "$before" ] || return 1
  t_check "the registry lost crashy_step: $reloaded" [ "$(field "$reloaded" step)" = 1 ] || return 1
  t_check "no tick of build 2" tick_with_mark 2 || return 1
}

one_copy() { [ "$(ls "$COPY_DIR" | wc -l)" = 1 ]; }

the_old_copy_is_unloaded_and_deleted() {
  t_check "a copy stayed loaded: $(event_line warning 'still loaded')" [ -z "$(event_line warning 'still loaded')" ] || return 1
  t_check "the copies folder holds $(ls "$COPY_DIR" | tr '\n' ' ')" wait_for one_copy || return 1
}

a_truncated_library_is_refused_and_build_2_keeps_running() {
  head -c $(($(stat -c %s "$LIB") / 2)) "$LIB" >"$LIB.half" && mv -f "$LIB.half" "$LIB"
  t_check "no reload_failed for the truncated library" wait_for has_event reload_failed 'truncated' || return 1
  t_check "build 2 stopped" tick_with_mark 2 || return 1
}

a_build_that_does_not_compile_leaves_the_host_alone() {
  local reloads failures built=0; reloads=$(count reload); failures=$(count reload_failed)
  sed -i 's/^static uint64_t crashy_step(void)/& this does not compile/' "$GAME/crashy.c"
  rebuild && built=1
  sed -i 's/ this does not compile//' "$GAME/crashy.c"
  t_check "the broken build succeeded" [ $built = 0 ] || return 1
  t_check "the failed build said nothing clear: $(tail_of "$WORK/build.log" 1)" grep -q "windows game build failed" "$WORK/build.log" || return 1
  t_check "the failed build left its lock" [ ! -e "$LIB.lock" ] || return 1
  t_check "build 2 stopped" tick_with_mark 2 || return 1
  t_check "the failed build was loaded" [ "$(count reload)" = "$reloads" -a "$(count reload_failed)" = "$failures" ] || return 1
  t_check "rebuild of build 2 failed" rebuild || return 1 # a whole library again, for the next steps
  t_check "no reload of the rebuilt build 2" wait_for at_least reload $((reloads + 1)) || return 1
}

a_library_is_not_loaded_while_its_build_holds_the_lock() {
  local reloads; reloads=$(count reload)
  echo 1 >"$GAME/build/game.dll.lock"
  { cat "$LIB"; printf 'trailer %s\n' "$RANDOM"; } >"$LIB.tmp" && mv -f "$LIB.tmp" "$LIB"
  sleep 1.5 # the host sees the change at once; it must wait for the lock
  t_check "loaded while the lock was held" [ "$(count reload)" = "$reloads" ] || return 1
  rm -f "$GAME/build/game.dll.lock"
  t_check "not loaded after the lock went" wait_for at_least reload $((reloads + 1)) || return 1
}

an_access_violation_is_survived() {
  crash_build CRASHY_SEGV 3 || return 1
  survived EXCEPTION_ACCESS_VIOLATION || return 1
  t_check "the crash is not placed in crashy_segv: $CRASH" grep -q 'crashy_segv' <<<"$CRASH" || return 1
  # a MinGW build's DWARF, read by DbgHelp, gives the source line
  t_check "the crash names no crashy.c line: $CRASH" grep -Eq '"location":"crashy_segv[^"]*crashy\.c:[0-9]+' <<<"$CRASH" || return 1
}

an_abort_is_survived() {
  crash_build CRASHY_ABORT 4 || return 1
  survived SIGABRT || return 1
}

a_stack_overflow_is_survived() {
  crash_build CRASHY_RECURSE 5 || return 1
  survived EXCEPTION_STACK_OVERFLOW || return 1
  t_check "not reported as a stack overflow: $CRASH" [ "$(field "$CRASH" what)" = "stack overflow" ] || return 1
}

an_illegal_instruction_is_survived() {
  crash_build CRASHY_TRAP 6 || return 1
  survived EXCEPTION_ILLEGAL_INSTRUCTION || return 1
}

an_exhausted_arena_is_survived_and_named() {
  crash_build CRASHY_ARENA 7 || return 1
  survived SIGABRT || return 1
  t_check "the crash does not name the exhausted arena: $CRASH" grep -q '"exhausted":"arena' <<<"$CRASH" || return 1
}

quits_cleanly_and_removes_its_copies() {
  set_define CRASHY_MODE CRASHY_NONE
  set_define CRASHY_MARK 8
  sed -i 's/    return GAME_CONTINUE;/    return s->updates > 0 ? GAME_QUIT : GAME_CONTINUE;/' "$GAME/crashy.c"
  t_check "rebuild failed" rebuild || return 1
  t_check "no exit event within $WAIT_S s: $(tail_of "$OUT")" wait_for at_least exit 1 || return 1
  local rc=0
  wait "$HOST_PID" || rc=$?
  HOST_PID=
  # the game crashed (and was rolled back) during the run: exit status 3
  t_check "the host exited with $rc, not 3: $(tail_of "$OUT")" [ $rc = 3 ] || return 1
  t_check "the copies folder is still there: $COPY_DIR" [ ! -e "$COPY_DIR" ] || return 1
}

t_run host_reserves_the_fixed_block_and_loads_game_dll
t_run copies_live_in_a_folder_only_the_user_may_enter
t_run a_rebuild_while_running_reloads_with_the_same_root
t_run the_old_copy_is_unloaded_and_deleted
t_run a_truncated_library_is_refused_and_build_2_keeps_running
t_run a_build_that_does_not_compile_leaves_the_host_alone
t_run a_library_is_not_loaded_while_its_build_holds_the_lock
t_run an_access_violation_is_survived
t_run an_abort_is_survived
t_run a_stack_overflow_is_survived
t_run an_illegal_instruction_is_survived
t_run an_exhausted_arena_is_survived_and_named
t_run quits_cleanly_and_removes_its_copies
t_summary
