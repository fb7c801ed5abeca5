#!/usr/bin/env bash
# Fine-tuning an imported network on a small image set, tl against PyTorch.
# For ResNet-18 and MobileNetV2 from torchvision (random weights, randomised
# batchnorm statistics; nothing is downloaded), bench/finetune_torch.py
# exports the network to ONNX and fine-tunes it in PyTorch; tl runs a script
# that imports the same file, cuts it after its Flatten, freezes the body,
# appends a new dense(10, softmax) head and trains it the same way (Adam, lr
# 1e-3, batch 32) on the same image folder (the 1,000 Fashion-MNIST training
# images scripts/setup.sh writes as PNG/JPEG files, resized to SIZE x SIZE
# RGB), then evaluates on the 2,000 test images. Prints, per network, seconds
# per epoch (median of epochs 2+, tl's without its JIT compile), the ratio,
# and both test accuracies (the head sees random features, so the accuracy
# only shows the two agree, not what a pretrained body would reach).
#
#   bench/finetune_nets.sh [--size 64] [--epochs 3] [--threads N]
# Needs a build (TL_BUILD_DIR, default build/) and scripts/setup.sh's data.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_BUILD_DIR:-$root/build}"
size=64 epochs=3 threads="$(nproc)"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "usage: $0 [--size N] [--epochs N] [--threads N]"; exit 2 ;;
  esac
done
images="$root/data/fashion-images"
[[ -d "$images/train" ]] || { echo "finetune_nets: $images is missing (scripts/setup.sh writes it)"; exit 1; }
ninja -C "$build" tlc > /dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for net in resnet18 mobilenet_v2; do
  torch_json=$(/usr/bin/python3 "$root/bench/finetune_torch.py" "$net" "$work" "$images/train" "$images/test" \
                 --size "$size" --epochs "$epochs" --threads "$threads" 2>/dev/null | tail -1)
  cat > "$work/$net.tl" <<TL
seed 1
clothes = images("$images/train", size = ${size}x${size}, color = rgb) | scale 1/255
held_out = images("$images/test", size = ${size}x${size}, color = rgb) | scale 1/255
base = onnx("$net.onnx")
head = copy(base) | cut after Flatten | freeze reused | append { dense(10, softmax) }
train head on clothes { optimizer adam  batch 32  epochs $epochs }
evaluate head on held_out
TL
  (cd "$work" && "$build/tools/tlc/tlc" run "$net.tl" --threads "$threads" --out "run-$net" > "$net.log" 2>&1) \
    || { cat "$work/$net.log"; exit 1; }
  /usr/bin/python3 - "$net" "$torch_json" "$work/run-$net/results.json" <<'PY'
import json, statistics, sys
name, t, r = sys.argv[1], json.loads(sys.argv[2]), json.load(open(sys.argv[3]))
epochs = r["trainings"][0]["history"]
secs = [e["seconds"] - e.get("compile_seconds", 0) for e in epochs]
tl_epoch = statistics.median(secs[1:] or secs)
acc = r["evaluations"][0]["accuracy"]
print(f"{name:<13} s/epoch: PyTorch {t['median_epoch_seconds']:.2f}, tl {tl_epoch:.2f} ({t['median_epoch_seconds'] / tl_epoch:.2f}x);"
      f" test accuracy: PyTorch {100 * t['test_accuracy']:.1f}%, tl {100 * acc:.1f}%"
      f" ({t['train_images']} training, {t['test_images']} test images; tl epochs {', '.join(f'{s:.2f}' for s in secs)},"
      f" PyTorch {', '.join(f'{s:.2f}' for s in t['epoch_seconds'])})")
PY
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
