#!/usr/bin/python3
"""PyTorch peer of the seed notebook's CNN, for side-by-side comparison with tl.

The seed notebook (shared/seed/000_*.txt) trains this Keras model:

    Conv2D(10, 3x3) -> MaxPooling2D(2x2) -> Flatten -> Dense(15, relu)
    -> Dropout(0.3) -> Dense(classes, softmax)

with Adam, sparse categorical cross-entropy, batch 64, 10 epochs and a
tf.data shuffle(5000) buffer. This script reproduces it in PyTorch with Keras'
semantics wherever they differ from PyTorch's defaults:

  * images are NHWC and `flatten` follows Keras' (h, w, c) order, so dense
    kernels are interchangeable with Keras / tl (transpose of Linear.weight);
  * kernels glorot-uniform, biases zero (PyTorch defaults to kaiming/uniform);
  * Adam is Keras' update, with epsilon added to sqrt(v) *before* the bias
    correction (torch.optim.Adam adds it after; see KerasAdam);
  * the shuffle is a streaming buffer like tf.data's (not a full permutation);
  * the last partial batch is kept (60,000 / 64 -> 938 steps);
  * the reported train loss/accuracy are sample-weighted means over the epoch
    with dropout active, as Keras' fit() prints them.

Usage (from the repository root; one training process at a time):

    python3 bench/torch_seed_cnn.py --seed 1 --threads 1 --json runs/torch-1.json
    python3 bench/torch_seed_cnn.py --data data/fashion-mnist --epochs 10
    python3 bench/torch_seed_cnn.py --normalize 0.1307 0.3081   # as examples/01_mnist.tl

The data folder holds the four IDX files, raw or .gz.
"""
import argparse
import math
import gzip
import json
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

IDX_NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


# ---- data -----------------------------------------------------------------

def read_idx(path):
    """One IDX file as a uint8 numpy array (gzip-compressed if path ends in .gz)."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find_file(folder, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    sys.exit(f"error: neither {name} nor {name}.gz in {folder}")


def load_part(folder, part):
    """(images uint8 NHWC, labels int64) of one official part."""
    images_name, labels_name = IDX_NAMES[part]
    images = read_idx(find_file(folder, images_name))
    labels = read_idx(find_file(folder, labels_name)).astype(np.int64)
    if images.ndim == 3:                      # (N, H, W) -> (N, H, W, 1)
        images = images[..., None]
    return torch.from_numpy(images.copy()), torch.from_numpy(labels)


NORMALIZE = None  # (mean, std) from --normalize


def to_float(images_u8):
    """Pixel scaling (the seed's images / 255.0 as float32), NHWC; then
    (x - mean) / std with --normalize (torchvision's Normalize, as tl's
    `normalize mean M std S` stage)."""
    x = images_u8.to(torch.float32) / 255.0
    if NORMALIZE:
        x = (x - NORMALIZE[0]) / NORMALIZE[1]
    return x


def shuffle_buffer_order(n, buffer, rng):
    """Epoch order of tf.data's shuffle(buffer) over indices 0..n-1.

    1. Fill the buffer with the first `buffer` indices.
    2. Emit a uniformly chosen slot; refill it with the next index from the
       stream or, once the stream is exhausted, with the buffer's last entry
       (the buffer shrinks). buffer 0/1 = no shuffle, buffer < 0 = full
       permutation.
    """
    if buffer < 0:
        return rng.permutation(n)
    if buffer <= 1:
        return np.arange(n)
    pool = list(range(min(buffer, n)))
    nxt = len(pool)
    uniforms = rng.random(n)                  # one draw per emitted sample
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        slot = min(int(uniforms[i] * len(pool)), len(pool) - 1)
        out[i] = pool[slot]
        if nxt < n:
            pool[slot] = nxt
            nxt += 1
        else:
            pool[slot] = pool[-1]
            pool.pop()
    return out


# ---- model ----------------------------------------------------------------

class SeedCNN(nn.Module):
    """The seed's Sequential model; forward() returns logits (softmax is fused into the loss)."""

    def __init__(self, height=28, width=28, channels=1, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(channels, 10, kernel_size=3)          # valid, bias, linear
        self.pool = nn.MaxPool2d(2)
        flat = ((height - 2) // 2) * ((width - 2) // 2) * 10        # 13*13*10 = 1690
        self.hidden = nn.Linear(flat, 15)
        self.dropout = nn.Dropout(0.3)                               # inverted dropout
        self.out = nn.Linear(15, classes)
        for layer in (self.conv, self.hidden, self.out):
            # Keras glorot_uniform: limit = sqrt(6 / (fan_in + fan_out)); PyTorch
            # computes conv fans as in*kh*kw and out*kh*kw, exactly like Keras.
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x):                     # x: (B, H, W, C)
        x = x.permute(0, 3, 1, 2)             # -> (B, C, H, W) for PyTorch's conv
        x = self.pool(self.conv(x))           # (B, 10, 13, 13)
        x = x.permute(0, 2, 3, 1).flatten(1)  # back to NHWC: flatten in (h, w, c) order
        x = self.dropout(F.relu(self.hidden(x)))
        return self.out(x)                    # (B, classes) logits


class KerasAdam(torch.optim.Optimizer):
    """Adam as Keras (and tl) apply it:
    lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t);  p -= lr_t * m / (sqrt(v) + eps).
    A group's `weight_decay` is decoupled (AdamW: p *= 1 - lr * wd first), its
    `l2` joins the gradient (g + l2 p), as tl's settings of those names."""

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7):
        super().__init__(params, dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=0.0, l2=0.0))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            b1, b2 = group["beta1"], group["beta2"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["t"] += 1
                t, m, v = state["t"], state["m"], state["v"]
                g = p.grad if not group["l2"] else p.grad.add(p, alpha=group["l2"])
                if group["weight_decay"]:
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                lr_t = group["lr"] * (1 - b2 ** t) ** 0.5 / (1 - b1 ** t)
                p.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-lr_t)


