#!/usr/bin/env bash
# Renders a comparison report in headless Chromium and checks the screenshot:
# the page must load its table and both SVG charts. Usage:
#   html_render_test.sh TLC SOURCE_DIR
set -euo pipefail
tlc="$1"
src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! command -v chromium >/dev/null; then
  echo "chromium is not installed (scripts/setup.sh installs it)"; exit 1
fi
cp "$src/tests/cli/report_fixture.tl" "$work/"
mkdir -p "$work/data"
# A tiny IDX dataset made on the spot: 40 8x8 images, label = bright row.
/usr/bin/python3 "$(dirname "$0")/make_idx.py" "$work/data/tiny" 40 10 4
"$tlc" run "$work/report_fixture.tl" --out "$work/run" > "$work/log"
page="$work/run/report.html"
dom="$(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$work/profile" --dump-dom "file://$page" 2>/dev/null)"
grep -q "<table>" <<<"$dom" || { echo "FAIL: the rendered page has no table"; exit 1; }
grep -q "compare-1-accuracy.svg" <<<"$dom" || { echo "FAIL: the rendered page has no chart"; exit 1; }
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$work/profile" --window-size=1200,900 \
  --screenshot="$work/shot.png" "file://$page" >/dev/null 2>&1
[[ -s "$work/shot.png" ]] || { echo "FAIL: no screenshot"; exit 1; }
# A page whose charts loaded is far from uniform: count distinct colours.
colours=$(python3 - "$work/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
pos, idat, width, height = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
    if kind == b"IDAT": idat += body
raw = zlib.decompress(idat); bpp = 4 if ctype == 6 else 3; stride = width * bpp
print(len({raw[r * (stride + 1) + 1 + c * bpp: r * (stride + 1) + 1 + c * bpp + 3]
           for r in range(0, height, 7) for c in range(0, width, 7)}))
PY
)
[[ "$colours" -gt 8 ]] || { echo "FAIL: the screenshot looks blank ($colours colours)"; exit 1; }
if [[ -n "${TL_KEEP_SCREENSHOT:-}" ]]; then cp "$work/shot.png" "$TL_KEEP_SCREENSHOT"; fi
echo "1 passed, 0 failed"
