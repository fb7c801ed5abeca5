#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer:
# configures build-asan/ with TL_SANITIZE=ON (gcc, optimised, with debug
# info for readable stacks), builds everything and runs ctest. Any ASan report
# (buffer overflow, use after free, leak at exit) or UBSan report ends the
# process it happens in, so the test fails and prints the report.
#   scripts/sanitize.sh [CTEST ARGS...]      e.g. scripts/sanitize.sh -R golden
# Like test.sh it works on a fresh Debian 12 machine (setup.sh is idempotent:
# a second call after test.sh only checks). CI (.ci/run) runs it after test.sh.
# Suppressions, if any, are documented in docs/reliability.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_ASAN_BUILD_DIR:-$root/build-asan}"

"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTL_SANITIZE=ON >/dev/null
cmake --build "$build" -j 2

# exitcode=99: the CLI tests expect status 1 for script errors, so a report
# made with the sanitizers' default status (1) after the expected message
# (a leak found at exit, say) would pass unnoticed.
export ASAN_OPTIONS="detect_leaks=1:exitcode=99${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=99${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
cd "$build"
# The slowest test takes about 90 s under the sanitizers on two cores; a hung
# test fails after 25 minutes instead of using up CI's time (a busy machine
# can make a test several times slower: 525 s once for resume_after_kill).
ctest --output-on-failure -j 2 --timeout 1500 "$@"
