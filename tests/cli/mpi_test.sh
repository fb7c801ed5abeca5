#!/usr/bin/env bash
# Scale-out under Open MPI (docs/scale-out.md), on this machine's loopback:
#   1. data-parallel: the seed CNN (dropout included) trained by
#      `mpirun -np 2 tlc run` ends within float tolerance of one process at
#      the same global batch, on both backends, with the same evaluation;
#      two 2-process runs are bit-identical; only rank 0 writes (the run
#      folder holds what one process writes; no scratch folder is left);
#   2. a sweep: a `repeat 3` script under mpirun -np 2 runs each seed once,
#      spread over the processes, and its figures equal one process's;
#   3. an error ends every rank: killing one rank mid-training stops the job
#      (no hang), and a resume with another process count is refused;
#   4. a host application over tl/mpi.hpp trains as one process does;
#   5. batchnorm under mpirun -np 2 normalises with the whole batch's
#      statistics: the result is one process's;
#   6. a damaged image in rank 1's share: every process stops together (no
#      MPI_Abort), the error is printed once, marked [rank 1], and rank 0
#      names the process that failed.
#   mpi_test.sh TLC SOURCE_DIR MPI_HOST [data-parallel|sweep]
# (data-parallel: all but 2.; sweep: 2. only; neither: all)
set -euo pipefail
tlc="$1"
src="$2"
host="$3"
part="${4:-all}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[[ -e "$src/data/mnist" ]] || fail "MNIST is missing (scripts/setup.sh fetches it)"
mkdir -p "$work/data" "$work/tmp"
ln -s "$src/data/mnist" "$work/data/mnist"
export TMPDIR="$work/tmp"  # where ranks other than 0 keep their scratch folders
mpi=(mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2)

cat > "$work/seed.tl" <<'TL'
seed 3
mnist = idx("mnist")
digits = mnist.train | take 3000 | scale 1/255
held_out = mnist.test | take 1000 | scale 1/255
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
train net on digits { optimizer adam  batch 64  epochs 2 }
evaluate net on held_out
TL
compare() {  # compare DIR_A DIR_B TOLERANCE: weights, loss history, evaluation
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["TL_TESTS"])
import numpy as np
from safetensors_reader import read_safetensors
a, b, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
wa, wb = read_safetensors(a + "/net.safetensors")[0], read_safetensors(b + "/net.safetensors")[0]
assert wa.keys() == wb.keys()
worst = max(float(np.abs(wa[k] - wb[k]).max() / max(1e-12, np.abs(wa[k]).max())) for k in wa)
ra, rb = json.load(open(a + "/results.json")), json.load(open(b + "/results.json"))
la = [e["loss"] for e in ra["trainings"][0]["history"]]
lb = [e["loss"] for e in rb["trainings"][0]["history"]]
ea, eb = ra["evaluations"][0], rb["evaluations"][0]
print(f"  weights differ by {worst:.2e} of their scale; losses {la} / {lb}; accuracy {ea['accuracy']} / {eb['accuracy']}")
assert worst <= tol, f"weights differ by {worst}"
assert all(abs(x - y) <= 1e-4 * abs(x) for x, y in zip(la, lb)), (la, lb)
assert abs(ea["loss"] - eb["loss"]) <= 1e-4 * ea["loss"] and ea["samples"] == eb["samples"] == 1000, (ea, eb)
assert rb["processes"] == 2 and ra["processes"] == 1
PY
}
export TL_TESTS="$src/tests/cli"

if [[ $part != sweep ]]; then
echo "1. data-parallel training against one process"
for backend in jit reference; do
  (cd "$work" && "$tlc" run seed.tl --backend "$backend" --threads 1 --out "one-$backend" > "one-$backend.log" 2>&1) \
    || { cat "$work/one-$backend.log"; fail "one process ($backend)"; }
  (cd "$work" && "${mpi[@]}" "$tlc" run seed.tl --backend "$backend" --threads 1 --out "two-$backend" > "two-$backend.log" 2>&1) \
    || { cat "$work/two-$backend.log"; fail "mpirun -np 2 ($backend)"; }
  compare "$work/one-$backend" "$work/two-$backend" 1e-5 || fail "2 processes differ from one ($backend)"
