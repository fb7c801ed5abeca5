#!/usr/bin/python3
"""Loads a model file written by tl (safetensors) into the PyTorch peer model
of bench/torch_seed_cnn.py and checks that PyTorch classifies the MNIST test
images exactly as tl does: same accuracy and loss as tl reported (from the
run's results.json) and the same class for every image as an independent
numpy forward pass of the same file.

  /usr/bin/python3 bench/torch_load_tl_model.py runs/02_quick_mnist/net.safetensors \
      runs/02_quick_mnist/results.json data/mnist

Layouts: tl (like Keras) stores conv kernels HWIO and dense kernels (in, out);
PyTorch wants OIHW and (out, in)."""
import importlib.util
import json
import os
import struct
import sys

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("peer", os.path.join(here, "torch_seed_cnn.py"))
peer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peer)


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, entry in header.items():
        if name != "__metadata__":
            begin, end = entry["data_offsets"]
            tensors[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype="<f4").reshape(entry["shape"]).copy()
    return tensors, header.get("__metadata__", {})


def main():
    model_path, results_path, mnist = sys.argv[1:4]
    t, meta = read_safetensors(model_path)
    # The pixel map of the model's training data (tl.pixels): value = byte * scale + offset.
    pixels = json.loads(meta.get("tl.pixels", '{"scale": 0.00392156862745098, "offset": 0}'))
    scale, offset = np.float32(pixels["scale"]), np.float32(pixels["offset"])
    peer.to_float = lambda u8: u8.to(torch.float32) * float(scale) + float(offset)
    model = peer.SeedCNN()
    with torch.no_grad():
        model.conv.weight.copy_(torch.from_numpy(t["conv2d/kernel"].transpose(3, 2, 0, 1)))
        model.conv.bias.copy_(torch.from_numpy(t["conv2d/bias"]))
        model.hidden.weight.copy_(torch.from_numpy(t["dense/kernel"].T))
        model.hidden.bias.copy_(torch.from_numpy(t["dense/bias"]))
        model.out.weight.copy_(torch.from_numpy(t["dense_1/kernel"].T))
        model.out.bias.copy_(torch.from_numpy(t["dense_1/bias"]))
    images, labels = peer.load_part(mnist, "test")
    loss, accuracy = peer.evaluate(model, images, labels)
    reported = json.load(open(results_path))["evaluations"][0]
    print(f"PyTorch with tl's weights: accuracy {accuracy:.4f}, loss {loss:.4f}; "
          f"tl reported accuracy {reported['accuracy']:.4f}, loss {reported['loss']:.4f}")
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(peer.to_float(images[s:s + 1000])).argmax(1) for s in range(0, len(labels), 1000)])
    # The independent numpy forward pass (tests/cli/safetensors_reader.py's layers).
    x = (images.numpy().astype(np.float32) * scale + offset).astype(np.float64)
    k = t["conv2d/kernel"].astype(np.float64)
    conv = sum(np.einsum("bhwc,co->bhwo", x[:, i:i + 26, j:j + 26, :], k[i, j]) for i in range(3) for j in range(3))
    conv = conv + t["conv2d/bias"]
    pooled = conv.reshape(-1, 13, 2, 13, 2, 10).max(axis=(2, 4)).reshape(len(labels), -1)
    hidden = np.maximum(pooled @ t["dense/kernel"] + t["dense/bias"], 0)
    numpy_predicted = (hidden @ t["dense_1/kernel"] + t["dense_1/bias"]).argmax(1)
    same = int((predicted.numpy() == numpy_predicted).sum())
    print(f"identical predictions: {same} of {len(labels)}")
    ok = same == len(labels) and abs(accuracy - reported["accuracy"]) < 1e-9 and abs(loss - reported["loss"]) < 1e-4
    print("OK" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


main()
