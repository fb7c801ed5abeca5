#!/usr/bin/env bash
# Interleaved A/B of two tlc builds on one script: runs A, then B, round after
# round (so a disturbance of the shared machine hits both alike), and prints
# for each the median seconds per epoch over every epoch after the first of
# every round (the first includes compiling), the spread, the ratio B/A, and
# the load average before and after. For checking that a change costs no speed.
#
#   bench/ab.sh A_TLC B_TLC [--script FILE] [--epochs N] [--rounds N] [--threads N]
#
# Default script examples/01_mnist.tl (the seed CNN on all of MNIST), 3 epochs,
# 5 rounds, all cores. Needs the data (scripts/setup.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage="usage: $0 A_TLC B_TLC [--script FILE] [--epochs N] [--rounds N] [--threads N]"
[[ $# -ge 2 ]] || { echo "$usage" >&2; exit 2; }
a="$1" b="$2"
shift 2
script="$root/examples/01_mnist.tl" epochs=3 rounds=5 threads="$(nproc)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --script) script="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
for t in "$a" "$b"; do [[ -x "$t" ]] || { echo "not an executable: $t" >&2; exit 1; }; done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed -e "s/^\( *epochs\) [0-9]*/\1 $epochs/" "$script" > "$work/ab.tl"
export TL_DATA_PATH="$root/data"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  for side in a b; do
    tlc="$a"; [[ "$side" == b ]] && tlc="$b"
    echo "round $round: $side" >&2
    "$tlc" run "$work/ab.tl" --backend jit --threads "$threads" --out "$work/$side-$round" > /dev/null 2> "$work/$side-$round.err"
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$work" "$rounds" "$a" "$b" "$load_before" "$load_after" <<'PY'
import json, statistics, sys
work, rounds, a, b, before, after = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
def epochs(side, r):
    return [e["seconds"] for e in json.load(open(f"{work}/{side}-{r}/results.json"))["trainings"][0]["history"]]
median = {}
for side, tlc in (("a", a), ("b", b)):
    runs = [epochs(side, r) for r in range(1, rounds + 1)]
    later = [s for run in runs for s in run[1:]]
    median[side] = statistics.median(later)
    print(f"{side.upper()} {tlc}\n  s/epoch median {median[side]:.3f} (min {min(later):.3f}, max {max(later):.3f}, "
          f"{len(later)} epochs); rounds: " + " | ".join(" ".join(f"{s:.3f}" for s in run) for run in runs))
print(f"B/A = {median['b'] / median['a']:.3f} (above 1: B is slower); load average before {before}, after {after}")
PY
