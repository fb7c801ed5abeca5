#!/usr/bin/python3
"""tl's image decoding and resizing against python3-pil (an independent
implementation: Pillow's own PNG/BMP decoders, libjpeg-turbo through Pillow,
and Pillow's Resample.c).

For every file in a set of PNG, JPEG and BMP variants written by PIL, tl's
image_dump must give exactly PIL's bytes (tolerance 0):
- decoded: PIL's img.convert("L") for gray files, img.convert("RGB") for the
  others (alpha dropped, palettes expanded);
- converted to the other channel count (convert("L") / convert("RGB"));
- resized with Image.BILINEAR to sizes that shrink by integer and
  non-integer factors, enlarge, and change the aspect ratio.
Usage: pil_test.py IMAGE_DUMP
"""
import io
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from hostile import run_limited  # noqa: E402

dump = sys.argv[1]
rng = np.random.default_rng(7)


def smooth(h, w, c):
    """Gradients plus noise: structure for the resampler, noise for the JPEG coder."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) * 127 // max(h + w - 2, 1))], -1)
    noise = rng.integers(-40, 40, size=(h, w, 3))
    rgb = np.clip(base + noise, 0, 255).astype(np.uint8)
    return rgb[:, :, :c] if c < 3 else rgb


def variants():
    """(name, PIL image, save kwargs)."""
    rgb = Image.fromarray(smooth(37, 53, 3), "RGB")
    gray = Image.fromarray(smooth(41, 29, 1)[:, :, 0], "L")
    rgba = rgb.copy()
    rgba.putalpha(Image.fromarray(smooth(37, 53, 1)[:, :, 0], "L"))
    la = gray.convert("LA")
    pal = rgb.quantize(colors=50)
    bw = gray.point(lambda v: 255 if v > 128 else 0).convert("1")
    yield "rgb.png", rgb, {}
    yield "gray.png", gray, {}
    yield "rgba.png", rgba, {}
    yield "gray_alpha.png", la, {}
    yield "palette.png", pal, {}
    yield "bilevel.png", bw, {}
    yield "rgb_q90.jpg", rgb, {"quality": 90}
    yield "rgb_444.jpg", rgb, {"quality": 95, "subsampling": 0}
    yield "rgb_progressive.jpeg", rgb, {"quality": 80, "progressive": True}
    yield "gray.jpg", gray, {"quality": 85}
    yield "rgb.bmp", rgb, {}
    yield "gray.bmp", gray, {}
    yield "palette.bmp", pal, {}
    yield "big.png", Image.fromarray(smooth(300, 410, 3), "RGB"), {}
    yield "big.jpg", Image.fromarray(smooth(300, 410, 3), "RGB"), {"quality": 92}


def tl_bytes(path, *args):
    out = subprocess.run([dump, path, *map(str, args)], capture_output=True, check=True).stdout
    header, data = out.split(b"\n", 1)
    h, w, c = map(int, header.split())
    return np.frombuffer(data, np.uint8).reshape(h, w, c)


def pil_array(img, channels):
    arr = np.asarray(img.convert("L" if channels == 1 else "RGB"))
    return arr.reshape(arr.shape[0], arr.shape[1], channels)


failures = 0
checks = 0
sizes = [(28, 28), (16, 20), (13, 7), (64, 64), (100, 37), (5, 5)]
with tempfile.TemporaryDirectory() as tmp:
    for name, img, kwargs in variants():
        path = os.path.join(tmp, name)
        img.save(path, **kwargs)
        opened = Image.open(path)
        native = 1 if opened.mode in ("L", "LA", "1", "I;16", "I;16B", "I") else 3
        if opened.mode == "P" and name.endswith(".bmp"):
            native = 3
        probe = subprocess.run([dump, "--probe", path], capture_output=True, text=True, check=True).stdout.split()
        if (int(probe[1]), int(probe[2]), int(probe[3])) != (opened.height, opened.width, native):
            print(f"FAIL {name}: probe says {probe}, PIL opens {opened.mode} {opened.height}x{opened.width}")
            failures += 1
        for channels in (native, 4 - native):
            if name == "bilevel.png" and channels == 3:
                continue
            ours = tl_bytes(path, channels)
            theirs = pil_array(opened, channels)
            checks += 1
            if ours.shape != theirs.shape or not np.array_equal(ours, theirs):
                diff = np.abs(ours.astype(int) - theirs.astype(int)).max() if ours.shape == theirs.shape else "shape"
                print(f"FAIL {name} decoded to {channels} channels: max difference {diff}")
                failures += 1
            for h, w in sizes + [(opened.height // 2, opened.width // 3)]:
                ours = tl_bytes(path, channels, h, w)
                theirs = pil_array(opened, channels)
                mode = "L" if channels == 1 else "RGB"
                theirs = np.asarray(Image.fromarray(theirs.squeeze(-1) if channels == 1 else theirs, mode).resize((w, h), Image.BILINEAR))
                theirs = theirs.reshape(h, w, channels)
                checks += 1
                if not np.array_equal(ours, theirs):
                    print(f"FAIL {name} {channels}ch resized to {h}x{w}: max difference {np.abs(ours.astype(int) - theirs.astype(int)).max()}")
                    failures += 1
# 16-bit samples: tl keeps the high byte (PIL's convert("L") of an I;16
# image clips instead, so numpy is the reference here).
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "gray16.png")
    values = rng.integers(0, 65536, size=(19, 23)).astype(np.uint16)
    Image.fromarray(values, "I;16").save(path)
    checks += 1
    if not np.array_equal(tl_bytes(path, 1)[:, :, 0], (values >> 8).astype(np.uint8)):
        print("FAIL gray16.png: not the high bytes")
        failures += 1


# Hostile files: each is refused with a message naming the file, quickly and
# within 1 GiB of address space (a decoder that believed a claimed size would
# allocate far more).
def png_chunk(kind, payload):
    import struct
    import zlib
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_claiming(w, h):
    import struct
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", b"x\x9c" + b"\x00" * 20) + png_chunk(b"IEND", b""))


with tempfile.TemporaryDirectory() as tmp:
    good = io.BytesIO()
    Image.fromarray(smooth(64, 64, 3), "RGB").save(good, "PNG")
    png = good.getvalue()
    good = io.BytesIO()
    Image.fromarray(smooth(64, 64, 3), "RGB").save(good, "JPEG", quality=90)
    jpeg = good.getvalue()
    sof = jpeg.index(b"\xff\xc0")
    huge_jpeg = jpeg[:sof + 5] + b"\xfd\xe8\xfd\xe8" + jpeg[sof + 9:]  # 65000 x 65000
    import struct
    bmp = io.BytesIO()
    Image.fromarray(smooth(8, 8, 3), "RGB").save(bmp, "BMP")
    huge_bmp = bytearray(bmp.getvalue())
    huge_bmp[18:26] = struct.pack("<ii", 100000, 100000)
    cases = {
        "empty.png": (b"", "the file is empty"),
        "truncated.png": (png[: len(png) // 2], "PNG data is damaged"),
        "truncated.jpg": (jpeg[: len(jpeg) // 2], "truncated"),
        "claims_100000x100000.png": (png_claiming(100000, 100000), "larger than tl decodes"),
        "claims_60000x60000.png": (png_claiming(60000, 60000), "claims to be 60000x60000"),
        "claims_65000x65000.jpg": (huge_jpeg, "claims to be 65000x65000"),
        "claims_100000x100000.bmp": (bytes(huge_bmp), "claims to be 100000x100000"),
        "text.jpg": (b"hello, not an image\n", "not a PNG, JPEG or BMP image"),
        "bad_crc.png": (png[:30] + bytes([png[30] ^ 0xFF]) + png[31:], "PNG data is damaged"),
        # 96 bytes claiming 4096x4096 RGB (stb_image would read zeros for the rest)
        "claims_4096x4096.bmp": (bytes(huge_bmp[:18]) + struct.pack("<ii", 4096, 4096) + bytes(huge_bmp[26:54]) + bytes(42),
                                 "the BMP file ends early"),
        "unknown_compression.bmp": (bytes(huge_bmp[:18]) + struct.pack("<ii", 8, 8) + bytes(huge_bmp[26:30]) + struct.pack("<I", 9)
                                    + bytes(huge_bmp[34:]), "the BMP data is damaged"),
    }
    for name, (data, expected) in cases.items():
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        # A probe reads headers only: damage past them shows when decoding.
        header_level = name not in ("truncated.png", "truncated.jpg", "bad_crc.png", "claims_4096x4096.bmp",
                                    "unknown_compression.bmp")
        for args in (["--probe", path], [path]) if header_level else ([path],):
            r = run_limited([dump, *args], timeout=20)
            checks += 1
            if r.returncode != 1 or expected not in r.stderr or path not in r.stderr:
                print(f"FAIL hostile {name} {args[0]}: exit {r.returncode}, stderr {r.stderr.strip()!r}, expected {expected!r}")
                failures += 1
    os.mkdir(os.path.join(tmp, "folder.png"))
    r = subprocess.run([dump, os.path.join(tmp, "folder.png")], capture_output=True, text=True)
    checks += 1
    if r.returncode != 1 or "a directory" not in r.stderr:
        print(f"FAIL a directory named .png: {r.stderr!r}")
        failures += 1
print(f"{checks} comparisons with PIL {Image.__version__}, {failures} failed")
sys.exit(1 if failures else 0)
