#!/usr/bin/env bash
# test_probe.sh - the Windows host under Wine against real game.dll builds (tests/games/ctor, built by
# ./build.sh windows game DIR) whose DllMain or entry point goes wrong: each is run first in a probe
# process (host.exe in probe mode, started with CreateProcess) and refused - an access violation,
# abort(), a stack overflow, a DllMain that never returns, exit(0) in DllMain, a game_get_api that
# never returns - while the old build runs on with its state; the next good build runs; a bad first
# build is one line and exit 1. Needs ./build.sh windows first (./build.sh test-windows runs both).
set -uo pipefail

SCENARIO=probe SOURCE=ctor.c TICK="ctor tick" WAIT_S=40 # a probe process per build: Wine starts each one
# shellcheck source=scenario.sh
source "$(dirname "${BASH_SOURCE[0]}")/scenario.sh"

# ---- the scenario ----------------------------------------------------------------------------------

the_host_runs_a_good_build() {
  mkdir -p "$GAME" && cp "$ROOT/tests/games/ctor/ctor.c" "$GAME/"
  t_check "./build.sh windows game failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  t_check "no $HOST_EXE: run ./build.sh windows first" [ -f "$HOST_EXE" ] || return 1
  (cd "$ROOT/build/win" && exec wine "$HOST_EXE" --headless --fps 60 --probe-timeout 2 --events "$(winpath "$EV")" \
    "$(winpath "$LIB")" >"$OUT" 2>&1 </dev/null) &
  HOST_PID=$!
  t_check "no load event within $WAIT_S s: $(tail_of "$OUT")" wait_for at_least load 1 || return 1
  t_check "no tick" wait_for at_least log 1 || return 1
  ROOT_PTR=$(field "$(last_tick)" root)
  t_check "no tick of build 1" tick_with_mark 1 || return 1
}

# Rebuilds in MODE as build MARK; the build is refused with REASON and build 1 runs on.
refused() { # MODE MARK REASON
  local failures; failures=$(count reload_failed)
  set_define CTOR_MODE "$1"
  set_define CTOR_MARK "$2"
  t_check "the build of mark $2 failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  t_check "no reload_failed for $1 within $WAIT_S s: $(tail_of "$OUT" 2)" wait_for at_least reload_failed $((failures + 1)) || return 1
  local line; line=$(grep '"event":"reload_failed"' "$EV" | tail -n 1)
  t_check "the host died after $1: $(tail_of "$OUT")" host_alive || return 1
  t_check "not '$3': $line" grep -qF -- "$3" <<<"$line" || return 1
  t_check "build 1 stopped, or its state moved" tick_with_mark 1 || return 1
}

an_access_violation_in_dllmain_is_refused() {
  refused CTOR_SEGV 2 "library constructor crashed: EXCEPTION_ACCESS_VIOLATION (invalid memory access) in ctor_segv+"
}
an_abort_in_dllmain_is_refused() { refused CTOR_ABORT 3 "library constructor crashed: SIGABRT (abort() called)"; }
a_stack_overflow_in_dllmain_is_refused() {
  refused CTOR_RECURSE 4 "library constructor crashed: stack overflow (EXCEPTION_STACK_OVERFLOW)"
}
a_dllmain_that_never_returns_is_refused() { refused CTOR_LOOP 5 "library constructor did not finish in 2 s"; }
an_exit_in_dllmain_is_refused() { refused CTOR_EXIT 6 "library constructor ended the process (exit status 0)"; }
a_game_get_api_that_never_returns_is_refused() { refused CTOR_ENTRY_LOOP 7 "game_get_api did not finish in 2 s"; }

the_next_good_build_runs_with_the_state() {
  local reloads; reloads=$(count reload)
  set_define CTOR_MODE CTOR_NONE
  set_define CTOR_MARK 8
  t_check "the good build failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  t_check "no reload of the good build: $(tail_of "$OUT")" wait_for at_least reload $((reloads + 1)) || return 1
  t_check "no probe_ms in the reload event" grep -q '"probe_ms":' <(grep '"event":"reload"' "$EV") || return 1
  t_check "no tick of build 8 at the first root" tick_with_mark 8 || return 1
  kill "$HOST_PID" 2>/dev/null
  wait "$HOST_PID" 2>/dev/null
  HOST_PID=
}

a_bad_first_build_is_one_line_and_exit_1() {
  set_define CTOR_MODE CTOR_SEGV
  t_check "the bad build failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  local rc=0
  (cd "$ROOT/build/win" && wine "$HOST_EXE" --headless --frames 10 "$(winpath "$LIB")" >"$WORK/first.out" 2>&1 </dev/null) || rc=$?
  tr -d '\r' <"$WORK/first.out" | grep -v ':fixme:' >"$WORK/first.txt"
  t_check "exit $rc, not 1: $(tail_of "$WORK/first.txt")" [ $rc = 1 ] || return 1
  t_check "not one line: $(cat "$WORK/first.txt")" [ "$(wc -l <"$WORK/first.txt")" = 1 ] || return 1
  t_check "no reason: $(cat "$WORK/first.txt")" grep -qF "library constructor crashed: EXCEPTION_ACCESS_VIOLATION" "$WORK/first.txt" || return 1
}

t_run the_host_runs_a_good_build
t_run an_access_violation_in_dllmain_is_refused
t_run an_abort_in_dllmain_is_refused
t_run a_stack_overflow_in_dllmain_is_refused
t_run a_dllmain_that_never_returns_is_refused
t_run an_exit_in_dllmain_is_refused
t_run a_game_get_api_that_never_returns_is_refused
t_run the_next_good_build_runs_with_the_state
t_run a_bad_first_build_is_one_line_and_exit_1
t_summary
