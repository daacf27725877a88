# build_windows.sh - the Windows half of build.sh, sourced by it: cross-compile with MinGW-w64 and
# run the result under Wine (see tests/windows/README.md). Uses build.sh's compile, run_cmocka,
# CFLAGS and source lists, so the Windows build follows the Linux one module by module.
#
#   ./build.sh windows                  host.exe, game_template's game.dll and the tests, in build/win
#   ./build.sh windows game [GAME_DIR]  only GAME_DIR/build/game.dll: what a running host reloads
#   ./build.sh test-windows             all of it under Wine; ends with "windows: N passed, N failed"

WIN_CC=x86_64-w64-mingw32-gcc
WIN_CXX=x86_64-w64-mingw32-g++
WIN_BUILD="$BUILD/win"
# Unit tests that cannot run on Windows: heap, block, fs and crash use fork, /proc, mmap, POSIX
# modes or signals throughout, symbols reads ELF files (test_windows.c proves the same things of the
# Win32 halves); scan needs aligned_alloc, which the Windows C runtime lacks (scan.c is OS-free).
WIN_UNIT_EXCLUDE=(arena/test_heap base/test_block os/test_fs os/test_crash os/test_symbols reload/test_scan)
WIN_LIBS=(-lmimalloc -lprotobuf-c -lSDL2 -lbcrypt -ladvapi32 -ldbghelp)
# SDL2's headers (SDL.h without the SDL2/ prefix, as sdl2-config says) and stb's, from deps.sh.
win_platform_flags() { WIN_PLATFORM_CFLAGS=(-I"$WIN_DEPS/include/SDL2" -I"$WIN_DEPS/include"); }

# The Linux source lists with the _win32 half of each OS pair.
win_sources() { # ARRAY_NAME...
  local name src
  for name in "$@"; do
    local all="$name[@]"
    for src in "${!all}"; do printf '%s\n' "${src/_posix.c/_win32.c}"; done
  done
}

win_deps() {
  # shellcheck source=deps.sh
  source "$ROOT/tests/windows/deps.sh" "$WIN_BUILD/deps" || die "tests/windows/deps.sh failed (see above)"
  win_platform_flags
}

win_compile() { CC="$WIN_CC" compile "$@"; }

# The host's modules once, as a static library the host and every test link (only what changed is
# compiled again).
win_build_host_lib() {
  local srcs
  gen_proto || return 1
  mapfile -t srcs < <(win_sources ARENA_SRC HEAP_SRC HOST_LIB_SRC)
  CC="$WIN_CC" compile_objects "$WIN_BUILD/obj" "" "${CFLAGS[@]}" "${OPT[@]}" "${WIN_PLATFORM_CFLAGS[@]}" -I"$BUILD/gen" -DMI_SHARED_LIB \
    -- "${srcs[@]}" host/os/util_win32.c host/os/loader_win32.c || return 1
  local o
  for o in "${OBJECTS[@]}"; do [ -f "$WIN_BUILD/libhost.a" ] && [ ! "$o" -nt "$WIN_BUILD/libhost.a" ] || { o=stale; break; }; done
  [ "$o" = stale ] || return 0
  rm -f "$WIN_BUILD/libhost.a"
  x86_64-w64-mingw32-ar rcs "$WIN_BUILD/libhost.a" "${OBJECTS[@]}"
}

win_build_host() {
  win_build_host_lib
  win_compile "$WIN_BUILD/host.exe" "${CFLAGS[@]}" "${OPT[@]}" "${WIN_PLATFORM_CFLAGS[@]}" -I"$BUILD/gen" -DMI_SHARED_LIB host/main.c \
    "$WIN_BUILD/libhost.a" -L"$WIN_DEPS/lib" "${WIN_LIBS[@]}"
  cp -f "$WIN_DEPS/bin/mimalloc.dll" "$WIN_DEPS/bin/SDL2.dll" "$WIN_BUILD/" # Windows looks beside the .exe first
}

