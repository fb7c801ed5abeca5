#!/usr/bin/env bash
# Test accuracy over many seeds: runs a .tl script once per seed (tlc run
# --seed S) and prints each run's last evaluation, then the mean, standard
# deviation, minimum and maximum, and how many runs reached a bar.
#
# One seed is one draw: MNIST's seed CNN moves by +-0.2 points from seed to
# seed, so a claim about a recipe needs many. docs/accuracy.md has the figures.
#
# Usage: bench/accuracy.sh [--seeds N] [--first S] [--backend jit|reference]
#                          [--threads N] [--bar PERCENT] [--without-normalize]
#                          [SCRIPT.tl]
#   SCRIPT.tl            default examples/01_mnist.tl
#   --without-normalize  drop the script's `| normalize mean M std S` stages
#                        (the seed notebook's own preprocessing: scale only)
# Needs a build (scripts/build.sh) and the data (scripts/setup.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tlc="${TL_BUILD_DIR:-$root/build}/tools/tlc/tlc"
usage="usage: bench/accuracy.sh [--seeds N] [--first S] [--backend jit|reference] [--threads N] [--bar PERCENT] [--without-normalize] [SCRIPT.tl]"

seeds=20 first=1 backend=jit threads="" bar=97.0 strip=0 script="$root/examples/01_mnist.tl"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds) seeds="${2:?$usage}"; shift 2 ;;
    --first) first="${2:?$usage}"; shift 2 ;;
    --backend) backend="${2:?$usage}"; shift 2 ;;
    --threads) threads="${2:?$usage}"; shift 2 ;;
    --bar) bar="${2:?$usage}"; shift 2 ;;
    --without-normalize) strip=1; shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *) script="$1"; shift ;;
  esac
done
[[ "$seeds" =~ ^[1-9][0-9]*$ && "$first" =~ ^(0|[1-9][0-9]*)$ ]] || { echo "$usage" >&2; exit 2; }
[[ "$backend" == jit || "$backend" == reference ]] || { echo "$usage" >&2; exit 2; }
[[ -z "$threads" || "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "$usage" >&2; exit 2; }
[[ "$bar" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "$usage" >&2; exit 2; }
[[ -f "$script" ]] || { echo "no script at $script" >&2; exit 1; }
[[ -x "$tlc" ]] || { echo "no tlc at $tlc: build first (scripts/build.sh)" >&2; exit 1; }

work="$(mktemp -d)"
run_script="$script"
trap 'rm -rf "$work"' EXIT
if [[ "$strip" == 1 ]]; then
  # The copy sits next to the script, so its relative paths still resolve.
  run_script="$(mktemp -p "$(dirname "$script")" ".accuracy-XXXXXX.tl")"
  trap 'rm -rf "$work" "$run_script"' EXIT
  sed -E 's/ *\| *normalize +mean +[-0-9.e]+(\/[0-9.e]+)? +std +[-0-9.e]+(\/[0-9.e]+)?//g' "$script" > "$run_script"
  if grep -qE "\| *normalize" "$run_script"; then
    echo "--without-normalize removes only normalize mean M std S stages; $script has another (normalize from D?)" >&2
    exit 1
  fi
fi
export TL_DATA_PATH="${TL_DATA_PATH:-$root/data}"

args=(--backend "$backend")
[[ -n "$threads" ]] && args+=(--threads "$threads")
echo "# $(basename "$script")$([[ $strip == 1 ]] && echo ' without normalize'), $backend, seeds $first..$((first + seeds - 1))"
for ((s = first; s < first + seeds; ++s)); do
  if ! "$tlc" run "$run_script" --seed "$s" --out "$work/$s" "${args[@]}" > "$work/$s.log" 2>&1; then
    echo "seed $s failed:" >&2
    tail -n 20 "$work/$s.log" >&2
    exit 1
  fi
  /usr/bin/python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["evaluations"][-1]
print("seed %3s  %s on %s: %.2f%%  loss %.4f" % (sys.argv[2], e["model"], e["split"], 100 * e["accuracy"], e["loss"]))' \
    "$work/$s/results.json" "$s" | tee -a "$work/all.txt"
done
/usr/bin/python3 - "$work/all.txt" "$bar" <<'EOF'
import re, statistics, sys
acc = [float(re.search(r": ([0-9.]+)%", line).group(1)) for line in open(sys.argv[1])]
bar = float(sys.argv[2])
sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
print(f"mean {statistics.mean(acc):.2f}%  sd {sd:.2f}  min {min(acc):.2f}%  max {max(acc):.2f}%  "
      f"median {statistics.median(acc):.2f}%  >= {bar}%: {sum(a >= bar for a in acc)}/{len(acc)}")
EOF
