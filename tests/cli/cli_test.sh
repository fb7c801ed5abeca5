#!/usr/bin/env bash
# Command-line contract tests for tlc: exit codes, where errors go, and the
# file:line:col format. Usage: cli_test.sh TLC SOURCE_DIR
set -uo pipefail
tlc="$1"
src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

expect() {  # expect NAME EXPECTED_STATUS PATTERN_IN_STDERR -- command...
  local name="$1" status="$2" pattern="$3"
  shift 4
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [[ $got -ne $status ]]; then
    echo "FAIL $name: exit status $got, expected $status"; cat "$work/err"; failures=$((failures + 1)); return
  fi
  if [[ -n "$pattern" ]] && ! grep -qE -- "$pattern" "$work/err"; then
    echo "FAIL $name: stderr lacks /$pattern/"; cat "$work/err"; failures=$((failures + 1)); return
  fi
  passes=$((passes + 1))
}

cd "$work"
expect "usage error" 2 "" -- "$tlc"
expect "unknown subcommand" 2 "" -- "$tlc" frobnicate x.tl
expect "missing script" 1 "nope.tl: error: cannot open the script" -- "$tlc" check nope.tl
printf 'model m() {\n  input(8, 8, 1)\n  flatten()\n  dense 3\n}\n' > syntax.tl
expect "syntax error" 1 "^syntax.tl:4:9: error: expected arguments in parentheses" -- "$tlc" check syntax.tl
expect "syntax error caret" 1 "^ +\\^$" -- "$tlc" check syntax.tl
printf 'model m() {\n  input(8, 8, 1)\n  conv3d(3)\n}\nnet = m()\nsummary net\n' > unknown.tl
expect "check error" 1 "^unknown.tl:3:3: error: unknown layer 'conv3d'" -- "$tlc" check unknown.tl
expect "run refuses a script that fails the check" 1 "unknown layer" -- "$tlc" run unknown.tl --out "$work/run"
[[ ! -e "$work/run/results.json" ]] && passes=$((passes + 1)) || { echo "FAIL a failed check wrote results"; failures=$((failures + 1)); }
printf 'model m() {\n  input(8, 8, 1)\n  flatten()\n  dense(3, softmax)\n}\nnet = m()\nsummary net\n' > ok.tl
expect "check ok" 0 "ok.tl: ok" -- "$tlc" check ok.tl
expect "summary" 0 "" -- "$tlc" summary ok.tl
grep -q "Total params: 195" "$work/out" && passes=$((passes + 1)) || { echo "FAIL summary lacks the count"; failures=$((failures + 1)); }
expect "emit ast" 0 "" -- "$tlc" check ok.tl --emit=ast
grep -q "model m()" "$work/out" && passes=$((passes + 1)) || { echo "FAIL --emit=ast"; failures=$((failures + 1)); }
expect "bad emit" 2 "" -- "$tlc" check ok.tl --emit=nonsense
expect "bad threads" 2 "" -- "$tlc" run ok.tl --threads 0
expect "summary-only run" 0 "" -- "$tlc" run ok.tl --out "$work/run2"
[[ -s "$work/run2/results.json" ]] && passes=$((passes + 1)) || { echo "FAIL run wrote no results.json"; failures=$((failures + 1)); }
# --emit=cost: an epoch of whole batches costs steps x one train step.
/usr/bin/python3 "$src/tests/cli/make_idx.py" "$work/data/tiny" 96 10 4
printf 'tiny = idx("tiny")\nmodel m() {\n  input(8, 8, 1)\n  conv2d(4, 3x3)\n  flatten()\n  dense(4, softmax)\n}\nnet = m()\ntrain net on tiny.train { batch 32 }\nevaluate net on tiny.test\n' > cost.tl
expect "emit cost" 0 "" -- env TL_DATA_PATH="$work/data" "$tlc" check cost.tl --emit=cost
awk '/^train step +[0-9]/ {step = $3} /^train epoch / {epoch = $3} /^eval pass / {eval = $3}
     END {exit !(step > 0 && epoch == 3 * step && eval > 0)}' "$work/out" && passes=$((passes + 1)) ||
  { echo "FAIL --emit=cost"; cat "$work/out"; failures=$((failures + 1)); }
# A rerun in the same folder removes what the previous run wrote (a comparison
# the script no longer has), never a file of the user's.
printf 'tiny = idx("tiny")\nmodel m() {\n  input(8, 8, 1)\n  flatten()\n  dense(4, softmax)\n}\na = m()\nb = m()\ntrain a on tiny.train { epochs 1 }\ntrain b on tiny.train { epochs 1 }\ncompare a, b on tiny.test\n' > with_compare.tl
printf 'tiny = idx("tiny")\nmodel m() {\n  input(8, 8, 1)\n  flatten()\n  dense(4, softmax)\n}\na = m()\ntrain a on tiny.train { epochs 1 }\n' > without_compare.tl
expect "run with a comparison" 0 "" -- env TL_DATA_PATH="$work/data" "$tlc" run with_compare.tl --out "$work/folder"
echo "mine" > "$work/folder/notes.txt"
[[ -e "$work/folder/compare-1.csv" && -e "$work/folder/report.html" && -e "$work/folder/b.safetensors" ]] && passes=$((passes + 1)) ||
  { echo "FAIL: the first run wrote no comparison"; ls "$work/folder"; failures=$((failures + 1)); }
