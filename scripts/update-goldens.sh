#!/usr/bin/env bash
# Rewrites the golden error files (tests/golden/errors/*.expected) from what
# the checker reports now, after a deliberate change to a message. Builds the
# updater, runs it, and leaves the review to `git diff tests/golden`. The
# golden test itself (ctest) only ever compares.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_BUILD_DIR:-$root/build}"
cmake --build "$build" --target tl_update_goldens
"$build/tests/tl_update_goldens"
