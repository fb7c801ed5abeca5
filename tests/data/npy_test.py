#!/usr/bin/python3
"""tl's .npy reader against numpy (the files' writer): for every dtype,
byte order, format version and shape npy() takes, npy_dump must print
numpy's values exactly; and every malformed or unsupported file must be
refused with a message naming it, within 1 GiB of address space.
Usage: npy_test.py NPY_DUMP"""
import io
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from hostile import run_limited  # noqa: E402

dump = sys.argv[1]
rng = np.random.default_rng(5)
failures = checks = 0


def run(*paths):
    return run_limited([dump, *paths], timeout=30)


def save(path, array, version=None):
    with open(path, "wb") as f:
        np.lib.format.write_array(f, array, version=version, allow_pickle=False)


with tempfile.TemporaryDirectory() as tmp:
    p = lambda name: os.path.join(tmp, name)
    labels = rng.integers(0, 10, size=7)
    cases = [
        ("u8_nhw", rng.integers(0, 256, size=(7, 3, 4)).astype(np.uint8), None),
        ("u8_nhwc", rng.integers(0, 256, size=(7, 2, 3, 3)).astype(np.uint8), None),
        ("f4_flat", rng.standard_normal((7, 5)).astype(np.float32), None),
        ("f4_big_endian", rng.standard_normal((7, 2, 2)).astype(">f4"), None),
        ("f4_version2", rng.standard_normal((7, 6)).astype(np.float32), (2, 0)),
        ("u8_version3", rng.integers(0, 256, size=(7, 4)).astype(np.uint8), (3, 0)),
    ]
    label_types = [np.uint8, np.int8, np.int16, ">u2", np.int32, np.uint32, np.int64, ">i8"]
    for i, (name, x, version) in enumerate(cases):
        save(p(name + ".npy"), x, version)
        save(p(name + "_y.npy"), labels.astype(label_types[i % len(label_types)]))
        r = run(p(name + ".npy"), p(name + "_y.npy"))
        checks += 1
        if r.returncode != 0:
            print(f"FAIL {name}: {r.stderr.strip()}")
            failures += 1
            continue
        lines = r.stdout.splitlines()
        head = lines[0].split()
        got = np.array([[float(v) for v in line.split()[1:]] for line in lines[1:]])  # %.9g: float32 round-trips
        got_labels = [int(line.split()[0]) for line in lines[1:]]
        flat = x.ndim == 2
        shape = (1, 1, x.shape[1]) if flat else (x.shape[1], x.shape[2], x.shape[3] if x.ndim == 4 else 1)
        ok = (tuple(map(int, head[1:4])) == shape and head[5] == str(int(flat)) and got_labels == list(labels)
              and np.array_equal(got.astype(np.float32), x.reshape(7, -1).astype(np.float32)))
        if not ok:
            print(f"FAIL {name}: tl read {head}, values equal: {np.array_equal(got.astype(np.float32), x.reshape(7, -1).astype(np.float32))}")
            failures += 1
    r = run(p("u8_nhw.npy"))  # without labels
    checks += 1
    if r.returncode != 0 or "labelled 0" not in r.stdout or not all(l.startswith("-1 ") for l in r.stdout.splitlines()[1:]):
        print(f"FAIL unlabelled: {r.stdout[:80]!r} {r.stderr!r}")
        failures += 1

    # Files tl must refuse, each naming the file.
    def raw_header(text, data=b"", version=1):
        text = text + " " * ((64 - (len(text) + 11) % 64) % 64) + "\n"
        length = len(text).to_bytes(2 if version == 1 else 4, "little")
        return b"\x93NUMPY" + bytes([version, 0]) + length + text.encode() + data
    x = np.zeros((4, 3), np.float32)
    save(p("ok.npy"), x)
    save(p("y4.npy"), np.arange(4))
    save(p("y5.npy"), np.arange(5))
    save(p("y_big.npy"), np.array([0, 1, 300, 2]))
    save(p("y_neg.npy"), np.array([0, -1, 2, 2], np.int8))
    save(p("y_float.npy"), np.zeros(4, np.float32))
    save(p("f8.npy"), np.zeros((4, 3)))
    save(p("fortran.npy"), np.asfortranarray(np.zeros((4, 3, 2), np.float32)))
    save(p("nan.npy"), np.array([[0, np.nan]], np.float32))
    save(p("rank1.npy"), np.zeros(4, np.uint8))
    ok_bytes = open(p("ok.npy"), "rb").read()
    bad = {
        "empty.npy": (b"", "not a NumPy .npy file"),
        "text.npy": (b"hello there, not numpy\n", "not a NumPy .npy file"),
        "version9.npy": (b"\x93NUMPY\x09\x00" + ok_bytes[8:], "version 9.0"),
        "header_lies.npy": (ok_bytes[:8] + b"\xff\xff" + ok_bytes[10:], "the header claims 65535 bytes"),
        "truncated.npy": (ok_bytes[:-5], "needs 48 bytes of data, but the file has 43"),
        "huge_shape.npy": (raw_header("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }"), "more than 2147483648 bytes"),
        "structured.npy": (raw_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", b"\0" * 8), "not a simple type string"),
        "complex.npy": (raw_header("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 1), }", b"\0" * 16), "not an integer, float or bool type"),
        "unclosed.npy": (raw_header("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 1), }"), "header"),
        "missing_key.npy": (raw_header("{'descr': '<f4', 'shape': (2, 1), }", b"\0" * 8), "lacks one of"),
        "negative.npy": (raw_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 1), }"), "not a non-negative integer"),
    }
    for name, (data, expected) in bad.items():
        with open(p(name), "wb") as f:
            f.write(data)
    refusals = [(p(n), None, e) for n, (d, e) in bad.items()] + [
        (p("ok.npy"), p("y5.npy"), "has 5 labels, but"),
        (p("ok.npy"), p("y_big.npy"), "label 2 is 300"),
        (p("ok.npy"), p("y_neg.npy"), "label 1 is -1"),
        (p("ok.npy"), p("y_float.npy"), "the labels are float32"),
        (p("f8.npy"), p("y4.npy"), "the samples are float64"),
        (p("fortran.npy"), p("y4.npy"), "Fortran order"),
        (p("nan.npy"), None, "value 1 of the array is nan"),
        (p("rank1.npy"), None, "has shape (4)"),
    ]
    for samples, labels_file, expected in refusals:
        r = run(samples, *([labels_file] if labels_file else []))
        checks += 1
        named = (labels_file if labels_file and "label" in expected else samples)
        if r.returncode != 1 or expected not in r.stderr or os.path.basename(named) not in r.stderr:
            print(f"FAIL refusing {os.path.basename(samples)} {labels_file and os.path.basename(labels_file)}: "
                  f"exit {r.returncode}, {r.stderr.strip()!r}, expected {expected!r}")
            failures += 1
