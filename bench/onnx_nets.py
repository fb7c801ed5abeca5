#!/usr/bin/python3
"""PyTorch's side of bench/onnx_nets.sh: builds torchvision's ResNet-18 or
MobileNetV2 (random weights, seeded; nothing is downloaded), exports it to ONNX
with its batchnorm layers kept (so tl trains them as PyTorch does), writes a
batch of inputs and PyTorch's outputs for it, and times PyTorch on the same
batch: inference (eval, no_grad) and a full training step (train mode, Adam,
cross-entropy on the logits), medians over --runs runs after one warm-up.

  /usr/bin/python3 bench/onnx_nets.py NAME OUT_DIR [--size 224] [--batch 32] [--runs 5] [--threads 2]
Prints one JSON line.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name", choices=["resnet18", "mobilenet_v2"])
    p.add_argument("out")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    model = getattr(torchvision.models, a.name)(num_classes=10)
    # Batchnorm statistics as a trained network has them (fresh ones are 0
    # and 1, and torchvision zero-initialises some gammas), so the outputs
    # are not near zero and the accuracy check means something.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    x = torch.randn(a.batch, 3, a.size, a.size)
    labels = torch.arange(a.batch) % 10
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, a.name + ".onnx")
    model.eval()
    torch.onnx.export(model, x[:1], path, opset_version=13, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    with torch.no_grad():
        y = model(x)
    x.numpy().astype("<f4").tofile(os.path.join(a.out, a.name + ".input.bin"))
    y.numpy().astype("<f4").tofile(os.path.join(a.out, a.name + ".output.bin"))

    def timed(fn):
        fn()  # warm-up
        ms = []
        for _ in range(a.runs):
            t = time.perf_counter()
            fn()
            ms.append((time.perf_counter() - t) * 1e3)
        return statistics.median(ms)

    def infer():
        with torch.no_grad():
            model(x)

    model.eval()
    infer_ms = timed(infer)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), labels).backward()
        opt.step()

    train_ms = timed(step)
    print(json.dumps({"model": a.name, "batch": a.batch, "size": a.size, "threads": a.threads,
                      "torch": torch.__version__, "blas": torch.__config__.show().count("OpenBLAS") and "openblas" or "other",
                      "predict_ms": round(infer_ms, 2), "train_step_ms": round(train_ms, 2)}))


main()
