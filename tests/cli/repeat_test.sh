#!/usr/bin/env bash
# Repeated experiments (`repeat N`, `repeat seeds ...`): every seed's run is
# exactly what `tlc run --once --seed S` gives alone, the figures over the
# seeds are the mean, sample sd and t interval of the runs' own figures, the
# verdict is a paired t-test, --resume keeps finished runs, and the repeat
# statement's mistakes are check errors. Usage: repeat_test.sh TLC
set -uo pipefail
tlc="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
passes=0
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
pass() { passes=$((passes + 1)); }
cd "$work"
mkdir -p data
/usr/bin/python3 "$here/make_idx.py" data/tiny 600 200 5
cat > rep.tl <<'TL'
seed 5
repeat 3
tiny = idx("tiny")
model small(classes) {
  input(8, 8, 1)
  flatten()
  dense(16, relu)
  dropout(0.2)
  dense(classes, softmax)
}
scratch = small(5)
train scratch on tiny.train | scale 1/255 { epochs 2  batch 32 }
other = small(5)
train other on tiny.train | scale 1/255 { epochs 4  batch 32 }
evaluate scratch on tiny.test | scale 1/255
compare scratch, other on tiny.test | scale 1/255
TL

# 1. Three seeds, two at a time; the aggregate.
if "$tlc" run rep.tl --out rep > out 2> err; then pass; else fail "repeat run: exit $?"; cat out err; fi
grep -q "Repeating rep.tl over 3 seeds (5, 6, 7)" out && pass || { fail "the seeds"; cat out; }
grep -qE "other vs scratch: [+-][0-9.]+ points \(95% CI .*\); paired t-test over 3 seeds: t = .*, p = [0-9.]+: (better|worse|no significant difference)" out && pass ||
  { fail "the verdict line"; cat out; }
# 2. Each seed's run is the single run with that seed.
"$tlc" run rep.tl --once --seed 6 --threads 1 --out alone > /dev/null 2>&1
cmp -s alone/other.safetensors rep/seed-6/other.safetensors && pass || fail "seed 6 of the repeat differs from tlc run --once --seed 6"
# 3. The figures are the runs' own: mean, sample sd, t(0.975, 2) = 4.302653 interval, paired differences.
/usr/bin/python3 - rep <<'PY' && pass || fail "the figures over the seeds"
import json, math, statistics, sys
d = sys.argv[1]
agg = json.load(open(f"{d}/results.json"))
assert agg["repeat"]["seeds"] == [5, 6, 7], agg["repeat"]
runs = [json.load(open(f"{d}/seed-{s}/results.json")) for s in (5, 6, 7)]
cmp = agg["comparisons"][0]
for i, model in enumerate(["scratch", "other"]):
    acc = [r["comparisons"][0]["rows"][i]["test_accuracy"] for r in runs]
    f = cmp["models"][i]["test_accuracy"]
    assert f["values"] == acc, (f, acc)
    mean, sd = statistics.mean(acc), statistics.stdev(acc)
    assert math.isclose(f["mean"], mean, rel_tol=1e-12) and math.isclose(f["sd"], sd, rel_tol=1e-9, abs_tol=1e-15)
    half = 4.302653 * sd / math.sqrt(3)
    assert math.isclose(f["ci95"][0], mean - half, rel_tol=1e-5, abs_tol=1e-9), (f, mean - half)
diff = [r["comparisons"][0]["rows"][1]["test_accuracy"] - r["comparisons"][0]["rows"][0]["test_accuracy"] for r in runs]
v = cmp["verdicts"][0]
assert v["test"] == "paired t-test over seeds" and v["seeds"] == 3
assert math.isclose(v["accuracy_difference"], statistics.mean(diff), rel_tol=1e-9, abs_tol=1e-12)
ev = agg["evaluations"][0]
assert ev["model"] == "scratch" and ev["accuracy"]["values"] == [r["evaluations"][0]["accuracy"] for r in runs]
PY
# Curves over the seeds: per epoch of each model's training, drawn with a band.
/usr/bin/python3 - rep <<'PY' && pass || fail "learning curves over the seeds"
import json, math, statistics, sys
d = sys.argv[1]
agg = json.load(open(f"{d}/results.json"))
runs = [json.load(open(f"{d}/seed-{s}/results.json")) for s in (5, 6, 7)]
for i, (model, epochs) in enumerate([("scratch", 2), ("other", 4)]):
    h = agg["comparisons"][0]["models"][i]["history"]
    assert len(h) == epochs, h
    for e in range(epochs):
        loss = [next(t for t in r["trainings"] if t["model"] == model)["history"][e]["loss"] for r in runs]
        assert math.isclose(h[e]["loss"]["mean"], statistics.mean(loss), rel_tol=1e-12), (h[e], loss)
