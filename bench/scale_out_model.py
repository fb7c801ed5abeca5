#!/usr/bin/env python3
"""The speed-up model of docs/scale-out.md ("When scaling out pays").

With N machines at a fixed global batch, a data-parallel step takes

    T(N) = T1 / N + c * L + h * P + 2 (N - 1) / N * 8 P / B

T1: one machine's step; L: a collective's latency (c collectives a step);
h: host-side work per parameter (measured by bench/scale_out.sh); P:
parameters; B: link bytes per second. The last term is tl's rank-ordered sum:
each machine sends the others their shares of its gradients (8-byte doubles)
and receives the summed shares back, 2 (N - 1) / N of the gradients each way.
Prints the markdown table of speed-ups T1 / T(N).

    bench/scale_out_model.py [--h-ns 10] [--latency-us 30] [--collectives 4]
"""
import argparse

MODELS = [  # name, parameters, T1 in seconds: one thread's step (bench/scale_out.sh; docs/performance.md for ResNet-18)
    ("seed CNN (64)", 25_625, 0.45e-3),
    ("mnist_cnn (128)", 1_199_882, 79e-3),
    ("ResNet-18 (32, 224×224)", 11_689_512, 3.5),
]
LINKS_GBIT = [10, 25, 100]
MACHINES = [2, 8, 32]


def step_seconds(n, params, t1, h, latency, collectives, link_bytes):
    exchange = 2 * (n - 1) / n * 8 * params / link_bytes
    return t1 / n + collectives * latency + h * params + exchange


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--h-ns", type=float, default=10.0, help="host work per parameter, ns")
    p.add_argument("--latency-us", type=float, default=30.0, help="one collective's latency, us")
    p.add_argument("--collectives", type=int, default=4, help="collectives per step")
    a = p.parse_args()
    print("| model (global batch) | parameters | T₁ | " + " | ".join(f"N = {n}" for n in MACHINES) + " |")
    print("|---|---:|---:|" + "---|" * len(MACHINES))
    for name, params, t1 in MODELS:
        cells = []
        for n in MACHINES:
            ups = [t1 / step_seconds(n, params, t1, a.h_ns * 1e-9, a.latency_us * 1e-6, a.collectives, g * 1e9 / 8)
                   for g in LINKS_GBIT]
            cells.append(" / ".join(f"{u:.1f}×" for u in ups))
        t1_text = f"{t1 * 1e3:.2f} ms" if t1 < 0.01 else (f"{t1 * 1e3:.0f} ms" if t1 < 1 else f"{t1:.1f} s")
        print(f"| {name} | {params:,} | {t1_text} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
