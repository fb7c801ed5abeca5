#!/usr/bin/python3
"""PyTorch's side of bench/finetune_nets.sh: torchvision's ResNet-18 or
MobileNetV2 (torchvision's random initialisation, seeded; nothing is
downloaded) with its batchnorm statistics measured on the training images
(as a trained network's fit its data: without them a random MobileNetV2's
features are 1e-10 and no head learns), exported to ONNX for tl,
then fine-tuned in PyTorch the way the tl script fine-tunes its import: the
body frozen (eval mode, so batchnorm uses its moving statistics, as tl runs a
frozen batchnorm), the classifier replaced by a fresh Linear(features, 10)
trained with Adam (lr 1e-3, Keras' epsilon 1e-7), batch 32, shuffled each
epoch, on an image folder read with PIL (resized to SIZE x SIZE with PIL's
bilinear filter, RGB, scaled by 1/255: what tl's images(..., size, color =
rgb) | scale 1/255 gives). The images are decoded once, before timing.

  /usr/bin/python3 bench/finetune_torch.py NAME OUT_DIR TRAIN_DIR TEST_DIR [--size 64] [--epochs 3] [--threads 2] [--seeds 1]
Prints one JSON line: seconds per epoch and the test accuracy after the last,
per head seed (the body is the same for every seed; the head's
initialisation and the shuffles follow the seed).
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch
import torchvision
from PIL import Image


def folder(root, size):
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    xs, ys = [], []
    for label, c in enumerate(classes):
        for dirpath, _, files in sorted(os.walk(os.path.join(root, c))):
            for f in sorted(files):
                if f.lower().endswith((".png", ".jpg", ".jpeg", ".bmp")):
                    img = Image.open(os.path.join(dirpath, f)).convert("RGB").resize((size, size), Image.BILINEAR)
                    xs.append(np.asarray(img, dtype=np.float32) / 255.0)
                    ys.append(label)
    x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).contiguous()
    return x, torch.tensor(ys)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name", choices=["resnet18", "mobilenet_v2"])
    p.add_argument("out")
    p.add_argument("train")
    p.add_argument("test")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seeds", type=int, default=1)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    model = getattr(torchvision.models, a.name)(num_classes=1000)
    x, y = folder(a.train, a.size)
    tx, ty = folder(a.test, a.size)
    # Batchnorm statistics from the training images (cumulative averages).
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for i in range(0, len(y), 100):
            model(x[i:i + 100])
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = 0.1  # PyTorch's default again (the file records it)
    model.eval()
    os.makedirs(a.out, exist_ok=True)
    torch.onnx.export(model, torch.randn(1, 3, a.size, a.size), os.path.join(a.out, a.name + ".onnx"), opset_version=13,
                      input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)

    for q in model.parameters():
        q.requires_grad_(False)
    features = model.fc.in_features if a.name == "resnet18" else model.classifier[1].in_features
    runs = []
    for seed in range(1, a.seeds + 1):
        # The new head, Keras' (and tl's) dense initialisation: Glorot-uniform
        # kernel, zero bias; everything else frozen and in eval mode.
        torch.manual_seed(seed)
        head = torch.nn.Linear(features, 10)
        torch.nn.init.xavier_uniform_(head.weight)
        torch.nn.init.zeros_(head.bias)
        if a.name == "resnet18":
            model.fc = head
        else:
            model.classifier = torch.nn.Sequential(head)
        model.eval()
        opt = torch.optim.Adam(head.parameters(), lr=1e-3, eps=1e-7)
        g = torch.Generator().manual_seed(seed)
        epochs = []
        for _ in range(a.epochs):
            t = time.perf_counter()
            order = torch.randperm(len(y), generator=g)
            for i in range(0, len(y), 32):
                idx = order[i:i + 32]
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
            epochs.append(time.perf_counter() - t)
        with torch.no_grad():
            correct = sum(int((model(tx[i:i + 100]).argmax(1) == ty[i:i + 100]).sum()) for i in range(0, len(ty), 100))
        runs.append({"seed": seed, "epoch_seconds": [round(e, 3) for e in epochs], "test_accuracy": correct / len(ty)})
    all_epochs = [e for r in runs for e in r["epoch_seconds"][1:] or r["epoch_seconds"]]
    print(json.dumps({"model": a.name, "size": a.size, "threads": a.threads, "train_images": len(y),
                      "test_images": len(ty), "runs": runs, "median_epoch_seconds": round(statistics.median(all_epochs), 3),
                      "test_accuracies": [r["test_accuracy"] for r in runs]}))


main()
