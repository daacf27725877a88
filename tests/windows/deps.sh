#!/usr/bin/env bash
# Prepare everything to cross-compile for Windows (MinGW-w64) and run the result under Wine, on Debian 12.
# Idempotent: a second run only checks that the outputs are there. See README.md beside this file.
#
#   tests/windows/deps.sh [OUT]          OUT defaults to <repo>/build/win/deps
#   eval "$(tests/windows/deps.sh)"      or: source tests/windows/deps.sh   -> exports WINEPREFIX etc.
#
# OUT/include/{mimalloc.h,cmocka.h,protobuf-c/protobuf-c.h,SDL2/,stb_*.h}
# OUT/lib/{libmimalloc.dll.a,libcmocka.a,libprotobuf-c.a,libSDL2.dll.a}
# OUT/bin/{mimalloc.dll,SDL2.dll}  OUT/src (Debian source packages, cached)  OUT/wineprefix  OUT/deps.log
# Progress and errors go to stderr; stdout carries only the `export` lines.

if [[ ${BASH_SOURCE[0]} != "$0" ]]; then # sourced: run as a child (keeps the caller's shell options), take its exports
    _deps_env=$(bash "${BASH_SOURCE[0]}" "$@") && eval "$_deps_env"
    return
fi
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$ROOT/build/win/deps}
mkdir -p "$OUT"/{include,lib,bin,src} && OUT=$(cd "$OUT" && pwd)
LOG=$OUT/deps.log && : >"$LOG"
CC=x86_64-w64-mingw32-gcc
MI_VER=2.0.9 CM_VER=1.1.5 PB_VER=1.4.1 SDL_VER=2.26.5
SUDO= && [ "$(id -u)" -eq 0 ] || SUDO=sudo