class DecoupledSGD(torch.optim.SGD):
    """torch.optim.SGD (its weight_decay is tl's l2) with a decoupled decay
    (p *= 1 - lr * decoupled) before the step, as tl's weight_decay."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            if group.get("decoupled"):
                for p in group["params"]:
                    p.mul_(1 - group["lr"] * group["decoupled"])
        return super().step(closure)


def lr_factor(schedule, epoch, step, epochs, steps):
    """tl's schedule factor at update `step` (0-based) of `epoch` (1-based);
    runtime/train/lr_schedule.cpp's formulas. `schedule`: ("constant",),
    ("step", every, gamma), ("exponential", gamma) or ("cosine", warmup, min)."""
    kind = schedule[0]
    if kind == "step":
        return schedule[2] ** ((epoch - 1) // schedule[1])
    if kind == "exponential":
        return schedule[1] ** (epoch - 1)
    if kind == "cosine":
        update, warmup, total = (epoch - 1) * steps + step, schedule[1] * steps, epochs * steps
        if update < warmup:
            return (update + 1) / warmup
        progress = (update - warmup) / (total - warmup) if total > warmup else 0.0
        return schedule[2] + (1 - schedule[2]) * 0.5 * (1 + math.cos(math.pi * progress))
    return 1.0


def parse_schedule(text):
    """`constant`, `step:EVERY:GAMMA`, `exponential:GAMMA`, `cosine:WARMUP:MIN`."""
    parts = text.split(":")
    kinds = {"constant": (), "step": (int, float), "exponential": (float,), "cosine": (int, float)}
    if parts[0] not in kinds or len(parts) - 1 != len(kinds[parts[0]]):
        sys.exit(f"error: --schedule {text}: use constant, step:EVERY:GAMMA, exponential:GAMMA or cosine:WARMUP:MIN")
    return (parts[0],) + tuple(f(v) for f, v in zip(kinds[parts[0]], parts[1:]))


# ---- train / evaluate -----------------------------------------------------

def train_epoch(model, opt, images, labels, order, batch, settings=None, epoch=1):
    """One epoch over `order`; returns the sample-weighted mean loss and accuracy.
    `settings`: label_smoothing, clip_norm, schedule, epochs, lr (the options)."""
    model.train()
    loss_sum, correct = 0.0, 0
    steps = (len(order) + batch - 1) // batch
    for b, start in enumerate(range(0, len(order), batch)):
        idx = torch.from_numpy(order[start:start + batch])
        x, y = to_float(images[idx]), labels[idx]
        logits = model(x)
        smoothing = settings.label_smoothing if settings else 0.0
        loss = F.cross_entropy(logits, y, label_smoothing=smoothing)  # mean over the batch, like Keras
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if settings:
            if settings.clip_norm:
                torch.nn.utils.clip_grad_norm_(model.parameters(), settings.clip_norm)
            factor = lr_factor(settings.schedule, epoch, b, settings.epochs, steps)
            for group in opt.param_groups:
                group["lr"] = settings.lr * factor
        opt.step()
        loss_sum += loss.item() * len(idx)
        correct += (logits.argmax(1) == y).sum().item()
    return loss_sum / len(order), correct / len(order)


@torch.no_grad()
def evaluate(model, images, labels, batch=32):
    """Loss and accuracy over every sample, dropout off (Keras evaluate's batch 32)."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(labels), batch):
        x, y = to_float(images[start:start + batch]), labels[start:start + batch]
        logits = model(x)
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
    return loss_sum / len(labels), correct / len(labels)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(here, "..", "data", "mnist"), help="folder of IDX files")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--shuffle", type=int, default=5000, help="buffer size; 0 = none, -1 = full permutation")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--normalize", type=float, nargs=2, metavar=("MEAN", "STD"),
                    help="after scaling by 1/255, (x - MEAN) / STD (e.g. 0.1307 0.3081 for MNIST)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    ap.add_argument("--lr", type=float, help="learning rate (adam 0.001, sgd 0.01)")
    ap.add_argument("--momentum", type=float, default=0.0, help="sgd")
    ap.add_argument("--weight-decay", type=float, default=0.0, help="decoupled (AdamW), on kernels: tl's weight_decay")
    ap.add_argument("--l2", type=float, default=0.0, help="added to kernels' gradients: tl's l2")
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--clip-norm", type=float, default=0.0, help="clip_grad_norm_ to this global norm (0: off)")
    ap.add_argument("--schedule", default="constant", help="constant, step:EVERY:GAMMA, exponential:GAMMA, cosine:WARMUP:MIN")
    ap.add_argument("--json", help="write the measurements to this file")
    args = ap.parse_args()

    global NORMALIZE
    if args.normalize:
        if not args.normalize[1] > 0:
            sys.exit(f"error: --normalize STD must be positive, not {args.normalize[1]}")
        NORMALIZE = tuple(args.normalize)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)              # init and dropout masks
    rng = np.random.default_rng(args.seed)    # shuffle order

    train_x, train_y = load_part(args.data, "train")
    test_x, test_y = load_part(args.data, "test")
    n, h, w, c = train_x.shape
    classes = int(max(train_y.max(), test_y.max())) + 1
    model = SeedCNN(h, w, c, classes)
    args.schedule = parse_schedule(args.schedule)
    if args.lr is None:
        args.lr = 1e-3 if args.optimizer == "adam" else 0.01
    # Kernels decay, biases do not (tl's rule).
    kernels = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if not name.endswith("weight")]
    if args.optimizer == "adam":
        opt = KerasAdam([{"params": kernels, "weight_decay": args.weight_decay, "l2": args.l2}, {"params": biases}], lr=args.lr)
    else:
        opt = DecoupledSGD([{"params": kernels, "weight_decay": args.l2, "decoupled": args.weight_decay},
                            {"params": biases}], lr=args.lr, momentum=args.momentum)
    params = sum(p.numel() for p in model.parameters())
    steps = (n + args.batch - 1) // args.batch
    print(f"torch {torch.__version__}, {args.threads} thread(s), seed {args.seed}; "
          f"{n} train / {len(test_y)} test samples of {h}x{w}x{c}; {params:,} parameters")

    history = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()           # the epoch's time includes its shuffle
        order = shuffle_buffer_order(n, args.shuffle, rng)
        loss, acc = train_epoch(model, opt, train_x, train_y, order, args.batch, args, epoch)
        seconds = time.perf_counter() - start
        history.append(dict(epoch=epoch, loss=loss, accuracy=acc, seconds=seconds))
        print(f"Epoch {epoch}/{args.epochs}")
        print(f"{steps}/{steps} - {seconds:.0f}s - loss: {loss:.4f} - accuracy: {acc:.4f}", flush=True)

    test_loss, test_acc = evaluate(model, test_x, test_y)
    print(f"test - loss: {test_loss:.4f} - accuracy: {test_acc:.4f}")

    secs = [e["seconds"] for e in history]
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    summary = dict(
        framework=f"pytorch {torch.__version__}", args=vars(args), parameters=params,
        steps_per_epoch=steps, epochs=history,
        test=dict(loss=test_loss, accuracy=test_acc),
        seconds_per_epoch=dict(mean=float(np.mean(secs)), median=float(np.median(secs))),
        samples_per_second=n / float(np.median(secs)), peak_rss_mb=peak_rss_mb)
    print(f"{summary['seconds_per_epoch']['median']:.2f} s/epoch (median), "
          f"{summary['samples_per_second']:.0f} samples/s, peak RSS {peak_rss_mb:.0f} MB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
