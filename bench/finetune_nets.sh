#!/usr/bin/env bash
# Fine-tuning an imported network on a small image set, tl against PyTorch.
# For ResNet-18 and MobileNetV2 from torchvision (random weights, randomised
# batchnorm statistics; nothing is downloaded), bench/finetune_torch.py
# exports the network to ONNX and fine-tunes it in PyTorch; tl runs a script
# that imports the same file, cuts it after its global average pool, freezes the body,
# appends a new dense(10, softmax) head and trains it the same way (Adam, lr
# 1e-3, batch 32) on the same image folder (the 1,000 Fashion-MNIST training
# images scripts/setup.sh writes as PNG/JPEG files, resized to SIZE x SIZE
# RGB), then evaluates on the 2,000 test images. Prints, per network, seconds
# per epoch (median of epochs 2+, tl's without its JIT compile), the ratio,
# and both test accuracies (the head sees random features, so the accuracy
# only shows the two agree, not what a pretrained body would reach).
#
# With --seeds N each side trains N heads (seeds 1..N: the head's
# initialisation and the shuffles) on the same body; accuracies are given as
# mean and standard deviation.
#
#   bench/finetune_nets.sh [--size 64] [--epochs 3] [--threads N] [--seeds 1]
# Needs a build (TL_BUILD_DIR, default build/) and scripts/setup.sh's data.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_BUILD_DIR:-$root/build}"
size=64 epochs=3 threads="$(nproc)" seeds=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    *) echo "usage: $0 [--size N] [--epochs N] [--threads N] [--seeds N]"; exit 2 ;;
  esac
done
images="$root/data/fashion-images"
[[ -d "$images/train" ]] || { echo "finetune_nets: $images is missing (scripts/setup.sh writes it)"; exit 1; }
ninja -C "$build" tlc > /dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for net in resnet18 mobilenet_v2; do
  # The layer before the classifier: the global pool (its Flatten is no layer in tl).
  body_end=$([[ $net == resnet18 ]] && echo avgpool_GlobalAveragePool || echo GlobalAveragePool)
  torch_json=$(/usr/bin/python3 "$root/bench/finetune_torch.py" "$net" "$work" "$images/train" "$images/test" \
                 --size "$size" --epochs "$epochs" --threads "$threads" --seeds "$seeds" 2>/dev/null | tail -1)
  cat > "$work/$net.tl" <<TL
seed 1
clothes = images("$images/train", size = ${size}x${size}, color = rgb) | scale 1/255
held_out = images("$images/test", size = ${size}x${size}, color = rgb) | scale 1/255
base = onnx("$net.onnx")
head = copy(base) | cut after $body_end | freeze reused | append { dense(10, softmax) }
train head on clothes { optimizer adam  batch 32  epochs $epochs }
evaluate head on held_out
TL
  for seed in $(seq 1 "$seeds"); do
    (cd "$work" && "$build/tools/tlc/tlc" run "$net.tl" --seed "$seed" --threads "$threads" --out "run-$net-$seed" > "$net.log" 2>&1) \
      || { cat "$work/$net.log"; exit 1; }
  done
  /usr/bin/python3 - "$net" "$torch_json" "$work"/run-"$net"-*/results.json <<'PY'
import json, statistics, sys
name, t = sys.argv[1], json.loads(sys.argv[2])
secs, accs = [], []
for path in sys.argv[3:]:
    r = json.load(open(path))
    s = [e["seconds"] - e.get("compile_seconds", 0) for e in r["trainings"][0]["history"]]
    secs += s[1:] or s
    accs.append(r["evaluations"][0]["accuracy"])
tl_epoch = statistics.median(secs)
def acc(v):
    return f"{100 * statistics.mean(v):.1f}%" + (f" ± {100 * statistics.stdev(v):.1f}" if len(v) > 1 else "")
print(f"{name:<13} s/epoch: PyTorch {t['median_epoch_seconds']:.2f}, tl {tl_epoch:.2f} ({t['median_epoch_seconds'] / tl_epoch:.2f}x);"
      f" test accuracy: PyTorch {acc(t['test_accuracies'])}, tl {acc(accs)}"
      f" ({len(accs)} seeds; {t['train_images']} training, {t['test_images']} test images)")
PY
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
