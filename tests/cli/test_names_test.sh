#!/usr/bin/env bash
# Every doctest case must run under ctest. doctest_discover_tests turns each
# case name into a ctest name, and CMake splits names at ';': a case called
# "a; b" became two ctest entries, "a" and " b", each matching no case, so
# both "passed" without running anything. This fails on any such name.
# Usage: test_names_test.sh TEST_BINARY...
set -euo pipefail
status=0
for binary in "$@"; do
  names="$("$binary" --list-test-cases --no-version)"
  count=$(grep -c . <<< "$names")
  [[ "$count" -gt 5 ]] || { echo "FAIL: $binary lists only $count lines of test cases"; exit 1; }
  if bad="$(grep ';' <<< "$names")"; then
    echo "FAIL: $(basename "$binary") has test case names with ';' (ctest would not run them):"
    echo "$bad"
    status=1
  fi
done
[[ $status -eq 0 ]] && echo "1 passed, 0 failed"
exit $status
