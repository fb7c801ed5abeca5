#!/usr/bin/python3
"""Makes the network that examples/04_onnx_transfer.tl imports: the seed
notebook's CNN, written and trained in PyTorch on MNIST digits 0-6, exported
with torch.onnx.export. Someone else's network, in the format every framework
writes, made here so nothing is downloaded.

  /usr/bin/python3 examples/onnx/train_donor.py [--data data/mnist] [--out examples/onnx/digits_0_6.onnx]
"""
import argparse
import gzip
import os
import struct

import numpy as np
import torch
import torch.nn as nn

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))


def idx(path):
    opener = gzip.open if not os.path.exists(path) else open
    with opener(path if os.path.exists(path) else path + ".gz", "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


class SeedCNN(nn.Module):
    """conv2d(10, 3x3) - maxpool2d(2) - flatten - dense(15, relu) - dropout(0.3) - dense(7)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 10, 3)
        self.pool = nn.MaxPool2d(2)
        self.hidden = nn.Linear(10 * 13 * 13, 15)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(15, 7)

    def forward(self, x):
        x = torch.flatten(self.pool(self.conv(x)), 1)
        return self.out(self.drop(self.act(self.hidden(x))))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=os.path.join(root, "data", "mnist"))
    p.add_argument("--out", default=os.path.join(here, "digits_0_6.onnx"))
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args()
    torch.manual_seed(0)
    images = idx(os.path.join(args.data, "train-images-idx3-ubyte"))
    labels = idx(os.path.join(args.data, "train-labels-idx1-ubyte"))
    keep = labels < 7
    x = torch.from_numpy(images[keep].astype(np.float32) / 255).unsqueeze(1)
    y = torch.from_numpy(labels[keep].astype(np.int64))
    model = SeedCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(y))
        for s in range(0, len(y), 64):
            batch = order[s:s + 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}")
    model.eval()
    test_images = idx(os.path.join(args.data, "t10k-images-idx3-ubyte"))
    test_labels = idx(os.path.join(args.data, "t10k-labels-idx1-ubyte"))
    keep = test_labels < 7
    with torch.no_grad():
        tx = torch.from_numpy(test_images[keep].astype(np.float32) / 255).unsqueeze(1)
        accuracy = (model(tx).argmax(1).numpy() == test_labels[keep]).mean()
    print(f"test accuracy on digits 0-6: {accuracy:.4f}")
    torch.onnx.export(model, x[:1], args.out, opset_version=13, input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
    print(f"wrote {args.out}")


main()
