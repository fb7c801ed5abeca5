#!/usr/bin/env bash
# ONNX export round trip: a model with every kind of layer tl has (convolutions
# with explicit and 'same' padding, depthwise with a multiplier, grouped and
# dilated convolutions, batchnorm, squeeze-and-excite multiply, add, concat,
# max and average pools (one counting its padding), global pooling, flatten,
# dropout, dense) and most activations is trained on MNIST, then
#   - tlc run --onnx, tlc export and the script's `export net to "..."` write the same ONNX file;
#   - onnx.checker (python3-onnx) accepts it, with full shape inference;
#   - ONNX Runtime (npm's onnxruntime-node) runs it on the 10,000 MNIST test
#     images, and its scores match tl's (libtl's Model::predict_scores) within
#     1e-5, with the same class for every image.
#   onnx_export_test.sh TLC TL_SCORES SOURCE_DIR
set -euo pipefail
tlc="$1"
scores="$2"
src="$3"
ort="${TL_ORT_DIR:-$src/.cache/onnxruntime}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[[ -d "$ort/node_modules/onnxruntime-node" ]] || fail "ONNX Runtime is not installed in $ort (scripts/setup.sh installs it)"
[[ -e "$src/data/mnist" ]] || fail "MNIST is missing (scripts/setup.sh fetches it)"
mkdir -p "$work/data"
ln -s "$src/data/mnist" "$work/data/mnist"
cat > "$work/net.tl" <<'TL'
seed 5
mnist = idx("mnist")
raw = mnist.train | take 3000 | scale 1/255
digits = raw | normalize from raw
model wide(classes) {
  input(28, 28, 1)
  stem: conv2d(8, 3x3, strides = 2, padding = 1, activation = relu6)
  batchnorm()
  dw: depthwise_conv2d(3x3, padding = same, multiplier = 2, activation = hard_swish)
  body: conv2d(16, 1x1, activation = swish)
  global_avgpool2d()
  dense(8, relu)
  gate: dense(16, hard_sigmoid)
  scaled: multiply(body, gate)
  side: conv2d(16, 3x3, padding = same, activation = gelu) from dw
  sum: add(scaled, side)
  grouped: conv2d(8, 3x3, padding = 2, dilation = 2, groups = 4, activation = relu)
  dilated: depthwise_conv2d(3x3, padding = same, dilation = 2) from sum
  concat(grouped, dilated)
  maxpool2d(3, strides = 2, padding = 1)
  avgpool2d(3, strides = 1, padding = 1, count_include_pad = true)
  avgpool2d(2, padding = same)
  activation(leaky_relu(0.1))
  activation(clip(-2, 2))
  flatten()
  dropout(0.2)
  dense(32, tanh)
  activation(sigmoid)
  dense(classes, softmax)
}
net = wide(10)
train net on digits { epochs 1  batch 32 }
export net to "from-script.onnx"
TL
(cd "$work" && "$tlc" run net.tl --onnx --out run > run.log 2>&1) || { cat "$work/run.log"; fail "tlc run --onnx"; }
[[ -s "$work/run/net.onnx" ]] || fail "tlc run --onnx wrote no run/net.onnx"
"$tlc" export "$work/run/net.safetensors" "$work/exported.onnx" 2> "$work/export.log" || { cat "$work/export.log"; fail "tlc export"; }
cmp -s "$work/run/net.onnx" "$work/exported.onnx" || fail "tlc export and tlc run --onnx wrote different files"
cmp -s "$work/run/from-script.onnx" "$work/exported.onnx" || fail "the script's export and tlc export wrote different files"
/usr/bin/python3 -c "
import onnx, sys
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
print('onnx.checker: ok, opset', m.opset_import[0].version, ',', len(m.graph.node), 'nodes')
" "$work/run/net.onnx"
"$scores" "$work/run/net.safetensors" "$src/data/mnist/t10k-images-idx3-ubyte" "$src/data/mnist/t10k-labels-idx1-ubyte" \
  "$work/input.bin" "$work/tl.bin"
NODE_PATH="$ort/node_modules" node "$src/tests/onnx/ort_run.js" "$work/run/net.onnx" "$work/input.bin" 1 28 28 "$work/ort.bin"
/usr/bin/python3 - "$work/tl.bin" "$work/ort.bin" <<'PY'
import sys
import numpy as np
tl = np.fromfile(sys.argv[1], dtype="<f4").reshape(-1, 10)
ort = np.fromfile(sys.argv[2], dtype="<f4").reshape(-1, 10)
worst = float(np.abs(tl - ort).max())
same = int((tl.argmax(1) == ort.argmax(1)).sum())
print(f"ONNX Runtime against tl on {len(tl)} MNIST test images: largest difference {worst:.3g}, same class for {same}")
assert worst <= 1e-5, "scores differ by more than 1e-5"
assert same == len(tl), "some classes differ"
PY
# A file that is not a model file is a clear error, not an ONNX file.
printf 'junk' > "$work/junk.safetensors"
if "$tlc" export "$work/junk.safetensors" "$work/junk.onnx" 2> "$work/junk.log"; then fail "exported a junk file"; fi
grep -q "junk.safetensors" "$work/junk.log" || { cat "$work/junk.log"; fail "the junk file's error"; }
[[ ! -e "$work/junk.onnx" ]] || fail "a failed export left a file"
echo "onnx export: ok"
