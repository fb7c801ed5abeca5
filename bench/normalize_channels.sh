#!/usr/bin/env bash
# The cost of a per-channel pixel map: the seed CNN on MNIST written as RGB
# (each digit in all three channels, a (60000, 28, 28, 3) .npy made once in
# .cache/), batch 64, standardised by `normalize mean 0.5 std 0.25` (one map:
# the kernels read bytes and map them as they load) and by `normalize mean
# 0.5, 0.5, 0.5 std 0.25, 0.25, 0.25` (per channel: the batch is mapped to
# floats on the host and fed as floats). The two compute the same floats, so
# they must train loss for loss alike; the script checks that, then prints
# the median seconds per epoch (epochs 2-4 of interleaved rounds) and the
# ratio.
#
#   bench/normalize_channels.sh [path/to/tlc] [ROUNDS]   (default build/tools/tlc/tlc, 3 rounds)
set -euo pipefail
tlc=$(realpath "${1:-build/tools/tlc/tlc}")
rounds="${2:-3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache/mnist-rgb"
if [[ ! -f "$cache/x.npy" ]]; then
  mkdir -p "$cache"
  /usr/bin/python3 - "$root/data/mnist" "$cache" <<'PY'
import gzip, os, sys
import numpy as np
src, out = sys.argv[1], sys.argv[2]
def idx(name):
    for path in (f"{src}/{name}", f"{src}/{name}.gz"):
        if os.path.exists(path):
            data = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)
    raise SystemExit(f"no {name} in {src}: run scripts/setup.sh")
x = idx("train-images-idx3-ubyte")
np.save(f"{out}/x.npy", np.repeat(x[..., None], 3, axis=3))
np.save(f"{out}/y.npy", idx("train-labels-idx1-ubyte").astype(np.uint8))
PY
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
write() {  # write NAME NORMALIZE_STAGE
  cat > "$work/$1.tl" <<TL
seed 1
rgb = npy("$cache/x.npy", labels = "$cache/y.npy")
model seed_cnn(classes) {
  input(28, 28, 3)
  conv2d(10, 3x3)
  maxpool2d(2)
  flatten()
  dense(15, relu)
  dropout(0.3)
  dense(classes, softmax)
}
net = seed_cnn(10)
train net on rgb | scale 1/255 | $2 { batch 64  epochs 4  shuffle 5000 }
TL
}
write uniform "normalize mean 0.5 std 0.25"
write channels "normalize mean 0.5, 0.5, 0.5 std 0.25, 0.25, 0.25"
for round in $(seq "$rounds"); do
  for v in uniform channels; do
    (cd "$work" && "$tlc" run "$v.tl" --out "run_${v}_$round" > /dev/null)
  done
done
/usr/bin/python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def history(v, r):
    return json.load(open(f"{work}/run_{v}_{r}/results.json"))["trainings"][0]["history"]
for r in range(1, rounds + 1):
    a, b = ([e["loss"] for e in history(v, r)] for v in ("uniform", "channels"))
    assert a == b, f"round {r}: the two maps trained differently: {a} {b}"
def median(v):
    return statistics.median(e["seconds"] for r in range(1, rounds + 1) for e in history(v, r)[1:])
base = median("uniform")
print(f"seed CNN on MNIST as RGB (60000 x 28x28x3), batch 64: median s/epoch over epochs 2-4 of {rounds} interleaved rounds; losses identical")
for v, what in (("uniform", "one map (bytes fed)"), ("channels", "per channel (floats fed)")):
    s = median(v)
    print(f"  {what:26s} {s:6.3f} s/epoch  {s / base:5.2f}x")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
