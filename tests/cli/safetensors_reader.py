#!/usr/bin/python3
"""An independent reader for tl's model files, written from the safetensors
specification (8-byte little-endian header size, JSON header, raw data), not
from tl's code. Given a model file, IDX test images/labels and the accuracy
tl reported, it rebuilds the model's forward pass in numpy from the stored
description and checks that it classifies the test set exactly as tl did.
Usage: safetensors_reader.py MODEL.safetensors IMAGES.idx LABELS.idx SCALE ACCURACY"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[base + begin:base + end], dtype="<f4").reshape(entry["shape"])
    return tensors, header.get("__metadata__", {})


def read_idx(path):
    data = open(path, "rb").read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data[4 + 4 * dims:], dtype=np.uint8).reshape(shape)


def conv2d_valid(x, w, b):  # x (B,H,W,C), w (K,K,C,O) HWIO
    k_h, k_w, _, out = w.shape
    o_h, o_w = x.shape[1] - k_h + 1, x.shape[2] - k_w + 1
    y = np.zeros((x.shape[0], o_h, o_w, out), np.float64)
    for i in range(k_h):
        for j in range(k_w):
            y += np.einsum("bhwc,co->bhwo", x[:, i:i + o_h, j:j + o_w, :], w[i, j])
    return y + b


def main():
    model_path, images_path, labels_path, scale, accuracy = sys.argv[1:6]
    tensors, meta = read_safetensors(model_path)
    assert meta.get("format") == "tl-model", meta
    model = json.loads(meta["tl.model"])
    if scale == "file":
        # The pixel map the file records: float32(byte) * scale + offset.
        pixels = json.loads(meta["tl.pixels"])
        x = (read_idx(images_path).astype(np.float32) * np.float32(pixels["scale"])
             + np.float32(pixels["offset"])).astype(np.float64)
    else:
        x = read_idx(images_path).astype(np.float64) * float(scale)
    x = x.reshape(x.shape + (1,)) if x.ndim == 3 else x
    for layer in model["layers"]:
        kind, name = layer["type"], layer["name"]
        if kind == "InputLayer":
            continue
        if kind == "Conv2D":
            assert layer["padding"] == "valid" and layer["strides"] == [1, 1]
            x = conv2d_valid(x, tensors[name + "/kernel"], tensors[name + "/bias"])
        elif kind == "Flatten":
            x = x.reshape(x.shape[0], -1)  # (h, w, c) order, as Keras
        elif kind == "Dense":
            x = x @ tensors[name + "/kernel"] + tensors[name + "/bias"]
        elif kind == "Dropout":
            continue
        else:
            raise SystemExit("reader does not know " + kind)
        if layer["activation"] == "relu":
            x = np.maximum(x, 0)
    predicted = x.argmax(axis=1)
    labels = read_idx(labels_path)
    ours = float((predicted == labels).mean())
    if abs(ours - float(accuracy)) > 1e-9:
        raise SystemExit(f"FAIL: numpy forward pass gives accuracy {ours}, tl reported {accuracy}")
    print(f"numpy reader: {len(tensors)} tensors, accuracy {ours:.4f} equals tl's")


if __name__ == "__main__":
    main()
