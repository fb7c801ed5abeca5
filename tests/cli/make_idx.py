#!/usr/bin/python3
"""Writes a tiny labelled IDX dataset for the command-line tests:
DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte with 8x8 images whose
label is the row that is bright, so a small model can learn it.
Usage: make_idx.py DIR TRAIN_COUNT TEST_COUNT CLASSES"""
import os
import struct
import sys

folder, train, test, classes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(folder, exist_ok=True)
for part, n in (("train", train), ("t10k", test)):
    labels = bytes(i % classes for i in range(n))
    pixels = bytearray()
    for i in range(n):
        for p in range(64):
            pixels.append(150 + (p * i) % 100 if p // 8 == labels[i] else (p * 7 + i * 3) % 120)
    with open(f"{folder}/{part}-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, n, 8, 8) + bytes(pixels))
    with open(f"{folder}/{part}-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">BBBBI", 0, 0, 8, 1, n) + labels)
