#!/usr/bin/env bash
# Model files end to end: tlc run saves a trained model, an independent numpy
# reader (safetensors_reader.py) reproduces tl's test accuracy from the file
# alone (its weights, its description and the pixel map of its training data), a script loads the file and evaluates it to the same accuracy, and
# damaged files give clear errors. Usage: model_file_test.sh TLC SOURCE_DIR
set -euo pipefail
tlc="$1"
src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
/usr/bin/python3 "$(dirname "$0")/make_idx.py" "$work/data/tiny" 120 40 5
cat > "$work/train.tl" <<'TL'
seed 9
tiny = idx("tiny")
model small(classes) {
  input(8, 8, 1)
  conv2d(4, 3x3, activation = relu)
  flatten()
  dense(12, relu)
  dropout(0.2)
  dense(classes, softmax)
}
net = small(5)
train net on tiny.train | scale 1/255 | normalize mean 0.3 std 0.5 { epochs 3  batch 16 }
evaluate net on tiny.test | scale 1/255 | normalize mean 0.3 std 0.5
TL
"$tlc" run "$work/train.tl" --out "$work/run" > "$work/log"
accuracy=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['evaluations'][0]['accuracy'])" "$work/run/results.json")
/usr/bin/python3 "$src/tests/cli/safetensors_reader.py" "$work/run/net.safetensors" \
  "$work/data/tiny/t10k-images-idx3-ubyte" "$work/data/tiny/t10k-labels-idx1-ubyte" file "$accuracy"

cat > "$work/load.tl" <<TL
net = load("run/net.safetensors")
tiny = idx("tiny")
evaluate net on tiny.test | scale 1/255 | normalize mean 0.3 std 0.5
TL
"$tlc" run "$work/load.tl" --out "$work/run2" > "$work/log2"
again=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['evaluations'][0]['accuracy'])" "$work/run2/results.json")
[[ "$again" == "$accuracy" ]] || { echo "FAIL: the loaded model gives $again, the trained one $accuracy"; exit 1; }

# Damaged files: each must give a clear error naming the file, and exit 1.
check_bad() {
  local what="$1" pattern="$2"
  printf 'net = load("bad.safetensors")\nsummary net\n' > "$work/bad.tl"
  set +e
  "$tlc" check "$work/bad.tl" 2> "$work/err"
  local status=$?
  set -e
  [[ $status -eq 1 ]] || { echo "FAIL ($what): exit $status"; cat "$work/err"; exit 1; }
  grep -q "bad.tl:1:12: error: cannot load the model: .*bad.safetensors" "$work/err" || { echo "FAIL ($what): no location"; cat "$work/err"; exit 1; }
  grep -qE "$pattern" "$work/err" || { echo "FAIL ($what): message lacks /$pattern/"; cat "$work/err"; exit 1; }
}
size=$(stat -c %s "$work/run/net.safetensors")
head -c $((size - 10)) "$work/run/net.safetensors" > "$work/bad.safetensors"
check_bad "truncated" "run past the data section|truncated"
head -c 5 "$work/run/net.safetensors" > "$work/bad.safetensors"
check_bad "tiny" "ends inside the 8-byte header size"
printf '\x10\x00\x00\x00\x00\x00\x00\x00{not json at all' > "$work/bad.safetensors"
check_bad "not json" "not valid JSON"
printf '\xff\xff\xff\xff\x00\x00\x00\x00{}' > "$work/bad.safetensors"
check_bad "lying header" "the header claims"
# A pixel map that is not one: scale 0.
/usr/bin/python3 - "$work/run/net.safetensors" "$work/bad.safetensors" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
header["__metadata__"]["tl.pixels"] = json.dumps({"scale": 0, "offset": 1})
text = json.dumps(header).encode()
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + raw[8 + n:])
PY
check_bad "bad pixel map" "pixel map \(tl.pixels\) is invalid"
rm -f "$work/bad.safetensors"
check_bad "missing" "cannot open the model file"
echo "1 passed, 0 failed"
