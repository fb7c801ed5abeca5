#!/usr/bin/env bash
# The fair benchmark suite: five models (bench/suite/*.tl) trained and run for
# inference by tl and by PyTorch (bench/suite/torch_models.py) on the same
# data, batches and optimizer, in the same run, interleaved round by round.
#
#   bench/suite.sh [--models LIST] [--epochs N] [--rounds N] [--threads N]
#                  [--torch-threads LIST] [--out DIR]
#
# Set-up (done here): PyTorch's dense layers run on whatever libblas.so.3 is
# selected, Debian's netlib reference BLAS unless OpenBLAS is installed, so
# this installs libopenblas0-pthread (apt, as root) and prints which BLAS torch
# has really loaded and its sgemm speed. It builds tlc and bench/fma_probe,
# writes the data (bench/suite/make_data.py: data/bench/*.npy) and measures
# the machine's FP32 peak with the FMA probe rather than assuming it.
#
# Printed for every model: training s/epoch (median of the epochs after the
# first, over all rounds: the first epoch includes compiling), GFLOP/s, % of
# the measured peak of the threads used, and the ratio to PyTorch at its best
# thread setting; the same for inference (the second evaluation pass over the
# training samples at batch 256); tl's compile time. FLOPs are counted by tl
# from the step graphs (tlc check --emit=cost) and used for both: the models
# are the same. --models: comma-separated names from bench/suite (default:
# all five). --threads: tl's threads (default: all cores). --torch-threads:
# PyTorch's settings, T[:B[:LAYOUT]] (torch threads T, OPENBLAS_NUM_THREADS
# B, default T; memory layout channels_last (default) or nchw); default
# 1:1,N:1,N:N,1:1:nchw,N:1:nchw for N cores. OpenBLAS's threads spin after
# each call: two of them beside two torch threads slowed the seed CNN 2.3x
# here, so B = 1 is tried; and neither layout was faster for every model
# (channels_last: the CIFAR CNN 1.7x faster, the seed CNN 4x slower).
# --out DIR keeps every log and JSON.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_BUILD_DIR:-$root/build}"
models="seed_cnn,mlp,mnist_cnn,cifar_cnn,resnet_bn" epochs=3 rounds=2 threads="$(nproc)"
n="$(nproc)"
torch_threads="1:1,$n:1,$n:$n,1:1:nchw,$n:1:nchw" out=""
usage="usage: $0 [--models LIST] [--epochs N] [--rounds N] [--threads N] [--torch-threads LIST] [--out DIR]"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --torch-threads) torch_threads="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
setting_re='[1-9][0-9]*(:[1-9][0-9]*(:(nchw|channels_last))?)?'
[[ "$torch_threads" =~ ^$setting_re(,$setting_re)*$ && "$epochs" =~ ^[1-9][0-9]*$ && "$rounds" =~ ^[1-9][0-9]*$ ]] \
  || { echo "$usage" >&2; exit 2; }
for m in ${models//,/ }; do
  [[ -f "$root/bench/suite/$m.tl" ]] || { echo "no model '$m' in bench/suite (have: $(cd "$root/bench/suite" && ls ./*.tl | sed 's|./||; s|\.tl||' | tr '\n' ' '))" >&2; exit 2; }
done

# --- set-up ---------------------------------------------------------------
if ! dpkg -s libopenblas0-pthread > /dev/null 2>&1; then
  echo "installing libopenblas0-pthread (PyTorch's BLAS; Debian's default is the netlib reference)" >&2
  if [[ $(id -u) == 0 ]]; then
    apt-get install -y -q libopenblas0-pthread > /dev/null
  else
    sudo apt-get install -y -q libopenblas0-pthread > /dev/null
  fi
fi
[[ -d "$build" ]] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" --target tlc fma_probe > /dev/null
tlc="$build/tools/tlc/tlc"
[[ -d "$root/data/mnist" && -d "$root/data/fashion-mnist" ]] || bash "$root/scripts/setup.sh"
/usr/bin/python3 "$root/bench/suite/make_data.py" "$root/data/mnist" "$root/data/fashion-mnist" "$root/data/bench"

work="${out:-$(mktemp -d)}"
mkdir -p "$work"
[[ -n "$out" ]] || trap 'rm -rf "$work"' EXIT
ln -sfn "$root/data/bench" "$work/bench"    # the scripts read bench/*.npy next to themselves
OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$root/bench/suite/torch_models.py" --blas > "$work/blas.json"
uptime > "$work/load-before.txt"
"$build/bench/fma_probe" --threads "$threads" > "$work/peak.json"
for m in ${models//,/ }; do
  sed -e "s/\( epochs\) [0-9]*/\1 $epochs/" "$root/bench/suite/$m.tl" > "$work/$m.tl"
  "$tlc" check "$work/$m.tl" --emit=cost > "$work/$m.cost"
done

# --- interleaved runs -----------------------------------------------------
# glibc's malloc hands large freed blocks back to the kernel and maps them
# again on the next step; on this VM each page fault is expensive and that
# cost PyTorch (which allocates every step's tensors anew) 2-4x on the seed
# CNN. Both run with malloc keeping its memory, as jemalloc or tcmalloc would.
export GLIBC_TUNABLES="glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296:glibc.malloc.top_pad=268435456"
for round in $(seq 1 "$rounds"); do
  for m in ${models//,/ }; do
    samples="$(grep -oE 'take [0-9]+' "$work/$m.tl" | awk '{print $2}')"
    echo "round $round: $m: tl" >&2
    TL_JIT_STATS=1 "$tlc" run "$work/$m.tl" --backend jit --threads "$threads" --out "$work/tl-$m-$round" \
      > "$work/tl-$m-$round.log" 2> "$work/tl-$m-$round.err"
    for setting in ${torch_threads//,/ }; do
      IFS=: read -r t blas layout <<< "$setting"
      blas="${blas:-$t}" layout="${layout:-channels_last}"
      echo "round $round: $m: PyTorch, $t thread(s), OpenBLAS $blas, $layout" >&2
      OPENBLAS_NUM_THREADS="$blas" /usr/bin/python3 "$root/bench/suite/torch_models.py" "$m" --data "$root/data/bench" \
        --samples "$samples" --epochs "$epochs" --threads "$t" --layout "$layout" \
        --json "$work/torch$setting-$m-$round.json" \
        > "$work/torch$setting-$m-$round.log"
    done
  done
done
uptime > "$work/load-after.txt"

/usr/bin/python3 "$root/bench/suite/report.py" "$work" "$models" "$rounds" "$threads" "$torch_threads"