done
(cd "$work" && "${mpi[@]}" "$tlc" run seed.tl --threads 1 --out two-again > two-again.log 2>&1) || { cat "$work/two-again.log"; fail "second run"; }
cmp -s "$work/two-jit/net.safetensors" "$work/two-again/net.safetensors" || fail "two 2-process runs differ"
grep -q "Train net on digits" "$work/two-jit.log" || fail "rank 0 printed no progress"
[[ $(grep -c "Train net on digits" "$work/two-jit.log") == 1 ]] || fail "more than one rank printed"
(cd "$work/one-jit" && find . -type f | sort) > "$work/one.files"
(cd "$work/two-jit" && find . -type f | sort) > "$work/two.files"
diff "$work/one.files" "$work/two.files" || fail "the 2-process run folder holds other files than one process's"
[[ -z "$(ls -A "$work/tmp")" ]] || { ls -la "$work/tmp"; fail "a scratch folder was left behind"; }
fi

if [[ $part != data-parallel ]]; then
echo "2. a sweep over the processes"
sed 's/^seed 3$/seed 3\nrepeat 3/; s/epochs 2/epochs 1/' "$work/seed.tl" > "$work/sweep.tl"
(cd "$work" && "${mpi[@]}" "$tlc" run sweep.tl --threads 1 --out sweep-two > sweep-two.log 2>&1) || { cat "$work/sweep-two.log"; fail "the sweep"; }
(cd "$work" && "$tlc" run sweep.tl --threads 1 --out sweep-one > sweep-one.log 2>&1) || { cat "$work/sweep-one.log"; fail "the one-process repeat"; }
/usr/bin/python3 - "$work/sweep-one" "$work/sweep-two" <<'PY' || fail "the sweep's figures"
import json, sys
one, two = (json.load(open(d + "/results.json")) for d in sys.argv[1:])
for s in (3, 4, 5):
    a = json.load(open(f"{sys.argv[1]}/seed-{s}/results.json"))["evaluations"][0]
    b = json.load(open(f"{sys.argv[2]}/seed-{s}/results.json"))["evaluations"][0]
    assert a["accuracy"] == b["accuracy"] and a["loss"] == b["loss"], (s, a, b)
assert one["evaluations"] == two["evaluations"], "the figures over the seeds differ"
print("  seeds 3, 4, 5: the same evaluations with one process and two")
PY
grep -q "in each of 2 processes" "$work/sweep-two.log" || fail "the sweep did not say it was spread"

fi

if [[ $part != sweep ]]; then
echo "3. an error on one rank ends the job"
sed 's/take 3000/take 60000/; s/epochs 2/epochs 50/' "$work/seed.tl" > "$work/long.tl"
(cd "$work" && timeout 120 "${mpi[@]}" "$tlc" run long.tl --threads 1 --out long > long.log 2>&1) &
job=$!
victim=""
for _ in $(seq 1 200); do  # rank 1, once it is training
  for pid in $(pgrep -f "tlc run long.tl" || true); do
    if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1"; then victim=$pid; fi
  done
  [[ -n "$victim" ]] && grep -q "Train net" "$work/long.log" 2>/dev/null && break
  sleep 0.1
done
[[ -n "$victim" ]] || { kill "$job" 2>/dev/null || true; fail "rank 1 never started"; }
sleep 1
kill -9 "$victim"
status=0
wait "$job" || status=$?
[[ $status != 0 && $status != 124 ]] || { cat "$work/long.log"; fail "the job did not end after a rank was killed (status $status)"; }
echo "  killed rank 1: mpirun ended with status $status"
# The killed job's checkpoint (rank 0's) is of 2 processes: one may not resume it.
[[ -d "$work/long/checkpoint" ]] || fail "the killed job left no checkpoint"
if (cd "$work" && "$tlc" run long.tl --threads 1 --out long --resume > resume.log 2>&1); then
  fail "a 2-process checkpoint resumed in one process"
fi
grep -q "this run started with 2 process(es); resuming it with 1 would change its results" "$work/resume.log" \
  || { cat "$work/resume.log"; fail "the resume refusal"; }
