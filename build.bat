@echo off
rem build.bat - build, run and test the hot-reload host (Windows, MSVC); mirrors build.sh.
rem
rem   build.bat                  build the host (build\host.exe) and game_template
rem   build.bat run [GAME_DIR]   build, then run the host on GAME_DIR (default game_template)
rem   build.bat game [GAME_DIR]  rebuild only the game library: what you run while the host is open
rem   build.bat release [GAME_DIR]  one executable with the game linked in (GAME_DIR\build\game.exe)
rem   build.bat test             build and run the tests that run on Windows
rem   build.bat help
rem
rem Options after `run` that start with -- go to the host, e.g.
rem   build.bat run game_template --fps 30
rem
rem Run it in an "x64 Native Tools Command Prompt for VS 2022" (cl.exe on PATH). mimalloc, cmocka,
rem protobuf-c, SDL2 and stb come from vcpkg (vcpkg.json beside this file; VCPKG_ROOT or vcpkg on PATH),
rem or from MIMALLOC_DIR, CMOCKA_DIR, PROTOBUF_C_DIR and SDL2_DIR: folders with include\, lib\ and bin\
rem (SDL2_DIR's include\ holds SDL2\SDL.h and the stb headers). pprof's profile.proto becomes
rem build\gen\profile.pb-c.c once, with vcpkg's protoc and protoc-gen-c (PROTOC and PROTOC_GEN_C name
rem others). GAME_CFLAGS adds compiler flags to game builds. While build\host.exe runs, Windows keeps it
rem locked: build and run then rebuild only the game.
setlocal EnableExtensions EnableDelayedExpansion
set "ROOT=%~dp0"
set "ROOT=%ROOT:~0,-1%"
set "BUILD=%ROOT%\build"
cd /d "%ROOT%"

