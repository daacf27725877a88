#!/usr/bin/env bash
# build.sh - build, run, test and benchmark the hot-reload host (Linux).
#
#   ./build.sh                  build the host (build/host) and game_template
#   ./build.sh run [GAME_DIR]   build, then run the host on GAME_DIR (default game_template)
#   ./build.sh game [GAME_DIR]  rebuild only the game library: what you run while the host is open
#   ./build.sh release [GAME_DIR]  one executable with the game linked in (GAME_DIR/build/game)
#   ./build.sh test             build and run every test (unit, sanitizers, integration)
#   ./build.sh bench            build and run the benchmarks (not tests: they print ratios)
#   ./build.sh fuzz [RUNS]      run the libFuzzer targets longer (default 1,000,000 inputs each)
#   ./build.sh windows [game [GAME_DIR]]  cross-compile host.exe, game.dll, tests with MinGW-w64 (build/win)
#   ./build.sh test-windows     the Windows build and its tests under Wine ("windows: N passed, N failed")
#   ./build.sh help
#
# Options after `run` and `release` that start with -- go to the host, e.g.
#   ./build.sh run game_template --fps 30
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$ROOT/build"
CC="${CC:-gcc}"
WARN=(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter)
CFLAGS=(-std=c11 -D_GNU_SOURCE -g "${WARN[@]}")
OPT=(-O2)
SAN=(-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)

ARENA_SRC=(arena/arena.c arena/arena_stats.c arena/pool.c arena/arena_os_posix.c)
# Host modules, room by room (README "Architecture"), the _posix half of each OS pair: base, os,
# reload, stats, then the host itself.
HOST_LIB_SRC=(host/base/error.c host/base/units.c host/base/events.c host/base/block.c
              host/os/block_posix.c host/os/clock_posix.c host/os/crash.c host/os/crash_posix.c host/os/fs_common.c
              host/os/fs_posix.c host/os/signals_posix.c host/os/stats_input_posix.c host/os/symbols.c
              host/os/symbols_posix.c host/os/terminal_posix.c host/os/watch_posix.c host/os/watchdog_posix.c
              host/reload/functions.c host/reload/guard.c host/reload/layout.c host/reload/load.c host/reload/registry.c
              host/reload/reload.c host/reload/scan.c host/reload/stale.c host/reload/swap_layout.c host/reload/versions.c
              host/stats/report.c host/stats/report_html.c host/stats/report_json.c host/stats/report_stream.c
              host/stats/report_text.c host/stats/stats.c
              host/cli.c host/host.c host/services.c host/status.c)
HEAP_SRC=(arena/heap.c)
# libc before libmimalloc: Debian's libmimalloc also exports malloc/free, and listed first it would
# take over every malloc in the process. The host uses mimalloc only for the block's heap.
HOST_LIBS=(-Wl,--no-as-needed -lc -lmimalloc -Wl,--as-needed -lpthread -ldl)

