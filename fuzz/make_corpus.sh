#!/usr/bin/env bash
# Regenerates the fuzzers' seed corpora in fuzz/corpus/ (nothing there is
# written by hand):
#   script/       every example and golden error script
#   idx/          tiny valid IDX files, raw and gzipped (1-d labels, 3-d and
#                 4-d images)
#   safetensors/  a tiny trained model, saved by tlc run, and its description
#   onnx/         small networks exported by PyTorch (tests/onnx/make_models.py)
#   image/        tiny PNG, JPEG and BMP files of every colour type PIL writes
#   npy/          tiny .npy files of each dtype, byte order and version npy() reads
#   csv/          small tables: quoting, CRLF, a BOM, text and number labels
# Usage: fuzz/make_corpus.sh [TLC]   (default build/tools/tlc/tlc)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tlc="${1:-$root/build/tools/tlc/tlc}"
corpus="$root/fuzz/corpus"
[[ -x "$tlc" ]] || { echo "make_corpus: $tlc not found; build tlc first (ninja -C build tlc)" >&2; exit 1; }
rm -rf "$corpus/script" "$corpus/idx" "$corpus/safetensors" "$corpus/onnx" "$corpus/image" "$corpus/npy" "$corpus/csv"
mkdir -p "$corpus/script" "$corpus/idx" "$corpus/safetensors" "$corpus/onnx" "$corpus/image" "$corpus/npy" "$corpus/csv"

# 1. Scripts, named after their folder so names do not collide.
for f in "$root"/examples/*.tl; do cp "$f" "$corpus/script/example-$(basename "$f")"; done
for f in "$root"/examples/seed/*.tl; do cp "$f" "$corpus/script/seed-$(basename "$f")"; done
for f in "$root"/tests/golden/errors/*.tl; do cp "$f" "$corpus/script/error-$(basename "$f")"; done

# 2. IDX files. The data folder doubles as the training data for step 3.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$corpus/idx" "$work/data/tiny" <<'PY'
import gzip, os, struct, sys
corpus, tiny = sys.argv[1], sys.argv[2]
os.makedirs(tiny, exist_ok=True)

def idx(dims, data):
    return struct.pack(">BBBB", 0, 0, 8, len(dims)) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)

def put(name, content):
    open(os.path.join(corpus, name), "wb").write(content)
    open(os.path.join(corpus, name + ".gz"), "wb").write(gzip.compress(content, mtime=0))

put("tiny-labels.idx1", idx([6], [i % 3 for i in range(6)]))
put("tiny-images.idx3", idx([2, 3, 3], [(i * 37) % 256 for i in range(18)]))
put("tiny-images.idx4", idx([2, 2, 2, 3], [(i * 11) % 256 for i in range(24)]))

# Training data for the model in step 3: 4x4 images, label = brightest row.
for part, n in (("train", 24), ("t10k", 12)):
    labels = [i % 3 for i in range(n)]
    pixels = [200 if p // 4 == labels[i] else (p * 5 + i) % 60 for i in range(n) for p in range(16)]
    open(f"{tiny}/{part}-images-idx3-ubyte", "wb").write(idx([n, 4, 4], pixels))
    open(f"{tiny}/{part}-labels-idx1-ubyte", "wb").write(idx([n], labels))
PY

# 3. A model file: the smallest model with every parameter kind tl saves.
cat > "$work/model.tl" <<'TL'
seed 1
tiny = idx("tiny")
model small(classes) {
  input(4, 4, 1)
  conv2d(2, 2x2)
  batchnorm()
  flatten()
  dense(classes, softmax)
}
net = small(3)
train net on tiny.train | scale 1/255 { epochs 1  batch 8 }
TL
(cd "$work" && "$tlc" run model.tl --out run > log)
cp "$work/run/net.safetensors" "$corpus/safetensors/small.safetensors"
# Its description alone, for the target's description-only pass.
/usr/bin/python3 - "$work/run/net.safetensors" "$corpus/safetensors/small-description.json" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
open(sys.argv[2], "w").write(json.loads(raw[8:8 + n])["__metadata__"]["tl.model"])
PY
# 4. ONNX files: the small exported networks (the big ones would slow every run).
/usr/bin/python3 "$root/tests/onnx/make_models.py" "$work/onnx" tiny excite branches small_cnn_opset17 > /dev/null 2>&1
cp "$work"/onnx/*.onnx "$corpus/onnx/"
# 5. Images: each format and colour type, 8x6 pixels (small files mutate fast).
/usr/bin/python3 - "$corpus/image" <<'PY'
import sys
import numpy as np
from PIL import Image
out = sys.argv[1]
rgb = Image.fromarray((np.arange(8 * 6 * 3) * 5 % 256).astype(np.uint8).reshape(6, 8, 3), "RGB")
gray = rgb.convert("L")
rgba = rgb.copy(); rgba.putalpha(gray)
rgb.save(f"{out}/rgb.png"); gray.save(f"{out}/gray.png"); rgba.save(f"{out}/rgba.png")
rgb.quantize(colors=8).save(f"{out}/palette.png"); gray.convert("1").save(f"{out}/bilevel.png")
Image.fromarray((np.arange(48) * 1300).astype(np.uint16).reshape(6, 8), "I;16").save(f"{out}/gray16.png")
rgb.save(f"{out}/rgb.jpg", quality=90); gray.save(f"{out}/gray.jpg", quality=90)
rgb.save(f"{out}/progressive.jpg", quality=80, progressive=True)
rgb.save(f"{out}/rgb.bmp"); gray.save(f"{out}/gray.bmp"); rgb.quantize(colors=8).save(f"{out}/palette.bmp")
PY
echo "make_corpus: $(ls "$corpus/image" | wc -l) images"
# 6. .npy files: samples and labels of each kind npy() reads.
/usr/bin/python3 - "$corpus/npy" <<'PY'
import sys
import numpy as np
out = sys.argv[1]
def save(name, a, version=None):
    with open(f"{out}/{name}", "wb") as f:
        np.lib.format.write_array(f, a, version=version)
save("u8_nhw.npy", (np.arange(2 * 3 * 4) % 256).astype(np.uint8).reshape(2, 3, 4))
save("u8_nhwc.npy", np.arange(2 * 2 * 2 * 3).astype(np.uint8).reshape(2, 2, 2, 3))
save("f4_flat.npy", np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
save("f4_big.npy", np.linspace(0, 1, 4).astype(">f4").reshape(2, 2))
save("f4_v2.npy", np.ones((2, 2), np.float32), (2, 0))
save("labels_i64.npy", np.array([0, 3]))
save("labels_u8.npy", np.array([1, 2], np.uint8))
save("labels_i2_big.npy", np.array([4, 5], ">i2"))
PY
echo "make_corpus: $(ls "$corpus/npy" | wc -l) .npy files"
# 7. CSV tables.
printf 'a,b,y\n1,2,0\n3.5,-4e2,1\n' > "$corpus/csv/numbers.csv"
printf 'x;y\r\n1;cat\r\n2;dog\r\n' > "$corpus/csv/semicolons.csv"
printf '\xef\xbb\xbf"first, q","y"\n"1.5",setosa\n" 2 ","a ""b"""\n' > "$corpus/csv/quoted.csv"
echo "make_corpus: $(ls "$corpus/csv" | wc -l) CSV tables"
echo "make_corpus: $(ls "$corpus/script" | wc -l) scripts, $(ls "$corpus/idx" | wc -l) IDX files," \
     "$(ls "$corpus/safetensors" | wc -l) model files, $(ls "$corpus/onnx" | wc -l) ONNX files in $corpus"
