#!/usr/bin/env bash
# Builds the libFuzzer targets into build-fuzz/ (clang-19, ASan + UBSan) and
# runs each for SECONDS, then prints one summary line per target.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default: 60 s, every target
# Targets: fuzz_script (.tl parse + check), fuzz_idx (IDX files),
# fuzz_safetensors (model files), fuzz_onnx (ONNX files). Each run starts from the seeds in
# fuzz/corpus/<kind>/ plus what earlier runs found (build-fuzz/corpus/<target>/,
# never committed). Findings land in build-fuzz/findings/<target>/ as
# crash-*, leak-*, timeout-* or oom-*; replay one with
#   build-fuzz/fuzz/<target> build-fuzz/findings/<target>/crash-...
# Exit status: 0 when no target found anything, 1 otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_script fuzz_idx fuzz_safetensors fuzz_onnx fuzz_image fuzz_npy fuzz_csv)

# 1. Build (two jobs: the machine's cores are shared).
if [[ ! -f "$build/build.ninja" ]]; then
  CC=clang-19 CXX=clang++-19 cmake -S "$root" -B "$build" -G Ninja -DTL_FUZZ=ON -DTL_BUILD_TESTS=OFF >/dev/null
fi
ninja -C "$build" -j 2 "${targets[@]}"

# 2. Run each target in turn.
summary=()
status=0
for target in "${targets[@]}"; do
  kind="${target#fuzz_}"
  corpus="$build/corpus/$target"
  findings="$build/findings/$target"
  log="$build/findings/$target.log"
  mkdir -p "$corpus" "$findings"
  extra=()
  [[ "$target" == fuzz_script ]] && extra+=("-dict=$root/fuzz/tl.dict")
  seeds=("$root/fuzz/corpus/$kind")
  # fuzz_onnx also starts from the ONNX backend test suite's models with
  # their inputs bound as weights, as tests/onnx/onnx_conformance writes them.
  if [[ "$target" == fuzz_onnx && -x "$root/build/tests/onnx_conformance" && -d /usr/share/libonnx-testdata/data/node ]]; then
    mkdir -p "$build/seeds/onnx-suite"
    "$root/build/tests/onnx_conformance" /usr/share/libonnx-testdata/data/node --models "$build/seeds/onnx-suite" > /dev/null || true
    seeds+=("$build/seeds/onnx-suite")
  fi
  echo "fuzz: $target for ${seconds}s (log: $log)"
  set +e
  # Run from the findings folder, so nothing a target does relative to the
  # working directory touches the source tree, with the targets' scratch
  # files in a folder of their own that is wiped afterwards (a target killed
  # mid-run can't clean up after itself).
  scratch="$build/tmp/$target"
  rm -rf "$scratch" && mkdir -p "$scratch"
  (cd "$findings" && TMPDIR="$scratch" "$build/fuzz/$target" "$corpus" "${seeds[@]}" \
     -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
     -artifact_prefix="$findings/" "${extra[@]}") > "$log" 2>&1
  rc=$?
  set -e
  rm -rf "$scratch"
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -o '[0-9]*$' || echo "?")
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  size=$(find "$corpus" -type f | wc -l)
  if ((rc == 0)); then
    result="ok"
  else
    status=1
    artifact=$(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //')
    result="FINDING (exit $rc): ${artifact:-see the log}"
  fi
  summary+=("$(printf '%-18s %8s execs %6s/s  cov %5s  corpus %5s  %s' "$target" "$execs" "$speed" "$cov" "$size" "$result")")
done

echo
echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit "$status"
