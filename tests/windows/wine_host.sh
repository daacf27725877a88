# wine_host.sh - what the Wine tests that drive one host.exe run share (sourced after cmocka.sh):
# the engine's folders, Wine's environment, a private work folder, and polling the host's event
# log. The sourcing script sets WAIT_S (how long to wait for anything) and may set HOST_PID, EV.
#
#   source "$HERE/wine_host.sh" NAME     # WORK=/tmp/test-windows-NAME.XXXXXX, removed at exit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=deps.sh
source "$HERE/deps.sh" "$ROOT/build/win/deps" 2>/dev/null # WINEPREFIX & co. (cached: 0.05 s)

HOST_EXE="$ROOT/build/win/host.exe"
WORK=$(mktemp -d "/tmp/test-windows-$1.XXXXXX")
EV="$WORK/events.jsonl"
OUT="$WORK/host.out"
HOST_PID=

winpath() { printf 'Z:%s' "${1//\//\\}"; } # Wine maps Z: to /

host_alive() { kill -0 "$HOST_PID" 2>/dev/null; }

# Polls a command every 0.1 s for up to WAIT_S seconds; once the host has died, one last look.
wait_for() {
  local i
  for ((i = 0; i < WAIT_S * 10; i++)); do
    "$@" && return 0
    if [ -n "$HOST_PID" ] && ! host_alive; then "$@"; return; fi
    sleep 0.1
  done
  return 1
}

count() { local n; n=$(grep -c "\"event\":\"$1\"" "$EV" 2>/dev/null); printf '%s' "${n:-0}"; }
at_least() { [ "$(count "$1")" -ge "$2" ]; } # NAME N
# The game in $GAME built the way a user does, while the host runs: a lock, a temporary name, a rename.
rebuild() { "$ROOT/build.sh" windows game "$GAME" >"$WORK/build.log" 2>&1; }
tail_of() { tail -n "${2:-3}" "$1" 2>/dev/null; } # a file's last lines for a message, if it exists yet
