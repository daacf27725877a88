# wine_host.sh - what the bash tests that run the Windows host under Wine share (sourced): Wine's
# paths, and waiting on the host with HOST_PID and WAIT_S set by the test.

winpath() { printf 'Z:%s' "${1//\//\\}"; } # Wine maps Z: to /
host_alive() { kill -0 "$HOST_PID" 2>/dev/null; }
tail_of() { tail -n "${2:-3}" "$1" 2>/dev/null; } # a file's last lines for a message, if it exists yet

# Polls a command every 0.1 s for up to WAIT_S seconds; once the host has died, one last look.
wait_for() {
  local i
  for ((i = 0; i < WAIT_S * 10; i++)); do
    "$@" && return 0
    if [ -n "$HOST_PID" ] && ! host_alive; then "$@"; return; fi
    sleep 0.1
  done
  return 1
}
