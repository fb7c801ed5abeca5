#!/usr/bin/python3
"""The benchmark suite's data as NumPy arrays, read by both tl (npy(...)) and
PyTorch (torch_models.py), so that both sides train on the same bytes:

  DIR/mnist_x.npy  (60000, 28, 28, 1) uint8   MNIST's training images
  DIR/mnist_y.npy  (60000,) uint8             their labels
  DIR/rgb32_x.npy  (60000, 32, 32, 3) uint8   Fashion-MNIST's training images
                                              padded to 32x32, in 3 channels
                                              (the image, its mirror and its
                                              negative): CIFAR-10's shapes
  DIR/rgb32_y.npy  (60000,) uint8

Usage: make_data.py MNIST_DIR FASHION_DIR OUT_DIR (files already there are kept)."""
import gzip
import os
import struct
import sys

import numpy as np


def read_idx(path):
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(f">{dims}I", data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def write(path, array):
    if not os.path.exists(path):
        np.save(path + ".part.npy", array)
        os.replace(path + ".part.npy", path)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    mnist, fashion, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    write(f"{out}/mnist_x.npy", read_idx(f"{mnist}/train-images-idx3-ubyte")[..., None])
    write(f"{out}/mnist_y.npy", read_idx(f"{mnist}/train-labels-idx1-ubyte"))
    images = np.pad(read_idx(f"{fashion}/train-images-idx3-ubyte"), ((0, 0), (2, 2), (2, 2)))
    write(f"{out}/rgb32_x.npy", np.ascontiguousarray(np.stack([images, images[:, :, ::-1], 255 - images], axis=-1)))
    write(f"{out}/rgb32_y.npy", read_idx(f"{fashion}/train-labels-idx1-ubyte"))


if __name__ == "__main__":
    main()
