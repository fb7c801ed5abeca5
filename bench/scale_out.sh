#!/usr/bin/env bash
# Data-parallel training on this machine: the same script, same global batch,
# in one process (2 threads and 1 thread) and in 2 MPI processes of 1 thread,
# for the seed CNN (25,625 parameters), Keras' mnist_cnn (1.2 M) and
# mnist_cnn with batchnorm after each conv (its statistics combined over the
# processes inside every step: 8 small collectives a step), on all of MNIST. Prints seconds per epoch (median of epochs 2+, without JIT
# compile time) and the load average. docs/scale-out.md has the figures.
#   bench/scale_out.sh [--epochs 3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TL_BUILD_DIR:-$root/build}"
epochs=3
[[ "${1:-}" == "--epochs" ]] && epochs="$2"
tlc="$build/tools/tlc/tlc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data" && ln -s "$root/data/mnist" "$work/data/mnist"
cat > "$work/seed_cnn.tl" <<TL
seed 1
mnist = idx("mnist")
digits = mnist.train | scale 1/255
model seed_cnn(classes) {
  input(28, 28, 1)
  conv2d(10, 3x3, activation = relu)
  maxpool2d(2)
  flatten()
  dense(15, relu)
  dropout(0.3)
  dense(classes, softmax)
}
net = seed_cnn(10)
train net on digits { optimizer adam  batch 64  epochs $epochs }
TL
cat > "$work/mnist_cnn.tl" <<TL
seed 1
mnist = idx("mnist")
digits = mnist.train | scale 1/255
model mnist_cnn(classes) {
  input(28, 28, 1)
  conv2d(32, 3x3, activation = relu)
  conv2d(64, 3x3, activation = relu)
  maxpool2d(2)
  dropout(0.25)
  flatten()
  dense(128, relu)
  dropout(0.5)
  dense(classes, softmax)
}
net = mnist_cnn(10)
train net on digits { optimizer adam  batch 128  epochs $epochs }
TL
sed 's/conv2d(32, 3x3, activation = relu)/conv2d(32, 3x3, use_bias = false)\n  batchnorm()\n  activation(relu)/;
     s/conv2d(64, 3x3, activation = relu)/conv2d(64, 3x3, use_bias = false)\n  batchnorm()\n  activation(relu)/' \
  "$work/mnist_cnn.tl" > "$work/mnist_bn.tl"
epoch_seconds() {
  /usr/bin/python3 -c "
import json, statistics, sys
h = json.load(open(sys.argv[1]))['trainings'][0]['history']
s = [e['seconds'] - e.get('compile_seconds', 0) for e in h]
print(f'{statistics.median(s[1:] or s):.3f}')" "$1/results.json"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %22s %22s %22s\n' model "1 process, 2 threads" "1 process, 1 thread" "2 processes x 1 thread"
for m in seed_cnn mnist_cnn mnist_bn; do
  (cd "$work" && "$tlc" run "$m.tl" --threads 2 --out "$m-t2" > /dev/null)
  (cd "$work" && "$tlc" run "$m.tl" --threads 1 --out "$m-t1" > /dev/null)
  (cd "$work" && mpirun --allow-run-as-root -np 2 --mca btl self,vader "$tlc" run "$m.tl" --threads 1 --out "$m-p2" > /dev/null)
  printf '%-10s %20ss %20ss %20ss\n' "$m" "$(epoch_seconds "$work/$m-t2")" "$(epoch_seconds "$work/$m-t1")" "$(epoch_seconds "$work/$m-p2")"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
