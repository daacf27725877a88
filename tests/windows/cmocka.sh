# cmocka.sh - cmocka's output lines for the tests written in bash (sourced), so that build.sh's
# run_cmocka counts them like the C tests:
#
#   t_check "what went wrong" [ "$a" = "$b" ] || return 1   # in a test function: one assertion
#   t_run name_of_a_test_function                              # runs it, prints RUN / OK / FAILED
#   t_summary                                                  # PASSED / FAILED lines; false on a failure
#
# Test functions run in this shell, one after another, so a scenario can hand state to the next
# step; each step asserts what it needs itself.

T_PASSED=0
T_FAILED=()

# Runs a command; when it fails, prints the message as cmocka prints a failed assertion.
t_check() { # MESSAGE COMMAND...
  local msg="$1"; shift
  "$@" && return 0
  printf '[  ERROR   ] --- %s\n' "$msg"
  return 1
}

t_run() { # FUNCTION
  printf '[ RUN      ] %s\n' "$1"
  if "$1"; then
    printf '[       OK ] %s\n' "$1"
    T_PASSED=$((T_PASSED + 1))
  else
    printf '[  FAILED  ] %s\n' "$1"
    T_FAILED+=("$1")
  fi
}

t_summary() {
  printf '[==========] %d test(s) run.\n' $((T_PASSED + ${#T_FAILED[@]}))
  printf '[  PASSED  ] %d test(s).\n' "$T_PASSED"
  [ ${#T_FAILED[@]} -eq 0 ] && return 0
  printf '[  FAILED  ] %d test(s), listed below:\n' ${#T_FAILED[@]}
  printf '[  FAILED  ] %s\n' "${T_FAILED[@]}"
  return 1
}
