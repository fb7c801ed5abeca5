#!/usr/bin/env bash
# Image folders from the command line: a script trains and evaluates on
# images("folder"), class names reach results.json and the model file, tlc
# predict names each image's class, and every folder problem is an error
# naming the file or folder. Usage: image_folder_test.sh TLC SOURCE_DIR
set -uo pipefail
tlc="$1"
src="$2"
work="$(mktemp -d)"
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
failures=0
passes=0
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
pass() { passes=$((passes + 1)); }

expect() {  # expect NAME EXPECTED_STATUS PATTERN_IN_STDERR -- command...
  local name="$1" status="$2" pattern="$3"
  shift 4
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [[ $got -ne $status ]]; then fail "$name: exit status $got, expected $status"; cat "$work/err"; return; fi
  if [[ -n "$pattern" ]] && ! grep -qE -- "$pattern" "$work/err"; then fail "$name: stderr lacks /$pattern/"; cat "$work/err"; return; fi
  pass
}

cd "$work"
/usr/bin/python3 "$src/tests/images/make_fixture.py" shapes 30
/usr/bin/python3 "$src/tests/images/make_fixture.py" held_out 6
model='model cnn(classes) {
  input(24, 24, 1)
  conv2d(8, 3x3, activation = relu)
  maxpool2d(2)
  flatten()
  dense(classes, softmax)
}'
script() {  # script NAME DATA_LINES...: the model, data lines, then training and evaluation of net
  local name="$1"; shift
  { echo "$model"; printf '%s\n' "$@"; } > "$name"
}

# 1. Train and evaluate; class names in results.json and the model file.
script ok.tl 'shapes = images("shapes", size = 24x24, color = gray) | scale 1/255' \
  'test = images("held_out", size = 24x24, color = gray) | scale 1/255' 'net = cnn(3)' \
  'train net on shapes { epochs 3 batch 16 }' 'evaluate net on test'
expect "train on an image folder" 0 "" -- "$tlc" run ok.tl --out run
grep -q "Train net on shapes: 90 samples" "$work/out" && pass || { fail "90 samples"; cat "$work/out"; }
/usr/bin/python3 - "$work/run/results.json" <<'PY' && pass || fail "results.json classes"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["trainings"][0]["classes"] == ["circle", "cross", "square"], r["trainings"][0]
assert r["evaluations"][0]["classes"] == ["circle", "cross", "square"]
PY
grep -aq '"tl.classes":"\[\\"circle\\",\\"cross\\",\\"square\\"\]"' run/net.safetensors && pass || fail "tl.classes in the model file"

