#!/usr/bin/env bash
# Rewrites docs/onnx.md's conformance table (between its conformance markers)
# from a run of the ONNX backend test suite through tl (build/tests/onnx_conformance),
# after a deliberate change to the importer; review with git diff docs/onnx.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_BUILD_DIR:-$root/build}"
cmake --build "$build" --target onnx_conformance
table="$(mktemp)"
trap 'rm -f "$table"' EXIT
"$build/tests/onnx_conformance" /usr/share/libonnx-testdata/data/node "$table" > /dev/null || echo "update-onnx-table: some tests FAILED (see the table)"
/usr/bin/python3 - "$root/docs/onnx.md" "$table" <<'PY'
import sys
doc, table = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
begin, end = "<!-- conformance:begin -->\n", "<!-- conformance:end -->"
i, j = text.index(begin) + len(begin), text.index(end)
open(doc, "w").write(text[:i] + table + text[j:])
PY
echo "update-onnx-table: rewrote docs/onnx.md; review with git diff docs/onnx.md"
