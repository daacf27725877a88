#!/usr/bin/env bash
# test_window.sh - the Windows host in a window under Wine: host.exe (MinGW, SDL2.dll built by
# deps.sh) runs game_template in a window that Wine's X11 driver puts on an Xvfb started here (SDL's
# windows video driver, its dummy audio driver). One host run, asserted on its event log and on the
# X server: the window is there, a rebuild (./build.sh windows game DIR) reloads with the state
# kept, a build that crashes in update is rolled back and the window keeps drawing (F12 saves a
# PNG of it), and Esc quits cleanly. Needs ./build.sh windows first.
set -uo pipefail

# shellcheck source=cmocka.sh
source "$(dirname "${BASH_SOURCE[0]}")/cmocka.sh"
# shellcheck source=wine_host.sh
source "$(dirname "${BASH_SOURCE[0]}")/wine_host.sh" window # HERE, ROOT, Wine, WORK, EV, OUT, wait_for, count
GAME="$WORK/game"
XVFB_PID= DISPLAY_NAME=
WAIT_S=60 # Wine and its first window are slow to start; nothing here is timed, only waited for

cleanup() {
  [ -n "$HOST_PID" ] && kill -9 "$HOST_PID" 2>/dev/null
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

last_event() { grep "\"event\":\"$1\"" "$EV" 2>/dev/null | tail -n 1; }
x() { DISPLAY="$DISPLAY_NAME" "$@"; }

# Xvfb on the first free display of HOTBLOCK_DISPLAYS ("40-49"), else on one it picks itself.
start_xvfb() {
  local range="${HOTBLOCK_DISPLAYS:-}" n
  if [ -z "$range" ]; then
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$WORK/display" >/dev/null 2>&1 &
    XVFB_PID=$!
    wait_for test -s "$WORK/display" && DISPLAY_NAME=":$(head -n 1 "$WORK/display")"
    return
  fi
  for ((n = ${range%-*}; n <= ${range#*-}; n++)); do
    [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ] && continue
    Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    XVFB_PID=$!
    wait_for test -e "/tmp/.X11-unix/X$n" && kill -0 "$XVFB_PID" 2>/dev/null && { DISPLAY_NAME=":$n"; return 0; }
  done
  return 1
}

# ---- the scenario ----------------------------------------------------------------------------------

the_windowed_host_starts_under_xvfb() {
  t_check "no X server: Xvfb did not start" start_xvfb || return 1
  mkdir -p "$GAME" && cp "$ROOT/game_template/"*.c "$ROOT/game_template/"*.h "$GAME/"
  t_check "./build.sh windows game failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  t_check "no $HOST_EXE: run ./build.sh windows first" [ -f "$HOST_EXE" ] || return 1
  (cd "$WORK" && DISPLAY="$DISPLAY_NAME" SDL_AUDIODRIVER=dummy exec wine "$HOST_EXE" --fps 60 --events "$(winpath "$EV")" \
    "$(winpath "$GAME/build/game.dll")" >"$OUT" 2>&1 </dev/null) &
  HOST_PID=$!
  t_check "no load event within $WAIT_S s: $(tail_of "$OUT")" wait_for at_least load 1 || return 1
  t_check "no window named hotblock on $DISPLAY_NAME" wait_for x xdotool search --name hotblock >/dev/null || return 1
  WINDOW=$(x xdotool search --name hotblock | head -n 1)
}

a_rebuild_reloads_in_the_window_with_the_state_kept() {
  sed -i 's/^#define SNAKE_COLOR_BODY .*/#define SNAKE_COLOR_BODY 0xb2337b/' "$GAME/snake.h"
  t_check "rebuild failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  t_check "no reload event within $WAIT_S s: $(tail_of "$OUT")" wait_for at_least reload 1 || return 1
  t_check "no 'state kept' from the new build" wait_for grep -q 'reloaded: state kept (reload 1)' "$EV" || return 1
}

a_crash_in_update_is_rolled_back_and_the_window_keeps_drawing() {
  local crashes; crashes=$(count crash)
  sed -i 's/^    if (!s->started) snake_start(s, host, in);/    if (SNAKE_SPEED > 0) *(volatile int *)0 = 1;\n&/' "$GAME/snake.c"
  t_check "the crashing build failed: $(tail_of "$WORK/build.log")" rebuild || return 1
  t_check "no crash event within $WAIT_S s: $(tail_of "$OUT")" wait_for at_least crash $((crashes + 1)) || return 1
  local crash; crash=$(last_event crash)
  t_check "not an access violation: $crash" grep -qF '"signal":"EXCEPTION_ACCESS_VIOLATION"' <<<"$crash" || return 1
  t_check "not in update: $crash" grep -qF '"hook":"update"' <<<"$crash" || return 1
  t_check "not rolled back: $crash" grep -q '"action":"rollback"' <<<"$crash" || return 1
  t_check "the host died after the crash: $(tail_of "$OUT")" host_alive || return 1
  x xdotool windowfocus "$WINDOW" >/dev/null 2>&1
  sleep 0.5
  x xdotool key F12
  t_check "no screenshot event after F12 in the window: $(tail_of "$OUT")" wait_for at_least screenshot 1 || return 1
  local png; png="$WORK/$(last_event screenshot | grep -oE '"path":"[^"]+"' | cut -d'"' -f4)"
  t_check "the screenshot $png is not a PNG" [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || return 1
  t_check "the crash was not survived: a second crash" [ "$(count crash)" = $((crashes + 1)) ] || return 1
}

esc_quits_cleanly() {
  x xdotool windowfocus "$WINDOW" >/dev/null 2>&1
  x xdotool key Escape
  t_check "no exit event within $WAIT_S s after Esc: $(tail_of "$OUT")" wait_for at_least exit 1 || return 1
  local rc=0
  wait "$HOST_PID" || rc=$?
  HOST_PID=
  # the run had a crash (rolled back): exit status 3 says so to a script
  t_check "the host exited with $rc, not 3 (a crash during the run): $(tail_of "$OUT")" [ $rc = 3 ] || return 1
}

t_run the_windowed_host_starts_under_xvfb
t_run a_rebuild_reloads_in_the_window_with_the_state_kept
t_run a_crash_in_update_is_rolled_back_and_the_window_keeps_drawing
t_run esc_quits_cleanly
t_summary
