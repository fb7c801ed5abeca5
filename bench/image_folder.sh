#!/usr/bin/env bash
# Reading a large image folder: generates N random 64x64 RGB PNG files in 10
# class folders (PIL, once, kept in .cache/bench-images-N), then times `tlc
# check` on a script that reads them (headers probed, then every image
# decoded on all cores) and reports images/s and peak RSS.
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
printf 'pics = images("%s") | scale 1/255\nmodel m() {\n  input(64, 64, 3)\n  flatten()\n  dense(10, softmax)\n}\nnet = m()\nevaluate net on pics\n' "$folder" > "$work/read.tl"
bytes=$(du -sb "$folder" | cut -f1)
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/rss" "$tlc" check "$work/read.tl" > /dev/null 2>&1
end=$(date +%s.%N)
/usr/bin/python3 - "$n" "$start" "$end" "$(cat "$work/rss")" "$bytes" <<'PY'
import sys
n, start, end, rss_kib, size = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = end - start
print(f"{n} PNG files, 64x64x3, {size / 2**20:.0f} MiB on disk: tlc check (list, probe, decode all) {s:.1f} s, "
      f"{n / s:.0f} images/s, peak RSS {rss_kib / 1024:.0f} MiB ({n * 64 * 64 * 3 / 2**20:.0f} MiB of pixels)")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
