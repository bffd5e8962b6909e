#!/usr/bin/env python3
"""Ring all-reduce cost model from bench/distributed.sh's JSON lines.

    bash bench/distributed.sh --ranks 2 > allreduce.jsonl
    python3 bench/allreduce_model.py allreduce.jsonl [--alpha-us 25] [--gbit 25] [--max-bytes 4194304]

T(S, N) = 2(N-1)*alpha + 2(N-1)/N * S/B: a ring all-reduce sends 2(N-1) messages per rank in sequence (N-1 steps of
reduce-scatter, N-1 of all-gather), each of S/N bytes. alpha and B are fitted to the 'raw' rows (MPI_Allreduce from a
C-style loop) of one rank count by least squares on relative error (sizes up to --max-bytes only, where larger
messages leave the cache and measure the machine's memory rather than the transport), then the model is evaluated for a network whose
alpha and B are ASSUMED (--alpha-us, --gbit), for the gradient sizes of the repo's example models.
"""
import json
import sys

# float32 gradient bytes: parameter counts from the layer shapes (examples/Mnist/Models.cs Cnn; examples/CharLM/Gpt.cs
# with the default config, vocabulary 65, width 128, 4 layers, context 128, lm_head untied).
MODELS = {"mnist_cnn": 421_642 * 4, "charlm_gpt": 826_368 * 4}


def ring_time(size_bytes, ranks, alpha, bandwidth):
    return 2 * (ranks - 1) * alpha + 2 * (ranks - 1) / ranks * size_bytes / bandwidth


def fit(points, ranks):
    # T = a*x1 + b*x2 with x1 = 2(N-1), x2 = 2(N-1)/N * S; weights 1/T so every size counts alike.
    s11 = s12 = s22 = t1 = t2 = 0.0
    for size, t in points:
        w = 1.0 / (t * t)
        x1, x2 = 2 * (ranks - 1), 2 * (ranks - 1) / ranks * size
        s11 += w * x1 * x1; s12 += w * x1 * x2; s22 += w * x2 * x2
        t1 += w * x1 * t; t2 += w * x2 * t
    det = s11 * s22 - s12 * s12
    alpha = (t1 * s22 - t2 * s12) / det
    inverse_b = (s11 * t2 - s12 * t1) / det
    return alpha, 1.0 / inverse_b


def main(argv):
    args = {"--alpha-us": 25.0, "--gbit": 25.0, "--max-bytes": float("inf")}
    files = []
    i = 0
    while i < len(argv):
        if argv[i] in args:
            args[argv[i]] = float(argv[i + 1]); i += 2
        else:
            files.append(argv[i]); i += 1
    # A terminal escape (ESC[?1h ESC=) can precede the first line under mpirun: read from the first brace.
    rows = [json.loads(l[l.index("{"):]) for f in files for l in open(f) if "{" in l]
    raw = {}
    for r in rows:
        if r.get("name") == "allreduce" and r.get("mode") == "raw" and r.get("determinism") == "default":
            raw.setdefault(r["ranks"], []).append((r["bytes"], r["value"] * 1e-6))
    for ranks, points in sorted(raw.items()):
        alpha, bandwidth = fit([p for p in points if p[0] <= args["--max-bytes"]], ranks)
        print(f"local, {ranks} ranks: alpha = {alpha * 1e6:.2f} us per step, B = {bandwidth / 1e9:.2f} GB/s (fit to the sizes <= {args['--max-bytes']:.0f} B)")
        for size, t in points:
            print(f"  {size:>10} B  measured {t * 1e6:10.1f} us  model {ring_time(size, ranks, alpha, bandwidth) * 1e6:10.1f} us")
    alpha, bandwidth = args["--alpha-us"] * 1e-6, args["--gbit"] * 1e9 / 8
    print(f"network (assumed): alpha = {alpha * 1e6:.0f} us per hop, B = {bandwidth / 1e9:.3f} GB/s ({args['--gbit']:.0f} Gb/s line rate)")
    for name, size in MODELS.items():
        cells = ", ".join(f"N={n}: {ring_time(size, n, alpha, bandwidth) * 1e3:.2f} ms" for n in (2, 8, 64))
        print(f"  {name} ({size / 2**20:.2f} MiB of float32 gradients): {cells}")


if __name__ == "__main__":
    main(sys.argv[1:])
