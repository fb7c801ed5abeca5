#!/usr/bin/python3
"""tl's schedules, weight decay, label smoothing and clipping against the same
settings in PyTorch (bench/torch_seed_cnn.py), on the seed CNN and MNIST:
each configuration trains over several seeds in both, and the test
accuracies must agree within seed noise (the difference of the means within
two standard errors, sqrt(sd_tl^2 / n + sd_torch^2 / n)). The peers share the
architecture, initialisation law, Keras' Adam, batches of 64, a 5000-sample
shuffle buffer and the settings' formulas; they do not share random streams,
so single runs differ and only the distributions can be compared.

Usage: bench/training_options.py TLC [--seeds 5] [--epochs 3] [--threads 2] [--json OUT]"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# name, tl settings, torch_seed_cnn.py options
CONFIGS = [
    ("adam (reference)", "optimizer adam", []),
    ("adamw 0.05 + cosine(warmup 1)", "optimizer adamw(weight_decay = 0.05)  schedule cosine(warmup = 1)",
     ["--weight-decay", "0.05", "--schedule", "cosine:1:0"]),
    ("sgd 0.05 m0.9 + l2 5e-4 + step(1, 0.5)",
     "optimizer sgd(lr = 0.05, momentum = 0.9)  l2 0.0005  schedule step(every = 1, gamma = 0.5)",
     ["--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9", "--l2", "0.0005", "--schedule", "step:1:0.5"]),
    ("adam + smoothing 0.1 + clip 1 + exponential(0.7)",
     "loss sparse_categorical_crossentropy(label_smoothing = 0.1)  clip_norm 1.0  schedule exponential(gamma = 0.7)",
     ["--label-smoothing", "0.1", "--clip-norm", "1.0", "--schedule", "exponential:0.7"]),
]

SCRIPT = """seed {seed}
mnist = idx("mnist")
model seed_cnn(classes) {{
  input(28, 28, 1)
  conv2d(10, 3x3)
  maxpool2d(2)
  flatten()
  dense(15, relu)
  dropout(0.3)
  dense(classes, softmax)
}}
net = seed_cnn(10)
train net on mnist.train | scale 1/255 {{ {settings}  batch 64  epochs {epochs}  shuffle 5000 }}
evaluate net on mnist.test | scale 1/255
"""


def mean_sd(xs):
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tlc")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()
    tlc = os.path.realpath(args.tlc)
    data = os.path.join(HERE, "..", "data")
    if not os.path.exists(os.path.join(data, "mnist")):
        sys.exit(f"error: no MNIST in {data}/mnist (run scripts/get-data.sh)")
    work = tempfile.mkdtemp(prefix="tl-options-")
    rows = []
    print(f"{args.seeds} seeds x {args.epochs} epochs per configuration; load {os.getloadavg()[0]:.2f}")
    for name, settings, torch_options in CONFIGS:
        tl_acc, torch_acc, tl_sec, torch_sec = [], [], [], []
        for seed in range(1, args.seeds + 1):
            # interleaved: tl, then PyTorch, for each seed
            script = os.path.join(work, "run.tl")
            with open(script, "w") as f:
                f.write(SCRIPT.format(seed=seed, settings=settings, epochs=args.epochs))
            out = os.path.join(work, f"tl-{seed}")
            subprocess.run([tlc, "run", script, "--out", out, "--threads", str(args.threads)], check=True,
                           stdout=subprocess.DEVNULL, env=dict(os.environ, TL_DATA_PATH=os.path.realpath(data)))
            res = json.load(open(os.path.join(out, "results.json")))
            tl_acc.append(res["evaluations"][0]["accuracy"])
            tl_sec.append(statistics.median(e["seconds"] for e in res["trainings"][0]["history"]))
            peer = os.path.join(work, f"torch-{seed}.json")
            subprocess.run(["/usr/bin/python3", os.path.join(HERE, "torch_seed_cnn.py"), "--data", os.path.join(data, "mnist"),
                            "--epochs", str(args.epochs), "--seed", str(seed), "--threads", str(args.threads),
                            "--json", peer] + torch_options, check=True, stdout=subprocess.DEVNULL)
            p = json.load(open(peer))
            torch_acc.append(p["test"]["accuracy"])
            torch_sec.append(p["seconds_per_epoch"]["median"])
        (mt, st), (mp, sp) = mean_sd(tl_acc), mean_sd(torch_acc)
        se2 = 2 * ((st ** 2 + sp ** 2) / args.seeds) ** 0.5
        agree = abs(mt - mp) <= se2
        rows.append(dict(config=name, tl=tl_acc, torch=torch_acc, tl_seconds=tl_sec, torch_seconds=torch_sec,
                         difference=mt - mp, two_se=se2, agree=agree))
        print(f"{name:50s} tl {100 * mt:6.2f} ± {100 * st:4.2f}   torch {100 * mp:6.2f} ± {100 * sp:4.2f}   "
              f"diff {100 * (mt - mp):+5.2f} (2 SE {100 * se2:4.2f}) {'agree' if agree else 'DIFFER'}   "
              f"s/epoch tl {statistics.median(tl_sec):.2f} torch {statistics.median(torch_sec):.2f}", flush=True)
    print(f"load {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(seeds=args.seeds, epochs=args.epochs, threads=args.threads, rows=rows), f, indent=2)
    sys.exit(0 if all(r["agree"] for r in rows) else 1)


if __name__ == "__main__":
    main()
