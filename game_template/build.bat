@echo off
rem build.bat - build this game with the hot-reload engine (Windows); mirrors build.sh.
rem
rem   build.bat                rebuild the game library; run it while the host is open to hot reload
rem   build.bat run [--opts]   build the host and this game, then run it (options go to the host)
rem   build.bat release        one executable with the game linked in
rem
rem The engine is %ENGINE_DIR% if set, else the first folder holding build.bat, host\api\game_api.h and
rem arena\arena.h among: this folder's parent, its grandparent and their subfolders, then every
rem folder further up.
setlocal EnableExtensions
set "GAME_DIR=%~dp0"
set "GAME_DIR=%GAME_DIR:~0,-1%"

set "CMD=%~1"
if "%CMD%"=="" set "CMD=game"
if /i "%CMD%"=="help" goto :help
if "%CMD%"=="-h" goto :help
if "%CMD%"=="--help" goto :help
if /i not "%CMD%"=="game" if /i not "%CMD%"=="run" if /i not "%CMD%"=="release" (
  echo build.bat: unknown command '%CMD%'; commands: game ^(the default^), run, release, help 1>&2
  exit /b 1
)
rem the arguments after the command go to the host (shift does not change %*)
set "REST="
:collect
shift
if "%~1"=="" goto :find
set REST=%REST% %1
goto :collect

rem ---- find the engine ---------------------------------------------------------------------------
:find
set "FOUND="
if defined ENGINE_DIR (
  call :try_engine "%ENGINE_DIR%"
  if not defined FOUND (
    echo build.bat: ENGINE_DIR=%ENGINE_DIR% is not the engine ^(it needs build.bat, host\api\game_api.h and arena\arena.h^); point ENGINE_DIR at the engine checkout 1>&2
    exit /b 1
  )
  goto :build
)
for %%I in ("%GAME_DIR%\..") do set "DIR=%%~fI"
set "NEAR=%DIR%"
set LEVEL=0
:walk
call :try_engine "%DIR%"
rem subfolders only near this folder, so a far-off checkout is never picked
if %LEVEL% LSS 2 (
  pushd "%DIR%"
  for /d %%C in (*) do if /i not "%%~fC"=="%GAME_DIR%" call :try_engine "%%~fC"
  popd
)
if defined FOUND goto :build
for %%I in ("%DIR%\..") do set "UP=%%~fI"
if /i "%UP%"=="%DIR%" goto :not_found
set "DIR=%UP%"
set /a LEVEL+=1
goto :walk

:not_found
echo build.bat: cannot find the engine (a folder with build.bat, host\api\game_api.h and arena\arena.h) in %NEAR%, its parent, their subfolders or any folder above; run: set ENGINE_DIR=C:\path\to\engine ^& build.bat 1>&2
exit /b 1

rem ---- build: the engine's build.bat does the work (a lock file and a rename, never the host) -----
:build
if not defined ENGINE_DIR echo build.bat: engine found at %FOUND% ^(set ENGINE_DIR to choose another^)
set "ENGINE_DIR=%FOUND%"
if /i "%CMD%"=="run" (
  call "%ENGINE_DIR%\build.bat" run "%GAME_DIR%" %REST%
) else (
  call "%ENGINE_DIR%\build.bat" %CMD% "%GAME_DIR%"
)
exit /b %errorlevel%

:help
echo usage: build.bat [game ^| run [host options] ^| release ^| help]
echo   game      rebuild the game library (the default); a running host reloads it
echo   run       build the host and this game, then run it
echo   release   one executable with the game linked in
echo Set ENGINE_DIR to the engine checkout when it is not beside or above this folder.
exit /b 0

:try_engine
rem Sets FOUND to the folder when it is the engine and nothing was found before.
if not defined FOUND if exist "%~1\build.bat" if exist "%~1\host\api\game_api.h" if exist "%~1\arena\arena.h" set "FOUND=%~f1"
exit /b 0
