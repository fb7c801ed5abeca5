#!/usr/bin/python3
"""Weight decay (decoupled and L2), label smoothing and clipping by global
norm, checked against PyTorch's own optimizers and losses: an MLP made in
PyTorch goes to tl through ONNX, both train it on the same batches in the same
order, and the trained weights must agree. PyTorch is the judge: AdamW,
SGD(weight_decay) (L2), CrossEntropyLoss(label_smoothing) and
clip_grad_norm_. The JIT's weights are also checked against the reference
interpreter's. Usage: optimizer_peer_test.py TLC"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype="<f4").reshape(entry["shape"])
    return out


# (tl optimizer and settings, the PyTorch optimizer for (decayed, plain) parameter groups, label smoothing, clip)
CASES = [
    ("adamw",
     "optimizer adamw(lr = 0.01, weight_decay = 0.1, epsilon = 1e-10)",
     lambda w, b: torch.optim.AdamW([{"params": w, "weight_decay": 0.1}, {"params": b, "weight_decay": 0.0}],
                                    lr=0.01, eps=1e-10),
     0.0, None),
    ("adam-l2-smoothing-clip",
     "optimizer adam(lr = 0.01, epsilon = 1e-10)  l2 0.05  clip_norm 0.5",
     lambda w, b: torch.optim.Adam([{"params": w, "weight_decay": 0.05}, {"params": b, "weight_decay": 0.0}],
                                   lr=0.01, eps=1e-10),
     0.2, 0.5),
    ("sgd-momentum-l2",
     "optimizer sgd(lr = 0.1, momentum = 0.9)  l2 0.01",
     lambda w, b: torch.optim.SGD([{"params": w, "weight_decay": 0.01}, {"params": b, "weight_decay": 0.0}],
                                  lr=0.1, momentum=0.9),
     0.0, None),
    ("sgd-weight-decay-clip",
     "optimizer sgd(lr = 0.1)  weight_decay 0.05  clip_norm 0.3",
     None,  # decoupled decay for SGD: p *= 1 - lr wd, then the step (written out below)
     0.1, 0.3),
    ("adamw-smoothing-clip",
     "optimizer adamw(lr = 0.005, weight_decay = 0.02, epsilon = 1e-10)  clip_norm 1.0",
     lambda w, b: torch.optim.AdamW([{"params": w, "weight_decay": 0.02}, {"params": b, "weight_decay": 0.0}],
                                    lr=0.005, eps=1e-10),
     0.1, 1.0),
]


def main():
    tlc = os.path.realpath(sys.argv[1])
    work = tempfile.mkdtemp()
    os.chdir(work)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 20)).astype(np.float32)
    y = (x @ rng.normal(size=(20, 3)) + rng.normal(size=(200, 3))).argmax(1).astype(np.int64)
    np.save("x.npy", x)
    np.save("y.npy", y)
    torch.manual_seed(0)
    template = torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    torch.onnx.export(template, torch.zeros(1, 20), "mlp.onnx", input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "b"}, "y": {0: "b"}}, opset_version=13)
    for name, settings, make_optimizer, smoothing, clip in CASES:
        smooth = f", label_smoothing = {smoothing}" if smoothing else ""
        script = (f'd = npy("x.npy", labels = "y.npy")\nnet = onnx("mlp.onnx")\n'
                  f"train net on d {{ {settings}  loss sparse_categorical_crossentropy(from_logits = true{smooth})"
                  f"  batch 50  epochs 4  shuffle off }}\n")
        open(f"{name}.tl", "w").write(script)
        subprocess.run([tlc, "run", f"{name}.tl", "--out", name], check=True, stdout=subprocess.DEVNULL)
        got = read_safetensors(f"{name}/net.safetensors")
        # The JIT's fused step against the reference interpreter, same settings.
        subprocess.run([tlc, "run", f"{name}.tl", "--out", f"{name}-ref", "--backend", "reference", "--threads", "1"],
                       check=True, stdout=subprocess.DEVNULL)
        ref = read_safetensors(f"{name}-ref/net.safetensors")
        for tensor, value in ref.items():
            diff = float(np.max(np.abs(got[tensor] - value)))
            assert diff <= 1e-5 * float(np.max(np.abs(value))) + 1e-7, f"{name}: {tensor}: JIT and reference differ by {diff}"
        losses = [e["loss"] for e in json.load(open(f"{name}/results.json"))["trainings"][0]["history"]]

        net = torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
        net.load_state_dict(template.state_dict())
        weights = [net[0].weight, net[2].weight]
        biases = [net[0].bias, net[2].bias]
        opt = make_optimizer(weights, biases) if make_optimizer else torch.optim.SGD(weights + biases, lr=0.1)
        loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=smoothing)
        xs, ys = torch.from_numpy(x), torch.from_numpy(y)
        peer_losses = []
        for _ in range(4):
            total = 0.0
            for b in range(0, 200, 50):
                opt.zero_grad()
                loss = loss_fn(net(xs[b:b + 50]), ys[b:b + 50])
                loss.backward()
                if clip:
                    torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
                if make_optimizer is None:  # decoupled decay with plain SGD (Keras 3's SGD(weight_decay))
                    with torch.no_grad():
                        for w in weights:
                            w.mul_(1 - 0.1 * 0.05)
                opt.step()
                total += loss.item() * 50
            peer_losses.append(total / 200)

        expect = {"n0_Gemm/kernel": net[0].weight.detach().numpy().T, "n0_Gemm/bias": net[0].bias.detach().numpy(),
                  "n2_Gemm/kernel": net[2].weight.detach().numpy().T, "n2_Gemm/bias": net[2].bias.detach().numpy()}
        worst = 0.0
        for tensor, want in expect.items():
            diff = float(np.max(np.abs(got[tensor] - want)))
            scale = float(np.max(np.abs(want)))
            worst = max(worst, diff / scale)
            assert diff <= 2e-5 * scale + 1e-6, f"{name}: {tensor} differs from PyTorch's by {diff} (scale {scale})"
        assert np.allclose(losses, peer_losses, rtol=1e-5, atol=1e-6), f"{name}: losses {losses} vs PyTorch {peer_losses}"
        print(f"{name}: weights agree with PyTorch (largest difference {worst:.2e} of the weights' scale)")
    print("optimizer peer: ok")


if __name__ == "__main__":
    main()
