#!/usr/bin/env bash
# Renders a run's report.html in headless Chromium at 1200 px and checks what
# a reader sees: the trainings (table and the history charts of every
# training), the evaluation with its confusion chart and the comparison; every
# chart drawn at a size where its smallest text is at least 12 px; nothing
# wider than the window; and a screenshot that is not blank. The screenshot
# is kept (SHOT, default report-1200px.png in the current folder). Usage:
#   html_render_test.sh TLC SOURCE_DIR [SHOT]
set -euo pipefail
tlc="$(realpath "$1")"
src="$2"
shot="$(realpath -m "${3:-report-1200px.png}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if ! command -v chromium >/dev/null; then
  echo "chromium is not installed (scripts/setup.sh installs it)"; exit 1
fi
cp "$src/tests/cli/report_fixture.tl" "$work/"
mkdir -p "$work/data"
# A tiny IDX dataset made on the spot: 8x8 images, label = bright row.
/usr/bin/python3 "$(dirname "$0")/make_idx.py" "$work/data/tiny" 400 100 4
"$tlc" run "$work/report_fixture.tl" --out "$work/run" > "$work/log"
page="$work/run/report.html"
chrome() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/profile" "$@" 2>/dev/null
}
dom="$(chrome --dump-dom "file://$page")"
for want in "<h2>Trainings</h2>" "history-loss.svg" "history-accuracy.svg" "<h2>Evaluations</h2>" \
            "evaluate-1-confusion.svg" "Compared on test" "compare-1-accuracy.svg" "head_only"; do
  grep -qF "$want" <<<"$dom" || { echo "FAIL: the rendered page lacks $want"; exit 1; }
done
# The chart sources stay out of the run folder.
if ls "$work/run" | grep -qE '\.(gp|dat)$'; then echo "FAIL: .gp/.dat files in the run folder"; exit 1; fi

# Layout at 1200 px: a probe page next to the report loads it in a frame and
# measures every image as drawn.
cat > "$work/run/probe.html" <<'HTML'
<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="report.html" style="width:1200px;height:900px;border:0"></iframe>
<pre id="out">pending</pre>
<script>
document.getElementById('f').onload = function () {
  const d = this.contentDocument;
  const lines = ['scroll ' + d.documentElement.scrollWidth];
  for (const img of d.querySelectorAll('img'))
    lines.push('img ' + img.getAttribute('src') + ' ' + img.getBoundingClientRect().width + ' ' + img.naturalWidth);
  for (const pre of d.querySelectorAll('pre')) lines.push('pre ' + pre.scrollWidth + ' ' + pre.clientWidth);
  document.getElementById('out').textContent = lines.join('\n');
};
</script></body></html>
HTML
chrome --allow-file-access-from-files --virtual-time-budget=5000 --dump-dom "file://$work/run/probe.html" > "$work/probe.txt"
/usr/bin/python3 - "$work/probe.txt" "$work/run" <<'PY'
import html, re, sys
text = open(sys.argv[1]).read()
out = html.unescape(re.search(r'<pre id="out">(.*?)</pre>', text, re.S).group(1)).split("\n")
assert out[0].startswith("scroll "), out
scroll = int(out[0].split()[1])
assert scroll <= 1200, f"the page is {scroll} px wide at a 1200 px window"
images = 0
for line in out[1:]:
    kind, *rest = line.split()
    if kind == "img":
        src, drawn, natural = rest[0], float(rest[1]), float(rest[2])
        assert natural > 0, f"{src} did not load"
        sizes = [float(s) for s in re.findall(r'font-size="([0-9.]+)"', open(f"{sys.argv[2]}/{src}").read())]
        smallest = min(sizes) * drawn / natural
        assert smallest >= 12, f"{src}: its smallest text is drawn at {smallest:.1f} px (below 12)"
        images += 1
    elif kind == "pre":
        assert int(rest[0]) <= int(rest[1]), f"a verdict block overflows ({rest[0]} > {rest[1]} px)"
assert images == 5, f"{images} charts drawn, expected 5"
print(f"layout: {images} charts, smallest text >= 12 px, page {scroll} px wide")
PY
chrome --window-size=1200,2400 --screenshot="$work/shot.png" "file://$page" >/dev/null
[[ -s "$work/shot.png" ]] || { echo "FAIL: no screenshot"; exit 1; }
# A page whose charts loaded is far from uniform: count distinct colours.
colours=$(/usr/bin/python3 - "$work/shot.png" <<'PY'
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
cp "$work/shot.png" "$shot"
echo "screenshot: $shot"
echo "1 passed, 0 failed"