say() { printf '%s\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# ---- dependencies -------------------------------------------------------------------------------

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Installs the Debian packages that provide what is missing, or says how on other systems.
need_packages() {
  [ $# -eq 0 ] && return 0
  if command -v apt-get >/dev/null 2>&1; then
    say "installing: $*"
    as_root apt-get update -qq >/dev/null || die "apt-get update failed; install by hand: sudo apt-get install $*"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null ||
      die "apt-get install failed; run: sudo apt-get install $*"
  else
    die "missing $*; install the equivalents of these Debian packages with your package manager"
  fi
}

has_header() { echo "#include <$1>" | "$CC" -E -x c - >/dev/null 2>&1; }

ensure_deps() {
  local missing=()
  command -v "$CC" >/dev/null 2>&1 || missing+=(gcc libc6-dev)
  [ ${#missing[@]} -eq 0 ] || need_packages "${missing[@]}"
  missing=()
  has_header mimalloc.h || missing+=(libmimalloc-dev)
  [ "${1:-}" = test ] && { has_header cmocka.h || missing+=(libcmocka-dev); }
  need_packages "${missing[@]}"
}

# ---- building -----------------------------------------------------------------------------------

# Compiles to a temporary name and renames, so a running process never sees a half-written file.
compile() { # OUT ARGS...
  local out="$1"; shift
  local tmp="$out.tmp.$$"
  mkdir -p "$(dirname "$out")"
  (cd "$ROOT" && "$CC" "$@" -o "$tmp") || { rm -f "$tmp"; return 1; }
  mv -f "$tmp" "$out"
}

build_host() {
  compile "$BUILD/host" "${CFLAGS[@]}" "${OPT[@]}" "${ARENA_SRC[@]}" "${HEAP_SRC[@]}" "${HOST_LIB_SRC[@]}" \
    host/os/loader_posix.c host/main.c "${HOST_LIBS[@]}"
}

# The folder of a game: the argument, or game_template. Must hold .c files.
game_dir() {
  local dir="${1:-$ROOT/game_template}"
  [ -d "$dir" ] || die "no game folder $dir; pass a folder that holds the game's .c files"
  dir="$(cd "$dir" && pwd)"
  compgen -G "$dir/*.c" >/dev/null || die "no .c files in $dir; a game folder holds its sources at the top"
  printf '%s' "$dir"
}

# Builds GAME_DIR/build/libgame.so while holding libgame.so.lock, the file the host waits on.
# GAME_CFLAGS adds flags (e.g. -O0; a host built with ASan needs games built with it too, since the
# host and the game poison and unpoison the same arenas).
build_game() { # GAME_DIR
  local dir="$1" extra=()
  read -r -a extra <<<"${GAME_CFLAGS:-}"
  local lib="$dir/build/libgame.so" lock="$dir/build/libgame.so.lock"
  mkdir -p "$dir/build"
  echo $$ >"$lock"
  local ok=0
  compile "$lib" "${CFLAGS[@]}" "${OPT[@]}" "${extra[@]}" -fPIC -shared -Wl,-Bsymbolic -I"$ROOT/host/api" \
    -I"$ROOT/arena" -I"$dir" "$dir"/*.c "${ARENA_SRC[@]}" || ok=$?
  rm -f "$lock"
  [ $ok = 0 ] || die "game build failed in $dir (the running host keeps the last good version)"
  say "built $lib"
}

build_release() { # GAME_DIR
  local dir="$1" extra=()
  read -r -a extra <<<"${GAME_CFLAGS:-}"
  compile "$dir/build/game" "${CFLAGS[@]}" "${OPT[@]}" "${extra[@]}" -DHOST_RELEASE -I"$ROOT/host/api" -I"$ROOT/arena" -I"$dir" \
    "$dir"/*.c "${ARENA_SRC[@]}" "${HEAP_SRC[@]}" "${HOST_LIB_SRC[@]}" host/os/loader_static.c host/main.c "${HOST_LIBS[@]}"
  say "built $dir/build/game (release: game linked in, no reloading)"
}

# ---- tests --------------------------------------------------------------------------------------

TEST_PASSED=0
TEST_FAILED=0

# Runs one cmocka binary, shows its output, adds its summary to the totals.
run_cmocka() { # NAME BINARY [ARGS...]
  local name="$1"; shift
  local log="$BUILD/tests/$name.log" rc=0
  mkdir -p "$(dirname "$log")"
  say "== $name"
  local start=$SECONDS
  "$@" >"$log" 2>&1 || rc=$?
  cat "$log"
  say "($name: $((SECONDS - start)) s)"
  local p f
  p=$(grep -oE '^\[  PASSED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1 || true)
  f=$(grep -oE '^\[  FAILED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1 || true)
  TEST_PASSED=$((TEST_PASSED + ${p:-0}))
  TEST_FAILED=$((TEST_FAILED + ${f:-0}))
  if [ $rc -ne 0 ] && [ -z "$f" ]; then
    say "$name: exited with $rc before its summary"
    TEST_FAILED=$((TEST_FAILED + 1))
  fi
}

# One file per module, in folders that mirror the rooms.
UNIT_TESTS=(arena/test_arena arena/test_pool arena/test_heap arena/test_arena_stats base/test_block base/test_units
            base/test_events os/test_fs os/test_watch os/test_crash os/test_symbols os/test_watchdog
            reload/test_layout reload/test_scan reload/test_registry stats/test_report test_cli)

build_unit_tests() { # VARIANT FLAGS...
  local variant="$1"; shift
  for t in "${UNIT_TESTS[@]}"; do
    compile "$BUILD/tests/$variant/$t" "${CFLAGS[@]}" "$@" -I. tests/unit/$t.c \
      "${ARENA_SRC[@]}" "${HEAP_SRC[@]}" "${HOST_LIB_SRC[@]}" host/os/loader_posix.c -lcmocka "${HOST_LIBS[@]}"
  done
}

run_unit_tests() { # VARIANT
  for t in "${UNIT_TESTS[@]}"; do run_cmocka "$1/$t" "$BUILD/tests/$1/$t"; done
}

INTEGRATION_TESTS=(reload terminal stats layout crash)

build_integration_tests() {
  for t in "${INTEGRATION_TESTS[@]}" soak; do
    compile "$BUILD/tests/test_$t" "${CFLAGS[@]}" "${OPT[@]}" -I. tests/integration/test_$t.c \
      tests/integration/harness.c -lcmocka
  done
}

run_integration_tests() { # VARIANT HOST_BINARY
  for t in "${INTEGRATION_TESTS[@]}"; do
    ENGINE_ROOT="$ROOT" HOST_BIN="$2" run_cmocka "$1/test_$t" "$BUILD/tests/test_$t"
  done
}

# The host itself under ASan+UBSan, for the integration tests' second pass.
build_host_asan() {
  compile "$BUILD/asan/host" "${CFLAGS[@]}" "${SAN[@]}" "${ARENA_SRC[@]}" "${HEAP_SRC[@]}" "${HOST_LIB_SRC[@]}" \
    host/os/loader_posix.c host/main.c "${HOST_LIBS[@]}"
}

# valgrind over the unit tests, but test_heap: valgrind replaces malloc wherever it is defined, and
# Debian's libmimalloc defines malloc at the same address as mi_malloc, so under valgrind the heap's
# allocations would be valgrind's own, outside the region.
run_valgrind_tests() {
  command -v valgrind >/dev/null 2>&1 || need_packages valgrind
  for t in "${UNIT_TESTS[@]}"; do
    [ "$t" = arena/test_heap ] && continue
    [ "$t" = os/test_crash ] && continue # its crashes are invalid accesses on purpose, each one a valgrind error
    run_cmocka "valgrind/$t" valgrind -q --error-exitcode=99 --leak-check=full "$BUILD/tests/unit/$t"
  done
}

# ---- fuzzing (libFuzzer, clang) --------------------------------------------------------------------

FUZZERS=(arena image cli symbols)
FUZZ_TEST_RUNS=20000 # per fuzzer in ./build.sh test; ./build.sh fuzz [RUNS] goes further

build_fuzzers() {
  command -v clang >/dev/null 2>&1 || need_packages clang libclang-rt-dev
  for f in "${FUZZERS[@]}"; do
    CC=clang compile "$BUILD/fuzz/fuzz_$f" -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
      "${WARN[@]}" -I. tests/fuzz/fuzz_$f.c "${ARENA_SRC[@]}" host/base/error.c host/base/units.c \
      host/cli.c host/base/block.c host/os/loader_posix.c host/os/symbols.c host/os/symbols_posix.c -ldl
  done
}

# Each fuzzer counts as one test: it passes when RUNS inputs found nothing. The library fuzzer starts
# from a real game library.
run_fuzzers() { # RUNS
  build_fuzzers
  mkdir -p "$BUILD/fuzz/corpus-image"
  cp -f "$ROOT/game_template/build/libgame.so" "$BUILD/fuzz/corpus-image/"
  for f in "${FUZZERS[@]}"; do
    local log="$BUILD/fuzz/fuzz_$f.log" corpus=()
    [ "$f" = image ] || [ "$f" = symbols ] && corpus=("$BUILD/fuzz/corpus-image")
    local max_len=4096
    [ "$f" = symbols ] && max_len=262144 # a whole library: its symbol table sits at the end
    say "== fuzz/$f ($1 runs)"
    if (cd "$BUILD/fuzz" && ./fuzz_$f -seed=1 -runs="$1" -max_len="$max_len" "${corpus[@]}" >"$log" 2>&1); then
      say "fuzz_$f: $(grep -E '^Done' "$log" | tail -n 1)"
      TEST_PASSED=$((TEST_PASSED + 1))
    else
      tail -n 30 "$log"
      say "fuzz_$f: FAILED (input saved in $BUILD/fuzz; log $log)"
      TEST_FAILED=$((TEST_FAILED + 1))
    fi
  done
}

cmd_test() {
  ensure_deps test
  build_host
  build_game "$ROOT/game_template" >/dev/null
  mkdir -p "$BUILD/tests"
  build_unit_tests unit "${OPT[@]}"
  run_unit_tests unit
  build_unit_tests asan "${SAN[@]}"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_unit_tests asan
  run_valgrind_tests
  run_fuzzers "$FUZZ_TEST_RUNS"
  build_integration_tests
  run_integration_tests integration "$BUILD/host"
  build_host_asan
  GAME_CFLAGS="${SAN[*]}" ASAN_OPTIONS=detect_leaks=0 run_integration_tests integration-asan "$BUILD/asan/host"
  ENGINE_ROOT="$ROOT" run_cmocka integration/test_soak "$BUILD/tests/test_soak"
  win_cmd_test
  say "$TEST_PASSED passed, $TEST_FAILED failed"
  [ "$TEST_FAILED" = 0 ]
}

# ---- benchmarks ---------------------------------------------------------------------------------

cmd_bench() {
  ensure_deps
  build_host
  compile "$BUILD/bench/bench_frame" "${CFLAGS[@]}" -O2 -DNDEBUG -I. tests/bench/bench_frame.c \
    "${ARENA_SRC[@]}" "${HOST_LIBS[@]}"
  compile "$BUILD/bench/bench_heap" "${CFLAGS[@]}" -O2 -DNDEBUG -I. tests/bench/bench_heap.c \
    "${ARENA_SRC[@]}" "${HEAP_SRC[@]}" "${HOST_LIBS[@]}" -lm
  compile "$BUILD/bench/bench_reload" "${CFLAGS[@]}" -O2 -DNDEBUG tests/bench/bench_reload.c \
    tests/integration/harness.c -ldl
  compile "$BUILD/bench/bench_scan" "${CFLAGS[@]}" -O2 -DNDEBUG -I. tests/bench/bench_scan.c host/reload/scan.c
  # the same source twice: once with the stats compiled out, once with them on
  compile "$BUILD/bench/bench_stats_off.o" "${CFLAGS[@]}" -O2 -DNDEBUG -DARENA_NO_STATS -I. -c \
    tests/bench/bench_stats.c
  compile "$BUILD/bench/bench_stats" "${CFLAGS[@]}" -O2 -DNDEBUG -I. tests/bench/bench_stats.c \
    "$BUILD/bench/bench_stats_off.o" "${ARENA_SRC[@]}" "${HOST_LIBS[@]}"
  "$BUILD/bench/bench_frame"
  echo
  "$BUILD/bench/bench_stats"
  echo
  "$BUILD/bench/bench_heap"
  echo
  ENGINE_ROOT="$ROOT" "$BUILD/bench/bench_reload"
  echo
  "$BUILD/bench/bench_scan"
}

# ---- commands -----------------------------------------------------------------------------------

# The header comment, up to the first line of code.
usage() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

# ./build.sh windows and test-windows (MinGW-w64 + Wine) live apart, in one file.
source "$ROOT/tests/windows/build_windows.sh"

main() {
  local cmd="${1:-build}"
  [ $# -gt 0 ] && shift
  case "$cmd" in
    build)   ensure_deps; build_host; build_game "$ROOT/game_template" ;;
    game)    local d; d="$(game_dir "${1:-}")"; build_game "$d" ;;
    run)
      local d="$ROOT/game_template"
      if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then d="$1"; shift; fi
      d="$(game_dir "$d")"
      ensure_deps; build_host; build_game "$d"
      exec "$BUILD/host" "$@" "$d/build/libgame.so" ;;
    release) ensure_deps; local d; d="$(game_dir "${1:-}")"; build_release "$d" ;;
    test)    cmd_test ;;
    fuzz)    ensure_deps; build_game "$ROOT/game_template" >/dev/null; run_fuzzers "${1:-1000000}"
             say "$TEST_PASSED passed, $TEST_FAILED failed"; [ "$TEST_FAILED" = 0 ] ;;
    bench)   cmd_bench ;;
    windows) win_main "$@" ;;
    test-windows) win_cmd_test; [ "$TEST_FAILED" = 0 ] ;;
    help|-h|--help) usage ;;
    *) die "unknown command '$cmd'; commands: build run game release test bench fuzz windows test-windows help" ;;
  esac
}

main "$@"
