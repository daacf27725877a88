@echo off
rem build.bat - build this game with the hot-reload engine (Windows); mirrors build.sh.
rem
rem   build.bat                rebuild the game library; run it while the host is open to hot reload
rem   build.bat run [--opts]   build the host and this game, then run it (options go to the host)
rem   build.bat release        one executable with the game linked in
rem
rem The engine is %ENGINE_DIR% if set, else the first folder holding build.bat, host\game_api.h and
rem arena\arena.h among: this folder's parent, its grandparent and their subfolders, then every
rem folder further up.
setlocal EnableExtensions
set "GAME_DIR=%~dp0"
set "GAME_DIR=%GAME_DIR:~0,-1%"

rem ---- find the engine ---------------------------------------------------------------------------
set "FOUND="
if defined ENGINE_DIR (
  call :try_engine "%ENGINE_DIR%"
  if not defined FOUND (
    echo build.bat: ENGINE_DIR=%ENGINE_DIR% is not the engine ^(it needs build.bat, host\game_api.h and arena\arena.h^); point ENGINE_DIR at the engine checkout 1>&2
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
if %LEVEL% LSS 2 for /d %%C in ("%DIR%\*") do if /i not "%%~fC"=="%GAME_DIR%" call :try_engine "%%~fC"
if defined FOUND goto :build
for %%I in ("%DIR%\..") do set "UP=%%~fI"
if /i "%UP%"=="%DIR%" goto :not_found
set "DIR=%UP%"
set /a LEVEL+=1
goto :walk

:not_found
echo build.bat: cannot find the engine (a folder with build.bat, host\game_api.h and arena\arena.h) in %NEAR%, its parent, their subfolders or any folder above; run: set ENGINE_DIR=C:\path\to\engine ^& build.bat 1>&2
exit /b 1

rem ---- build -------------------------------------------------------------------------------------
:build
set "ENGINE_DIR=%FOUND%"
set "CMD=%~1"
if "%CMD%"=="" set "CMD=game"
set "REST="
:collect
shift
if "%~1"=="" goto :dispatch
set REST=%REST% %1
goto :collect
:dispatch
if /i "%CMD%"=="game" (call "%ENGINE_DIR%\build.bat" game "%GAME_DIR%" & exit /b)
if /i "%CMD%"=="run" (call "%ENGINE_DIR%\build.bat" run "%GAME_DIR%" %REST% & exit /b)
if /i "%CMD%"=="release" (call "%ENGINE_DIR%\build.bat" release "%GAME_DIR%" & exit /b)
echo build.bat: unknown command '%CMD%'; commands: game (the default), run, release 1>&2
exit /b 1

:try_engine
rem Sets FOUND to the folder when it is the engine and nothing was found before.
if not defined FOUND if exist "%~1\build.bat" if exist "%~1\host\game_api.h" if exist "%~1\arena\arena.h" set "FOUND=%~f1"
exit /b 0
