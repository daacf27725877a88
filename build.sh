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
CXX="${CXX:-g++}" # for a game's .cpp and .cc files
# a pointer of the wrong type or an undeclared function is an error: both are bugs that still link
WARN=(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter -Werror=incompatible-pointer-types
      -Werror=implicit-function-declaration)
CFLAGS=(-std=c11 -D_GNU_SOURCE -g "${WARN[@]}")
OPT=(-O2)
SAN=(-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)

ARENA_SRC=(arena/arena.c arena/arena_stats.c arena/pool.c arena/arena_os_posix.c)
# Host modules, room by room (README "Architecture"), the _posix half of each OS pair: base, os,
# reload, stats, then the host itself.
HOST_LIB_SRC=(host/base/error.c host/base/units.c host/base/events.c host/base/block.c
              host/os/block_posix.c host/os/clock_posix.c host/os/code_posix.c host/os/command_posix.c host/os/crash.c
              host/os/crash_posix.c host/os/dirty.c host/os/dirty_posix.c host/os/fs_common.c host/os/fs_posix.c
              host/os/lines_posix.c host/os/probe.c host/os/probe_posix.c host/os/signals_posix.c host/os/stats_input_posix.c
              host/os/symbols.c host/os/symbols_posix.c host/os/terminal_posix.c host/os/watch_posix.c host/os/watchdog_posix.c
              host/reload/candidate.c host/reload/declared.c host/reload/forward.c host/reload/functions.c host/reload/guard.c
              host/reload/layout.c host/reload/load.c host/reload/registry.c host/reload/reload.c host/reload/repair.c
              host/reload/scan.c host/reload/stale.c host/reload/swap_layout.c host/reload/versions.c
              host/stats/heap_sites.c host/stats/json_read.c host/stats/report.c host/stats/report_diff.c
              host/stats/report_html.c host/stats/report_json.c host/stats/report_pprof.c host/stats/report_stream.c
              host/stats/report_text.c host/stats/stats.c host/stats/stats_collect.c host/stats/stats_diff.c
              host/stats/stats_leaks.c host/stats/stats_marks.c
              build/gen/profile.pb-c.c
              host/rebuild/rebuild.c
              host/platform/audio.c host/platform/audio_sdl.c host/platform/font.c host/platform/input.c
              host/platform/input_sdl.c host/platform/media.c host/platform/overlay.c host/platform/platform.c
              host/platform/screenshot.c host/platform/video_headless.c host/platform/video_sdl.c
              host/platform/video_terminal.c
              host/checkpoint/blockset.c host/checkpoint/bytes.c host/checkpoint/checksum.c host/checkpoint/epochs.c
              host/checkpoint/heap_log.c host/checkpoint/recording.c host/checkpoint/snapshot.c
              host/checkpoint/state_file.c host/checkpoint/state_layouts.c
              host/cli.c host/host.c host/services.c host/status.c host/timeline.c)
HEAP_SRC=(arena/heap.c)
# libc before libmimalloc: Debian's libmimalloc also exports malloc/free, and listed first it would
# take over every malloc in the process. The host uses mimalloc only for the block's heap.
# SDL2 (the window, input and audio) only in the host: host/platform/ is the one room that uses it.
HOST_LIBS=(-Wl,--no-as-needed -lc -lmimalloc -Wl,--as-needed -lpthread -ldl -ldw -lelf -lprotobuf-c -lSDL2 -lm)
# The platform layer's headers: SDL2's (what `sdl2-config --cflags` says on Debian) and stb's
# (stb_image_write for screenshots, stb_easy_font for the host's text), both from Debian packages.
PLATFORM_CFLAGS=(-I/usr/include/SDL2 -D_REENTRANT -I/usr/include/stb)
# pprof's profile.proto (host/stats/), turned into C by protoc-c at build time for the
# --alloc-profile writer; generated files live in build/gen, never in the tree.
PROTO=host/stats/profile.proto

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
  has_header elfutils/libdw.h || missing+=(libdw-dev)
  has_header protobuf-c/protobuf-c.h || missing+=(libprotobuf-c-dev)
  command -v protoc-c >/dev/null 2>&1 || missing+=(protobuf-c-compiler)
  has_header SDL2/SDL.h || missing+=(libsdl2-dev)
  has_header stb/stb_image_write.h || missing+=(libstb-dev)
  if [ "${1:-}" = test ] || [ "${1:-}" = bench ]; then # the window tests and the present benchmark: a real X server
    command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
    command -v xdotool >/dev/null 2>&1 || missing+=(xdotool)
  fi
  [ "${1:-}" = test ] && { has_header cmocka.h || missing+=(libcmocka-dev); }
  # the tests read the pprof files the host writes with Debian's python3 and its protobuf module
  [ "${1:-}" = test ] && { /usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || missing+=(python3-protobuf); }
  [ "${1:-}" = test ] && { command -v "$CXX" >/dev/null 2>&1 || missing+=(g++); } # the C++ test game
  need_packages "${missing[@]}"
}

