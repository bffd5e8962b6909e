#!/usr/bin/env python3
"""Print the side-by-side table of bench/compare.sh from two files of JSON lines.

usage: compare_table.py NABLA.jsonl TORCHSHARP.jsonl

Rows are matched on name, unit and every parameter except the bookkeeping ones (reps, ms), so a row
appears with both values only when both sides ran the same workload with the same parameters. The
ratio is always Nabla / TorchSharp; whether that is good depends on the row's direction (higher is
better for GFLOP/s and GB/s, lower for times and sizes). The output is a Markdown table of the rows both
sides have, then one line naming the workloads with rows on one side only (a Nabla-only benchmark, or a
parameter that differs between the sides).

Nabla.Bench also writes the machine's anchors (bench/Nabla.Bench/AnchorBenchmarks.cs): rows with a
"peer" parameter (OpenBLAS's matmul) become a third column beside Nabla and TorchSharp, with a
Nabla/OpenBLAS ratio; fma_peak and copy_bandwidth get a table of their own, followed by Nabla's matmul as
a percentage of OpenBLAS and of fma_peak at the same thread count.
"""
import json
import sys

NOT_KEYS = {"name", "unit", "value", "higher_is_better", "reps", "ms", "peer", "peer_kernels"}
# Constant or descriptive parameters, left out of the table's parameter column to keep it readable.
NOT_SHOWN = NOT_KEYS | {"dtype", "expr", "bytes_per_element", "optimizer", "model"}
ORDER = ["matmul", "overhead", "overhead_chain", "elementwise", "second_derivative",
         "mlp_train_step", "cnn_train_step", "lstm_train_step", "memory", "startup"]
ANCHORS = ["fma_peak", "copy_bandwidth"]


def key_of(r):
    return (r["name"], r["unit"], tuple(sorted((k, str(v)) for k, v in r.items() if k not in NOT_KEYS)))


def load(path):
    """Rows of one file: {key: row} for the side itself, and {peer name: {key: row}} for peer rows."""
    rows, peers = {}, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            (peers.setdefault(r["peer"], {}) if "peer" in r else rows)[key_of(r)] = r
    return rows, peers


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b not in (None, 0) else "-"


def params_of(r):
    return " ".join(f"{k}={v}" for k, v in r.items() if k not in NOT_SHOWN)


def value(rows, key):
    return rows[key]["value"] if key in rows else None


def side_by_side(nabla, torch, blas):
    keys = [k for k in nabla if k in torch or k in blas]
    keys.sort(key=lambda k: (ORDER.index(k[0]) if k[0] in ORDER else len(ORDER), k[0]))  # stable: run order within a name
    if not keys:  # e.g. a run of the anchors alone
        return
    if blas:
        kernels = sorted({r.get("peer_kernels", "?") for r in blas.values()})
        print(f"OpenBLAS column: cblas_sgemm, kernels {', '.join(kernels)}.\n")
        print("| name | parameters | unit | Nabla | TorchSharp | OpenBLAS | Nabla/TorchSharp | Nabla/OpenBLAS | better |")
        print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    else:
        print("| name | parameters | unit | Nabla | TorchSharp | Nabla/TorchSharp | better |")
        print("| --- | --- | --- | ---: | ---: | ---: | --- |")
    for key in keys:
        r = nabla[key]
        nv, tv, bv = r["value"], value(torch, key), value(blas, key)
        better = "higher" if r["higher_is_better"] else "lower"
        cells = [r["name"], params_of(r), r["unit"], fmt(nv), fmt(tv)]
        cells += [fmt(bv), ratio(nv, tv), ratio(nv, bv)] if blas else [ratio(nv, tv)]
        print("| " + " | ".join(cells + [better]) + " |")


def anchors(nabla, blas):
    rows = [r for r in nabla.values() if r["name"] in ANCHORS]
    if not rows:
        return
    rows.sort(key=lambda r: ANCHORS.index(r["name"]))
    print("\nThe machine's anchors (Nabla.Bench alone, no Nabla code in them):\n")
    print("| name | parameters | unit | value |")
    print("| --- | --- | --- | ---: |")
    for r in rows:
        print(f"| {r['name']} | {params_of(r)} | {r['unit']} | {fmt(r['value'])} |")
    peak = {r["threads"]: r["value"] for r in rows if r["name"] == "fma_peak" and r["unit"] == "GFLOP/s"}
    products = [(k, r) for k, r in nabla.items() if r["name"] == "matmul"]
    if products:
        print("\nNabla's matmul against them (% of OpenBLAS's sgemm and of fma_peak at the same thread count):\n")
        print("| n | threads | Nabla GFLOP/s | % of OpenBLAS | % of fma_peak |")
        print("| ---: | ---: | ---: | ---: | ---: |")
        for k, r in products:
            bv, pv = value(blas, k), peak.get(r["threads"])
            pct = lambda d: f"{100 * r['value'] / d:.0f}%" if d else "-"
            print(f"| {r['n']} | {r['threads']} | {fmt(r['value'])} | {pct(bv)} | {pct(pv)} |")


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    nabla, nabla_peers = load(sys.argv[1])
    torch, _ = load(sys.argv[2])
    blas = nabla_peers.get("OpenBLAS", {})
    side_by_side(nabla, torch, blas)
    anchors(nabla, blas)

    for side, mine, other in (("Nabla", nabla, torch), ("TorchSharp", torch, nabla)):
        alone = {}
        for k in mine:
            if k not in other and k[0] not in ANCHORS and k not in blas:
                alone[k[0]] = alone.get(k[0], 0) + 1
        if alone:
            names = ", ".join(f"{name} ({count} rows)" for name, count in alone.items())
            print(f"\nOnly {side} has rows (not shown) for: {names}.")


if __name__ == "__main__":
    main()
