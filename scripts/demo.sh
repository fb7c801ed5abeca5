#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine: install packages and
# data, build, then train the seed notebook's CNN on MNIST with tlc.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "$root"
exec "${TL_BUILD_DIR:-$root/build}/tools/tlc/tlc" run examples/01_mnist.tl "$@"
