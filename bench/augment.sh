#!/usr/bin/env bash
# The cost of augmentation: the seed CNN (examples/seed) on all of MNIST,
# batch 64, trained without augmentation and with `augment { flip horizontal
# crop 2 }` (and with noise, which feeds floats instead of bytes), runs
# interleaved, 4 epochs each. Prints the median seconds per epoch (epochs
# 2-4: the first includes compiling) and the ratio to the plain run. Target:
# flip + crop at most 1.3x (#12).
#
#   bench/augment.sh [path/to/tlc] [ROUNDS]   (default build/tools/tlc/tlc, 3 rounds)
set -euo pipefail
tlc=$(realpath "${1:-build/tools/tlc/tlc}")
rounds="${2:-3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
write() {  # write NAME AUGMENT_STAGE
  cat > "$work/$1.tl" <<TL
seed 1
mnist = idx("mnist")
model seed_cnn(classes) {
  input(28, 28, 1)
  conv2d(10, 3x3)
  maxpool2d(2)
  flatten()
  dense(15, relu)
  dropout(0.3)
  dense(classes, softmax)
}
net = seed_cnn(10)
train net on mnist.train | scale 1/255 $2 { batch 64  epochs 4  shuffle 5000 }
TL
}
write plain ""
write flip_crop "| augment { flip horizontal  crop 2 }"
write noise "| augment { flip horizontal  crop 2  noise 0.05 }"
for round in $(seq "$rounds"); do
  for v in plain flip_crop noise; do
    (cd "$work" && TL_DATA_PATH="$root/data" "$tlc" run "$v.tl" --out "run_${v}_$round" > /dev/null)
  done
done
/usr/bin/python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def epochs(v):
    out = []
    for r in range(1, rounds + 1):
        h = json.load(open(f"{work}/run_{v}_{r}/results.json"))["trainings"][0]["history"]
        out += [e["seconds"] for e in h[1:]]
    return statistics.median(out)
base = epochs("plain")
print(f"seed CNN, MNIST 60000, batch 64: median s/epoch over epochs 2-4 of {rounds} interleaved rounds")
for v in ["plain", "flip_crop", "noise"]:
    s = epochs(v)
    print(f"  {v:10s} {s:6.3f} s/epoch  {s / base:5.2f}x")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