# 2. tlc predict: files and folders, names and scores, accuracy against folders.
first=$(ls held_out/cross | head -1)
expect "predict a file" 0 "^1 image$" -- "$tlc" predict run/net.safetensors "held_out/cross/$first"
grep -qE "^held_out/cross/$first	(circle|cross|square)	[01]\.[0-9]{4}$" out && pass || { fail "predict line"; cat out; }
expect "predict a folder" 0 "18 images; [0-9]+ of the 18 in class folders" -- "$tlc" predict run/net.safetensors held_out --top 3
[[ $(wc -l < out) -eq 18 ]] && pass || fail "18 predictions"
awk -F'\t' 'NF != 8 || $3 < $5 || $5 < $7 {bad = 1} END {exit bad}' out && pass || { fail "top 3 ordered, with the folder's class"; cat out; }
mkdir -p loose && cp held_out/square/* loose/
expect "predict an unlabelled folder" 0 "^12 images$" -- "$tlc" predict run/net.safetensors loose held_out/circle
printf 'junk' > loose/zz.png
expect "predict stops at a bad file" 1 "loose/zz.png: byte 0: error: not a PNG, JPEG or BMP" -- "$tlc" predict run/net.safetensors loose
expect "predict skips a bad file" 0 "loose/zz.png: skipped: not a PNG" -- "$tlc" predict run/net.safetensors loose --skip-bad
expect "predict a missing file" 1 "nope.png: error: cannot open the image" -- "$tlc" predict run/net.safetensors nope.png

# 3. Errors, each at the script's line and column or naming the file.
script sizes.tl 'shapes = images("shapes")' 'net = cnn(3)' 'train net on shapes'
expect "mixed sizes need a size" 1 "^sizes.tl:8:10: error: cannot read the data: shapes/circle/001.jpg: this image is 16x16, but shapes/circle/000.png is 24x24" -- "$tlc" check sizes.tl
grep -q 'give one: images("shapes", size = 24x24)' err && pass || fail "size hint"
script unlabelled.tl 'pics = images("loose", size = 24x24, color = gray, on_error = skip)' 'net = cnn(3)' 'train net on pics'
expect "an unlabelled folder cannot train" 1 "^unlabelled.tl:10:14: error: 'pics' has no labels" -- "$tlc" check unlabelled.tl
script where.tl 'pics = images("loose", size = 24x24, on_error = skip) | where label < 2'
expect "where needs labels" 1 "error: 'where' works on labels" -- "$tlc" check where.tl
script bad.tl 'pics = images("loose", size = 24x24)'
expect "a bad file stops the check" 1 "^bad.tl:8:8: error: cannot read the data: loose/zz.png: byte 0: not a PNG, JPEG or BMP" -- "$tlc" check bad.tl
grep -q "remove it from the folder" err && pass || fail "bad file hint"
mkdir -p mismatch && cp -r shapes/circle shapes/square mismatch/
script mismatch.tl 'shapes = images("shapes", size = 24x24, color = gray)' 'other = images("mismatch", size = 24x24, color = gray)' \
  'net = cnn(3)' 'train net on shapes' 'evaluate net on other'
expect "classes that disagree" 1 "label 1 is 'square' in 'other' but 'cross' for model 'net'" -- "$tlc" check mismatch.tl
script color.tl 'shapes = images("shapes", size = 24x24, color = purple)'
expect "a colour that is not one" 1 "^color.tl:8:49: error: unknown color .purple." -- "$tlc" check color.tl
script missing.tl 'shapes = images("nowhere")'
expect "a missing folder" 1 "nowhere: cannot read the folder: No such file or directory" -- "$tlc" check missing.tl
mkdir -p mixed/a && cp held_out/cross/* mixed/a/ && cp "held_out/cross/$first" mixed/
script mixed.tl 'm = images("mixed", size = 24x24)'
expect "images beside class folders" 1 "an image beside the class folders" -- "$tlc" check mixed.tl
mkdir -p empty_class/a empty_class/b && cp held_out/cross/* empty_class/a/
script empty.tl 'm = images("empty_class", size = 24x24)'
expect "an empty class folder" 1 "empty_class/b: this class folder has no images" -- "$tlc" check empty.tl
mkdir -p looped/a && cp held_out/cross/* looped/a/ && ln -s .. looped/a/up
script loop.tl 'm = images("looped", size = 24x24)'
expect "a symbolic link loop" 1 "a symbolic link loop" -- "$tlc" check loop.tl
script skip.tl 'shapes = images("shapes", size = 24x24, color = gray) | scale 1/255' \
  'pics = images("loose", size = 24x24, color = gray, on_error = skip)' 'net = cnn(3)' 'train net on shapes { epochs 1 }'
expect "skipped files are noted" 0 "" -- "$tlc" run skip.tl --out skiprun
grep -q "note: loose: skipped 1 of 7 image files" out && pass || { fail "skip note"; cat out; }

# 4. Decoded while used: the same model whatever the cache holds; a file
#    whose header reads but whose pixels do not is found while training.
expect "train with no image cache" 0 "" -- "$tlc" run ok.tl --out nocache --image-cache 0
cmp -s run/net.safetensors nocache/net.safetensors && pass || fail "the cache changes the trained model"
expect "a cache size that is not one" 2 "image-cache" -- "$tlc" run ok.tl --out x --image-cache lots
cp -r shapes broken
bad="broken/square/$(ls broken/square | head -1)"
head -c 45 "shapes/square/$(ls shapes/square | head -1)" > "$bad"  # signature and header, no pixels
script broken.tl 'shapes = images("broken", size = 24x24, color = gray) | scale 1/255' 'net = cnn(3)' \
  'train net on shapes { epochs 2 batch 16 }'
expect "a file whose pixels fail passes the check" 0 "ok" -- "$tlc" check broken.tl
expect "... and stops the run, naming it" 1 "$bad: error: the PNG data is damaged" -- "$tlc" run broken.tl --out brokenrun
grep -q "results of the steps before this one are in" err && pass || fail "the failed run says where its results are"
grep -q '"status": "failed"' brokenrun/results.json && pass || fail "results.json says failed"
sed -i 's/color = gray)/color = gray, on_error = skip)/' broken.tl
expect "skipped while training" 0 "" -- "$tlc" run broken.tl --out brokenskip
grep -q "note: broken: skipped 1 of 90 image files that could not be read ($bad: the PNG data is damaged" out && pass ||
  { fail "the skip while training is noted"; cat out; }
/usr/bin/python3 - brokenskip/results.json "$bad" <<'PY' && pass || fail "results.json lists the file skipped while training"
import json, sys
t = json.load(open(sys.argv[1]))["trainings"][0]
assert [s["file"] for s in t["skipped_files"]] == [sys.argv[2]], t.get("skipped_files")
assert all(e["samples"] == 89 for e in t["history"]), t["history"]
PY

# 5. Per-channel normalize: statistics from the training folder, recorded in
#    the model file, so tlc predict maps new images the same way.
cat > rgb.tl <<'EOF'
model rgb_cnn(classes) {
  input(24, 24, 3)
  conv2d(8, 3x3, activation = relu)
  maxpool2d(2)
  flatten()
  dense(classes, softmax)
}
raw = images("shapes", size = 24x24, color = rgb) | scale 1/255
shapes = raw | normalize from raw per channel
test = images("held_out", size = 24x24, color = rgb) | scale 1/255 | normalize from raw per channel
net = rgb_cnn(3)
train net on shapes { epochs 3 batch 16 }
evaluate net on test
EOF
expect "train with per-channel normalize" 0 "" -- "$tlc" run rgb.tl --out rgbrun
/usr/bin/python3 - rgbrun/results.json <<'PY' && pass || fail "results.json has one scale and offset per channel"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["trainings"][0]["pixels"]
assert len(p["scale"]) == 3 and len(p["offset"]) == 3, p
assert r["evaluations"][0]["pixels"] == p, r["evaluations"][0]["pixels"]
PY
accuracy=$(/usr/bin/python3 -c "import json; print(f\"{100 * json.load(open('rgbrun/results.json'))['evaluations'][0]['accuracy']:.2f}\")")
expect "predict with the per-channel map of the model file" 0 "" -- "$tlc" predict rgbrun/net.safetensors held_out
grep -q "(${accuracy}%)" err && pass || { fail "predict agrees with evaluate ($accuracy%)"; cat err; }
sed -e 's/normalize from raw per channel/normalize mean 0.485, 0.456, 0.406 std 0.229, 0.224, 0.225/' rgb.tl > imagenet.tl
expect "ImageNet constants" 0 "ok" -- "$tlc" check imagenet.tl
sed -e 's/normalize from raw per channel/normalize mean 0.485, 0.456 std 0.229/' rgb.tl > two.tl
expect "two means for three channels" 1 "two.tl:10:[0-9]+: error: 2 mean values for data with 3 channels" -- "$tlc" check two.tl
sed -e 's/^test = images("held_out", size = 24x24, color = rgb)/test = images("held_out", size = 20x20, color = rgb)/' rgb.tl > other.tl
expect "per-channel statistics of another shape" 1 "raw holds samples of shape .24, ?24, ?3., but this data's are .20, ?20, ?3." -- "$tlc" check other.tl

# The same numbers per channel give the same floats as one map for all (fed
# as floats instead of bytes): the same training, loss for loss.
sed -e 's/normalize from raw per channel/normalize mean 0.5 std 0.25/' rgb.tl > uniform.tl
sed -e 's/normalize from raw per channel/normalize mean 0.5, 0.5, 0.5 std 0.25, 0.25, 0.25/' rgb.tl > channels.tl
expect "one map for all channels" 0 "" -- "$tlc" run uniform.tl --out uniformrun
expect "the same map per channel" 0 "" -- "$tlc" run channels.tl --out channelsrun
/usr/bin/python3 - uniformrun/results.json channelsrun/results.json <<'PY' && pass || fail "per-channel and uniform maps train alike"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["trainings"][0]["pixels"]["scale"] == b["trainings"][0]["pixels"]["scale"][0]
la = [e["loss"] for e in a["trainings"][0]["history"]]
lb = [e["loss"] for e in b["trainings"][0]["history"]]
assert la == lb, (la, lb)
assert a["evaluations"][0]["accuracy"] == b["evaluations"][0]["accuracy"]
PY

# 6. Files that cannot be opened: a dangling link, and (unless root, whom
#    permissions do not stop) a file without read permission.
cp -r shapes dangling && ln -s /nonexistent/x.png dangling/circle/zz.png
script dangling.tl 'd = images("dangling", size = 24x24, color = gray)' 'net = cnn(3)' 'train net on d { epochs 1 }'
expect "a dangling link" 1 "dangling/circle/zz.png: cannot open the image: No such file or directory" -- "$tlc" check dangling.tl
if [[ $(id -u) -ne 0 ]]; then
  cp -r shapes locked && chmod 000 "locked/cross/$(ls locked/cross | head -1)"
  script locked.tl 'd = images("locked", size = 24x24, color = gray)' 'net = cnn(3)' 'train net on d { epochs 1 }'
  expect "an unreadable file" 1 "cannot open the image: Permission denied" -- "$tlc" check locked.tl
fi

# 7. Labels by class name in where and relabel.
script names.tl 'shapes = images("shapes", size = 24x24, color = gray) | scale 1/255' \
  'round = shapes | where label in {"circle", "square"} | relabel {"square": 1}' 'net = cnn(2)' \
  'train net on round { epochs 1 }' 'evaluate net on round'
expect "where and relabel by class name" 0 "" -- "$tlc" run names.tl --out namesrun
grep -q "Train net on round: 60 samples" out && pass || { fail "60 samples of two classes"; cat out; }
/usr/bin/python3 -c "import json; assert json.load(open('namesrun/results.json'))['trainings'][0]['classes'] == ['circle', 'square']" && pass ||
  fail "the classes kept their names"
script typo.tl 'shapes = images("shapes", size = 24x24, color = gray) | where label == "circel"' 'net = cnn(3)' 'train net on shapes'
expect "a class name that is not one" 1 'typo.tl:8:[0-9]+: error: images\(shapes\) has no class named "circel"' -- "$tlc" check typo.tl
grep -q 'did you mean "circle"' err && pass || { fail "did you mean"; cat err; }
script order.tl 'shapes = images("shapes", size = 24x24, color = gray) | where label < "square"' 'net = cnn(3)' 'train net on shapes'
expect "class names have no order" 1 "class names have no order: '<' compares numbers" -- "$tlc" check order.tl

# 8. Per-class figures of an evaluation: the confusion matrix, precision,
#    recall and F1 agree with numpy's counts over the per-sample predictions.
script metrics.tl 'shapes = images("shapes", size = 24x24, color = gray) | scale 1/255' \
  'test = images("held_out", size = 24x24, color = gray) | scale 1/255' 'net = cnn(3)' \
  'train net on shapes { epochs 3 batch 16 }' 'evaluate net on test { top 2  predictions all }'
expect "evaluate with per-class figures" 0 "" -- "$tlc" run metrics.tl --out metricsrun
grep -qE "^  square +[01]\.[0-9]{4} +[01]\.[0-9]{4} +[01]\.[0-9]{4} +6$" out && pass || { fail "the per-class table"; cat out; }
[[ -s metricsrun/evaluate-1-confusion.svg ]] && pass || fail "the confusion chart"
/usr/bin/python3 - metricsrun <<'PY' && pass || fail "per-class figures against numpy"
import csv, json, sys
import numpy as np
d = sys.argv[1]
ev = json.load(open(f"{d}/results.json"))["evaluations"][0]
names = [c["class"] for c in ev["per_class"]]
assert names == ["circle", "cross", "square"], names
rows = list(csv.DictReader(open(f"{d}/evaluate-1-predictions.csv")))
assert len(rows) == 18 and all(r["file"].startswith("held_out/") for r in rows)
t = np.array([names.index(r["label"]) for r in rows]); p = np.array([names.index(r["predicted"]) for r in rows])
conf = np.zeros((3, 3), int)
np.add.at(conf, (t, p), 1)
assert conf.tolist() == ev["confusion"], (conf, ev["confusion"])
assert [list(map(int, r[1:])) for r in list(csv.reader(open(f"{d}/evaluate-1-confusion.csv")))[1:]] == conf.tolist()
tp = np.diag(conf); pred = conf.sum(0); sup = conf.sum(1)
prec = np.where(pred > 0, tp / np.maximum(pred, 1), 0.0); rec = np.where(sup > 0, tp / np.maximum(sup, 1), 0.0)
f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-300), 0.0)
for c, pc in enumerate(ev["per_class"]):
    assert abs(pc["precision"] - prec[c]) < 1e-12 and abs(pc["recall"] - rec[c]) < 1e-12 and abs(pc["f1"] - f1[c]) < 1e-12, (pc, prec[c], rec[c], f1[c])
assert abs(ev["macro"]["f1"] - f1.mean()) < 1e-12
assert abs((t == p).mean() - ev["accuracy"]) < 1e-6, ((t == p).mean(), ev["accuracy"])
assert ev["top_k"]["k"] == 2 and ev["top_k"]["accuracy"] >= ev["accuracy"]
assert sum(int(r["correct"]) for r in rows) == int(np.trace(conf))
PY
sed -e 's/{ top 2  predictions all }/{ top 3 }/' metrics.tl > top3.tl
expect "top k of k classes" 1 "top3.tl:[0-9]+:[0-9]+: error: top 3 of 3 classes is always right" -- "$tlc" check top3.tl
sed -e 's/{ top 2  predictions all }/{ predictions some }/' metrics.tl > some.tl
expect "predictions of an unknown kind" 1 "some.tl:[0-9]+:[0-9]+: error: .*predictions" -- "$tlc" check some.tl

echo "image folders: $passes passed, $failures failed"
exit $((failures > 0))
