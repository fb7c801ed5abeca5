#!/usr/bin/python3
"""tl's CSV tables against Python's csv module (an independent parser): for
every table below, csv_dump must give the rows, features and labels that
csv.reader and float() give; and every malformed table must be refused with
the file and line, within 1 GiB of address space and 20 seconds (a 1 GiB
line included). Usage: csv_test.py CSV_DUMP"""
import csv
import io
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from hostile import run_limited  # noqa: E402

dump = sys.argv[1]
failures = checks = 0


def run(*args):
    return run_limited([dump, *args], timeout=20)


def reference(text, label, delimiter):
    """Rows, features and labels as Python reads the same text."""
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter) if r]
    header, body = rows[0], rows[1:]
    li = header.index(label) if label else -1
    feats = [[np.float32(float(v)) for i, v in enumerate(r) if i != li] for r in body]
    raw = [r[li] for r in body] if label else []
    if label and all(v.isdigit() and len(v) <= 3 and int(v) <= 255 for v in raw):
        return feats, [int(v) for v in raw], []
    names = sorted(set(raw))
    return feats, [names.index(v) for v in raw] if label else [-1] * len(body), names


tables = {
    "plain.csv": ("a,b,c,species\n1,2,3,cat\n4,5,6,dog\n7.5,-8e-3,9,cat\n", "species", ","),
    "crlf_bom.csv": ("\ufeffx,y,label\r\n0.25,1,2\r\n3,4,0\r\n5,6,1\r\n", "label", ","),
    "quoted.csv": ('"first, value",second,"kind"\n" 1.5 ",2,"a ""quoted"" name"\n3,4,plain\n', "kind", ","),
    "semicolon.csv": ("p;q;r\n1,5;2;x\n3;4;y\n".replace("1,5", "1.5"), "r", ";"),
    "tabs.tsv": ("u\tv\tw\n1\t2\t3\n4\t5\t6\n", "w", "\t"),
    "unlabelled.csv": ("f1,f2\n1,2\n3,4\n", "", ","),
    "no_final_newline.csv": ("a,b,y\n1,2,0\n3,4,1", "y", ","),
    "blank_lines.csv": ("a,b,y\n\n1,2,0\n\n3,4,1\n", "y", ","),
}
with tempfile.TemporaryDirectory() as tmp:
    for name, (text, label, delimiter) in tables.items():
        path = os.path.join(tmp, name)
        with open(path, "w", newline="", encoding="utf-8") as f:
            f.write(text)
        args = [path] + ([label] if label or delimiter != "," else []) + ([] if delimiter == "," else ["tab" if delimiter == "\t" else delimiter])
        if not label and delimiter != ",":
            args = [path, "", delimiter]
        r = run(*args)
        checks += 1
        if r.returncode != 0:
            print(f"FAIL {name}: {r.stderr.strip()}")
            failures += 1
            continue
        lines = r.stdout.splitlines()
        head = lines[0].split(" ")
        got_labels = [int(l.split()[0]) for l in lines[1:]]
        got = [[np.float32(float(v)) for v in l.split()[1:]] for l in lines[1:]]
        feats, labels, names = reference(text, label, delimiter)
        listed = lines[0].split(" classes ", 1)[1] if " classes " in lines[0] else ""
        got_names = listed.split("|") if listed else []
        if got != feats or got_labels != labels or got_names != names:
            print(f"FAIL {name}: tl {got} {got_labels} {got_names}, python {feats} {labels} {names}")
            failures += 1

    bad = {
        "unclosed_quote.csv": ('a,b,y\n1,"2,0\n3,4,1\n', "y", "malformed CSV"),
        "short_row.csv": ("a,b,y\n1,2,0\n3,1\n", "y", ":3: error: this row has 2 fields, the header has 3"),
        "not_a_number.csv": ("a,b,y\n1,2,0\n3,abc,1\n", "y", ":3: error: column 2 ('b') holds 'abc', which is not a finite number"),
        "empty_value.csv": ("a,b,y\n1,,0\n", "y", ":2: error: column 2 ('b') holds ''"),
        "nan.csv": ("a,b,y\n1,nan,0\n", "y", "not a finite number"),
        "no_label_column.csv": ("a,b,y\n1,2,0\n", "species", ":1: error: the header has no column 'species' (its columns: a, b, y)"),
        "header_only.csv": ("a,b,y\n", "y", "a header but no rows"),
        "empty.csv": ("", "y", "the file is empty"),
        "many_classes.csv": ("a,y\n" + "".join(f"{i},c{i}\n" for i in range(300)), "y", "300 different values"),
        "label_300.csv": ("a,y\n1,300\n", "y", "300"),
    }
    for name, (text, label, expected) in bad.items():
        path = os.path.join(tmp, name)
        with open(path, "w", newline="") as f:
            f.write(text)
        r = run(path, label)
        checks += 1
        ok = r.returncode == 1 and expected in r.stderr and name in r.stderr
        if name == "label_300.csv":  # an integer past 255 is a class name, not a label number
            ok = r.returncode == 0 and "classes 300" in r.stdout
        if not ok:
            print(f"FAIL refusing {name}: exit {r.returncode}, {r.stderr.strip()!r} {r.stdout[:60]!r}, expected {expected!r}")
            failures += 1
    # A 1 GiB line: refused once it passes 1 MiB, without reading it whole.
    # Its first 2 MiB are digits; the rest is a hole (a sparse file: no disk).
    path = os.path.join(tmp, "long_line.csv")
    with open(path, "w") as f:
        f.write("a,b,y\n1,")
        f.write("9" * (2 << 20))
        f.seek(1 << 30)
        f.write(",0\n")
    r = run(path, "y")
    checks += 1
    if r.returncode != 1 or "long_line.csv:2: error: the line is longer than 1024 KiB" not in r.stderr:
        print(f"FAIL long line: {r.returncode} {r.stderr!r}")
        failures += 1
print(f"{checks} CSV checks against Python's csv module, {failures} failed")
sys.exit(1 if failures else 0)
