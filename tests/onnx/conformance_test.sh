#!/usr/bin/env bash
# The ONNX backend test suite (Debian's libonnx-testdata) through tl's
# importer, forward on both backends (tests/onnx/onnx_conformance.cpp): no
# test may fail, and docs/onnx.md must hold the table this run produces
# (between its conformance markers). After a change to the importer, rewrite
# the table with scripts/update-onnx-table.sh.
#   conformance_test.sh ONNX_CONFORMANCE SOURCE_DIR
set -euo pipefail
tool="$1"
src="$2"
node=/usr/share/libonnx-testdata/data/node
[[ -d "$node" ]] || { echo "FAIL: $node is missing (apt install libonnx-testdata; scripts/setup.sh does)"; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$tool" "$node" "$work/table.md" > "$work/log" || { cat "$work/log"; echo "FAIL: a conformance test failed"; exit 1; }
sed -n '/<!-- conformance:begin -->/,/<!-- conformance:end -->/p' "$src/docs/onnx.md" | sed '1d;$d' > "$work/doc.md"
if ! diff -u "$work/doc.md" "$work/table.md"; then
  echo "FAIL: docs/onnx.md's conformance table is not this run's; rewrite it with scripts/update-onnx-table.sh"
  exit 1
fi
grep '^| \*\*all\*\*' "$work/table.md"
