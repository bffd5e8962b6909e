#!/usr/bin/env python3
"""Print the side-by-side table of bench/compare.sh from two files of JSON lines.

usage: compare_table.py NABLA.jsonl TORCHSHARP.jsonl

Rows are matched on name, unit and every parameter except the bookkeeping ones (reps, ms), so a row
appears with both values only when both sides ran the same workload with the same parameters. The
ratio is always Nabla / TorchSharp; whether that is good depends on the row's direction (higher is
better for GFLOP/s and GB/s, lower for times and sizes). The output is a Markdown table of the rows both
sides have, then one line naming the workloads with rows on one side only (a Nabla-only benchmark, or a
parameter that differs between the sides).
"""
import json
import sys

NOT_KEYS = {"name", "unit", "value", "higher_is_better", "reps", "ms"}
# Constant or descriptive parameters, left out of the table's parameter column to keep it readable.
NOT_SHOWN = NOT_KEYS | {"dtype", "expr", "bytes_per_element", "optimizer", "model"}
ORDER = ["matmul", "overhead", "overhead_chain", "elementwise", "second_derivative",
         "mlp_train_step", "cnn_train_step", "memory", "startup"]


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            key = (r["name"], r["unit"], tuple(sorted((k, str(v)) for k, v in r.items() if k not in NOT_KEYS)))
            rows[key] = r
    return rows


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    nabla, torch = load(sys.argv[1]), load(sys.argv[2])
    keys = [k for k in nabla if k in torch]
    keys.sort(key=lambda k: (ORDER.index(k[0]) if k[0] in ORDER else len(ORDER), k[0]))  # stable: run order within a name

    print("| name | parameters | unit | Nabla | TorchSharp | Nabla/TorchSharp | better |")
    print("| --- | --- | --- | ---: | ---: | ---: | --- |")
    for key in keys:
        n, t = nabla.get(key), torch.get(key)
        r = n or t
        params = " ".join(f"{k}={v}" for k, v in r.items() if k not in NOT_SHOWN)
        nv = n["value"] if n else None
        tv = t["value"] if t else None
        ratio = f"{nv / tv:.2f}" if nv is not None and tv not in (None, 0) else "-"
        better = "higher" if r["higher_is_better"] else "lower"
        print(f"| {r['name']} | {params} | {r['unit']} | {fmt(nv)} | {fmt(tv)} | {ratio} | {better} |")

    for side, mine, other in (("Nabla", nabla, torch), ("TorchSharp", torch, nabla)):
        alone = {}
        for k in mine:
            if k not in other:
                alone[k[0]] = alone.get(k[0], 0) + 1
        if alone:
            names = ", ".join(f"{name} ({count} rows)" for name, count in alone.items())
            print(f"\nOnly {side} has rows (not shown) for: {names}.")


if __name__ == "__main__":
    main()
