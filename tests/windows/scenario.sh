# scenario.sh - what the Windows scenario scripts share (sourced by test_reload.sh and test_probe.sh),
# on top of wine_host.sh: one host.exe run under Wine against a private copy of a test game, asserted on its event log.
# The script sets, before sourcing:
#   SCENARIO  a word for its temporary folder
#   SOURCE    the game's source file (in tests/games/NAME/), edited with set_define
#   TICK      the start of the game's tick log line ("crashy tick")
# and gets: WORK (removed at exit), GAME, LIB, EV, OUT, HOST_EXE, HOST_PID (killed at exit), and the
# helpers below. Nothing is timed, only waited for (up to WAIT_S seconds: Wine can be slow).

# shellcheck source=cmocka.sh
source "$(dirname "${BASH_SOURCE[0]}")/cmocka.sh"
# shellcheck source=wine_host.sh
source "$(dirname "${BASH_SOURCE[0]}")/wine_host.sh" "$SCENARIO" # HERE, ROOT, Wine, WORK, EV, OUT, wait_for, count
GAME="$WORK/game"
LIB="$GAME/build/game.dll"
WAIT_S=${WAIT_S:-30}

scenario_cleanup() {
  [ -n "$HOST_PID" ] && kill -9 "$HOST_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap scenario_cleanup EXIT

# The n-th (1-based) event line named $1 that contains $2.
event_line() { grep "\"event\":\"$1\"" "$EV" 2>/dev/null | grep -F -- "$2" | sed -n "${3:-1}p"; }
has_event() { [ -n "$(event_line "$@")" ]; }
# The value of key=value in a game log line, or of "key":"value" / "key":123 in an event line.
field() { # LINE KEY
  local v
  v=$(printf '%s' "$1" | grep -oE "[ \"]$2=[^ \"]*" | head -n 1 | cut -d= -f2)
  [ -n "$v" ] || v=$(printf '%s' "$1" | grep -oE "\"$2\":(\"[^\"]*\"|[0-9.]+)" | head -n 1 | cut -d: -f2- | tr -d '"')
  printf '%s' "$v"
}
tail_of() { tail -n "${2:-3}" "$1" 2>/dev/null; } # a file's last lines for a message, if it exists yet

last_tick() { grep "\"msg\":\"$TICK " "$EV" | tail -n 1; }
ticks() { grep -c "\"msg\":\"$TICK " "$EV"; }
# A new tick after the ones seen so far, showing build `mark` at the first root (ROOT_PTR).
tick_after() { [ "$(ticks)" -gt "$TICKS_SEEN" ] && [ "$(field "$(last_tick)" mark)" = "$TICK_MARK" ]; }
tick_with_mark() { # MARK
  TICKS_SEEN=$(ticks)
  TICK_MARK=$1
  wait_for tick_after && [ "$(field "$(last_tick)" root)" = "$ROOT_PTR" ]
}

set_define() { sed -i "s/^#define $1 .*/#define $1 $2/" "$GAME/$SOURCE"; } # NAME VALUE
