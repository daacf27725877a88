#!/usr/bin/env bash
# test_scripts.sh - build.bat against build.sh. Read side by side: the two offer the same commands
# and flags and compile the same modules and tests. Run under Wine's cmd.exe with a stand-in for
# cl.exe (fake_cl.c: it logs its command line and writes its output from prebuilt MinGW files):
# build.bat's own steps, which no compiler check covers: the messages for a missing cl and a bad
# folder, the game build under its lock through a temporary name with a PDB of its own, a failed
# build, and a running host.exe that is left alone. Needs ./build.sh windows first.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=cmocka.sh
source "$HERE/cmocka.sh"
# shellcheck source=deps.sh
source "$HERE/deps.sh" "$ROOT/build/win/deps" 2>/dev/null

WORK=$(mktemp -d /tmp/test-windows-scripts.XXXXXX)
ENGINE="$WORK/engine" # build.bat runs from a copy: what it builds lands in the copy's build folder
GAME="$WORK/mygame"
HOST_PID=
cleanup() {
  [ -n "$HOST_PID" ] && kill -9 "$HOST_PID" 2>/dev/null
  [ -n "${KEEP_WORK:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

winpath() { printf 'Z:%s' "${1//\//\\}"; }
# Linux-only commands of build.sh: they drive Linux tools (benchmarks, libFuzzer, MinGW and Wine).
LINUX_ONLY="bench fuzz windows test-windows"

# ---- reading the scripts ---------------------------------------------------------------------------

# The commands main() of a build.sh dispatches on, one per line (aliases included).
sh_commands() { # FILE
  sed -n '/^main() {/,/^}/p;/^case "\$cmd" in/,/^esac/p' "$1" | grep -oE '^ +[a-z|-]+\)' | tr -d ' )' | tr '|' '\n' | sort -u
}
# The commands a build.bat compares %CMD% with, one per line.
bat_commands() { grep -oiE '"%CMD%"=="[^"]+"' "$1" | sed 's/.*=="//; s/"$//' | tr 'A-Z' 'a-z' | sort -u; }
# Environment variables a script reads: $NAME / ${NAME...} or %NAME%, for the names given.
uses_env() { grep -qE "\\\$\{?$2\b|%$2%|!$2!" "$1"; } # FILE NAME

# The bash array NAME=(...) defined in FILE, one item per line.
sh_array() { # FILE NAME
  (
    set +u
    eval "$(awk -v start="^$2=[(]" '$0 ~ start {on = 1} on {print} on && /[)]/ {exit}' "$1")"
    eval "printf '%s\n' \"\${$2[@]}\""
  )
}
# build.sh's array NAME, with the _win32 half of each OS pair.
sh_sources() { sh_array "$ROOT/build.sh" "$1" | sed 's/_posix\.c$/_win32.c/'; }
bat_list() { grep -oE "^set \"$1=[^\"]*\"" "$ROOT/build.bat" | sed "s/^set \"$1=//; s/\"$//" | tr ' ' '\n' | tr '\\' '/'; }

same_lists() { # WHAT LIST_A LIST_B
  [ "$2" = "$3" ] && return 0
  printf '[  ERROR   ] --- %s differ:\n%s\n' "$1" "$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | grep '^[<>]')"
  return 1
}

build_bat_offers_the_commands_of_build_sh() {
  local sh bat
  sh=$(sh_commands "$ROOT/build.sh" | grep -vxF -f <(tr ' ' '\n' <<<"$LINUX_ONLY"))
  bat=$(bat_commands "$ROOT/build.bat")
  same_lists "commands of build.sh (without $LINUX_ONLY) and build.bat" "$sh" "$bat"
}

game_template_build_bat_offers_the_commands_of_its_build_sh() {
  same_lists "commands of game_template/build.sh and build.bat" "$(sh_commands "$ROOT/game_template/build.sh")" \
    "$(bat_commands "$ROOT/game_template/build.bat")"
}

both_read_the_same_settings() {
  local v
  for v in GAME_CFLAGS GAME_OPT; do
    t_check "build.bat ignores $v" uses_env "$ROOT/build.bat" "$v" || return 1
    t_check "build.sh ignores $v" uses_env "$ROOT/build.sh" "$v" || return 1
  done
  for v in ENGINE_DIR; do
    t_check "game_template/build.bat ignores $v" uses_env "$ROOT/game_template/build.bat" "$v" || return 1
    t_check "game_template/build.sh ignores $v" uses_env "$ROOT/game_template/build.sh" "$v" || return 1
  done
}

build_bat_compiles_the_modules_of_build_sh() {
  same_lists "ARENA_SRC" "$(sh_sources ARENA_SRC)" "$(bat_list ARENA_SRC)" || return 1
  same_lists "HEAP_SRC" "$(sh_sources HEAP_SRC)" "$(bat_list HEAP_SRC)" || return 1
  same_lists "HOST_LIB_SRC (+ host/os/util_win32.c)" "$(sh_sources HOST_LIB_SRC; echo host/os/util_win32.c)" "$(bat_list HOST_LIB_SRC)"
}

build_bat_runs_the_unit_tests_build_sh_runs_on_windows() {
  local sh
  sh=$(sh_array "$ROOT/build.sh" UNIT_TESTS | grep -vxF -f <(sh_array "$HERE/build_windows.sh" WIN_UNIT_EXCLUDE))
  same_lists "unit tests (build.sh's UNIT_TESTS without WIN_UNIT_EXCLUDE, and build.bat's)" "$sh" "$(bat_list UNIT_TESTS)"
}

# ---- running build.bat under Wine ------------------------------------------------------------------

# cmd /c build.bat ARGS in the engine copy, with fake cl.exe on PATH; output (CRs dropped) in $WORK/out.
bat() {
  (cd "$ENGINE" && WINEPATH="$(winpath "$WORK/fakecl");$WINEPATH" wine cmd /c build.bat "$@" >"$WORK/out.raw" 2>&1)
  local rc=$?
  tr -d '\r' <"$WORK/out.raw" >"$WORK/out"
  return $rc
}
said() { grep -qF -- "$1" "$WORK/out"; }
out() { tr '\n' '|' <"$WORK/out" | head -c 400; }

make_engine_copy() {
  mkdir -p "$ENGINE/game_template" "$WORK/fakecl" "$GAME/build"
  cp "$ROOT/build.bat" "$ROOT/vcpkg.json" "$ENGINE/"
  cp -r "$ROOT/host" "$ROOT/arena" "$ENGINE/" # what a game's build.bat looks for in an engine
  mkdir -p "$ENGINE/build" && cp -r "$ROOT/build/gen" "$ENGINE/build/" # profile.proto's C: no protoc under Wine
  cp "$ROOT/game_template/"*.c "$ROOT/game_template/"*.h "$ENGINE/game_template/"
  cp "$ROOT/game_template/"*.c "$ROOT/game_template/"*.h "$ROOT/game_template/build.bat" "$GAME/"
  cp "$ROOT/build/win/tests/fake_cl.exe" "$WORK/fakecl/cl.exe"
  export FAKE_CL_DLL FAKE_CL_EXE FAKE_CL_LOG MIMALLOC_DIR CMOCKA_DIR PROTOBUF_C_DIR SDL2_DIR
  FAKE_CL_DLL=$(winpath "$ROOT/game_template/build/game.dll")
  FAKE_CL_EXE=$(winpath "$ROOT/build/win/host.exe")
  FAKE_CL_LOG=$(winpath "$WORK/cl.log")
  MIMALLOC_DIR=$(winpath "$WIN_DEPS") CMOCKA_DIR=$(winpath "$WIN_DEPS") # include\, lib\, bin\ as build.bat wants
  PROTOBUF_C_DIR=$(winpath "$WIN_DEPS")
  SDL2_DIR=$(winpath "$WIN_DEPS") # include\SDL2\ and the stb headers, bin\SDL2.dll
}

says_what_to_do_without_cl_and_with_a_bad_folder() {
  make_engine_copy
  (cd "$ENGINE" && wine cmd /c build.bat build >"$WORK/out.raw" 2>&1) # no fake cl on PATH
  tr -d '\r' <"$WORK/out.raw" >"$WORK/out"
  t_check "no clear line about cl: $(out)" said "cl.exe is not on PATH" || return 1
  t_check "no way to get cl named: $(out)" said "Native Tools Command Prompt" || return 1
  bat game "$(winpath "$WORK/nowhere")"
  t_check "a missing game folder not named: $(out)" said "no game folder $(winpath "$WORK/nowhere")" || return 1
  bat frobnicate
  t_check "an unknown command not named: $(out)" said "unknown command 'frobnicate'" || return 1
  bat help
  t_check "help does not list the commands: $(out)" said "build | run [GAME_DIR]" || return 1
}

builds_a_game_under_its_lock_through_a_temporary_name() {
  touch "$GAME/build/game_1234.pdb" # an old build's PDB
  export FAKE_CL_LOCK; FAKE_CL_LOCK=$(winpath "$GAME/build/game.dll.lock")
  bat game "$(winpath "$GAME")"
  local rc=$?
  t_check "build.bat game failed ($rc): $(out)" [ $rc = 0 ] || return 1
  t_check "no game.dll" cmp -s "$GAME/build/game.dll" "$ROOT/game_template/build/game.dll" || return 1
  local line; line=$(grep -F '/LD' "$WORK/cl.log" | tail -n 1)
  t_check "cl did not write a temporary name: $line" grep -qF 'game.tmp.dll' <<<"$line" || return 1
  t_check "the lock was not held while cl ran: $line" grep -q 'lock=yes$' <<<"$line" || return 1
  t_check "no PDB of its own: $line" grep -qE '/PDB:"[^"]*game_[0-9]+\.pdb"' <<<"$line" || return 1
  t_check "the lock stayed" [ ! -e "$GAME/build/game.dll.lock" ] || return 1
  t_check "the temporary file stayed" [ ! -e "$GAME/build/game.tmp.dll" ] || return 1
  local pdbs; pdbs=$(cd "$GAME/build" && ls game_*.pdb 2>/dev/null)
  t_check "old PDBs not cleaned, or no new one: $pdbs" [ "$(wc -w <<<"$pdbs")" = 1 -a "$pdbs" != game_1234.pdb ] || return 1
}

a_failed_game_build_says_so_and_leaves_the_last_good_library() {
  echo "last good" >"$GAME/build/game.dll"
  FAKE_CL_FAIL=1 bat game "$(winpath "$GAME")"
  local rc=$?
  t_check "a failed build exited 0: $(out)" [ $rc != 0 ] || return 1
  t_check "no clear line: $(out)" said "game build failed in" || return 1
  t_check "the last good library was touched" [ "$(cat "$GAME/build/game.dll")" = "last good" ] || return 1
  t_check "the lock stayed after a failure" [ ! -e "$GAME/build/game.dll.lock" ] || return 1
}

game_template_build_bat_finds_the_engine_from_a_copied_folder() {
  : >"$WORK/cl.log"
  (cd "$GAME" && WINEPATH="$(winpath "$WORK/fakecl");$WINEPATH" ENGINE_DIR="$(winpath "$ENGINE")" \
    wine cmd /c build.bat >"$WORK/out.raw" 2>&1)
  local rc=$?
  tr -d '\r' <"$WORK/out.raw" >"$WORK/out"
  t_check "the game's build.bat failed ($rc): $(out)" [ $rc = 0 ] || return 1
  t_check "the engine's build.bat did not build this game: $(out)" said "built $(winpath "$GAME")\\build\\game.dll" || return 1
}

leaves_a_running_host_alone_and_builds_only_the_game() {
  bat build
  t_check "build.bat build failed: $(out)" [ $? = 0 ] || return 1
  t_check "no host.exe built" [ -f "$ENGINE/build/host.exe" ] || return 1
  : >"$WORK/cl.log"
  (cd "$ENGINE/build" && exec wine host.exe --headless --fps 30 --events "$(winpath "$WORK/ev.jsonl")" \
    "$(winpath "$ROOT/game_template/build/game.dll")" >"$WORK/host.out" 2>&1 </dev/null) &
  HOST_PID=$!
  local i
  for ((i = 0; i < 300; i++)); do loaded && break; sleep 0.1; done
  t_check "the host did not start: $(tail -n 2 "$WORK/host.out" 2>/dev/null)" grep -q '"event":"load"' "$WORK/ev.jsonl" || return 1
  bat build
  local rc=$?
  kill "$HOST_PID" 2>/dev/null
  wait "$HOST_PID" 2>/dev/null
  HOST_PID=
  t_check "build.bat build failed while the host ran ($rc): $(out)" [ $rc = 0 ] || return 1
  t_check "not told that only the game is built: $(out)" said "is running" || return 1
  t_check "host.exe was compiled while it ran: $(cat "$WORK/cl.log")" fails grep -qF 'host.tmp.exe' "$WORK/cl.log" || return 1
  t_check "the game was not built: $(out)" said "built $(winpath "$ENGINE")\\game_template\\build\\game.dll" || return 1
}
fails() { ! "$@"; }
loaded() { grep -q '"event":"load"' "$WORK/ev.jsonl" 2>/dev/null; }

t_run build_bat_offers_the_commands_of_build_sh
t_run game_template_build_bat_offers_the_commands_of_its_build_sh
t_run both_read_the_same_settings
t_run build_bat_compiles_the_modules_of_build_sh
t_run build_bat_runs_the_unit_tests_build_sh_runs_on_windows
t_run says_what_to_do_without_cl_and_with_a_bad_folder
t_run builds_a_game_under_its_lock_through_a_temporary_name
t_run a_failed_game_build_says_so_and_leaves_the_last_good_library
t_run game_template_build_bat_finds_the_engine_from_a_copied_folder
t_run leaves_a_running_host_alone_and_builds_only_the_game
t_summary