PY
[[ -s rep/compare-1-loss.svg && -s rep/compare-1-accuracy.svg ]] && pass || fail "band charts"
grep -q 'href="seed-6/report.html"' rep/report.html && grep -q "paired t-test" rep/report.html && pass || fail "report.html"
lines=$(wc -l < rep/repeats.csv)
[[ $lines -eq 7 ]] && pass || fail "repeats.csv: one row per model and seed ($lines lines)"
# 4. --resume keeps the finished runs and writes the same figures.
cp rep/results.json before.json
if "$tlc" run rep.tl --out rep --resume > out 2>&1; then pass; else fail "resume: exit $?"; cat out; fi
[[ $(grep -c "finished before" out) -eq 3 ]] && pass || { fail "resume reran finished seeds"; cat out; }
cmp -s before.json rep/results.json && pass || fail "the resumed aggregate differs"
# 4b. --resume after the script changed runs every seed again.
sed -e 's/epochs 4  batch 32/epochs 3  batch 32/' rep.tl > rep2.tl && cp rep2.tl rep.tl
if "$tlc" run rep.tl --out rep --resume > out 2>&1; then pass; else fail "resume after a change: exit $?"; cat out; fi
[[ $(grep -c "the script changed since it ran" out) -eq 3 ]] && pass || { fail "resume kept runs of another script"; cat out; }
/usr/bin/python3 -c "import json; assert len(json.load(open('rep/seed-5/results.json'))['trainings'][1]['history']) == 3" &&
  pass || fail "the rerun seed did not run the new script"
# 4c. A repeat whose run fails leaves no figures over the seeds of an earlier one.
[[ -e rep/report.html && -e rep/charts ]] && pass || fail "no aggregate report before the failing rerun"
# (a learning rate that makes the loss infinite: every run stops with an error)
sed -e 's/{ epochs 2  batch 32 }/{ epochs 2  batch 32  optimizer sgd(lr = 1e30) }/' rep.tl > broken.tl
cp -r rep brokenrun
if "$tlc" run broken.tl --out brokenrun > out 2>&1; then fail "a repeat whose runs fail passed"; else pass; fi
[[ ! -e brokenrun/results.json && ! -e brokenrun/report.html && ! -e brokenrun/repeats.csv && ! -e brokenrun/charts/compare-1.gp ]] &&
  pass || { fail "stale figures over the seeds after a failed repeat"; ls brokenrun; }
# 4d. An interrupt of the repeating process alone reaches its runs: it ends
# promptly with status 130 and the runs resume.
sed -e 's/epochs 2  batch 32/epochs 400  batch 4/' rep.tl > slow.tl
"$tlc" run slow.tl --out slow --backend reference > slow.out 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -qs "Epoch 1" slow/seed-5/log.txt && break; sleep 0.05; done
start=$(date +%s)
kill -INT $pid
set +e; wait $pid; status=$?; set -e
took=$(( $(date +%s) - start ))
[[ $status -eq 130 ]] && pass || { fail "interrupted repeat exit $status"; cat slow.out; }
[[ $took -lt 20 ]] && pass || fail "the interrupted repeat took $took s to stop"
grep -q "stopped; finish the runs with the same command and --resume" slow.out && pass || { fail "no resume hint"; cat slow.out; }
pgrep -f "slow.tl --once" > /dev/null && fail "runs outlived the interrupted repeat" || pass
# 5. Listed seeds.
sed -e 's/^repeat 3$/repeat seeds 11, 3/' rep.tl > listed.tl
if "$tlc" run listed.tl --out listed > out 2>&1; then pass; else fail "repeat seeds: exit $?"; cat out; fi
grep -q "over 2 seeds (11, 3)" out && pass || { fail "listed seeds"; cat out; }
# 6. Mistakes.
check_error() {  # check_error NAME REPLACEMENT PATTERN
  sed -e "s/^repeat 3\$/$2/" rep.tl > bad.tl
  if "$tlc" check bad.tl > out 2> err; then fail "$1: accepted"; return; fi
  grep -qE "$3" err && pass || { fail "$1: $(cat err)"; }
}
check_error "one run" "repeat 1" "bad.tl:2:8: error: repeat needs 2 to 1000 runs, not 1"
check_error "a seed twice" "repeat seeds 3, 4, 3" "bad.tl:2:20: error: seed 3 is listed twice"
check_error "two counts" "repeat 3, 4" "repeat takes one count"
check_error "repeat twice" "repeat 3\nrepeat 4" "bad.tl:3:1: error: the script already repeats on line 2"

echo "repeat: $passes passed, $failures failed"
exit $((failures > 0))
