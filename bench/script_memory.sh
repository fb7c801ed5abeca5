#!/usr/bin/env bash
# Peak memory of `tlc check` on generated scripts of 1, 4 and 16 MiB (the
# limit), as bytes of memory per byte of script above a one-line script's
# baseline. Statement-dense scripts are the worst case: `summary net` lines
# alone (12 bytes, each a syntax-tree node and a step), and those mixed with
# `evaluate` lines.
#
#   bench/script_memory.sh [path/to/tlc]      (default build/tools/tlc/tlc)
set -euo pipefail
tlc=$(realpath "${1:-build/tools/tlc/tlc}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
ln -s "$(cd "$(dirname "$0")/.." && pwd)/data/mnist" "$work/data/mnist"

header='seed 1
mnist = idx("mnist")
model small(classes) {
  input(28, 28, 1)
  flatten()
  dense(classes, softmax)
}
net = small(10)
'
make_script() {  # make_script BYTES FILE LINES
  /usr/bin/python3 - "$1" "$2" "$header" "$3" <<'PY'
import sys
limit, path, text, line = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
parts, size, i = [text], len(text), 0
while True:
    if size + len(line) > limit: break
    parts.append(line); size += len(line); i += 1
open(path, "w").write("".join(parts))
PY
}
peak_kib() { /usr/bin/time -f %M "$tlc" check "$1" 2>&1 >/dev/null | tail -1; }

printf '%ssummary net\n' "$header" > "$work/base.tl"
(cd "$work" && peak_kib base.tl) > "$work/base.kib"
base=$(cat "$work/base.kib")
echo "baseline (a one-statement script): peak RSS $((base / 1024)) MiB"
printf '%-10s %-8s %12s %12s %12s\n' lines script bytes "peak RSS" "bytes/byte"
for kind in summary mixed; do
  case $kind in
    summary) lines=$'summary net\n' ;;
    mixed) lines=$'summary net\nevaluate net on mnist.test { batch 32 }\n' ;;
  esac
  for mib in 1 4 16; do
    make_script $((mib << 20)) "$work/s.tl" "$lines"
    size=$(stat -c %s "$work/s.tl")
    kib=$(cd "$work" && peak_kib s.tl)
    awk -v n="$kind" -v m="$mib" -v s="$size" -v k="$kib" -v b="$base" \
      'BEGIN { printf "%-10s %-8s %12d %8.1f MiB %12.1f\n", n, m " MiB", s, k / 1024, (k - b) * 1024 / s }'
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
