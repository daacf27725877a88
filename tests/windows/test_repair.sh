#!/usr/bin/env bash
# test_repair.sh - pointers into the old build repaired by name on Windows: the Windows host under
# Wine, tests/games/repair built as game.dll by ./build.sh windows game and rebuilt while it runs.
# The repair reads the MinGW build's COFF symbols (functions, named const objects) and its .rdata
# (string literals); the dirty pages come from the block's write watch. Needs ./build.sh windows
# first (./build.sh test-windows runs both).
set -uo pipefail

# shellcheck source=cmocka.sh
source "$(dirname "${BASH_SOURCE[0]}")/cmocka.sh"
# shellcheck source=wine_host.sh
source "$(dirname "${BASH_SOURCE[0]}")/wine_host.sh" repair # HERE, ROOT, Wine, WORK, EV, OUT, wait_for, count
GAME="$WORK/game"
LIB="$GAME/build/game.dll"
WAIT_S=60

cleanup() {
  [ -n "$HOST_PID" ] && kill -9 "$HOST_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---- helpers ---------------------------------------------------------------------------------------

has_line() { grep -qF -- "$1" "$EV" 2>/dev/null; }
event_line() { grep "\"event\":\"$1\"" "$EV" 2>/dev/null | grep -F -- "${2:-}" | sed -n "${3:-1}p"; }
build_stage() { GAME_CFLAGS="$1" "$ROOT/build.sh" windows game "$GAME" >"$WORK/build.log" 2>&1; }

# ---- the scenario ----------------------------------------------------------------------------------

the_host_tracks_written_pages_with_the_write_watch() {
  mkdir -p "$GAME" && cp "$ROOT/tests/games/repair/repair.c" "$GAME/"
  t_check "./build.sh windows game failed: $(tail_of "$WORK/build.log")" build_stage -DREPAIR_STAGE=1 || return 1
  t_check "no $HOST_EXE: run ./build.sh windows first" [ -f "$HOST_EXE" ] || return 1
  (cd "$ROOT/build/win" && exec wine "$HOST_EXE" --headless --fps 30 --events "$(winpath "$EV")" "$(winpath "$LIB")" \
    >"$OUT" 2>&1 </dev/null) &
  HOST_PID=$!
  t_check "no tick of stage 1 within $WAIT_S s: $(tail_of "$OUT")" wait_for has_line 'repair stage=1 upd=' || return 1
  t_check "the start event names no write watch: $(event_line start)" has_line '"dirty_pages":"write_watch"' || return 1
}

# Functions (arena and heap), a named const object, literals (one in the middle, one changed: its
# old text copied), declared X_FN / X_STR fields: repaired and then used by the new code; random
# words untouched; a removed function and a stale_skip range reported.
pointers_are_repaired_by_name_and_used_by_the_new_code() {
  t_check "the rebuild failed: $(tail_of "$WORK/build.log")" build_stage -DREPAIR_STAGE=2 || return 1
  t_check "no reload within $WAIT_S s: $(tail_of "$OUT")" wait_for has_line '"event":"reload"' || return 1
  local reload; reload=$(event_line reload)
  t_check "not every function pointer was repaired: $reload" grep -q '"functions":3,' <<<"$reload" || return 1
  t_check "the changed literal was not copied: $reload" grep -q '"strings_copied":1}' <<<"$reload" || return 1
  t_check "not 18 left (16 near misses, the removed function, the skipped range): $reload" \
    grep -q '"stale_left":18,' <<<"$reload" || return 1
  t_check "no tick of stage 2: $(tail_of "$OUT")" wait_for has_line 'repair stage=2 upd=' || return 1
  local tick; tick=$(grep -o 'repair stage=2 upd=[^"]*' "$EV" | tail -n 1)
  local u; u=$(sed -E 's/.*upd=([0-9]+).*/\1/' <<<"$tick")
  t_check "the repaired pointers did not reach the new code: $tick" \
    grep -qF "step=$((3 * u + 2)) heap=$((u * u + 2)) decl=$((-u - 2)) name=goblin mid=goblin changed=first text kind=20/goblin kind binary=1 empty=0 noise=intact" <<<"$tick" || return 1
  t_check "the removed function was not reported" has_line 'the function repair_removed is gone from the new build' || return 1
  t_check "the stale_skip range was not reported" has_line 'host->stale_skip' || return 1
}

t_run the_host_tracks_written_pages_with_the_write_watch
t_run pointers_are_repaired_by_name_and_used_by_the_new_code
t_summary
