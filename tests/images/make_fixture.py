#!/usr/bin/python3
"""A small labelled image folder for the image-folder tests, written by PIL:
OUT/{circle,cross,square}/ with N images each, as PNG, JPEG and BMP, gray and
RGB, of several sizes (so a size must be given). Each class is a shape drawn
at a random place, so a small CNN can learn them.
  make_fixture.py OUT [N]"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 30
rng = np.random.default_rng(3)
formats = [("png", {}), ("jpg", {"quality": 95}), ("bmp", {})]
for c, shape in enumerate(["circle", "cross", "square"]):
    os.makedirs(os.path.join(out, shape), exist_ok=True)
    for i in range(n):
        size = int(rng.choice([16, 20, 24]))
        img = Image.new("RGB" if i % 2 else "L", (size, size), 0)
        d = ImageDraw.Draw(img)
        r = size // 4
        x, y = rng.integers(r, size - r, size=2)
        color = (255, 200, 100) if img.mode == "RGB" else 255
        if shape == "circle":
            d.ellipse([x - r, y - r, x + r, y + r], outline=color, width=2)
        elif shape == "cross":
            d.line([x - r, y - r, x + r, y + r], fill=color, width=2)
            d.line([x - r, y + r, x + r, y - r], fill=color, width=2)
        else:
            d.rectangle([x - r, y - r, x + r, y + r], outline=color, width=2)
        ext, kwargs = formats[i % 3]
        img.save(os.path.join(out, shape, f"{i:03d}.{ext}"), **kwargs)