rem The modules of build.sh, with the _win32 half of each OS pair (tests\windows\test_scripts.sh checks).
set "ARENA_SRC=arena\arena.c arena\arena_stats.c arena\pool.c arena\arena_os_win32.c"
set "HOST_LIB_SRC=host\base\error.c host\base\units.c host\base\events.c host\base\block.c host\os\block_win32.c host\os\clock_win32.c host\os\code_win32.c host\os\command_win32.c host\os\crash.c host\os\crash_win32.c host\os\dirty.c host\os\dirty_win32.c host\os\fs_common.c host\os\fs_win32.c host\os\lines_win32.c host\os\probe.c host\os\probe_win32.c host\os\signals_win32.c host\os\stats_input_win32.c host\os\symbols.c host\os\symbols_win32.c host\os\terminal_win32.c host\os\watch_win32.c host\os\watchdog_win32.c host\reload\candidate.c host\reload\declared.c host\reload\forward.c host\reload\functions.c host\reload\guard.c host\reload\layout.c host\reload\load.c host\reload\registry.c host\reload\reload.c host\reload\repair.c host\reload\scan.c host\reload\stale.c host\reload\swap_layout.c host\reload\versions.c host\stats\heap_sites.c host\stats\json_read.c host\stats\report.c host\stats\report_diff.c host\stats\report_html.c host\stats\report_json.c host\stats\report_pprof.c host\stats\report_stream.c host\stats\report_text.c host\stats\stats.c host\stats\stats_collect.c host\stats\stats_diff.c host\stats\stats_leaks.c host\stats\stats_marks.c build\gen\profile.pb-c.c host\rebuild\rebuild.c host\platform\audio.c host\platform\audio_sdl.c host\platform\font.c host\platform\input.c host\platform\input_sdl.c host\platform\media.c host\platform\overlay.c host\platform\platform.c host\platform\screenshot.c host\platform\video_headless.c host\platform\video_sdl.c host\platform\video_terminal.c host\checkpoint\blockset.c host\checkpoint\bytes.c host\checkpoint\checksum.c host\checkpoint\epochs.c host\checkpoint\heap_log.c host\checkpoint\recording.c host\checkpoint\snapshot.c host\checkpoint\state_file.c host\checkpoint\state_layouts.c host\cli.c host\host.c host\services.c host\status.c host\timeline.c host\os\util_win32.c"
set "HEAP_SRC=arena\heap.c"
set "UNIT_TESTS=arena\test_arena arena\test_pool arena\test_arena_stats base\test_units base\test_events os\test_watch os\test_dirty os\test_probe os\test_watchdog os\test_command reload\test_layout reload\test_declared reload\test_registry stats\test_report stats\test_diff rebuild\test_rebuild platform\test_media platform\test_input platform\test_audio platform\test_font platform\test_screenshot platform\test_video test_cli test_status checkpoint\test_blockset checkpoint\test_recording checkpoint\test_checksum checkpoint\test_epochs checkpoint\test_heap_log checkpoint\test_snapshot checkpoint\test_state_file"
rem C11 with MSVC: _Thread_local is spelled __declspec(thread) there.
set "CFLAGS=/nologo /std:c11 /W4 /wd4100 /Zi /MD /utf-8 /D_CRT_SECURE_NO_WARNINGS /D_Thread_local=__declspec(thread)"
rem A game's .cpp and .cc files: C++20 (designated initializers, as GAME_API_INIT uses), /TP.
set "CXXFLAGS=/nologo /TP /std:c++20 /EHsc /W4 /wd4100 /Zi /MD /utf-8 /D_CRT_SECURE_NO_WARNINGS"
set "OPT=/O2"
set "SYSLIBS=bcrypt.lib advapi32.lib dbghelp.lib"
set "PROTO=host\stats\profile.proto"
rem SDL2 (the window, input and audio) and stb (screenshots, the host's font) for host\platform\ only.
set "PLATFORM_LIBS=SDL2.lib"

set "CMD=%~1"
if "%CMD%"=="" set "CMD=build"
if /i "%CMD%"=="build" goto :cmd_build
if /i "%CMD%"=="run" goto :cmd_run
if /i "%CMD%"=="game" goto :cmd_game
if /i "%CMD%"=="release" goto :cmd_release
if /i "%CMD%"=="test" goto :cmd_test
if /i "%CMD%"=="help" goto :cmd_help
if "%CMD%"=="-h" goto :cmd_help
if "%CMD%"=="--help" goto :cmd_help
echo build.bat: unknown command '%CMD%'; commands: build run game release test help 1>&2
exit /b 1

rem ---- commands -------------------------------------------------------------------------------------

:cmd_build
call :need_tools
if errorlevel 1 exit /b 1
call :build_host
if errorlevel 1 exit /b 1
call :build_game "%ROOT%\game_template"
exit /b %errorlevel%

:cmd_game
call :args %*
if errorlevel 1 exit /b 1
call :need_cl
if errorlevel 1 exit /b 1
call :build_game "%GAME_DIR%"
exit /b %errorlevel%

:cmd_run
call :args %*
if errorlevel 1 exit /b 1
call :need_tools
if errorlevel 1 exit /b 1
call :build_host
if errorlevel 1 exit /b 1
call :build_game "%GAME_DIR%"
if errorlevel 1 exit /b 1
rem --watch: the host runs this script's game build on every save
set "WATCH="
echo.%REST% | findstr /c:"--watch" >nul && set WATCH=--build-command "\"%ROOT%\build.bat\" game \"%GAME_DIR%\""
"%BUILD%\host.exe" %WATCH% %REST% "%GAME_DIR%\build\game.dll"
exit /b %errorlevel%

:cmd_release
call :args %*
if errorlevel 1 exit /b 1
call :need_tools
if errorlevel 1 exit /b 1
call :game_sources "%GAME_DIR%"
if not exist "%GAME_DIR%\build\obj" mkdir "%GAME_DIR%\build\obj"
set "GAME_OPT=!OPT! /DHOST_RELEASE"
call :game_cxx "%GAME_DIR%"
if errorlevel 1 exit /b 1
set CL_ARGS=!CFLAGS! !OPT! !GAME_CFLAGS! /DHOST_RELEASE /DMI_SHARED_LIB /I"!MI_INC!" /I"!PBC_INC!" /Ibuild\gen !PLATFORM_INC! ^
  /Ihost\api /Iarena /I"!GAME_DIR!" !GAME_SRC! !ARENA_SRC! !HEAP_SRC! !HOST_LIB_SRC! host\os\loader_static.c host\main.c ^
  !GAME_CXX_OBJ! /Fo"!GAME_DIR!\build\obj\\" /Fd"!GAME_DIR!\build\obj\\"
set LINK_ARGS=/LIBPATH:"!MI_LIBDIR!" /LIBPATH:"!PBC_LIBDIR!" /LIBPATH:"!SDL_LIBDIR!" !MI_LIB! protobuf-c.lib !PLATFORM_LIBS! !SYSLIBS!
call :compile "%GAME_DIR%\build\game.exe"
if errorlevel 1 exit /b 1
copy /y "%MI_BIN%\mimalloc*.dll" "%GAME_DIR%\build\" >nul
copy /y "%SDL_BIN%\SDL2.dll" "%GAME_DIR%\build\" >nul
echo built %GAME_DIR%\build\game.exe (release: game linked in, no reloading)
exit /b 0

:cmd_test
call :need_tools test
if errorlevel 1 exit /b 1
call :build_host
if errorlevel 1 exit /b 1
call :build_game "%ROOT%\game_template"
if errorlevel 1 exit /b 1
set "TESTS=%BUILD%\tests"
if not exist "%TESTS%\obj" mkdir "%TESTS%\obj"
copy /y "%MI_BIN%\mimalloc*.dll" "%TESTS%\" >nul
copy /y "%SDL_BIN%\SDL2.dll" "%TESTS%\" >nul
copy /y "%CMOCKA_BIN%\cmocka*.dll" "%TESTS%\" >nul 2>nul
copy /y "%ROOT%\game_template\build\game.dll" "%TESTS%\" >nul
set /a PASSED=0, FAILED=0
for %%T in (%UNIT_TESTS%) do (
  call :unit_test tests\unit\%%T.c
  if errorlevel 1 exit /b 1
)
call :unit_test tests\windows\test_windows.c
if errorlevel 1 exit /b 1
echo %PASSED% passed, %FAILED% failed
if %FAILED% GTR 0 exit /b 1
exit /b 0

:cmd_help
echo usage: build.bat [build ^| run [GAME_DIR] [host options] ^| game [GAME_DIR] ^| release [GAME_DIR] ^| test ^| help]
echo   build     build the host (build\host.exe) and game_template (the default)
echo   run       build, then run the host on GAME_DIR (default game_template); --options go to the host
echo   game      rebuild only the game library: what you run while the host is open
echo   release   one executable with the game linked in (GAME_DIR\build\game.exe)
echo   test      build and run the tests that run on Windows
echo Needs cl.exe (x64 Native Tools Command Prompt); mimalloc, cmocka, protobuf-c, SDL2 and stb from vcpkg, or MIMALLOC_DIR, CMOCKA_DIR, PROTOBUF_C_DIR and SDL2_DIR.
exit /b 0

rem ---- arguments ------------------------------------------------------------------------------------

rem GAME_DIR: the argument after the command unless it is a host option (--...), default game_template;
rem REST: the arguments after it, for the host.
:args
set "GAME_DIR=%ROOT%\game_template"
set "REST="
shift
set "A=%~1"
if not defined A goto :args_rest
if "%A:~0,2%"=="--" goto :args_rest
set "GAME_DIR=%~f1"
shift
:args_rest
if "%~1"=="" goto :args_check
set REST=!REST! %1
shift
goto :args_rest
:args_check
if not exist "%GAME_DIR%\" (
  echo build.bat: no game folder %GAME_DIR%; pass a folder that holds the game's .c or .cpp files 1>&2
  exit /b 1
)
if exist "%GAME_DIR%\*.c" exit /b 0
if exist "%GAME_DIR%\*.cpp" exit /b 0
if exist "%GAME_DIR%\*.cc" exit /b 0
echo build.bat: no .c or .cpp files in %GAME_DIR%; a game folder holds its sources at the top 1>&2
exit /b 1