expect "rerun without it" 0 "" -- env TL_DATA_PATH="$work/data" "$tlc" run without_compare.tl --out "$work/folder"
[[ ! -e "$work/folder/compare-1.csv" && ! -e "$work/folder/compare-1-loss.svg" && ! -e "$work/folder/charts/compare-1.gp" &&
   ! -e "$work/folder/b.safetensors" && -e "$work/folder/a.safetensors" && -e "$work/folder/notes.txt" ]] &&
  ! grep -q '"comparisons": \[[^]]' "$work/folder/results.json" && ! grep -q "compare-1" "$work/folder/report.html" &&
  passes=$((passes + 1)) ||
  { echo "FAIL: stale files after the rerun"; ls -a "$work/folder"; failures=$((failures + 1)); }
# CSV files read back by Python's csv module: a dataset expression with commas
# stays one field.
printf 'tiny = idx("tiny")\nmodel m() {\n  input(8, 8, 1)\n  flatten()\n  dense(4, softmax)\n}\na = m()\nb = m()\ntrain a on tiny.train | relabel {4: 0, 3: 1} { epochs 1 }\ntrain b on tiny.train | relabel {4: 0, 3: 1} { epochs 1 }\ncompare a, b on tiny.test | relabel {4: 0}\nevaluate a on tiny.test | relabel {4: 0, 3: 1, 2: 0}\n' > csv.tl
expect "run writing CSV" 0 "" -- env TL_DATA_PATH="$work/data" "$tlc" run csv.tl --out "$work/csv"
# Keras-like progress: "1 epoch"; the closing table cuts a long dataset name with an ellipsis, its columns aligned.
grep -q "batch 32, 1 epoch$" "$work/out" && grep -qE "^[0-9]+/[0-9]+ - [0-9]+\.[0-9]s [0-9]+(ms|us)/step - loss" "$work/out" &&
  grep -qE "^a {16}tiny\.test \| relabel \{4: 0\.\.\. +[0-9.]+ +[0-9.]+% +10$" "$work/out" && passes=$((passes + 1)) ||
  { echo "FAIL: progress or closing table"; cat "$work/out"; failures=$((failures + 1)); }
/usr/bin/python3 - "$work/csv" <<'PY' && passes=$((passes + 1)) || { echo "FAIL: CSV columns"; failures=$((failures + 1)); }
import csv, sys
for name, data_column in (("history.csv", 1), ("compare-1.csv", 1)):
    rows = list(csv.reader(open(f"{sys.argv[1]}/{name}", newline="")))
    assert all(len(r) == len(rows[0]) for r in rows), (name, rows)
    assert "relabel {4: 0" in rows[1][data_column], (name, rows[1])
PY
# --emit=graph: the forward (eval) step, no gradient or update; --emit=grad:
# the train step with its backward ops and optimizer updates; --emit=fused:
# the JIT's kernels.
has() { grep -qE -- "$1" "$work/out"; }
expect "emit graph" 0 "" -- env TL_DATA_PATH="$work/data" "$tlc" check cost.tl --emit=graph
has '^# forward \(eval\) step of model net \(batch 32\)' && has '= conv2d\(%0, %[0-9]+\)' && has '^output loss = %' &&
  ! has '_grad|_update|^effects' && passes=$((passes + 1)) || { echo "FAIL --emit=graph"; cat "$work/out"; failures=$((failures + 1)); }
expect "emit grad" 0 "" -- env TL_DATA_PATH="$work/data" "$tlc" check cost.tl --emit=grad
has '^# train step of model net' && has 'conv2d_grad_filter' && has 'softmax_xent_grad' && has 'adam_update\(' &&
  has '^effects %' && ! has 'conv2d_grad_input' && passes=$((passes + 1)) ||
  { echo "FAIL --emit=grad"; cat "$work/out"; failures=$((failures + 1)); }
expect "emit fused" 0 "" -- env TL_DATA_PATH="$work/data" "$tlc" check cost.tl --emit=fused
has '^# [0-9]+ kernels in [0-9]+ passes' && has 'updates: adam_update' && passes=$((passes + 1)) ||
  { echo "FAIL --emit=fused"; cat "$work/out"; failures=$((failures + 1)); }