echo "4. a host application over tl/mpi.hpp"
"${mpi[@]}" "$host" "$work/scores" > "$work/host.log" 2>&1 || { cat "$work/host.log"; fail "mpi_host under mpirun"; }
mv "$work/scores.0" "$work/two.0" && mv "$work/scores.1" "$work/two.1"
"$host" "$work/scores" > "$work/host-one.log" 2>&1 || { cat "$work/host-one.log"; fail "mpi_host alone"; }
cmp -s "$work/two.0" "$work/two.1" || fail "the host's two ranks hold different models"
/usr/bin/python3 - "$work/two.0" "$work/scores.0" <<'PY' || fail "the host's data-parallel model differs from one process's"
import sys
import numpy as np
a, b = (np.fromfile(p, "<f4") for p in sys.argv[1:])
assert a.size == b.size == 96 * 4, (a.size, b.size)
print(f"  scores differ from one process's by at most {np.abs(a - b).max():.1e}")
assert np.abs(a - b).max() < 1e-4
PY
echo "5. batchnorm: the whole batch's statistics"
sed 's/conv2d(10, 3x3, activation = relu)/conv2d(10, 3x3, use_bias = false)\n  batchnorm()\n  activation(relu)/; s/epochs 2/epochs 1/' \
  "$work/seed.tl" > "$work/bn.tl"
grep -q batchnorm "$work/bn.tl" || fail "bn.tl has no batchnorm"
(cd "$work" && "$tlc" run bn.tl --threads 1 --out bn-one > bn-one.log 2>&1) || { cat "$work/bn-one.log"; fail "batchnorm, one process"; }
(cd "$work" && "${mpi[@]}" "$tlc" run bn.tl --threads 1 --out bn-two > bn-two.log 2>&1) || { cat "$work/bn-two.log"; fail "batchnorm, 2 processes"; }
compare "$work/bn-one" "$work/bn-two" 1e-4 || fail "batchnorm: 2 processes differ from one"
echo "6. a damaged image on one rank stops every rank together"
/usr/bin/python3 - "$work/imgs" <<'PY'
import os, sys
import numpy as np
from PIL import Image
rng = np.random.default_rng(0)
for c in "ab":
    os.makedirs(f"{sys.argv[1]}/{c}")
    for i in range(40):
        Image.fromarray((rng.random((8, 8)) * 255).astype("uint8")).save(f"{sys.argv[1]}/{c}/{i:03d}.png")
# b/036 is sample 76: row 12 of the last batch of 16 (rows 64..79), in rank 1's half.
path = f"{sys.argv[1]}/b/036.png"
data = open(path, "rb").read()
open(path, "wb").write(data[:60] + bytes(len(data) - 60))  # header intact, pixels damaged
PY
cat > "$work/damaged.tl" <<'TL'
seed 1
photos = images("imgs", size = 8x8, color = gray) | scale 1/255
model small(classes) {
  input(8, 8, 1)
  conv2d(4, 3x3, use_bias = false)
  batchnorm()
  activation(relu)
  flatten()
  dense(classes, softmax)
}
net = small(2)
train net on photos { epochs 1  batch 16  shuffle 0 }
TL
rm -rf "$work/tmp"/*  # the killed rank's scratch (3.)
status=0
(cd "$work" && timeout 120 "${mpi[@]}" "$tlc" run damaged.tl --threads 1 --out damaged > damaged.log 2>&1) || status=$?
[[ $status != 0 && $status != 124 ]] || { cat "$work/damaged.log"; fail "the damaged image did not end the job (status $status)"; }
grep -q "tlc: process 1 failed (its error is marked \[rank 1\]); every process stopped" "$work/damaged.log" \
  || { cat "$work/damaged.log"; fail "rank 0 did not name the failed process"; }
[[ $(grep -c "036.png: error: the PNG data is damaged" "$work/damaged.log") == 1 ]] || { cat "$work/damaged.log"; fail "the error was not printed once"; }
# Not anchored at a line's start: rank 0's progress line may not have ended
# when rank 1's error reaches the shared output.
grep -q "\[rank 1\] damaged.tl:12:1: error: imgs/b/036.png" "$work/damaged.log" || { cat "$work/damaged.log"; fail "the error is not rank 1's"; }
grep -q "results of the steps before this one are in damaged/results.json" "$work/damaged.log" \
  || { cat "$work/damaged.log"; fail "rank 1 named its scratch folder"; }
if grep -q "MPI_ABORT" "$work/damaged.log"; then cat "$work/damaged.log"; fail "the job was aborted, not stopped together"; fi
[[ -z "$(ls -A "$work/tmp")" ]] || { ls -la "$work/tmp"; fail "a scratch folder was left behind"; }
echo "  status $status; $(grep -c . "$work/damaged.log") lines of output"
fi
echo "mpi ($part): ok"
