#!/usr/bin/python3
"""The layer rule (docs/architecture.md): every folder includes only its own
files and those of folders below it in LAYERS, so arrows point down and no two
folders include each other. Fails on any #include "..." that points up or
sideways, naming the file, line and both layers.

Usage: layers_test.py SOURCE_DIR
"""
import os
import re
import sys

# Lowest first. A folder may include a folder listed before it.
LAYERS = [
    "dsl",               # parse, diagnose
    "compiler/ir",       # the graph IR: op and attribute tables, shapes, optimizers, Philox
    "compiler/autodiff", # reverse mode, one adjoint rule per op
    "compiler/check",    # AST -> Experiment; data through check::DataSource
    "compiler/lower",    # Experiment -> step graphs
    "compiler/codegen",  # step plans, LLVM IR, ORC JIT
    "runtime",           # runtime/tensor.hpp
    "runtime/dist",      # the processes of a data-parallel run: rank-ordered sums, failing together
    "runtime/data",      # data files, datasets, the DataSource implementation
    "runtime/exec",      # reference interpreter, JIT executor
    "runtime/io",        # safetensors, model files
    "runtime/onnx",      # ONNX import and export
    "runtime/train",     # initialisation, training loop, evaluation
    "runtime/report",    # summaries, results.json, comparisons, charts, HTML
    "runtime/run",       # the front door, the experiment runner, checkpoints
    "include/tl",        # the public API header (includes nothing of ours)
    "runtime/api",       # libtl
    "tools/tlc",         # the driver
]
SOURCES = (".cpp", ".hpp", ".def")


def layer_of(path):
    """The deepest layer folder holding `path`, or None."""
    best = None
    for layer in LAYERS:
        if path.startswith(layer + "/") and (best is None or len(layer) > len(best)):
            best = layer
    return best


def main(root):
    problems = []
    checked = 0
    for layer in LAYERS:
        base = os.path.join(root, layer)
        for dirpath, _, files in os.walk(base):
            for name in sorted(files):
                if not name.endswith(SOURCES):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                if layer_of(rel) != layer:
                    continue  # a deeper layer's file, checked under that layer
                checked += 1
                with open(os.path.join(root, rel), encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                        if not m:
                            continue
                        target = m.group(1)
                        if target.startswith("tl/"):
                            target = "include/" + target
                        to = layer_of(target)
                        if to is None or to == layer:
                            continue
                        if LAYERS.index(to) > LAYERS.index(layer):
                            problems.append(f"{rel}:{number}: {layer} includes {m.group(1)} of {to}, a layer above it")
    if checked < 100:
        problems.append(f"only {checked} source files found under {root}: wrong folder?")
    for p in problems:
        print(p)
    print(f"{checked} files checked, {len(problems)} include(s) against the layer rule")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
