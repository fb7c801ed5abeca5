#!/usr/bin/env bash
# Lesson 4 end to end: PyTorch trains and exports the donor network
# (examples/onnx/train_donor.py, one epoch here), and examples/04_onnx_transfer.tl
# imports it, freezes its body, trains a new head and compares it with the
# same network from scratch.   lesson_test.sh TLC SOURCE_DIR
set -euo pipefail
tlc="$1"
src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data" "$work/onnx"
ln -s "$src/data/mnist" "$work/data/mnist"
cp "$src/examples/04_onnx_transfer.tl" "$work/"
/usr/bin/python3 "$src/examples/onnx/train_donor.py" --data "$src/data/mnist" --out "$work/onnx/digits_0_6.onnx" --epochs 1 \
  > "$work/donor.log" 2>&1 || { cat "$work/donor.log"; exit 1; }
(cd "$work" && "$tlc" run 04_onnx_transfer.tl --out run > run.log 2>&1) || { cat "$work/run.log"; echo "FAIL: lesson 4"; exit 1; }
grep -q "transfer vs scratch:" "$work/run.log" || { cat "$work/run.log"; echo "FAIL: no comparison"; exit 1; }
grep "transfer vs scratch:" "$work/run.log"