# A game's C++ sources compiled for Windows (MinGW g++, build.sh's C++ flags, installed with the
# first game that has C++ sources): WIN_CXX_OBJECTS.
win_build_game_cxx() { # GAME_DIR FLAGS...
  local dir="$1" src obj flags cxx; shift
  WIN_CXX_OBJECTS=()
  mapfile -t cxx < <(game_sources "$dir" | grep -vE '\.c$')
  [ ${#cxx[@]} -gt 0 ] || return 0
  command -v "$WIN_CXX" >/dev/null 2>&1 || need_packages g++-mingw-w64-x86-64
  # no patchable entries in C++: MinGW's g++ then calls template functions (COMDAT sections) at
  # wrong addresses; --old-code forward counts such a build's functions as unpatchable
  mapfile -t flags < <(CXX=$WIN_CXX cxx_flags "$@" | grep -v '^-fpatchable-function-entry')
  for src in "${cxx[@]}"; do
    obj="$dir/build/obj-win/$(basename "${src%.*}").o"
    mkdir -p "$(dirname "$obj")"
    "$WIN_CXX" "${flags[@]}" -c "$src" -o "$obj" || return 1
    WIN_CXX_OBJECTS+=("$obj")
  done
}

# GAME_DIR/build/game.dll under game.dll.lock, written to a temporary name and renamed, like build_game.
# -static-libgcc (and for C++ -static-libstdc++): else the DLL needs MinGW's runtime DLLs at run time.
# A game with C++ sources links with g++; its C sources are still compiled as C (-x c).
win_build_game() { # GAME_DIR
  local dir="$1" ok=0 extra=() opt=() csrcs linker="$WIN_CC" static=(-static-libgcc)
  local lock="$dir/build/game.dll.lock"
  read -r -a extra <<<"${GAME_CFLAGS:-}"
  read -r -a opt <<<"${GAME_OPT:-$GAME_OPT_DEFAULT}"
  mapfile -t csrcs < <(game_sources "$dir" | grep -E '\.c$')
  mkdir -p "$dir/build"
  echo $$ >"$lock"
  # DWARF 4: the version Wine's DbgHelp reads for source lines
  local flags=("${CFLAGS[@]}" -gdwarf-4 "${opt[@]}" "${GAME_PATCHABLE[@]}" "${extra[@]}" -I"$ROOT/host/api" -I"$ROOT/arena" -I"$dir")
  win_build_game_cxx "$dir" "${flags[@]}" 2>"$dir/build/game.dll.msgs" || ok=$?
  [ ${#WIN_CXX_OBJECTS[@]} -gt 0 ] && { linker="$WIN_CXX"; static+=(-static-libstdc++); }
  local c_args=() f
  # "-x c" before every C file: after the first, MinGW's g++ driver takes a .c file as C++ again
  for f in "${csrcs[@]}" $(win_sources ARENA_SRC); do c_args+=(-x c "$f"); done
  [ $ok = 0 ] && CC="$linker" compile "$dir/build/game.dll" "${flags[@]}" -shared "${static[@]}" "${c_args[@]}" \
    -x none "${WIN_CXX_OBJECTS[@]}" 2>>"$dir/build/game.dll.msgs" || ok=$?
  cat "$dir/build/game.dll.msgs" >&2
  write_build_result "$dir/build/game.dll" "$([ $ok = 0 ] && echo ok || echo failed)" "$dir/build/game.dll.msgs"
  rm -f "$lock" "$dir/build/game.dll.msgs"
  [ $ok = 0 ] || die "windows game build failed in $dir (the running host keeps the last good version)"
  say "built $dir/build/game.dll"
}

win_unit_tests() {
  local t x
  for t in "${UNIT_TESTS[@]}"; do
    for x in "${WIN_UNIT_EXCLUDE[@]}"; do [ "$t" = "$x" ] && continue 2; done
    printf '%s\n' "$t"
  done
}

# A cmocka test for Windows. -Wno-format: under MinGW, cmocka.h declares print_error with the
# msvcrt printf format, which knows no %zu. winpthread statically, for nanosleep in test_util.h.
win_build_test() { # SOURCE
  local name; name="$(basename "${1%.c}")"
  win_compile "$WIN_BUILD/tests/$name.exe" "${CFLAGS[@]}" "${OPT[@]}" -Wno-format -I. "${WIN_PLATFORM_CFLAGS[@]}" -I"$BUILD/gen" \
    -DMI_SHARED_LIB "$1" "$WIN_BUILD/libhost.a" -L"$WIN_DEPS/lib" -lcmocka "${WIN_LIBS[@]}" \
    -Wl,-Bstatic -lpthread -Wl,-Bdynamic
}

# The portable unit tests, and the Windows-only ones in tests/windows/test_windows.c.
win_build_tests() {
  local t
  for t in $(win_unit_tests); do win_build_test tests/unit/$t.c; done
  win_build_test tests/windows/test_windows.c
  win_compile "$WIN_BUILD/tests/fake_cl.exe" "${CFLAGS[@]}" "${OPT[@]}" tests/windows/fake_cl.c # for test_scripts.sh
}

win_cmd_build() {
  win_deps
  win_build_host
  win_build_game "$ROOT/game_template"
  win_build_tests
  say "built $WIN_BUILD/host.exe and the tests in $WIN_BUILD/tests"
}

# The Windows build of ./build.sh test: everything built once, before the groups run.
win_build_tests_all() {
  win_cmd_build >/dev/null || die "windows build failed (see above)"
  cp -f "$WIN_DEPS/bin/mimalloc.dll" "$WIN_DEPS/bin/SDL2.dll" "$WIN_BUILD/tests/"
  cp -f "$ROOT/game_template/build/game.dll" "$WIN_BUILD/tests/" # test_windows loads a real game
}

# A test binary under Wine. Output goes to a file (run_cmocka does that), never a pipe: Wine's
# services keep a pipe open after the program ends.
win_run_cmocka() { # NAME EXE
  run_cmocka "$1" env -C "$WIN_BUILD/tests" wine "$2" # beside game.dll and mimalloc.dll
}

# Every Windows test, one after another (one test group of ./build.sh test): their logs, then the
# group's counts as one cmocka summary.
win_run_tests() {
  local t names=()
  for t in $(win_unit_tests) test_windows; do
    names+=("windows/${t##*/}")
    win_run_cmocka "windows/${t##*/}" "$WIN_BUILD/tests/${t##*/}.exe"
  done
  names+=(windows/test_reload windows/test_probe windows/test_window windows/test_repair windows/test_timeline windows/test_scripts)
  run_cmocka windows/test_reload bash "$ROOT/tests/windows/test_reload.sh"
  run_cmocka windows/test_probe bash "$ROOT/tests/windows/test_probe.sh"
  run_cmocka windows/test_window bash "$ROOT/tests/windows/test_window.sh"
  run_cmocka windows/test_repair bash "$ROOT/tests/windows/test_repair.sh"
  run_cmocka windows/test_timeline bash "$ROOT/tests/windows/test_timeline.sh"
  run_cmocka windows/test_scripts bash "$ROOT/tests/windows/test_scripts.sh"
  wineserver -w # no Wine process outlives the run
  local passed=0 failed=0 p f
  for t in "${names[@]}"; do
    read -r p f <"$BUILD/tests/$t.result" || { p=0; f=1; }
    passed=$((passed + p))
    failed=$((failed + f))
  done
  echo "windows: $passed passed, $failed failed"
  echo "[  PASSED  ] $passed test(s)."
  echo "[  FAILED  ] $failed test(s)."
}

win_cmd_test() {
  win_build_tests_all
  test_start windows win_run_tests
  test_summary "windows: "
}

win_main() { # ARGS... (after `windows`)
  case "${1:-}" in
    "") win_cmd_build ;;
    game) win_deps; local d; d="$(game_dir "${2:-}")"; win_build_game "$d" ;;
    *) die "unknown windows command '$1'; use: ./build.sh windows [game [GAME_DIR]]" ;;
  esac
}