# Through a script (when tlc is given): flat float samples train an MLP,
# uint8 images a CNN, and a shape mismatch is a check error at file:line:col.
if len(sys.argv) > 2:
    tlc = sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), rng.standard_normal((40, 5)).astype(np.float32))
        np.save(os.path.join(tmp, "img.npy"), rng.integers(0, 256, size=(40, 6, 6)).astype(np.uint8))
        np.save(os.path.join(tmp, "y.npy"), rng.integers(0, 3, size=40))
        script = """model mlp() {
  input(5)
  dense(8, relu)
  dense(3, softmax)
}
model cnn() {
  input(6, 6, 1)
  conv2d(2, 3x3)
  flatten()
  dense(3, softmax)
}
table = npy("x.npy", labels = "y.npy")

split table into fit 0.75, held 0.25 stratified
pics = npy("img.npy", labels = "y.npy") | scale 1/255
m = mlp()
c = cnn()
train m on fit { epochs 2 }
evaluate m on held
train c on pics { epochs 1 }
"""
        open(os.path.join(tmp, "ok.tl"), "w").write(script)
        r = subprocess.run([tlc, "run", "ok.tl", "--out", "run"], cwd=tmp, capture_output=True, text=True)
        checks += 1
        if r.returncode != 0 or "Train m on fit: 29 samples" not in r.stdout or "Train c on pics: 40 samples" not in r.stdout:
            print(f"FAIL npy script: {r.returncode} {r.stdout[-300:]} {r.stderr}")
            failures += 1
        open(os.path.join(tmp, "bad.tl"), "w").write(script.replace("train c on pics", "train c on table"))
        r = subprocess.run([tlc, "check", "bad.tl"], cwd=tmp, capture_output=True, text=True)
        checks += 1
        if r.returncode != 1 or "bad.tl:20:12: error: model 'c' takes 6x6x1 samples, but 'table' has 5" not in r.stderr:
            print(f"FAIL npy shape mismatch: {r.stderr}")
            failures += 1
print(f"{checks} .npy checks against numpy {np.__version__}, {failures} failed")
sys.exit(1 if failures else 0)
