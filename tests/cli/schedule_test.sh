#!/usr/bin/env bash
# Learning-rate schedules from a script: results.json records the schedule
# and each epoch's learning rate (step halves it every epoch here), and the
# run on the JIT matches the reference interpreter. Usage: schedule_test.sh TLC
set -euo pipefail
tlc="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p data
/usr/bin/python3 "$here/make_idx.py" data/tiny 400 100 5
cat > s.tl <<'TL'
seed 3
tiny = idx("tiny")
model small(classes) {
  input(8, 8, 1)
  flatten()
  dense(16, relu)
  dense(classes, softmax)
}
a = small(5)
train a on tiny.train | scale 1/255 { optimizer sgd(lr = 0.2, momentum = 0.9)  epochs 4  batch 32  schedule step(every = 1, gamma = 0.5) }
b = small(5)
train b on tiny.train | scale 1/255 { epochs 3  batch 32  schedule cosine(warmup = 1)  validation tiny.test | scale 1/255 }
TL
"$tlc" run s.tl --out jit > /dev/null
"$tlc" run s.tl --out ref --backend reference --threads 1 > /dev/null
/usr/bin/python3 - jit/results.json ref/results.json <<'PY'
import json, math, sys
jit, ref = (json.load(open(f)) for f in sys.argv[1:3])
a = jit["trainings"][0]
assert a["schedule"] == {"name": "step", "every": 1, "gamma": 0.5}, a["schedule"]
lrs = [e["lr"] for e in a["history"]]
assert all(math.isclose(x, 0.2 * 0.5 ** i, rel_tol=1e-12) for i, x in enumerate(lrs)), lrs
b = jit["trainings"][1]
assert b["schedule"] == {"name": "cosine", "warmup": 1, "min": 0.0}, b["schedule"]
assert math.isclose(b["history"][0]["lr"], 0.001 / 13, rel_tol=1e-9), b["history"][0]  # 13 updates per epoch: the first warms up
for t_jit, t_ref in zip(jit["trainings"], ref["trainings"]):
    for e_jit, e_ref in zip(t_jit["history"], t_ref["history"]):
        assert math.isclose(e_jit["loss"], e_ref["loss"], rel_tol=1e-4), (e_jit, e_ref)
print("schedules: ok")
PY
