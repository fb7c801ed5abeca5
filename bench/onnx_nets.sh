#!/usr/bin/env bash
# ResNet-18 and MobileNetV2 from torchvision, exported to ONNX by PyTorch with
# random weights (nothing downloaded), imported by tl, and run side by side:
#   - accuracy: tl (reference and JIT) and ONNX Runtime against PyTorch's
#     outputs on the same batch (tl must be within 1e-4);
#   - speed at batch 32, all threads: inference (PyTorch eval + no_grad, ONNX
#     Runtime, tl's predict step) and a full training step (PyTorch train
#     mode + Adam, tl's train step: every layer trainable, batchnorm on batch
#     statistics, Adam), medians of --runs runs, interleaved per model.
#
#   bench/onnx_nets.sh [--size 224] [--batch 32] [--runs 5] [--threads N]
# Needs a build (TL_BUILD_DIR, default build/) and scripts/setup.sh's ONNX
# Runtime (.cache/onnxruntime). Prints a table and the load average.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_BUILD_DIR:-$root/build}"
size=224 batch=32 runs=5 threads="$(nproc)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "usage: $0 [--size N] [--batch N] [--runs N] [--threads N]"; exit 2 ;;
  esac
done
ninja -C "$build" onnx_bench onnx_predict > /dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-13s %-10s %12s %12s %12s\n' model "" PyTorch "ONNX RT" tl
for net in resnet18 mobilenet_v2; do
  torch_json=$(/usr/bin/python3 "$root/bench/onnx_nets.py" "$net" "$work" --size "$size" --batch "$batch" --runs "$runs" \
                 --threads "$threads" 2>/dev/null | tail -1)
  ort_json=$(NODE_PATH="$root/.cache/onnxruntime/node_modules" node "$root/bench/ort_time.js" "$work/$net.onnx" \
               "$work/$net.input.bin" 3 "$size" "$size" "$runs" "$threads" "$work/$net.ort.bin")
  tl_json=$("$build/bench/onnx_bench" "$work/$net.onnx" --batch "$batch" --runs "$runs" --threads "$threads")
  accuracy=$("$build/tests/onnx_predict" "$work/$net.onnx" "$work/$net.input.bin" "$work/$net.output.bin" 1e-4)
  ort_diff=$(/usr/bin/python3 -c "
import numpy as np, sys
a = np.fromfile(sys.argv[1], '<f4'); b = np.fromfile(sys.argv[2], '<f4')
print(f'{np.abs(a - b).max():.2g}')" "$work/$net.ort.bin" "$work/$net.output.bin")
  /usr/bin/python3 - "$net" "$torch_json" "$ort_json" "$tl_json" <<'PY'
import json, sys
name, t, o, l = sys.argv[1], *map(json.loads, sys.argv[2:])
print(f"{name:<13} {'predict':<10} {t['predict_ms']:9.1f} ms {o['predict_ms']:9.1f} ms {l['predict_ms']:9.1f} ms"
      f"   tl {t['predict_ms'] / l['predict_ms']:.2f}x PyTorch, {o['predict_ms'] / l['predict_ms']:.2f}x ONNX Runtime;"
      f" {l['predict_gflop'] / l['predict_ms'] * 1e3:.0f} GFLOP/s")
print(f"{'':<13} {'train step':<10} {t['train_step_ms']:9.1f} ms {'—':>12} {l['train_step_ms']:9.1f} ms"
      f"   tl {t['train_step_ms'] / l['train_step_ms']:.2f}x PyTorch; {l['train_gflop'] / l['train_step_ms'] * 1e3:.0f} GFLOP/s;"
      f" tl compiles in {l['compile_seconds']['train'] + l['compile_seconds']['predict']:.1f} s")
PY
  echo "$accuracy" | sed "s|$work/||" | sed 's/^/  /'
  echo "  ONNX Runtime: largest difference from PyTorch $ort_diff"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
