#!/usr/bin/env bash
# ONNX import against PyTorch. tests/onnx/make_models.py exports networks with
# torch.onnx.export (a small CNN at opsets 13 and 17 with batchnorm, padded
# pools and a flatten into a linear layer; a MobileNetV3-like block with
# depthwise convolutions, squeeze-and-excite and clip; Inception-style
# branches joined by Concat with grouped and dilated convolutions and an
# average pool that counts its padding; torchvision's ResNet-18,
# MobileNetV2, SqueezeNet 1.1 and GoogLeNet), and onnx_predict runs each on PyTorch's inputs
# with both backends: every output within 1e-4 of PyTorch's. Then a script
# imports a network, cuts it, freezes it, trains a new head and evaluates it;
# and files tl can't import give errors naming the node.
#   onnx_import_test.sh ONNX_PREDICT TLC SOURCE_DIR
set -euo pipefail
predict="$1"
tlc="$2"
src="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$src/tests/onnx/make_models.py" "$work" > "$work/make.log" 2>&1 || { cat "$work/make.log"; exit 1; }
for m in small_cnn small_cnn_opset17 excite tiny ceil_pools branches pad_conv resnet18 mobilenet_v2 squeezenet1_1 googlenet; do
  "$predict" "$work/$m.onnx" "$work/$m.input.bin" "$work/$m.output.bin" 1e-4
done

fail() { echo "FAIL: $*"; exit 1; }

# A script: import, summarise, cut after the first dense layer, freeze what is
# reused, append a head, train it and evaluate.
mkdir -p "$work/data"
/usr/bin/python3 "$src/tests/cli/make_idx.py" "$work/data/tiny" 120 40 5
cat > "$work/transfer.tl" <<'TL'
seed 3
tiny = idx("tiny")
base = onnx("tiny.onnx")
summary base
head = copy(base) | cut after fc1_Gemm | freeze reused | append { activation(relu)  dense(5, softmax) }
train head on tiny.train | scale 1/255 { epochs 2  batch 16 }
evaluate head on tiny.test | scale 1/255
TL
(cd "$work" && "$tlc" run transfer.tl --out run > run.log 2>&1) || { cat "$work/run.log"; fail "the transfer script did not run"; }
grep -q "conv_Conv (Conv2D)" "$work/run.log" || { cat "$work/run.log"; fail "the summary lacks the ONNX node names"; }
grep -q "fc1_Gemm (Dense)" "$work/run.log" || fail "the summary lacks fc1_Gemm"
/usr/bin/python3 - "$work/run/results.json" <<'PY' || fail "results.json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["evaluations"][0]["accuracy"] >= 0, r
PY
# Frozen means frozen: the reused convolution's weights are the file's.
/usr/bin/python3 - "$work/tiny.onnx" "$work/run/head.safetensors" <<'PY' || fail "the frozen convolution changed"
import json, struct, sys
import numpy as np
import onnx
from onnx import numpy_helper
init = {t.name: numpy_helper.to_array(t) for t in onnx.load(sys.argv[1]).graph.initializer}
data = open(sys.argv[2], "rb").read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n])
def tensor(name):
    b, e = header[name]["data_offsets"]
    return np.frombuffer(data[8 + n + b:8 + n + e], dtype="<f4").reshape(header[name]["shape"])
assert np.array_equal(tensor("conv_Conv/kernel"), init["conv.weight"].transpose(2, 3, 1, 0)), "conv kernel"
assert np.array_equal(tensor("bn_BatchNormalization/moving_variance"), init["bn.running_var"]), "moving variance"
assert np.array_equal(tensor("fc1_Gemm/kernel"), init["fc1.weight"].reshape(16, 4, 4, 4).transpose(2, 3, 1, 0).reshape(64, 16)), "fc1 kernel"
PY

# Errors name the file and the node, and say what tl supports.
printf 'tiny = idx("tiny")\nnet = onnx("upsample.onnx")\nsummary net\n' > "$work/resize.tl"
if (cd "$work" && "$tlc" check resize.tl > resize.log 2>&1); then fail "a Resize model was accepted"; fi
grep -q "resize.tl:2:12: error: cannot import the ONNX model: upsample.onnx: node '/Resize' (Resize): tl does not support the operator Resize" "$work/resize.log" \
  || { cat "$work/resize.log"; fail "the Resize error"; }
grep -q "hint: tl imports Add, AveragePool" "$work/resize.log" || fail "the supported list"
printf 'not a protobuf' > "$work/junk.onnx"
printf 'net = onnx("junk.onnx")\nsummary net\n' > "$work/junk.tl"
if (cd "$work" && "$tlc" check junk.tl > junk.log 2>&1); then fail "a junk file was accepted"; fi
grep -q "junk.onnx: not an ONNX model" "$work/junk.log" || { cat "$work/junk.log"; fail "the junk error"; }
echo "onnx import: ok"
