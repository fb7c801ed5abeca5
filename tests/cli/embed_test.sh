#!/usr/bin/env bash
# The installed package works for a host project: install tl into a fresh
# prefix, build examples/embed against it with find_package(tl), and check
# that it reproduces the accuracy tlc reported for the same model file.
# Usage: embed_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$1"
src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > /dev/null
cmake -S "$src/examples/embed" -B "$work/embed" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
cmake --build "$work/embed" > /dev/null
cp "$src/examples/02_quick_mnist.tl" "$work/"
mkdir -p "$work/data" && ln -s "$src/data/mnist" "$work/data/mnist"
"$work/prefix/bin/tlc" run "$work/02_quick_mnist.tl" --out "$work/run" > /dev/null
expected=$(/usr/bin/python3 -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))['evaluations'][0]['accuracy'])" "$work/run/results.json")
"$work/embed/classify" "$work/run/net.safetensors" "$src/data/mnist" > "$work/out"
tail -1 "$work/out"
grep -q "^accuracy $expected " "$work/out" || { echo "FAIL: classify disagrees with tlc's $expected"; exit 1; }
echo "1 passed, 0 failed"
