#!/usr/bin/python3
"""The benchmark suite's models in PyTorch, trained and timed as bench/suite.sh
times tl on the same data (bench/suite/make_data.py's arrays) with the same
batches, optimizer and loss. The peer is given its best chance: images and
model in channels_last memory (oneDNN's fast layout on CPU: a 32-channel 3x3
conv at batch 256 ran 2.9x faster than in NCHW here; --layout nchw for the
other), torch.optim.Adam (its own
fused update, eps 1e-7 as Keras), cross-entropy on logits, inference under
torch.no_grad() in eval mode.

  torch_models.py MODEL --data DIR --samples N --epochs E --threads T [--layout L] --json OUT
  torch_models.py --blas      which BLAS library torch has loaded, and its sgemm speed

MODEL: seed_cnn | mlp | mnist_cnn | cifar_cnn | resnet_bn (as bench/suite/MODEL.tl).
The JSON holds every epoch's seconds (the first includes warm-up), the
second inference pass's seconds over the same N samples at batch 256, its accuracy,
and the BLAS library."""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, cout, padding=0, bias=True):
    return nn.Conv2d(cin, cout, 3, padding=padding, bias=bias)


class Residual(nn.Module):
    """conv-bn-relu-conv-bn, added to the block's input, then relu."""

    def __init__(self, width):
        super().__init__()
        self.a, self.bn_a = conv(width, width, 1, False), bn(width)
        self.b, self.bn_b = conv(width, width, 1, False), bn(width)

    def forward(self, x):
        y = F.relu(self.bn_a(self.a(x)))
        return F.relu(x + self.bn_b(self.b(y)))


def bn(channels):
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)   # Keras' defaults


# Each model as its bench/suite/MODEL.tl states it: (batch, input shape CHW, layers).
MODELS = {
    "seed_cnn": (64, (1, 28, 28), lambda: nn.Sequential(
        conv(1, 10), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(13 * 13 * 10, 15), nn.ReLU(),
        nn.Dropout(0.3), nn.Linear(15, 10))),
    "mlp": (128, (1, 28, 28), lambda: nn.Sequential(
        nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512), nn.ReLU(),
        nn.Dropout(0.2), nn.Linear(512, 10))),
    "mnist_cnn": (128, (1, 28, 28), lambda: nn.Sequential(
        conv(1, 32), nn.ReLU(), conv(32, 64), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
        nn.Linear(12 * 12 * 64, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))),
    "cifar_cnn": (64, (3, 32, 32), lambda: nn.Sequential(
        conv(3, 32, 1), nn.ReLU(), conv(32, 32), nn.ReLU(), nn.MaxPool2d(2),
        conv(32, 64, 1), nn.ReLU(), conv(64, 64), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(6 * 6 * 64, 256), nn.ReLU(), nn.Linear(256, 10))),
    "resnet_bn": (64, (3, 32, 32), lambda: nn.Sequential(
        conv(3, 32, 1, False), bn(32), nn.ReLU(), Residual(32), Residual(32),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))),
}
DATA = {"seed_cnn": "mnist", "mlp": "mnist", "mnist_cnn": "mnist", "cifar_cnn": "rgb32", "resnet_bn": "rgb32"}


def blas():
    """The BLAS shared library mapped into this process (after a matmul), and sgemm's GFLOP/s at 512."""
    a = torch.randn(512, 512)
    for _ in range(3):
        a @ a
    start, reps = time.perf_counter(), 20
    for _ in range(reps):
        a @ a
    gflops = reps * 2 * 512 ** 3 / (time.perf_counter() - start) * 1e-9
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in os.path.basename(path).lower():
                libs.add(os.path.realpath(path))
    return {"libraries": sorted(libs), "sgemm_512_gflops": round(gflops, 1), "threads": torch.get_num_threads()}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", choices=sorted(MODELS))
    p.add_argument("--blas", action="store_true")
    p.add_argument("--data", default="data/bench")
    p.add_argument("--samples", type=int, default=60000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--layout", choices=["channels_last", "nchw"], default="channels_last")
    p.add_argument("--json")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.blas:
        print(json.dumps(blas()))
        return
    if not args.model:
        p.error("name a model, or --blas")

    batch, chw, build = MODELS[args.model]
    prefix = f"{args.data}/{DATA[args.model]}"
    x = np.load(f"{prefix}_x.npy")[:args.samples]                      # (N, H, W, C) uint8
    y = np.load(f"{prefix}_y.npy")[:args.samples]
    x = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2)  # NCHW indexing over NHWC memory: channels_last
    layout = torch.channels_last if args.layout == "channels_last" else torch.contiguous_format
    x = x.contiguous(memory_format=layout)                               # once, outside the timing
    y = torch.from_numpy(y.astype(np.int64))
    assert tuple(x.shape[1:]) == chw, (x.shape, chw)
    n = x.shape[0]

    torch.manual_seed(args.seed)
    model = build().to(memory_format=layout)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    rng = np.random.default_rng(args.seed)
    epochs = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.train()
        order = torch.from_numpy(rng.permutation(n))
        for first in range(0, n, batch):
            rows = order[first:first + batch]
            inputs = x.index_select(0, rows).float().div_(255).contiguous(memory_format=layout)
            loss = F.cross_entropy(model(inputs), y.index_select(0, rows))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        epochs.append(time.perf_counter() - start)

    model.eval()
    for _ in range(2):                         # timed on the second pass, as tl's
        start = time.perf_counter()
        correct = 0
        with torch.no_grad():
            for first in range(0, n, 256):
                logits = model(x[first:first + 256].float().div_(255).contiguous(memory_format=layout))
                correct += int((logits.argmax(1) == y[first:first + 256]).sum())
        inference = time.perf_counter() - start

    result = {"model": args.model, "threads": args.threads, "layout": args.layout, "samples": n, "batch": batch, "epochs": epochs,
              "inference_seconds": inference, "accuracy": correct / n, "blas": blas()["libraries"]}
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
