#!/usr/bin/env bash
# Early stopping and the best epoch's model file, from scripts: the training
# stops `patience` epochs after its best, puts the best epoch's weights back
# (evaluate then measures exactly that epoch's val_loss), and
# NAME.best.safetensors holds them; with restore_best = false the last
# epoch's weights stay. A run killed during such a training resumes to the
# same weights (the checkpoint keeps the best epoch's). Usage: early_stop_test.sh TLC
set -euo pipefail
tlc="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
/usr/bin/python3 - <<'PY'
import numpy as np
r = np.random.default_rng(0)
x = r.normal(size=(300, 20)).astype(np.float32)
y = (x @ r.normal(size=(20, 3)) + 2.0 * r.normal(size=(300, 3))).argmax(1).astype(np.int64)
np.save("x.npy", x[:200]); np.save("y.npy", y[:200]); np.save("vx.npy", x[200:]); np.save("vy.npy", y[200:])
# For the kill test: labels without signal, so the first epochs are the best.
x = r.normal(size=(12000, 20)).astype(np.float32)
np.save("bx.npy", x); np.save("by.npy", r.integers(0, 3, size=12000))
PY
cat > stop.tl <<'TL'
seed 3
d = npy("x.npy", labels = "y.npy")
v = npy("vx.npy", labels = "vy.npy")
model mlp(classes) {
  input(20)
  dense(64, relu)
  dense(classes, softmax)
}
a = mlp(3)
train a on d { optimizer adam(lr = 0.01)  epochs 40  validation v  early_stop val_loss(patience = 3)  save_best val_loss }
evaluate a on v
b = mlp(3)
train b on d { optimizer adam(lr = 0.01)  epochs 40  validation v  early_stop val_accuracy(patience = 4, restore_best = false) }
evaluate b on v
TL
"$tlc" run stop.tl --out stop > stop.log
grep -q "Early stop after epoch" stop.log || { echo "FAIL: no early stop line"; cat stop.log; exit 1; }
grep -q "Restored the weights of epoch" stop.log || { echo "FAIL: no restore line"; cat stop.log; exit 1; }
/usr/bin/python3 - "$here" stop <<'PY'
import json, math, sys
sys.path.insert(0, sys.argv[1])
from safetensors_reader import read_safetensors
run = sys.argv[2]
j = json.load(open(f"{run}/results.json"))
a, b = j["trainings"]
val = [e["val_loss"] for e in a["history"]]
best = min(range(len(val)), key=lambda i: val[i]) + 1  # the first minimum
es = a["early_stop"]
assert es["monitor"] == "val_loss" and es["stopped"] and es["restored"], es
assert es["best_epoch"] == best and len(val) == best + 3, (es, val)
assert math.isclose(es["best_value"], val[best - 1]), es
# evaluate (batch 32, as the validation) measures the restored epoch exactly
assert math.isclose(j["evaluations"][0]["loss"], val[best - 1], rel_tol=1e-6), (j["evaluations"][0], val)
last, saved = read_safetensors(f"{run}/a.safetensors")[0], read_safetensors(f"{run}/a.best.safetensors")[0]
assert last.keys() == saved.keys() and all((last[k] == saved[k]).all() for k in last), "a.best differs from the restored a"
assert es["best_file"] == "a.best.safetensors"
# restore_best = false: the last epoch's weights stay; val_accuracy is watched upwards
acc = [e["val_accuracy"] for e in b["history"]]
eb = b["early_stop"]
assert eb["stopped"] and not eb["restored"] and eb["monitor"] == "val_accuracy", eb
assert eb["best_epoch"] == max(range(len(acc)), key=lambda i: acc[i]) + 1 and len(acc) == eb["best_epoch"] + 4, (eb, acc)
assert math.isclose(j["evaluations"][1]["loss"], b["history"][-1]["val_loss"], rel_tol=1e-6)
print(f"early stop: a stopped at epoch {len(val)} (best {best}), b at {len(acc)}")
PY

# Killed during an early-stopped training (after its best epoch), resumed:
# the same stop, the same restored weights.
cat > kill.tl <<'TL'
seed 4
d = npy("bx.npy", labels = "by.npy")
v = npy("vx.npy", labels = "vy.npy")
model wide(classes) {
  input(20)
  dense(256, relu)
  dense(classes, softmax)
}
w = wide(3)
train w on d { optimizer adam(lr = 0.003)  batch 4  epochs 30  validation v  early_stop val_loss(patience = 2) }
TL
"$tlc" run kill.tl --backend reference --out whole > whole.log
grep -q "Restored the weights" whole.log || { echo "FAIL: the kill run did not restore"; cat whole.log; exit 1; }
"$tlc" run kill.tl --backend reference --out killed > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  if grep -aqsE 'epochs_done\\":[1-9]' killed/checkpoint/checkpoint.safetensors; then break; fi
  sleep 0.05
done
grep -aqsE 'epochs_done\\":[1-9]' killed/checkpoint/checkpoint.safetensors || { echo "FAIL: no checkpoint"; exit 1; }
kill -9 $pid; wait $pid 2>/dev/null || true
[[ ! -e killed/w.safetensors ]] || { echo "FAIL: the run finished before it was killed"; exit 1; }
"$tlc" run kill.tl --backend reference --out killed --resume > resumed.log
grep -q "Resuming from" resumed.log || { echo "FAIL: did not resume"; exit 1; }
cmp whole/w.safetensors killed/w.safetensors || { echo "FAIL: killed+resumed weights differ"; exit 1; }
echo "early stop: ok"