# ---- building -----------------------------------------------------------------------------------

JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}" # compiles and test groups at once

# Compiles to a temporary name and renames, so a running process never sees a half-written file.
compile() { # OUT ARGS...
  local out="$1"; shift
  local tmp="$out.tmp.$$"
  mkdir -p "$(dirname "$out")"
  (cd "$ROOT" && "$CC" "$@" -o "$tmp") || { rm -f "$tmp"; return 1; }
  mv -f "$tmp" "$out"
}

# True when OBJ was compiled from SRC (a copied folder's objects are not) and is newer than it and
# every header it included (its .d file, which -MMD wrote; a header that is gone makes it stale).
obj_fresh() { # OBJ SRC
  local obj="$1" dep="${1%.o}.d" text f
  [ -f "$obj" ] && [ -f "$dep" ] || return 1
  text="$(<"$dep")"
  text="${text//\\$'\n'/ }"
  text="${text%%$'\n'*}" # the object's own rule; -MP's empty rules for headers follow
  set -- ${text#*:} "$2"
  [ "$1" = "${!#}" ] || return 1
  for f; do
    [ -e "$f" ] && [ ! "$f" -nt "$obj" ] || return 1
  done
}

# The C flags for a C++ source: C++20 (designated initializers, as GAME_API_INIT uses) for -std=c11,
# no C-only warnings, no warning for the members a designated initializer leaves zero (C gives
# none), and with g++ -fno-gnu-unique (g++ marks the statics of inline functions and templates
# STB_GNU_UNIQUE, which keeps every unloaded copy of a game mapped for the life of the process).
cxx_flags() { # FLAG...
  local f
  for f; do
    case "$f" in
      -std=c11) printf '%s\n' -std=c++20 ;;
      -Wstrict-prototypes) printf '%s\n' -Wno-missing-field-initializers ;;
      -Werror=incompatible-pointer-types | -Werror=implicit-function-declaration) ;; # C only (C++ has no such leniency)
      *) printf '%s\n' "$f" ;;
    esac
  done
  case "$CXX" in g++ | *-g++ | */g++) printf '%s\n' -fno-gnu-unique ;; esac
}

# One object and its dependency file; the compiler's messages are printed in one piece. A .cpp or
# .cc source is compiled by $CXX.
compile_obj() { # SRC OBJ FLAGS...
  local src="$1" obj="$2" cc="$CC" flags; shift 2
  case "$src" in *.cpp | *.cc) cc="$CXX"; mapfile -t flags < <(cxx_flags "$@"); set -- "${flags[@]}" ;; esac
  mkdir -p "$(dirname "$obj")"
  local rc=0
  (cd "$ROOT" && "$cc" "$@" -MMD -MP -MF "$obj.d.tmp" -c "$src" -o "$obj.tmp") 2>"$obj.msg" || rc=$?
  [ -s "$obj.msg" ] && cat "$obj.msg" >&2
  rm -f "$obj.msg"
  if [ $rc != 0 ]; then rm -f "$obj.tmp" "$obj.d.tmp"; return $rc; fi
  mv -f "$obj.d.tmp" "${obj%.o}.d"
  mv -f "$obj.tmp" "$obj"
}

