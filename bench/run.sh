#!/usr/bin/env bash
# One command for the seed CNN benchmark: trains the seed's model
# (examples/01_mnist.tl) on all of MNIST with tl's JIT, tl's reference
# interpreter and PyTorch (bench/torch_seed_cnn.py), alternating the three
# round by round, then prints seconds per epoch, samples per second, JIT
# compile time, peak RSS and the PyTorch/tl ratio.
#
#   bench/run.sh [--epochs N] [--rounds N] [--threads N] [--torch-threads N] [--no-reference]
#
# Seconds per epoch are medians over every epoch after the first of every
# round (the first epoch of a tl run includes compiling its steps); the first
# epochs are shown apart. Needs a build (scripts/build.sh, or TL_BUILD_DIR)
# and the data (scripts/setup.sh puts MNIST in data/mnist).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_BUILD_DIR:-$root/build}"
tlc="$build/compiler/driver/tlc"
epochs=3 rounds=2 threads="$(nproc)" torch_threads=1 reference=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --epochs) epochs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --torch-threads) torch_threads="$2"; shift 2 ;;
    --no-reference) reference=0; shift ;;
    *) echo "usage: $0 [--epochs N] [--rounds N] [--threads N] [--torch-threads N] [--no-reference]" >&2; exit 2 ;;
  esac
done
[[ -x "$tlc" ]] || { echo "no tlc at $tlc: build first (scripts/build.sh)" >&2; exit 1; }
[[ -d "$root/data/mnist" ]] || { echo "no MNIST in $root/data/mnist: run scripts/setup.sh" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed -e "s/^\( *epochs\) [0-9]*/\1 $epochs/" "$root/examples/01_mnist.tl" > "$work/seed.tl"
export TL_DATA_PATH="$root/data"

# run NAME ROUND COMMAND...: the command's output in $work/NAME-ROUND.{log,err},
# /usr/bin/time's report (peak RSS) in $work/NAME-ROUND.time.
run() {
  local name="$1" round="$2"
  shift 2
  echo "round $round: $name" >&2
  /usr/bin/time -v -o "$work/$name-$round.time" "$@" > "$work/$name-$round.log" 2> "$work/$name-$round.err"
}

for round in $(seq 1 "$rounds"); do
  TL_JIT_STATS=1 run jit "$round" "$tlc" run "$work/seed.tl" --backend jit --threads "$threads" --out "$work/jit-$round"
  if [[ "$reference" == 1 ]]; then
    run reference "$round" "$tlc" run "$work/seed.tl" --backend reference --out "$work/reference-$round"
  fi
  run pytorch "$round" /usr/bin/python3 "$root/bench/torch_seed_cnn.py" --epochs "$epochs" --threads "$torch_threads" \
    --data "$root/data/mnist" --json "$work/pytorch-$round.json"
done

/usr/bin/python3 - "$work" "$rounds" "$threads" "$torch_threads" <<'EOF'
import json, re, statistics, sys
work, rounds, threads, torch_threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

def peak_rss_mb(name, r):
    text = open(f"{work}/{name}-{r}.time").read()
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024

def epochs_of(name, r):
    if name == "pytorch":
        return [e["seconds"] for e in json.load(open(f"{work}/pytorch-{r}.json"))["epochs"]]
    history = json.load(open(f"{work}/{name}-{r}/results.json"))["trainings"][0]["history"]
    return [e["seconds"] for e in history]

def compile_seconds(r):
    m = re.search(r"jit: (\d+) step graphs compiled in ([0-9.]+) s", open(f"{work}/jit-{r}.err").read())
    return (int(m.group(1)), float(m.group(2))) if m else (0, float("nan"))

rows = {}
for name in ("jit", "reference", "pytorch"):
    try:
        runs = [epochs_of(name, r) for r in range(1, rounds + 1)]
    except FileNotFoundError:
        continue
    later = [s for run in runs for s in run[1:]] or [s for run in runs for s in run]
    rows[name] = {
        "median": statistics.median(later),
        "first": statistics.median(run[0] for run in runs),
        "rss": max(peak_rss_mb(name, r) for r in range(1, rounds + 1)),
    }

def threads_text(n):
    return f"{n} thread{'s' if n != '1' else ''}"

label = {"jit": f"tl jit ({threads_text(threads)})", "reference": "tl reference (1 thread)",
         "pytorch": f"PyTorch ({threads_text(torch_threads)})"}
print(f"{'':26} {'s/epoch':>9} {'samples/s':>10} {'1st epoch':>10} {'peak RSS':>9} {'PyTorch/x':>9}")
torch = rows.get("pytorch", {}).get("median")
for name, row in rows.items():
    ratio = f"{torch / row['median']:8.1f}x" if torch else "        -"
    print(f"{label[name]:26} {row['median']:9.3f} {60000 / row['median']:10.0f} {row['first']:10.3f} "
          f"{row['rss']:7.0f}MB {ratio}")
graphs, seconds = zip(*(compile_seconds(r) for r in range(1, rounds + 1)))
print(f"tl jit compile: {max(graphs)} step graphs in {statistics.median(seconds):.3f} s (median of {rounds} runs)")
EOF