STEP=starting HINT=
trap 'echo "deps.sh: FAILED while $STEP (deps.sh line $LINENO). $HINT Full log: $LOG" >&2' ERR
say() { echo "deps.sh: $*" >&2; }
log() { "$@" >>"$LOG" 2>&1 || { tail -n 15 "$LOG" >&2; return 1; }; } # quiet unless it fails
apt() { log $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -q -y "$@"; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
src_dir() { local d; for d in "$OUT/src/$1-$2"*/; do [ -d "$d" ] && echo "${d%/}" && return; done; return 1; }

# 1. Packages. dpkg-dev provides dpkg-source, which `apt-get source` needs to unpack; make builds SDL2;
#    libstb-dev holds the stb headers the host uses (header-only: the same files serve MinGW).
STEP="installing Debian packages" HINT="Try 'apt-get install gcc-mingw-w64-x86-64 wine wine64 dpkg-dev make libstb-dev' as root."
missing=()
for p in gcc-mingw-w64-x86-64 wine wine64 dpkg-dev make libstb-dev; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
    say "installing ${missing[*]} ..."
    apt update
    apt install "${missing[@]}"
fi

# 2. Sources of mimalloc, cmocka, protobuf-c and SDL2, from Debian's source packages (the only source the workplace can reach).
if ! src_dir mimalloc $MI_VER >/dev/null || ! src_dir cmocka $CM_VER >/dev/null || ! src_dir protobuf-c $PB_VER >/dev/null ||
    ! src_dir libsdl2 $SDL_VER >/dev/null; then
    STEP="fetching Debian source packages mimalloc, cmocka, protobuf-c and libsdl2"
    HINT="apt needs a deb-src entry for Debian main (this script adds /etc/apt/sources.list.d/debian-src.sources if none exists)."
    if [ -z "$(apt-cache showsrc mimalloc 2>/dev/null)" ]; then
        # A deb-src line may sit in either format: one-line (sources.list, *.list) or deb822 (*.sources).
        if ! grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list &&
            ! grep -qsiE '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources; then
            # shellcheck source=/dev/null
            codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
            key=/usr/share/keyrings/debian-archive-keyring.gpg signed=
            [ -f "$key" ] && signed="Signed-By: $key"
            say "adding a deb-src entry for $codename main"
            printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\n%s\n' \
                "$codename" "$signed" | $SUDO tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
        fi
        apt update
    fi
    say "downloading source packages into $OUT/src ..."
    fetch=()
    src_dir mimalloc $MI_VER >/dev/null || fetch+=(mimalloc)
    src_dir cmocka $CM_VER >/dev/null || fetch+=(cmocka)
    src_dir protobuf-c $PB_VER >/dev/null || fetch+=(protobuf-c)
    src_dir libsdl2 $SDL_VER >/dev/null || fetch+=(libsdl2)
    (cd "$OUT/src" && log apt-get source -q "${fetch[@]}") # not as sudo: only writes into OUT/src
fi
STEP="checking source versions" HINT="Expected mimalloc $MI_VER, cmocka $CM_VER, protobuf-c $PB_VER and libsdl2 $SDL_VER in $OUT/src; found: $(cd "$OUT/src" && echo *)"
MI=$(src_dir mimalloc $MI_VER)
CM=$(src_dir cmocka $CM_VER)
PB=$(src_dir protobuf-c $PB_VER)
SDL=$(src_dir libsdl2 $SDL_VER)

# 3. mimalloc.dll + import library, built as one unit from src/static.c (what its CMake build compiles too).
#  MI_WIN_NOREDIRECT: no mimalloc-redirect.dll; without it the link fails on __imp_mi_allocator_init.
#  No MI_MALLOC_OVERRIDE: the DLL exports mi_* only and does not replace malloc/free.
#  -static-libgcc: otherwise the DLL needs libgcc_s_seh-1.dll at run time. NDEBUG: else MI_DEBUG=2 (internal asserts).
if [ ! -f "$OUT/bin/mimalloc.dll" ] || [ ! -f "$OUT/lib/libmimalloc.dll.a" ] || [ ! -f "$OUT/include/mimalloc.h" ]; then
    STEP="building mimalloc.dll from $MI" HINT="See the compiler output above."
    say "building mimalloc.dll ..."
    tmp=$OUT/src/build-mimalloc && rm -rf "$tmp" && mkdir -p "$tmp" # the DLL's name is baked in: build under the final name
    log $CC -O2 -DNDEBUG -shared -I"$MI/include" -DMI_SHARED_LIB -DMI_SHARED_LIB_EXPORT -DMI_WIN_NOREDIRECT=1 \
        "$MI/src/static.c" -o "$tmp/mimalloc.dll" -Wl,--out-implib,"$tmp/libmimalloc.dll.a" \
        -static-libgcc -lpsapi -lshell32 -luser32 -ladvapi32 -lbcrypt
    cp "$MI/include/mimalloc.h" "$OUT/include/"
    mv "$tmp/libmimalloc.dll.a" "$OUT/lib/" && mv "$tmp/mimalloc.dll" "$OUT/bin/"
fi

# 4. libcmocka.a: cmocka.c alone, with a config.h standing in for its CMake checks.
#  No HAVE_CLOCK_GETTIME: MinGW has it only in libwinpthread, so tests report 0 s instead of needing that DLL.
if [ ! -f "$OUT/lib/libcmocka.a" ] || [ ! -f "$OUT/include/cmocka.h" ]; then
    STEP="building libcmocka.a from $CM" HINT="See the compiler output above."
    say "building libcmocka.a ..."
    tmp=$OUT/src/build-cmocka && rm -rf "$tmp" && mkdir -p "$tmp"
    printf '#define HAVE_%s 1\n' MALLOC_H INTTYPES_H SIGNAL_H STRINGS_H STRUCT_TIMESPEC GCC_THREAD_LOCAL_STORAGE >"$tmp/config.h"
    log $CC -O2 -DNDEBUG -DHAVE_CONFIG_H -I"$tmp" -I"$CM/include" -c "$CM/src/cmocka.c" -o "$tmp/cmocka.o"
    log x86_64-w64-mingw32-ar rcs "$tmp/libcmocka.a" "$tmp/cmocka.o"
    cp "$CM/include/cmocka.h" "$OUT/include/"
    mv "$tmp/libcmocka.a" "$OUT/lib/"
fi

# 5. SDL2.dll + import library + headers: SDL's own MinGW-w64 build (its configure script, run from
#  Debian's source package, with --host). It needs only Windows' system DLLs and msvcrt.dll.
if [ ! -f "$OUT/bin/SDL2.dll" ] || [ ! -f "$OUT/lib/libSDL2.dll.a" ] || [ ! -f "$OUT/include/SDL2/SDL.h" ]; then
    STEP="building SDL2.dll from $SDL" HINT="See the configure and make output in the log."
    say "building SDL2.dll (about 2 minutes on 2 cores) ..."
    tmp=$OUT/src/build-sdl2 && rm -rf "$tmp" && mkdir -p "$tmp"
    (cd "$tmp" && log "$SDL/configure" --host=x86_64-w64-mingw32 --prefix="$tmp/install" --disable-static --enable-shared &&
        log make -j"$(nproc)" && log make install)
    rm -rf "$OUT/include/SDL2" && cp -r "$tmp/install/include/SDL2" "$OUT/include/"
    cp "$tmp/install/lib/libSDL2.dll.a" "$OUT/lib/" && cp "$tmp/install/bin/SDL2.dll" "$OUT/bin/"
fi
STEP="copying the stb headers" HINT="They come with Debian's libstb-dev (/usr/include/stb)."
for h in stb_image_write.h stb_easy_font.h stb_image.h; do [ -f "$OUT/include/$h" ] || cp "/usr/include/stb/$h" "$OUT/include/"; done

# 6. A Wine prefix for headless runs.
#  mscoree,mshtml= : skip the Mono/Gecko install prompts. winemenubuilder.exe=d : no desktop menu entries.
#  WINEDEBUG -all keeps fixme/err noise out of test output, but err+module still names a DLL that failed to load.
#  WINEPATH: where Windows looks for mimalloc.dll (besides the .exe's folder and the current folder).
# protobuf-c's runtime is one C file: the host's pprof writer (--alloc-profile) links it statically.
if [ ! -f "$OUT/lib/libprotobuf-c.a" ] || [ ! -f "$OUT/include/protobuf-c/protobuf-c.h" ]; then
    STEP="building libprotobuf-c.a from $PB" HINT="See the compiler output above."
    say "building libprotobuf-c.a ..."
    tmp=$OUT/src/build-protobuf-c && rm -rf "$tmp" && mkdir -p "$tmp"
    log $CC -O2 -DNDEBUG -I"$PB" -c "$PB/protobuf-c/protobuf-c.c" -o "$tmp/protobuf-c.o"
    log x86_64-w64-mingw32-ar rcs "$tmp/libprotobuf-c.a" "$tmp/protobuf-c.o"
    mkdir -p "$OUT/include/protobuf-c"
    cp "$PB/protobuf-c/protobuf-c.h" "$OUT/include/protobuf-c/"
    mv "$tmp/libprotobuf-c.a" "$OUT/lib/"
fi

export WINEPREFIX=$OUT/wineprefix WINEDEBUG=-all,err+module WINEPATH=$OUT/bin
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
if [ ! -f "$WINEPREFIX/.deps-ready" ]; then
    STEP="initialising the Wine prefix $WINEPREFIX" HINT="Try 'rm -rf $WINEPREFIX' and run again."
    say "initialising the Wine prefix (about 10 s) ..."
    t0=$SECONDS
    rm -rf "$WINEPREFIX" # left over from an interrupted run
    log env WINEARCH=win64 wineboot --init
    # With the default `winedbg --auto`, a crashing program sometimes exits 0 (seen ~1 in 15). With no debugger
    # Wine ends it with the exception code (access violation -> exit status 5), every time.
    log wine reg add 'HKLM\Software\Microsoft\Windows NT\CurrentVersion\AeDebug' /v Debugger /d '' /f
    log wineserver -w # wait for the wineserver to exit, so the registry is on disk
    touch "$WINEPREFIX/.deps-ready"
    say "Wine prefix ready in $((SECONDS - t0)) s"
fi

say "ready: $OUT"
for v in WINEPREFIX WINEDEBUG WINEDLLOVERRIDES WINEPATH; do printf "export %s='%s'\n" "$v" "${!v}"; done
printf "export WIN_DEPS='%s'\n" "$OUT"