# compile_objects DIR STRIP FLAG... -- SRC...: OBJECTS becomes the object of each SRC (DIR/SRC with
# the prefix STRIP/ taken off, .o); only the stale ones are compiled, $JOBS at a time, each named on
# one line. Flags that differ from DIR's last build make every object of DIR stale.
compile_objects() {
  local dir="$1" strip="$2" flags=() pending=() src obj
  shift 2
  while [ "$1" != -- ]; do flags+=("$1"); shift; done
  shift
  local stamp="$CC ${flags[*]}"
  [ -f "$dir/.flags" ] && [ "$(<"$dir/.flags")" != "$stamp" ] && rm -rf "$dir"
  mkdir -p "$dir"
  printf '%s' "$stamp" >"$dir/.flags"
  OBJECTS=()
  for src; do
    obj="${src#"$strip"/}"
    obj="$dir/${obj%.*}.o"
    OBJECTS+=("$obj")
    obj_fresh "$obj" "$src" || pending+=("$src" "$obj")
  done
  local running=0 failed=0 i
  for ((i = 0; i < ${#pending[@]}; i += 2)); do
    if [ $running -ge "$JOBS" ]; then wait -n || failed=1; running=$((running - 1)); fi
    say "cc ${pending[i]#"$strip"/}"
    compile_obj "${pending[i]}" "${pending[i + 1]}" "${flags[@]}" &
    running=$((running + 1))
  done
  for ((; running > 0; running--)); do wait -n || failed=1; done
  return $failed
}

# link OUT OBJ... -- ARGS...: links OUT from the objects unless it is newer than all of them and was
# linked with the same ARGS.
link() {
  local out="$1" objs=() o
  shift
  while [ "$1" != -- ]; do objs+=("$1"); shift; done
  shift
  local stamp="$(dirname "$out")/.$(basename "$out").link" args="$CC $*" stale=0
  [ -f "$out" ] && [ -f "$stamp" ] && [ "$(<"$stamp")" = "$args" ] || stale=1
  for o in "${objs[@]}"; do [ $stale = 1 ] || [ "$o" -nt "$out" ] && { stale=1; break; }; done
  [ $stale = 1 ] || return 0
  say "ld ${out#"$ROOT"/}"
  compile "$out" "${objs[@]}" "$@" && printf '%s' "$args" >"$stamp"
}

# build/gen/profile.pb-c.c and .h from $PROTO, when the .proto is newer (written to a temporary
# folder and moved, so an interrupted run leaves nothing half-written).
gen_proto() {
  local out="$BUILD/gen" base
  base="$(basename "$PROTO" .proto)"
  [ -f "$out/$base.pb-c.c" ] && [ ! "$ROOT/$PROTO" -nt "$out/$base.pb-c.c" ] && return 0
  local tmp="$out/.tmp.$$"
  mkdir -p "$tmp"
  protoc-c --c_out="$tmp" --proto_path="$ROOT/$(dirname "$PROTO")" "$ROOT/$PROTO" || { rm -rf "$tmp"; return 1; }
  mv -f "$tmp/$base.pb-c.h" "$out/" && mv -f "$tmp/$base.pb-c.c" "$out/" && rmdir "$tmp"
}

# The host's modules compiled for VARIANT (host: -O2; asan: ASan+UBSan) with FLAGS: HOST_OBJECTS.
host_objects() { # VARIANT FLAGS...
  local variant="$1"; shift
  gen_proto || return 1
  compile_objects "$BUILD/obj/$variant" "" "${CFLAGS[@]}" "$@" "${PLATFORM_CFLAGS[@]}" -I. -I"$BUILD/gen" -- \
    "${ARENA_SRC[@]}" "${HEAP_SRC[@]}" "${HOST_LIB_SRC[@]}" host/os/loader_posix.c || return 1
  HOST_OBJECTS=("${OBJECTS[@]}")
}

# The host executable of VARIANT at OUT, from host_objects and main.c.
build_host_variant() { # VARIANT OUT FLAGS...
  local variant="$1" out="$2"; shift 2
  host_objects "$variant" "$@" || return 1
  compile_objects "$BUILD/obj/$variant" "" "${CFLAGS[@]}" "$@" "${PLATFORM_CFLAGS[@]}" -I. -I"$BUILD/gen" -- host/main.c || return 1
  link "$out" "${HOST_OBJECTS[@]}" "${OBJECTS[@]}" -- "$@" "${HOST_LIBS[@]}"
}

build_host() { build_host_variant host "$BUILD/host" "${OPT[@]}" || die "host build failed (see above)"; }

# The folder of a game: the argument, or game_template. Must hold .c, .cpp or .cc files.
game_dir() {
  local dir="${1:-$ROOT/game_template}"
  [ -d "$dir" ] || die "no game folder $dir; pass a folder that holds the game's .c or .cpp files"
  dir="$(cd "$dir" && pwd)"
  [ -n "$(game_sources "$dir")" ] || die "no .c or .cpp files in $dir; a game folder holds its sources at the top"
  printf '%s' "$dir"
}

# A game's sources, one a line: its .c files, then its .cpp and .cc files.
game_sources() { # GAME_DIR
  compgen -G "$1/*.c" || true
  compgen -G "$1/*.cpp" || true
  compgen -G "$1/*.cc" || true
}

# The linker driver of a game: $CXX when it has C++ sources (for the C++ runtime), else $CC; with
# C++ sources, $CXX is installed if missing.
game_linker() { # GAME_DIR
  if game_sources "$1" | grep -qvE '\.c$'; then
    command -v "$CXX" >/dev/null 2>&1 || need_packages g++
    printf '%s' "$CXX"
  else
    printf '%s' "$CC"
  fi
}

# How games are optimised: a debug build by default (no inlining, frame pointers, so a crash or a
# breakpoint names the line it is on); GAME_OPT, or --release (-O2), says otherwise.
GAME_OPT_DEFAULT="-O0 -fno-omit-frame-pointer"
GAME_OPT_RELEASE="-O2"
# Room at every function entry for the jump that --old-code forward writes there (reload/forward.h):
# 14 bytes of nops before the entry, 2 at it.
GAME_PATCHABLE=(-fpatchable-function-entry=16,14)

# The result of a game build, beside the library, written whole (temporary name, rename) so that a
# running host reads either the last result or this one: "ok" or "failed" on the first line, then
# everything the compiler and linker said.
write_build_result() { # LIB STATUS MESSAGES_FILE
  { echo "$2"; cat "$3"; } >"$1.result.tmp" && mv -f "$1.result.tmp" "$1.result"
}

# Builds GAME_DIR/build/libgame.so while holding libgame.so.lock, the file the host waits on; only
# what changed is compiled (objects in GAME_DIR/build/obj), and an unchanged library is left alone
# (so a running host sees no rebuild). GAME_CFLAGS adds flags (a host built with ASan needs games
# built with it too, since the host and the game poison and unpoison the same arenas).
build_game() { # GAME_DIR
  local dir="$1" extra=() opt=()
  read -r -a extra <<<"${GAME_CFLAGS:-}"
  read -r -a opt <<<"${GAME_OPT:-$GAME_OPT_DEFAULT}"
  local lib="$dir/build/libgame.so" lock="$dir/build/libgame.so.lock" msgs="$dir/build/libgame.so.msgs" srcs linker
  mapfile -t srcs < <(game_sources "$dir")
  linker="$(game_linker "$dir")"
  mkdir -p "$dir/build"
  echo $$ >"$lock"
  local ok=0
  { compile_objects "$dir/build/obj" "$dir" "${CFLAGS[@]}" "${opt[@]}" "${GAME_PATCHABLE[@]}" "${extra[@]}" -fPIC -I"$ROOT/host/api" \
      -I"$ROOT/arena" -I"$dir" -- "${srcs[@]}" "${ARENA_SRC[@]}" &&
      CC="$linker" link "$lib" "${OBJECTS[@]}" -- "${extra[@]}" -shared -Wl,-Bsymbolic; } 2>"$msgs" || ok=$?
  cat "$msgs" >&2
  write_build_result "$lib" "$([ $ok = 0 ] && echo ok || echo failed)" "$msgs"
  rm -f "$lock" "$msgs"
  [ $ok = 0 ] || die "game build failed in $dir (the running host keeps the last good version)"
  say "built $lib"
}

build_release() { # GAME_DIR
  local dir="$1" extra=() srcs linker
  read -r -a extra <<<"${GAME_CFLAGS:-}"
  mapfile -t srcs < <(game_sources "$dir")
  linker="$(game_linker "$dir")"
  gen_proto || die "protoc-c failed on $PROTO"
  compile_objects "$dir/build/obj-release" "$dir" "${CFLAGS[@]}" "${OPT[@]}" "${extra[@]}" -DHOST_RELEASE \
    "${PLATFORM_CFLAGS[@]}" -I"$ROOT/host/api" -I"$ROOT/arena" -I"$dir" -I"$BUILD/gen" -- "${srcs[@]}" "${ARENA_SRC[@]}" "${HEAP_SRC[@]}" \
    "${HOST_LIB_SRC[@]}" host/os/loader_static.c host/main.c &&
    CC="$linker" link "$dir/build/game" "${OBJECTS[@]}" -- "${extra[@]}" "${HOST_LIBS[@]}" ||
    die "release build failed in $dir"
  say "built $dir/build/game (release: game linked in, no reloading)"
}

# ---- tests --------------------------------------------------------------------------------------

# Test groups run at once, $JOBS at a time (most of them wait on a host process, not the CPU). Each
# writes its output to build/tests/NAME.log and its counts to NAME.result; the totals are summed at
# the end from the result files, in the order the groups were started.
TEST_NAMES=()

# Runs one cmocka binary (or anything that prints cmocka's summary): its log, then its counts.
run_cmocka() { # NAME COMMAND...
  local name="$1"; shift
  local log="$BUILD/tests/$name.log" rc=0 start=$SECONDS
  mkdir -p "$(dirname "$log")"
  "$@" >"$log" 2>&1 || rc=$?
  local p f
  p=$(grep -oE '^\[  PASSED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1 || true)
  f=$(grep -oE '^\[  FAILED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1 || true)
  if [ $rc -ne 0 ] && [ -z "$f" ]; then
    echo "$name: exited with $rc before its summary" >>"$log"
    f=1
  fi
  echo "${p:-0} ${f:-0}" >"$BUILD/tests/$name.result"
  { printf '== %s (%d s)\n' "$name" $((SECONDS - start)); cat "$log"; } | flock "$BUILD/tests/.print" cat
}

TEST_RUNNING=0

# Starts a test group in the background once a place is free.
test_start() { # NAME COMMAND...
  if [ $TEST_RUNNING -ge "$JOBS" ]; then wait -n || true; TEST_RUNNING=$((TEST_RUNNING - 1)); fi
  TEST_NAMES+=("$1")
  rm -f "$BUILD/tests/$1.result"
  run_cmocka "$@" &
  TEST_RUNNING=$((TEST_RUNNING + 1))
}

# Waits for every group, then prints the totals: "N passed, N failed" (and the groups that failed).
test_summary() { # [PREFIX]
  wait
  TEST_RUNNING=0
  local passed=0 failed=0 n p f bad=()
  for n in "${TEST_NAMES[@]}"; do
    read -r p f <"$BUILD/tests/$n.result" 2>/dev/null || { p=0; f=1; }
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" = 0 ] || bad+=("$n")
  done
  [ ${#bad[@]} -eq 0 ] || say "failed: ${bad[*]}"
  say "${1:-}$passed passed, $failed failed"
  [ "$failed" = 0 ]
}

# One file per module, in folders that mirror the rooms.
UNIT_TESTS=(arena/test_arena arena/test_pool arena/test_heap arena/test_arena_stats base/test_block base/test_units
            base/test_events os/test_fs os/test_watch os/test_crash os/test_dirty os/test_probe os/test_symbols
            os/test_watchdog os/test_command reload/test_layout reload/test_declared reload/test_scan reload/test_registry
            stats/test_report stats/test_diff rebuild/test_rebuild platform/test_media platform/test_input
            platform/test_audio platform/test_font platform/test_screenshot platform/test_video
            test_cli test_status checkpoint/test_blockset checkpoint/test_recording checkpoint/test_checksum checkpoint/test_epochs
            checkpoint/test_heap_log checkpoint/test_snapshot checkpoint/test_state_file)

# The unit tests of VARIANT (build/tests/VARIANT/...), linked with that variant's host objects.
build_unit_tests() { # VARIANT FLAGS...
  local variant="$1" t; shift
  host_objects "$variant" "$@" || return 1
  local lib=("${HOST_OBJECTS[@]}")
  local srcs=("${UNIT_TESTS[@]/#/tests/unit/}")
  compile_objects "$BUILD/obj/$variant-tests" "" "${CFLAGS[@]}" "$@" "${PLATFORM_CFLAGS[@]}" -I. -I"$BUILD/gen" -- \
    "${srcs[@]/%/.c}" || return 1
  local objs=("${OBJECTS[@]}") i
  for i in "${!UNIT_TESTS[@]}"; do
    t="${UNIT_TESTS[i]}"
    link "$BUILD/tests/$variant/$t" "${objs[i]}" "${lib[@]}" -- "$@" -lcmocka "${HOST_LIBS[@]}" || return 1
  done
}

INTEGRATION_TESTS=(reload crash probe threads layout repair stats terminal workflow window timeline)

build_integration_tests() {
  compile_objects "$BUILD/obj/integration" "" "${CFLAGS[@]}" "${OPT[@]}" "${PLATFORM_CFLAGS[@]}" -I. -- \
    tests/integration/harness.c $(printf 'tests/integration/test_%s.c ' "${INTEGRATION_TESTS[@]}") \
    tests/integration/test_soak.c || return 1
  local harness="${OBJECTS[0]}" o x11
  for o in "${OBJECTS[@]:1}"; do
    x11=() && [ "$(basename "$o")" = test_window.o ] && x11=(-lX11) # it reads the window back from the X server
    link "$BUILD/tests/$(basename "${o%.o}")" "$o" "$harness" -- -lcmocka "${x11[@]}" || return 1
  done
}

# valgrind over the unit tests, but those that use the block's heap (test_heap and the checkpoint
# tests on a heap region): valgrind replaces malloc wherever it is defined, and Debian's libmimalloc
# defines malloc at the same address as mi_malloc, so under valgrind the heap's allocations would be
# valgrind's own, outside the region. test_crash's crashes are invalid accesses on purpose, each one
# a valgrind error; test_probe starts itself as the probe (/proc/self/exe), which is valgrind there.
VALGRIND_EXCLUDE=(arena/test_heap os/test_crash os/test_probe checkpoint/test_checksum checkpoint/test_epochs
                  checkpoint/test_heap_log checkpoint/test_snapshot checkpoint/test_state_file)
start_valgrind_tests() {
  local t x
  for t in "${UNIT_TESTS[@]}"; do
    for x in "${VALGRIND_EXCLUDE[@]}"; do [ "$t" = "$x" ] && continue 2; done
    test_start "valgrind/$t" valgrind -q --error-exitcode=99 --leak-check=full "$BUILD/tests/unit/$t"
  done
}

# ---- fuzzing (libFuzzer, clang) --------------------------------------------------------------------

FUZZERS=(arena image cli symbols state recording)
FUZZ_TEST_RUNS=20000 # per fuzzer in ./build.sh test; ./build.sh fuzz [RUNS] goes further
FUZZ_SRC=("${ARENA_SRC[@]}" "${HEAP_SRC[@]}" host/base/error.c host/base/units.c host/cli.c host/platform/input.c
          host/base/block.c host/os/loader_posix.c host/os/symbols.c host/os/symbols_posix.c host/os/fs_common.c host/os/fs_posix.c
          host/checkpoint/blockset.c host/checkpoint/bytes.c host/checkpoint/checksum.c host/checkpoint/heap_log.c
          host/checkpoint/recording.c host/checkpoint/state_file.c host/checkpoint/state_layouts.c)

build_fuzzers() {
  command -v clang >/dev/null 2>&1 || need_packages clang libclang-rt-dev
  local flags=(-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined "${WARN[@]}" -I.) f
  CC=clang compile_objects "$BUILD/obj/fuzz" "" "${flags[@]}" -- "${FUZZ_SRC[@]}" || return 1
  local lib=("${OBJECTS[@]}")
  for f in "${FUZZERS[@]}"; do
    CC=clang compile_objects "$BUILD/obj/fuzz" "" "${flags[@]}" -- tests/fuzz/fuzz_$f.c &&
      CC=clang link "$BUILD/fuzz/fuzz_$f" "${OBJECTS[@]}" "${lib[@]}" -- -fsanitize=fuzzer,address,undefined -ldl \
        "${HOST_LIBS[@]}" ||
      return 1
  done
}

# One fuzzer for RUNS inputs, as one test: it passes when nothing was found. The library fuzzers
# start from a real game library.
fuzz_one() { # NAME RUNS
  local f="$1" corpus=() max_len=4096
  [ "$f" = image ] || [ "$f" = symbols ] && corpus=("$BUILD/fuzz/corpus-image")
  [ "$f" = symbols ] && max_len=262144 # a whole library: its symbol table sits at the end
  [ "$f" = state ] || [ "$f" = recording ] && { corpus=("$BUILD/fuzz/corpus-$f"); max_len=65536; }
  if (cd "$BUILD/fuzz" && ./fuzz_$f -seed=1 -runs="$2" -max_len="$max_len" "${corpus[@]}" >"fuzz_$f.out" 2>&1); then
    echo "fuzz_$f: $(grep -E '^Done' "$BUILD/fuzz/fuzz_$f.out" | tail -n 1)"
    echo "[  PASSED  ] 1 test(s)."
  else
    tail -n 30 "$BUILD/fuzz/fuzz_$f.out"
    echo "fuzz_$f: FAILED (input saved in $BUILD/fuzz)"
    echo "[  FAILED  ] 1 test(s)."
  fi
}

# Seeds for the file readers, written by the real host: a state file, a recording from init and one
# that starts from that state.
fuzz_seed_files() {
  local lib="$ROOT/game_template/build/libgame.so" state="$BUILD/fuzz/corpus-state" rec="$BUILD/fuzz/corpus-recording"
  rm -rf "$state" "$rec"
  mkdir -p "$state" "$rec"
  "$BUILD/host" --headless --fps 0 --frames 5 --save-state "$state/template.state" --record "$rec/init.rec" \
    "$lib" >/dev/null 2>&1 &&
    "$BUILD/host" --headless --fps 0 --frames 3 --load-state "$state/template.state" --record "$rec/loaded.rec" \
      "$lib" >/dev/null 2>&1
}

start_fuzzers() { # RUNS
  mkdir -p "$BUILD/fuzz/corpus-image"
  cp -f "$ROOT/game_template/build/libgame.so" "$BUILD/fuzz/corpus-image/"
  fuzz_seed_files || die "the host could not write the fuzzers' seed files"
  local f
  for f in "${FUZZERS[@]}"; do test_start "fuzz/$f" fuzz_one "$f" "$1"; done
}

# Everything the suite runs, built once (the compiles $JOBS at a time), then run in groups.
build_tests() {
  build_host
  build_game "$ROOT/game_template" >/dev/null
  build_unit_tests unit "${OPT[@]}" &&
    build_unit_tests asan "${SAN[@]}" &&
    build_host_variant asan "$BUILD/asan/host" "${SAN[@]}" &&
    build_integration_tests &&
    build_fuzzers || die "test build failed (see above)"
  command -v valgrind >/dev/null 2>&1 || need_packages valgrind
  command -v gdb >/dev/null 2>&1 || need_packages gdb
  command -v lldb >/dev/null 2>&1 || need_packages lldb
}

cmd_test() {
  local t0=$SECONDS
  ensure_deps test
  build_tests
  win_build_tests_all
  say "(built in $((SECONDS - t0)) s; running $JOBS groups at a time)"
  local t
  # the longest first, so that the last to finish is a short one
  for t in crash reload repair layout timeline; do
    test_start "integration-asan/test_$t" env ENGINE_ROOT="$ROOT" HOST_BIN="$BUILD/asan/host" GAME_CFLAGS="${SAN[*]}" \
      ASAN_OPTIONS=detect_leaks=0 "$BUILD/tests/test_$t"
    test_start "integration/test_$t" env ENGINE_ROOT="$ROOT" HOST_BIN="$BUILD/host" "$BUILD/tests/test_$t"
  done
  test_start windows win_run_tests
  for t in probe threads stats terminal; do
    test_start "integration-asan/test_$t" env ENGINE_ROOT="$ROOT" HOST_BIN="$BUILD/asan/host" GAME_CFLAGS="${SAN[*]}" \
      ASAN_OPTIONS=detect_leaks=0 "$BUILD/tests/test_$t"
    test_start "integration/test_$t" env ENGINE_ROOT="$ROOT" HOST_BIN="$BUILD/host" "$BUILD/tests/test_$t"
  done
  test_start integration/test_workflow env ENGINE_ROOT="$ROOT" HOST_BIN="$BUILD/host" "$BUILD/tests/test_workflow"
  test_start integration/test_window env ENGINE_ROOT="$ROOT" HOST_BIN="$BUILD/host" "$BUILD/tests/test_window"
  test_start integration/test_soak env ENGINE_ROOT="$ROOT" "$BUILD/tests/test_soak"
  start_valgrind_tests
  start_fuzzers "$FUZZ_TEST_RUNS"
  for t in "${UNIT_TESTS[@]}"; do
    test_start "unit/$t" "$BUILD/tests/unit/$t"
    test_start "asan/$t" env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$BUILD/tests/asan/$t"
  done
  local rc=0
  test_summary || rc=$?
  say "(suite: $((SECONDS - t0)) s)"
  return $rc
}

# ---- benchmarks ---------------------------------------------------------------------------------

cmd_bench() {
  ensure_deps bench
  build_host
  compile "$BUILD/bench/bench_frame" "${CFLAGS[@]}" -O2 -DNDEBUG -I. tests/bench/bench_frame.c \
    "${ARENA_SRC[@]}" "${HOST_LIBS[@]}"
  compile "$BUILD/bench/bench_heap" "${CFLAGS[@]}" -O2 -DNDEBUG -I. tests/bench/bench_heap.c host/stats/heap_sites.c \
    "${ARENA_SRC[@]}" "${HEAP_SRC[@]}" "${HOST_LIBS[@]}" -lm
  compile "$BUILD/bench/bench_reload" "${CFLAGS[@]}" -O2 -DNDEBUG tests/bench/bench_reload.c \
    tests/integration/harness.c -ldl -lpthread
  compile "$BUILD/bench/bench_workflow" "${CFLAGS[@]}" -O2 -DNDEBUG tests/bench/bench_workflow.c \
    tests/integration/harness.c
  compile "$BUILD/bench/bench_state" "${CFLAGS[@]}" -O2 -DNDEBUG tests/bench/bench_state.c tests/integration/harness.c
  compile "$BUILD/bench/bench_checkpoint" "${CFLAGS[@]}" -O2 -DNDEBUG -I. tests/bench/bench_checkpoint.c \
    "${ARENA_SRC[@]}" "${HEAP_SRC[@]}" host/base/block.c host/base/error.c host/base/units.c host/os/block_posix.c \
    host/os/dirty.c host/os/dirty_posix.c host/os/fs_posix.c host/os/fs_common.c host/checkpoint/snapshot.c \
    host/checkpoint/epochs.c host/checkpoint/heap_log.c host/checkpoint/bytes.c host/checkpoint/checksum.c \
    host/checkpoint/blockset.c host/checkpoint/recording.c "${HOST_LIBS[@]}"
  compile "$BUILD/bench/bench_scan" "${CFLAGS[@]}" -O2 -DNDEBUG -I. tests/bench/bench_scan.c host/reload/scan.c
  host_objects host "${OPT[@]}" || die "host build failed (see above)"
  compile "$BUILD/bench/bench_present" "${CFLAGS[@]}" -O2 -DNDEBUG "${PLATFORM_CFLAGS[@]}" -I. tests/bench/bench_present.c \
    tests/integration/harness.c "${HOST_OBJECTS[@]}" "${HOST_LIBS[@]}"
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
  "$BUILD/bench/bench_checkpoint"
  echo
  ENGINE_ROOT="$ROOT" "$BUILD/bench/bench_reload"
  echo
  "$BUILD/bench/bench_scan"
  echo
  ENGINE_ROOT="$ROOT" "$BUILD/bench/bench_workflow"
  echo
  ENGINE_ROOT="$ROOT" "$BUILD/bench/bench_present"
  echo
  ENGINE_ROOT="$ROOT" "$BUILD/bench/bench_state"
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
    game)
      [ "${1:-}" = --release ] && { GAME_OPT="$GAME_OPT_RELEASE"; shift; }
      local d; d="$(game_dir "${1:-}")"; build_game "$d" ;;
    run)
      local d="$ROOT/game_template" release=() arg watch=()
      [ "${1:-}" = --release ] && { GAME_OPT="$GAME_OPT_RELEASE"; release=(--release); shift; }
      if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then d="$1"; shift; fi
      d="$(game_dir "$d")"
      ensure_deps; build_host; build_game "$d"
      # --watch: the host runs this script's game build on every save
      for arg; do [ "$arg" = --watch ] && watch=(--build-command "$(printf '%q ' "$ROOT/build.sh" game "${release[@]}" "$d")"); done
      exec "$BUILD/host" "${watch[@]}" "$@" "$d/build/libgame.so" ;;
    release) ensure_deps; local d; d="$(game_dir "${1:-}")"; build_release "$d" ;;
    test)    cmd_test ;;
    fuzz)    ensure_deps; build_host; build_game "$ROOT/game_template" >/dev/null
             build_fuzzers || die "fuzzer build failed (see above)"; start_fuzzers "${1:-1000000}"; test_summary ;;
    bench)   cmd_bench ;;
    windows) win_main "$@" ;;
    test-windows) win_cmd_test ;;
    help|-h|--help) usage ;;
    *) die "unknown command '$cmd'; commands: build run game release test bench fuzz windows test-windows help" ;;
  esac
}

main "$@"
