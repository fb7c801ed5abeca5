#!/usr/bin/python3
"""Writes an IDX image set out as an image folder, one subfolder per class,
as real PNG and JPEG files (PIL): what a person's own data set looks like.

  make_image_folder.py IMAGES LABELS OUT --names a,b,c,... [--per-class N] [--jpeg-every K]

Takes the first N images of each class (in file order); every K-th file is
written as a JPEG (quality 90), the rest as PNG. Used by scripts/setup.sh for
the image-folder lesson (examples/05_image_folder.tl).
"""
import argparse
import gzip
import os
import struct
import sys

import numpy as np
from PIL import Image


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("images")
    p.add_argument("labels")
    p.add_argument("out")
    p.add_argument("--names", required=True)
    p.add_argument("--per-class", type=int, default=1000)
    p.add_argument("--jpeg-every", type=int, default=4)
    a = p.parse_args()
    images, labels = read_idx(a.images), read_idx(a.labels)
    names = a.names.split(",")
    counts = [0] * len(names)
    tmp = a.out + ".partial"
    for name in names:
        os.makedirs(os.path.join(tmp, name), exist_ok=True)
    for i, (img, label) in enumerate(zip(images, labels)):
        if label >= len(names) or counts[label] >= a.per_class:
            continue
        n = counts[label]
        counts[label] += 1
        jpeg = a.jpeg_every > 0 and n % a.jpeg_every == a.jpeg_every - 1
        path = os.path.join(tmp, names[label], f"{i:05d}.{'jpg' if jpeg else 'png'}")
        Image.fromarray(img).save(path, quality=90) if jpeg else Image.fromarray(img).save(path)
        if all(c >= a.per_class for c in counts):
            break
    os.rename(tmp, a.out)
    print(f"{a.out}: {sum(counts)} images in {len(names)} class folders")


if __name__ == "__main__":
    sys.exit(main())