rem ---- tools and libraries ----------------------------------------------------------------------------

:need_cl
set "CL_PATH="
for %%X in (cl.exe) do set "CL_PATH=%%~$PATH:X"
if not defined CL_PATH (
  echo build.bat: cl.exe is not on PATH; open the "x64 Native Tools Command Prompt for VS 2022" from the Start menu ^(or run vcvars64.bat of Visual Studio or its free Build Tools^) and run build.bat there 1>&2
  exit /b 1
)
if defined VSCMD_ARG_TGT_ARCH if /i not "%VSCMD_ARG_TGT_ARCH%"=="x64" (
  echo build.bat: this prompt builds for %VSCMD_ARG_TGT_ARCH%; the host needs x64: open the "x64 Native Tools Command Prompt" 1>&2
  exit /b 1
)
exit /b 0

rem cl, then mimalloc (and cmocka with "test") from MIMALLOC_DIR / CMOCKA_DIR or vcpkg. Sets MI_INC,
rem MI_LIBDIR, MI_LIB, MI_BIN, CMOCKA_INC, CMOCKA_LIBDIR, CMOCKA_BIN.
:need_tools
call :need_cl
if errorlevel 1 exit /b 1
set "VCPKG_OUT=%BUILD%\vcpkg_installed\x64-windows"
if not defined MIMALLOC_DIR call :vcpkg_install
if errorlevel 1 exit /b 1
if not defined MIMALLOC_DIR set "MIMALLOC_DIR=%VCPKG_OUT%"
if not defined CMOCKA_DIR set "CMOCKA_DIR=%VCPKG_OUT%"
if not exist "%MIMALLOC_DIR%\include\mimalloc.h" (
  echo build.bat: no include\mimalloc.h in MIMALLOC_DIR=%MIMALLOC_DIR%; point it at a mimalloc built shared with MI_OVERRIDE=OFF ^(include\, lib\, bin\^) 1>&2
  exit /b 1
)
set "MI_INC=%MIMALLOC_DIR%\include"
set "MI_LIBDIR=%MIMALLOC_DIR%\lib"
set "MI_BIN=%MIMALLOC_DIR%\bin"
set "MI_LIB=mimalloc.lib"
if exist "%MI_LIBDIR%\mimalloc.dll.lib" set "MI_LIB=mimalloc.dll.lib"
if not defined PROTOBUF_C_DIR set "PROTOBUF_C_DIR=%VCPKG_OUT%"
if not exist "%PROTOBUF_C_DIR%\include\protobuf-c\protobuf-c.h" (
  echo build.bat: no include\protobuf-c\protobuf-c.h in PROTOBUF_C_DIR=%PROTOBUF_C_DIR%; point it at protobuf-c ^(include\, lib\^) or unset it to use vcpkg 1>&2
  exit /b 1
)
set "PBC_INC=%PROTOBUF_C_DIR%\include"
set "PBC_LIBDIR=%PROTOBUF_C_DIR%\lib"
if not defined SDL2_DIR set "SDL2_DIR=%VCPKG_OUT%"
if not exist "%SDL2_DIR%\include\SDL2\SDL.h" (
  echo build.bat: no include\SDL2\SDL.h in SDL2_DIR=%SDL2_DIR%; point it at SDL2 ^(include\SDL2\, lib\SDL2.lib, bin\SDL2.dll^) or unset it to use vcpkg 1>&2
  exit /b 1
)
if not exist "%SDL2_DIR%\include\stb_image_write.h" (
  echo build.bat: no include\stb_image_write.h in SDL2_DIR=%SDL2_DIR%; put the stb headers there ^(vcpkg's stb, or Debian's libstb-dev^) 1>&2
  exit /b 1
)
set "PLATFORM_INC=/I"%SDL2_DIR%\include\SDL2" /I"%SDL2_DIR%\include""
set "SDL_LIBDIR=%SDL2_DIR%\lib"
set "SDL_BIN=%SDL2_DIR%\bin"
call :gen_proto
if errorlevel 1 exit /b 1
if /i not "%~1"=="test" exit /b 0
if not exist "%CMOCKA_DIR%\include\cmocka.h" (
  echo build.bat: no include\cmocka.h in CMOCKA_DIR=%CMOCKA_DIR%; point it at cmocka ^(include\, lib\, bin\^) or unset it to use vcpkg 1>&2
  exit /b 1
)
set "CMOCKA_INC=%CMOCKA_DIR%\include"
set "CMOCKA_LIBDIR=%CMOCKA_DIR%\lib"
set "CMOCKA_BIN=%CMOCKA_DIR%\bin"
exit /b 0

