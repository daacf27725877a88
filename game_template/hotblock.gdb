# hotblock.gdb - gdb settings for a game that hot-reloads. From the game's folder:
#
#     gdb -x hotblock.gdb --args $ENGINE_DIR/build/host build/libgame.so
#     (gdb) break snake_update
#     (gdb) run
#
# Every reload loads a fresh copy of the library (game.N.xxxxxxxx.so in a private folder). gdb reads
# each copy's symbols as the dynamic loader announces it, and a breakpoint set by function name or
# by file:line gets a place in every copy that has that code: it survives reloads and stops in the
# code running now. The copy that was unloaded takes its places with it.

# a breakpoint in the game before the library is loaded waits for it
set breakpoint pending on
# the host's own signals: the watchdog asks where the game is stuck (SIGURG), a stats request
# (SIGUSR1); neither is a bug
handle SIGURG nostop noprint pass
handle SIGUSR1 nostop noprint pass
# a crash in the game stops here first, where it happened; `continue` hands it to the host's crash
# guard, which reports it and rolls back to the last good build
