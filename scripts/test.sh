#!/usr/bin/env bash
# The test suite, end to end on a fresh Debian 12 machine: install packages
# and data, build, run every test with ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${TL_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "$(nproc)" --timeout 1500  # a hung test fails instead of eating CI's time
