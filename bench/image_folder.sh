#!/usr/bin/env bash
# Reading a large image folder: generates N random 64x64 RGB PNG files in 10
# class folders (PIL, once, kept in .cache/bench-images-N), then measures
#   1. `tlc check` on a script that trains on them: the folder listed and
#      every header probed, nothing decoded;
#   2. `tlc run` of that script (a linear model, so that reading the images
#      is what takes the time; 2 epochs) with several image
#      caches: none (every image decoded in every epoch), one that holds a
#      part, and the default (everything decoded once, in epoch 1);
# and reports seconds, images/s per epoch and peak RSS.
#
#   bench/image_folder.sh [path/to/tlc] [N]   (default build/tools/tlc/tlc, 100000)
set -euo pipefail
tlc=$(realpath "${1:-build/tools/tlc/tlc}")
n="${2:-100000}"
root="$(cd "$(dirname "$0")/.." && pwd)"
folder="$root/.cache/bench-images-$n"
if [[ ! -d "$folder" ]]; then
  echo "writing $n PNG files to $folder"
  /usr/bin/python3 - "$folder.partial" "$n" <<'PY'
import os, sys
import numpy as np
from PIL import Image
out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
y, x = np.mgrid[0:64, 0:64]
base = np.stack([x * 4, y * 4, (x + y) * 2], -1).astype(np.uint8)  # a smooth gradient
for c in range(10):
    os.makedirs(f"{out}/class{c}", exist_ok=True)
for i in range(n):
    # A smooth image with a little noise: PNG-compressible like a photo thumbnail.
    img = np.roll(base, i % 64, axis=1) // 2 + rng.integers(0, 16, size=(64, 64, 3), dtype=np.uint8)
    Image.fromarray(img).save(f"{out}/class{i % 10}/{i:06d}.png", compress_level=6)
PY
  mv "$folder.partial" "$folder"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/train.tl" <<EOF
pics = images("$folder") | scale 1/255
model small() {
  input(64, 64, 3)
  flatten()
  dense(10, softmax)
}
net = small()
train net on pics { epochs 2 batch 64 }
EOF
bytes=$(du -sb "$folder" | cut -f1)
echo "$n PNG files, 64x64x3, $((bytes / 1048576)) MiB on disk, $((n * 64 * 64 * 3 / 1048576)) MiB of pixels"
check() {  # check LABEL: times tlc check
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$tlc" check "$work/train.tl" > /dev/null 2>&1
  end=$(date +%s.%N)
  /usr/bin/python3 -c "import sys; s = float(sys.argv[2]) - float(sys.argv[1]); print(f'tlc check (list, probe every header), {sys.argv[5]}: {s:.2f} s, {int(sys.argv[3]) / s:.0f} files/s, peak RSS {int(sys.argv[4]) / 1024:.0f} MiB')" \
    "$start" "$end" "$n" "$(cat "$work/rss")" "$1"
}
# Cold: the files not in the page cache (when this user may drop it).
if sync && echo 3 > /proc/sys/vm/drop_caches 2> /dev/null; then check "files not in the page cache"; fi
check "files in the page cache"
for cache in 0 256MB default; do
  args=()
  [[ $cache != default ]] && args=(--image-cache "$cache")
  /usr/bin/time -f "%M" -o "$work/rss" "$tlc" run "$work/train.tl" --out "$work/run" "${args[@]}" > /dev/null 2>&1
  /usr/bin/python3 - "$work/run/results.json" "$cache" "$(cat "$work/rss")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
h = r["trainings"][0]["history"]
rate = "; ".join(f"epoch {e['epoch']} {e['seconds']:.1f} s ({e['samples'] / e['seconds']:.0f} images/s)" for e in h)
print(f"tlc run, --image-cache {sys.argv[2]:>7}: {rate}; peak RSS {int(sys.argv[3]) / 1024:.0f} MiB")
PY
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
