#!/usr/bin/python3
"""bench/suite.sh's summary: reads the run directory it filled and prints
the training and inference tables (markdown), tl against PyTorch at its best
thread setting, with GFLOP/s and % of the measured peak.

  report.py WORK MODELS ROUNDS TL_THREADS TORCH_THREADS"""
import json
import re
import statistics
import sys


def main():
    work, models, rounds, threads, torch_threads = sys.argv[1:]
    models, rounds, threads = models.split(","), int(rounds), int(threads)
    torch_threads = torch_threads.split(",")  # T or T:B (OpenBLAS threads)
    peak = json.load(open(f"{work}/peak.json"))
    blas = json.load(open(f"{work}/blas.json"))

    def peak_of(n):  # GFLOP/s of n threads (or a T:B setting's T): the probe's 1-thread or all-thread figure
        n = int(str(n).split(":")[0])
        return peak["gflops_1_thread"] if n == 1 else peak["gflops_all_threads"] * min(n, peak["threads"]) / peak["threads"]

    def pct(gflops, n):
        return f"{100 * gflops / peak_of(n):.0f}%"

    def label(setting):  # "2:1:nchw" -> "2 thr, BLAS 1, nchw"
        t, blas, layout = (setting.split(":") + ["", ""])[:3]
        return f"{t} thr, BLAS {blas or t}, {layout or 'channels_last'}"

    def later(runs):  # epochs after each run's first (which compiles / warms up)
        return [s for run in runs for s in run[1:]] or [s for run in runs for s in run]

    train_rows, infer_rows, compile_rows = [], [], []
    for m in models:
        cost = open(f"{work}/{m}.cost").read()
        samples = int(re.search(r"^# train \S+ on \S+: (\d+) samples, batch (\d+)", cost, re.M).group(1))
        batch = int(re.search(r"^# train \S+ on \S+: \d+ samples, batch (\d+)", cost, re.M).group(1))
        epoch_flop = int(re.search(r"^train epoch +(\d+) FLOP", cost, re.M).group(1))
        eval_flop = int(re.findall(r"^eval pass +(\d+) FLOP", cost, re.M)[-1])
        tl_train, tl_infer, compiles = [], [], []
        for r in range(1, rounds + 1):
            res = json.load(open(f"{work}/tl-{m}-{r}/results.json"))
            tl_train.append([e["seconds"] for e in res["trainings"][0]["history"]])
            tl_infer.append(res["evaluations"][-1]["seconds"])
            stats = re.search(r"jit: (\d+) step graphs compiled in ([0-9.]+) s", open(f"{work}/tl-{m}-{r}.err").read())
            if stats:
                compiles.append((int(stats.group(1)), float(stats.group(2))))
        tl_epoch = statistics.median(later(tl_train))
        tl_inf = statistics.median(tl_infer)
        torch = {}
        for t in torch_threads:
            runs = [json.load(open(f"{work}/torch{t}-{m}-{r}.json")) for r in range(1, rounds + 1)]
            torch[t] = (statistics.median(later([j["epochs"] for j in runs])),
                        statistics.median(j["inference_seconds"] for j in runs))
        bt = min(torch, key=lambda t: torch[t][0])
        bi = min(torch, key=lambda t: torch[t][1])
        g_tl, g_pt = epoch_flop / tl_epoch * 1e-9, epoch_flop / torch[bt][0] * 1e-9
        train_rows.append(f"| {m} | {samples} × batch {batch} | {tl_epoch:.3f} | {g_tl:.0f} | {pct(g_tl, threads)} | "
                          f"{torch[bt][0]:.3f} ({label(bt)}) | {g_pt:.0f} | {pct(g_pt, bt)} | **{torch[bt][0] / tl_epoch:.2f}×** |")
        g_tl, g_pt = eval_flop / tl_inf * 1e-9, eval_flop / torch[bi][1] * 1e-9
        infer_rows.append(f"| {m} | {samples} × batch 256 | {tl_inf:.3f} | {g_tl:.0f} | {pct(g_tl, threads)} | "
                          f"{torch[bi][1]:.3f} ({label(bi)}) | {g_pt:.0f} | {pct(g_pt, bi)} | **{torch[bi][1] / tl_inf:.2f}×** |")
        if compiles:
            graphs, seconds = max(c[0] for c in compiles), statistics.median(c[1] for c in compiles)
            compile_rows.append(f"| {m} | {graphs} | {seconds:.2f} |")
        spread = " | ".join(" ".join(f"{s:.2f}" for s in run) for run in tl_train)
        print(f"# {m}: tl epochs {spread}; PyTorch " + "; ".join(f"{label(t)} {torch[t][0]:.2f}" for t in torch_threads),
              file=sys.stderr)

    print(f"Training, tl on {threads} thread{'s' if threads != 1 else ''} against PyTorch at its best thread setting "
          f"(s/epoch: median of the epochs after the first, {rounds} round{'s' if rounds != 1 else ''}):\n")
    print("| model | samples | tl s/epoch | tl GFLOP/s | tl % peak | PyTorch s/epoch | PyTorch GFLOP/s | PyTorch % peak | tl speed-up |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(train_rows))
    print("\nInference (second pass over the same samples, batch 256):\n")
    print("| model | samples | tl s | tl GFLOP/s | tl % peak | PyTorch s | PyTorch GFLOP/s | PyTorch % peak | tl speed-up |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(infer_rows))
    if compile_rows:
        print("\ntl's JIT (median over rounds):\n\n| model | step graphs | compile s |\n|---|---:|---:|")
        print("\n".join(compile_rows))
    print(f"\nPeak measured by bench/fma_probe ({peak['isa']}): {peak['gflops_1_thread']:.0f} GFLOP/s on 1 thread, "
          f"{peak['gflops_all_threads']:.0f} on {peak['threads']}.")
    print(f"PyTorch's BLAS: {', '.join(blas['libraries']) or 'none loaded'} (sgemm 512: {blas['sgemm_512_gflops']} GFLOP/s "
          f"on {blas['threads']} thread, OpenBLAS held to one).")
    print(f"Load average before: {open(f'{work}/load-before.txt').read().strip().split('load average: ')[-1]}; "
          f"after: {open(f'{work}/load-after.txt').read().strip().split('load average: ')[-1]}.")


if __name__ == "__main__":
    main()
