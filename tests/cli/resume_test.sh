#!/usr/bin/env bash
# Interrupted runs from the outside: a run killed with SIGKILL mid-training,
# and one stopped with Ctrl-C (SIGINT), both resume with --resume to model
# files byte-identical to an uninterrupted run's; resuming with another
# backend or thread count is refused. The reference backend is
# used because it is slow enough to interrupt reliably. Usage: resume_test.sh TLC
set -euo pipefail
tlc="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
/usr/bin/python3 "$(dirname "$0")/make_idx.py" "$work/data/tiny" 3000 100 5
cat > "$work/long.tl" <<'TL'
seed 5
tiny = idx("tiny")
model small(classes) {
  input(8, 8, 1)
  conv2d(8, 3x3, activation = relu)
  flatten()
  dense(32, relu)
  dropout(0.2)
  dense(classes, softmax)
}
net = small(5)
train net on tiny.train | scale 1/255 { epochs 60  batch 4  shuffle 500 }
evaluate net on tiny.test | scale 1/255
TL
"$tlc" run "$work/long.tl" --backend reference --out "$work/whole" > /dev/null

wait_for_epoch() {  # wait until a checkpoint after at least one epoch exists
  for _ in $(seq 1 600); do
    if grep -aqsE 'epochs_done\\":[1-9]' "$1/checkpoint/checkpoint.safetensors"; then return 0; fi
    sleep 0.05
  done
  echo "FAIL: no checkpoint appeared in $1"; exit 1
}

# 1. SIGKILL in the middle of training, then resume.
"$tlc" run "$work/long.tl" --backend reference --out "$work/killed" > /dev/null 2>&1 &
pid=$!
wait_for_epoch "$work/killed"
sleep 0.3
kill -9 $pid; wait $pid 2>/dev/null || true
[[ ! -e "$work/killed/net.safetensors" ]] || { echo "FAIL: the run finished before it was killed"; exit 1; }
"$tlc" run "$work/long.tl" --backend reference --out "$work/killed" --resume > "$work/resumed.log"
grep -q "Resuming from" "$work/resumed.log" || { echo "FAIL: did not resume"; exit 1; }
cmp "$work/whole/net.safetensors" "$work/killed/net.safetensors" || { echo "FAIL: killed+resumed weights differ"; exit 1; }

# 2. Ctrl-C: stops after the current step with status 130 and a hint, then resume.
"$tlc" run "$work/long.tl" --backend reference --out "$work/ctrlc" > /dev/null 2> "$work/ctrlc.err" &
pid=$!
wait_for_epoch "$work/ctrlc"
kill -INT $pid
set +e; wait $pid; status=$?; set -e
[[ $status -eq 130 ]] || { echo "FAIL: Ctrl-C exit status $status"; cat "$work/ctrlc.err"; exit 1; }
grep -q "interrupted at epoch" "$work/ctrlc.err" || { echo "FAIL: no interruption message"; cat "$work/ctrlc.err"; exit 1; }
grep -q -- "--resume" "$work/ctrlc.err" || { echo "FAIL: no resume hint"; exit 1; }
grep -q '"status": "interrupted"' "$work/ctrlc/results.json" || { echo "FAIL: results.json not marked interrupted"; exit 1; }
"$tlc" run "$work/long.tl" --backend reference --out "$work/ctrlc" --resume > /dev/null
cmp "$work/whole/net.safetensors" "$work/ctrlc/net.safetensors" || { echo "FAIL: Ctrl-C+resumed weights differ"; exit 1; }
cmp <(grep -v seconds "$work/whole/results.json") <(grep -v seconds "$work/ctrlc/results.json") ||
  { echo "FAIL: results differ beyond timings"; exit 1; }

# 3. Resuming with another backend or thread count would change the results: refused, checkpoint kept.
"$tlc" run "$work/long.tl" --backend reference --out "$work/other" > /dev/null 2>&1 &
pid=$!
wait_for_epoch "$work/other"
kill -INT $pid
set +e; wait $pid; set -e
set +e; "$tlc" run "$work/long.tl" --backend jit --threads 2 --out "$work/other" --resume > /dev/null 2> "$work/other.err"; status=$?; set -e
[[ $status -eq 1 ]] || { echo "FAIL: resume with another backend: status $status"; cat "$work/other.err"; exit 1; }
grep -q "started with --backend reference --threads 1; resuming it with --backend jit --threads 2 would change its results" "$work/other.err" ||
  { echo "FAIL: no message about the backend"; cat "$work/other.err"; exit 1; }
[[ -e "$work/other/checkpoint/checkpoint.safetensors" ]] || { echo "FAIL: the refused resume lost the checkpoint"; exit 1; }
echo "3 passed, 0 failed"