# Files that are not regular files are refused before they are opened (a FIFO
# would block open() forever); a directory is not a script.
expect "version" 0 "" -- "$tlc" --version
grep -qE '^tlc [0-9]+\.[0-9]+\.[0-9]+$' "$work/out" && passes=$((passes + 1)) || { echo "FAIL --version"; cat "$work/out"; failures=$((failures + 1)); }
expect "messages end with a newline" 1 "" -- "$tlc" run nofile.tl
[[ "$(tail -c 1 "$work/err" | od -An -c | tr -d ' ')" == '\n' ]] && passes=$((passes + 1)) || { echo "FAIL: stderr does not end with a newline"; failures=$((failures + 1)); }
mkfifo fifo.tl data-fifo model-fifo
expect "script FIFO" 1 "fifo.tl: error: this is not a regular file \(a FIFO, socket or device\), not a script" -- timeout 20 "$tlc" check fifo.tl
expect "script directory" 1 "data: error: this is a directory, not a script" -- "$tlc" check data
# A script over 16 MiB is refused by its size, before it is read (a sparse
# file of 1 GiB: reading it would take seconds and a gigabyte).
truncate -s 1G huge.tl
expect "huge script" 1 "huge.tl: error: the script is 1024.0 MiB; tl reads scripts of up to 16.0 MiB" -- timeout 20 "$tlc" check huge.tl
rm -f huge.tl
printf 'd = idx(images = "data-fifo", labels = "data-fifo")\nsummary d\n' > datafifo.tl
expect "data FIFO" 1 "datafifo.tl:1:5: error: cannot read the data: data-fifo: this is a FIFO \(named pipe\), not a regular file" -- timeout 20 "$tlc" check datafifo.tl
printf 'net = load("model-fifo")\nsummary net\n' > modelfifo.tl
expect "model FIFO" 1 "modelfifo.tl:1:12: error: cannot load the model: model-fifo: this is a FIFO" -- timeout 20 "$tlc" check modelfifo.tl
# A NUL byte in a script line is shown as a control picture; every diagnostic after it is printed whole.
printf 'model m() {\n  input(8, 8, 1)\n  conv3d(3) # \x00 here\n}\nnet = m()\nnet2 = m2()\nsummary net\n' > nul.tl
expect "NUL in a line" 1 "unknown model or data source 'm2'" -- "$tlc" check nul.tl
grep -q "conv3d(3) # ␀ here" "$work/err" && grep -q "^2 errors$" "$work/err" && passes=$((passes + 1)) ||
  { echo "FAIL: diagnostics after a NUL"; cat -A "$work/err"; failures=$((failures + 1)); }
printf '\xff\xfe\x00garbage' > binary.tl
expect "binary input" 1 "binary.tl:1:1: error" -- "$tlc" check binary.tl
for f in "$src"/tests/golden/errors/*.tl; do
  expect "golden $(basename "$f")" 1 "^$(basename "$f" | sed 's/\./\\./g'):[0-9]+:[0-9]+: error: " -- \
    bash -c "cd '$(dirname "$f")' && TL_DATA_PATH=/nonexistent '$tlc' check '$(basename "$f")'"
done
# No message names a C++ type: every script of the fuzz corpus and every golden
# error script through the check (with the real data where they name it).
cxx='boost|spirit|x3::|std::|N[0-9]+[a-z]+[0-9]|St[0-9]+[a-z]|_r[EI]|tl::[a-z]+::'
leaks=0
for f in "$src"/fuzz/corpus/script/*.tl "$src"/tests/golden/errors/*.tl; do
  (cd "$(dirname "$f")" && "$tlc" check "$(basename "$f")") > /dev/null 2> "$work/leak.err"
  if grep -qE "$cxx" "$work/leak.err"; then echo "FAIL: $f: a C++ name in a message:"; grep -E "$cxx" "$work/leak.err" | head -3; leaks=$((leaks + 1)); fi
done
[[ $leaks -eq 0 ]] && passes=$((passes + 1)) || failures=$((failures + 1))
# Every example must pass the check (needs scripts/setup.sh's data). A lesson
# that imports examples/onnx/digits_0_6.onnx (made by train_donor.py, not
# committed) is checked in a copy, with the network exported untrained.
for f in "$src"/examples/*.tl "$src"/examples/*/*.tl; do
  [[ -e "$f" ]] || continue
  if grep -q 'onnx("onnx/digits_0_6.onnx")' "$f"; then
    lesson="$work/lesson"
    mkdir -p "$lesson/onnx" "$lesson/data"
    ln -sfn "$src/data/mnist" "$lesson/data/mnist"
    cp "$f" "$lesson/"
    /usr/bin/python3 "$src/examples/onnx/train_donor.py" --data "$src/data/mnist" --out "$lesson/onnx/digits_0_6.onnx" \
      --epochs 0 > "$lesson/donor.log" 2>&1 || cat "$lesson/donor.log"
    f="$lesson/$(basename "$f")"
  fi
  expect "example $(basename "$f")" 0 "ok" -- "$tlc" check "$f"
done
echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