rem build\gen\profile.pb-c.c and .h from pprof's profile.proto, once (the .proto is vendored and does
rem not change; delete build\gen to make them again).
:gen_proto
if exist "%BUILD%\gen\profile.pb-c.c" exit /b 0
if not defined PROTOC set "PROTOC=%VCPKG_OUT%\tools\protobuf\protoc.exe"
if not defined PROTOC_GEN_C set "PROTOC_GEN_C=%VCPKG_OUT%\tools\protobuf-c\protoc-gen-c.exe"
if not exist "%BUILD%\gen" mkdir "%BUILD%\gen"
"%PROTOC%" --plugin=protoc-gen-c="%PROTOC_GEN_C%" --c_out="%BUILD%\gen" --proto_path=host\stats "%PROTO%" || (
  echo build.bat: cannot turn %PROTO% into C with %PROTOC% and %PROTOC_GEN_C%; install protobuf-c's tools with vcpkg ^(vcpkg.json^) or set PROTOC and PROTOC_GEN_C 1>&2
  exit /b 1
)
exit /b 0

rem vcpkg in manifest mode (vcpkg.json): mimalloc 2.0.9 shared without override, cmocka, protobuf-c with
rem its code generator, SDL2 and stb. Only once: the installed tree stays in build\vcpkg_installed.
:vcpkg_install
if exist "%VCPKG_OUT%\include\mimalloc.h" if exist "%VCPKG_OUT%\include\cmocka.h" if exist "%VCPKG_OUT%\include\protobuf-c\protobuf-c.h" if exist "%VCPKG_OUT%\include\SDL2\SDL.h" exit /b 0
set "VCPKG=vcpkg"
if defined VCPKG_ROOT set "VCPKG=%VCPKG_ROOT%\vcpkg.exe"
"%VCPKG%" version >nul 2>nul || (
  echo build.bat: mimalloc and cmocka are missing and vcpkg is not found; install vcpkg ^(https://vcpkg.io; Visual Studio 2022 17.6+ brings it: set VCPKG_ROOT^) or set MIMALLOC_DIR and CMOCKA_DIR to folders with include\, lib\ and bin\ 1>&2
  exit /b 1
)
echo build.bat: installing mimalloc, cmocka, protobuf-c, SDL2 and stb with vcpkg into %BUILD%\vcpkg_installed (once)
"%VCPKG%" install --triplet x64-windows --x-manifest-root="%ROOT%" --x-install-root="%BUILD%\vcpkg_installed" || (
  echo build.bat: vcpkg install failed ^(see above^); or set MIMALLOC_DIR and CMOCKA_DIR 1>&2
  exit /b 1
)
exit /b 0

rem ---- building -----------------------------------------------------------------------------------------

rem cl !CL_ARGS! to a temporary name, linked with !LINK_ARGS!, then a move into place, so a running
rem process never sees half a file. The arguments travel in variables: call would split them at "=".
:compile
set "TMP_OUT=%~dpn1.tmp%~x1"
cl !CL_ARGS! /Fe"!TMP_OUT!" /link /DEBUG !LINK_ARGS!
if errorlevel 1 (
  del /q "!TMP_OUT!" 2>nul
  exit /b 1
)
call :move_into_place "!TMP_OUT!" "%~1"
exit /b %errorlevel%

rem A running host reads the library it is about to load for a moment; a move at that instant is
rem refused, so it is tried a few times.
:move_into_place
for /l %%I in (1,1,5) do (
  move /y "%~1" "%~2" >nul 2>nul && exit /b 0
  ping -n 2 127.0.0.1 >nul
)
echo build.bat: cannot replace %~2 ^(something keeps it open^); close it and build again 1>&2
del /q "%~1" 2>nul
exit /b 1

rem True (errorlevel 0) while build\host.exe runs: Windows will not delete a running .exe. When it
rem does not run, the old one goes now; the build writes the new one.
:host_running
del /q "%BUILD%\host.exe" 2>nul
if exist "%BUILD%\host.exe" exit /b 0
exit /b 1

:build_host
call :host_running
if not errorlevel 1 (
  echo build.bat: build\host.exe is running ^(Windows locks it^): building only the game; restart the host to pick up host changes
  exit /b 0
)
if not exist "%BUILD%\obj\host" mkdir "%BUILD%\obj\host"
set CL_ARGS=!CFLAGS! !OPT! /DMI_SHARED_LIB /I"!MI_INC!" /I"!PBC_INC!" /Ibuild\gen !PLATFORM_INC! !ARENA_SRC! !HEAP_SRC! ^
  !HOST_LIB_SRC! host\os\loader_win32.c host\main.c /Fo"!BUILD!\obj\host\\" /Fd"!BUILD!\obj\host\\"
set LINK_ARGS=/LIBPATH:"!MI_LIBDIR!" /LIBPATH:"!PBC_LIBDIR!" /LIBPATH:"!SDL_LIBDIR!" !MI_LIB! protobuf-c.lib !PLATFORM_LIBS! !SYSLIBS! /PDB:"!BUILD!\host.pdb"
call :compile "%BUILD%\host.exe"
if errorlevel 1 exit /b 1
copy /y "%MI_BIN%\mimalloc*.dll" "%BUILD%\" >nul
copy /y "%SDL_BIN%\SDL2.dll" "%BUILD%\" >nul
echo built %BUILD%\host.exe
exit /b 0

rem GAME_SRC: the game's .c files, with their paths; GAME_CXX: its .cpp and .cc files.
:game_sources
set "GAME_SRC="
set "GAME_CXX="
for %%F in ("%~1\*.c") do set GAME_SRC=!GAME_SRC! "%%~fF"
for %%F in ("%~1\*.cpp" "%~1\*.cc") do set GAME_CXX=!GAME_CXX! "%%~fF"
exit /b 0

rem GAME_CXX_OBJ: the game's C++ sources compiled (cl /TP) into DIR\build\obj, for the link.
:game_cxx
set "GAME_CXX_OBJ="
if not defined GAME_CXX exit /b 0
cl /c !CXXFLAGS! !GAME_OPT! !GAME_CFLAGS! /Ihost\api /Iarena /I"%~1" !GAME_CXX! /Fo"%~1\build\obj\\" /Fd"%~1\build\obj\\"
if errorlevel 1 exit /b 1
for %%F in (!GAME_CXX!) do set GAME_CXX_OBJ=!GAME_CXX_OBJ! "%~1\build\obj\%%~nF.obj"
exit /b 0

rem GAME_DIR\build\game.dll under game.dll.lock, which the host waits on; a PDB of its own name per
rem build, so a debugger holding the last one never blocks the next.
:build_game
set "DIR=%~1"
set "LOCK=%DIR%\build\game.dll.lock"
set "PDB=game_%RANDOM%%RANDOM%.pdb"
if not exist "%DIR%\build\obj" mkdir "%DIR%\build\obj"
call :game_sources "%DIR%"
echo building> "%LOCK%"
rem older PDBs go unless a debugger still holds one; the new one gets a name of its own
del /q "%DIR%\build\game_*.pdb" 2>nul
if not defined GAME_OPT set "GAME_OPT=/Od"
set CL_ARGS=!CFLAGS! !GAME_OPT! !GAME_CFLAGS! /LD /Ihost\api /Iarena /I"!DIR!" !GAME_SRC! !ARENA_SRC! /Fo"!DIR!\build\obj\\" ^
  /Fd"!DIR!\build\obj\\"
set LINK_ARGS=/PDB:"!DIR!\build\!PDB!" /IMPLIB:"!DIR!\build\obj\game.lib"
rem the compiler's words go to the console and, with the outcome, to game.dll.result for the host
call :game_cxx "%DIR%" > "%DIR%\build\game.dll.msgs" 2>&1
set "RC=%errorlevel%"
set CL_ARGS=!CL_ARGS! !GAME_CXX_OBJ!
if "%RC%"=="0" call :compile "%DIR%\build\game.dll" >> "%DIR%\build\game.dll.msgs" 2>&1
if "%RC%"=="0" set "RC=%errorlevel%"
type "%DIR%\build\game.dll.msgs"
set "RESULT=ok"
if not "%RC%"=="0" set "RESULT=failed"
(echo !RESULT!& type "%DIR%\build\game.dll.msgs") > "%DIR%\build\game.dll.result.tmp"
move /y "%DIR%\build\game.dll.result.tmp" "%DIR%\build\game.dll.result" >nul
del /q "%DIR%\build\game.dll.msgs" "%LOCK%" 2>nul
if not "%RC%"=="0" (
  echo build.bat: game build failed in %DIR% ^(the running host keeps the last good version^) 1>&2
  exit /b 1
)
echo built %DIR%\build\game.dll
exit /b 0

rem One test: build, run (output to a log, as cmocka prints its summary on stderr), count.
:unit_test
set "NAME=%~n1"
rem _CRT_DECLARE_NONSTDC_NAMES: the tests use open, read, unlink ..., which /std:c11 hides.
set CL_ARGS=!CFLAGS! !OPT! /D_CRT_DECLARE_NONSTDC_NAMES=1 /DMI_SHARED_LIB /I"!MI_INC!" /I"!CMOCKA_INC!" /I"!PBC_INC!" ^
  /Ibuild\gen !PLATFORM_INC! /I. "%~1" !ARENA_SRC! !HEAP_SRC! !HOST_LIB_SRC! host\os\loader_win32.c /Fo"!TESTS!\obj\\" /Fd"!TESTS!\obj\\"
set LINK_ARGS=/LIBPATH:"!MI_LIBDIR!" /LIBPATH:"!CMOCKA_LIBDIR!" /LIBPATH:"!PBC_LIBDIR!" /LIBPATH:"!SDL_LIBDIR!" !MI_LIB! cmocka.lib protobuf-c.lib !PLATFORM_LIBS! !SYSLIBS!
call :compile "%TESTS%\%NAME%.exe"
if errorlevel 1 exit /b 1
echo == %NAME%
pushd "%TESTS%"
"%NAME%.exe" > "%NAME%.log" 2>&1
set "RC=%errorlevel%"
popd
type "%TESTS%\%NAME%.log"
set "P=0"
for /f "tokens=4" %%N in ('findstr /b /c:"[  PASSED  ]" "%TESTS%\%NAME%.log"') do set "P=%%N"
set /a PASSED+=P, FAILED+=RC
exit /b 0
