#!/usr/bin/env bash
# One command for the seed CNN benchmark: trains the seed's model
# (examples/01_mnist.tl) on all of MNIST with tl's JIT, tl's reference
# interpreter and PyTorch (bench/torch_seed_cnn.py) at every thread setting,
# alternating them round by round, then prints for each: seconds per epoch,
# samples per second, achieved GFLOP/s, the first epoch, peak RSS and the
# ratio to PyTorch's best (fastest) thread setting; and the JIT's compile time.
#
#   bench/run.sh [--epochs N] [--rounds N] [--threads N] [--torch-threads LIST] [--no-reference]
#
# --threads N: tl jit's threads (default: all cores). --torch-threads LIST:
# PyTorch's settings, comma-separated (default 1..nproc: "1,2" on two cores).
# Seconds per epoch are medians over every epoch after the first of every
# round (the first epoch of a tl run includes compiling its steps); the first
# epochs are shown apart, and so is every epoch of every round. GFLOP/s =
# FLOPs of one epoch / seconds per epoch, with the FLOPs counted by tl from
# the train step's graph (tlc check --emit=cost); the same count is used for
# PyTorch, which trains the same model with the same batches and optimizer.
# Needs a build (scripts/build.sh, or TL_BUILD_DIR) and the data
# (scripts/setup.sh puts MNIST in data/mnist).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_BUILD_DIR:-$root/build}"
tlc="$build/tools/tlc/tlc"
epochs=3 rounds=2 threads="$(nproc)" torch_threads="$(seq -s, 1 "$(nproc)")" reference=1
usage="usage: $0 [--epochs N] [--rounds N] [--threads N] [--torch-threads N[,N...]] [--no-reference]"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --epochs) epochs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --torch-threads) torch_threads="$2"; shift 2 ;;
    --no-reference) reference=0; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[[ "$torch_threads" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "$usage" >&2; exit 2; }
[[ -x "$tlc" ]] || { echo "no tlc at $tlc: build first (scripts/build.sh)" >&2; exit 1; }
[[ -d "$root/data/mnist" ]] || { echo "no MNIST in $root/data/mnist: run scripts/setup.sh" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed -e "s/^\( *epochs\) [0-9]*/\1 $epochs/" "$root/examples/01_mnist.tl" > "$work/seed.tl"
export TL_DATA_PATH="$root/data"
# The peer preprocesses as the script does: `normalize mean M std S` -> --normalize M S.
normalize=()
if stage="$(grep -oE 'normalize +mean +[-0-9.e]+ +std +[-0-9.e]+' "$work/seed.tl" | head -n 1)"; then
  read -r _ _ mean _ std <<< "$stage"
  normalize=(--normalize "$mean" "$std")
elif grep -qE '\| *normalize' "$work/seed.tl"; then
  echo "bench/run.sh passes the PyTorch peer only 'normalize mean M std S' (decimal numbers);" \
    "examples/01_mnist.tl has another normalize stage" >&2
  exit 1
fi
# FLOPs of one training epoch (all batches, the last one partial), from tl's graph.
"$tlc" check "$work/seed.tl" --emit=cost > "$work/cost.txt"

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
  for t in ${torch_threads//,/ }; do
    run "pytorch-$t" "$round" /usr/bin/python3 "$root/bench/torch_seed_cnn.py" --epochs "$epochs" --threads "$t" \
      --data "$root/data/mnist" "${normalize[@]}" --json "$work/pytorch-$t-$round.json"
  done
done

/usr/bin/python3 - "$work" "$rounds" "$threads" "$torch_threads" <<'EOF'
import json, re, statistics, sys
work, rounds, threads, torch_threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split(",")

cost = open(f"{work}/cost.txt").read()
samples = int(re.search(r"^# train \S+ on \S+: (\d+) samples", cost, re.M).group(1))
epoch_flops = int(re.search(r"^train epoch +(\d+) FLOP", cost, re.M).group(1))

def peak_rss_mb(name, r):
    text = open(f"{work}/{name}-{r}.time").read()
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024

def epochs_of(name, r):
    if name.startswith("pytorch"):
        return [e["seconds"] for e in json.load(open(f"{work}/{name}-{r}.json"))["epochs"]]
    history = json.load(open(f"{work}/{name}-{r}/results.json"))["trainings"][0]["history"]
    return [e["seconds"] for e in history]

def compile_seconds(r):
    m = re.search(r"jit: (\d+) step graphs compiled in ([0-9.]+) s", open(f"{work}/jit-{r}.err").read())
    return (int(m.group(1)), float(m.group(2))) if m else (0, float("nan"))

def threads_text(n):
    return f"{n} thread{'s' if n != '1' else ''}"

label = {"jit": f"tl jit ({threads_text(threads)})", "reference": "tl reference (1 thread)"}
label.update({f"pytorch-{t}": f"PyTorch ({threads_text(t)})" for t in torch_threads})
rows = {}
for name in label:
    try:
        runs = [epochs_of(name, r) for r in range(1, rounds + 1)]
    except FileNotFoundError:
        continue
    later = [s for run in runs for s in run[1:]] or [s for run in runs for s in run]
    rows[name] = {
        "runs": runs,
        "median": statistics.median(later),
        "range": (min(later), max(later)),
        "first": statistics.median(run[0] for run in runs),
        "rss": max(peak_rss_mb(name, r) for r in range(1, rounds + 1)),
    }

torch_rows = [n for n in rows if n.startswith("pytorch")]
best = min(torch_rows, key=lambda n: rows[n]["median"]) if torch_rows else None
best_s = rows[best]["median"] if best else None
print(f"{'':26} {'s/epoch':>9} {'(min-max)':>17} {'samples/s':>10} {'GFLOP/s':>8} {'1st epoch':>10} "
      f"{'peak RSS':>9} {'best PyTorch/x':>14}")
for name, row in rows.items():
    ratio = f"{best_s / row['median']:13.1f}x" if best_s else "             -"
    spread = "({:.3f}-{:.3f})".format(*row["range"])
    print(f"{label[name]:26} {row['median']:9.3f} {spread:>17} {samples / row['median']:10.0f} "
          f"{epoch_flops / row['median'] * 1e-9:8.2f} {row['first']:10.3f} {row['rss']:7.0f}MB {ratio}")
print(f"FLOPs per epoch: {epoch_flops * 1e-9:.2f} GFLOP ({samples} samples), counted by tl from the train step's "
      f"graph (tlc check --emit=cost) and used for every trainer: PyTorch trains the same model, batches and optimizer")
if best:
    print(f"best PyTorch setting: {label[best]} at {best_s:.3f} s/epoch"
          + (f"; tl jit is {best_s / rows['jit']['median']:.1f}x faster per epoch" if "jit" in rows else ""))
print("seconds of every epoch, round by round (on a shared machine, a disturbed round shows here):")
for name, row in rows.items():
    print(f"  {label[name]:26} " + " | ".join(" ".join(f"{s:.3f}" for s in run) for run in row["runs"]))
graphs, seconds = zip(*(compile_seconds(r) for r in range(1, rounds + 1)))
print(f"tl jit compile: {max(graphs)} step graphs in {statistics.median(seconds):.3f} s (median of {rounds} run{'s' if rounds != 1 else ''})")
EOF
