#!/usr/bin/env bash
# build.sh - build this game with the hot-reload engine (Linux/macOS).
#
#   ./build.sh                  rebuild build/libgame.so; run it while the host is open to hot reload
#   ./build.sh run [--opts...]  build the host and this game, then run it (options go to the host)
#   ./build.sh release          one executable with the game linked in (build/game)
#
# The engine is $ENGINE_DIR if set, else the first folder holding build.sh, host/api/game_api.h and
# arena/arena.h among: this folder's parent, its grandparent and their subfolders, then every
# folder further up. So a copy inside the engine (engine/games/mygame) or beside it
# (~/code/mygame next to ~/code/engine) finds it; anywhere else, set ENGINE_DIR.
set -euo pipefail

GAME_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

cmd="${1:-game}"
[ $# -gt 0 ] && shift
case "$cmd" in
  game|run|release) ;;
  help|-h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "build.sh: unknown command '$cmd'; commands: game (the default), run, release, help" >&2; exit 1 ;;
esac

# ---- find the engine ------------------------------------------------------------------------------

is_engine() { [ -f "$1/build.sh" ] && [ -f "$1/host/api/game_api.h" ] && [ -f "$1/arena/arena.h" ]; }

# Prints the engine folder, or nothing.
find_engine() {
  local dir parent level=0
  dir="$(dirname "$GAME_DIR")"
  while :; do
    if is_engine "$dir"; then printf '%s' "$dir"; return; fi
    if [ $level -lt 2 ]; then # subfolders only near this folder, so a far-off checkout is never picked
      for child in "$dir"/*/; do
        child="${child%/}"
        [ "$child" != "$GAME_DIR" ] && is_engine "$child" && { printf '%s' "$child"; return; }
      done
    fi
    parent="$(dirname "$dir")"
    [ "$parent" = "$dir" ] && return
    dir="$parent"
    level=$((level + 1))
  done
}

if [ -n "${ENGINE_DIR:-}" ]; then
  is_engine "$ENGINE_DIR" || {
    echo "build.sh: ENGINE_DIR=$ENGINE_DIR is not the engine (it needs build.sh, host/api/game_api.h and arena/arena.h); point ENGINE_DIR at the engine checkout" >&2
    exit 1
  }
  ENGINE_DIR="$(cd "$ENGINE_DIR" && pwd)"
else
  ENGINE_DIR="$(find_engine)"
  [ -n "$ENGINE_DIR" ] || {
    echo "build.sh: cannot find the engine (a folder with build.sh, host/api/game_api.h and arena/arena.h) in $(dirname "$GAME_DIR"), $(dirname "$(dirname "$GAME_DIR")"), their subfolders or any folder above; run: ENGINE_DIR=/path/to/engine ./build.sh" >&2
    exit 1
  }
  echo "build.sh: engine found at $ENGINE_DIR (set ENGINE_DIR to choose another)"
fi

# ---- build: the engine's build.sh does the work (a lock file and a rename, never the host) --------

case "$cmd" in
  game)    exec "$ENGINE_DIR/build.sh" game "$GAME_DIR" ;;
  run)     exec "$ENGINE_DIR/build.sh" run "$GAME_DIR" "$@" ;;
  release) exec "$ENGINE_DIR/build.sh" release "$GAME_DIR" ;;
esac
