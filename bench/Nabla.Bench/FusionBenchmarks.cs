using Nabla.Backends.Cpu.Kernels.Codegen;

namespace Nabla.Bench;

/// <summary>
/// Elementwise fusion (the graph pass <c>GraphPasses.Fusion</c>): a chain of elementwise ops on 1M float32 elements
/// called eagerly (one pass over memory per op) and through <see cref="Graph.Compile"/> (fused ops), per call, no
/// grad, with the fused kernels forced to the tile interpreter and to generated code in turn (same process, the modes
/// alternated rep by rep). GB/s counts each tensor input and output once (the broadcast scalars are single elements),
/// so it reads directly against <c>copy_bandwidth</c>, which counts the same.
/// </summary>
internal static partial class FusionBenchmarks
{
    const float Lr = 1e-3f, Beta1 = 0.9f, Beta2 = 0.999f, Eps = 1e-8f;

    // Adam's update at step 10 with the bias corrections as constants, as an optimizer writes it with tensor ops.
    static Tensor[] Adam(Tensor[] a)
    {
        var (p, g, m, v) = (a[0], a[1], a[2], a[3]);
        var m1 = Beta1 * m + (1 - Beta1) * g;
        var v1 = Beta2 * v + (1 - Beta2) * (g * g);
        var mHat = m1 / (1 - MathF.Pow(Beta1, 10));
        var vHat = v1 / (1 - MathF.Pow(Beta2, 10));
        return [p - Lr * mHat / (vHat.Sqrt() + Eps), m1, v1];
    }

    // Adam's update written into its state (p, m, v are the first, third and fourth inputs), as a hand-written optimizer
    // step ends: the fused op's outputs are computed straight into p, m, v (ReplayBuffers.WriteTargetsOf).
    static Tensor[] AdamInPlace(Tensor[] a)
    {
        var updated = Adam(a);
        a[2].CopyFrom(updated[1]);
        a[3].CopyFrom(updated[2]);
        a[0].CopyFrom(updated[0]);
        return [a[0]];
    }

    // SGD with momentum 0.9 and lr 0.01 written with tensor ops into its state (p, g, buf): buf = 0.9·buf + g, p -= lr·buf.
    static Tensor[] SgdMomentumInPlace(Tensor[] a)
    {
        var (p, g, buf) = (a[0], a[1], a[2]);
        var b1 = 0.9f * buf + g;
        var p1 = p - 0.01f * b1;
        buf.CopyFrom(b1);
        p.CopyFrom(p1);
        return [p];
    }

    // Name, the chain on its inputs, how many inputs, the tensors moved per element (inputs read + outputs written).
    static readonly (string Name, Func<Tensor[], Tensor[]> Chain, int Inputs, int Tensors)[] Chains =
    [
        ("gelu_primitives", a => [0.5 * a[0] * (1.0 + (Math.Sqrt(2 / Math.PI) * (a[0] + 0.044715 * a[0].Pow(3))).Tanh())], 1, 2),
        ("exp_x_times_x_plus_1", a => [a[0].Exp() * a[0] + 1.0], 1, 2),
        // p, g, m, v read; p', m', v' written: one fused op with three outputs (ElementwiseFusion merges the m' and v'
        // groups into p's), 7 tensor passes.
        ("adam_tensor_ops", Adam, 4, 7),
        // The same written into p, m, v: 7 passes, no new tensors.
        ("adam_tensor_ops_in_place", AdamInPlace, 4, 7),
        // p, g, buf read; p, buf written.
        ("sgd_momentum_tensor_ops_in_place", SgdMomentumInPlace, 3, 5),
    ];

    public static void CompiledElementwise(int threads, bool quick)
    {
        const int n = 1 << 20;
        int reps = quick ? 9 : 21;
        const int inner = 10;
        using var noGrad = Autograd.NoGrad();
        var saved = FusedKernelMode.Kind;
        try
        {
            foreach (var (name, chain, count, tensors) in Chains)
            {
                var x = Enumerable.Range(0, count).Select(i => Harness.Uniform(7 + i, [n], i == 3 ? 0 : -3, 3)).ToArray();   // Adam's v >= 0
                var compiled = Graph.Compile(chain);
                compiled.Call(x);   // the trace, outside the timing
                if (!compiled.GraphFor(x).Contains("fused_elementwise"))
                    throw new InvalidOperationException($"compiled_elementwise: {name} was not fused:\n{compiled.GraphFor(x)}");
                Tensor[] In(FusedKernelKind kind)
                {
                    FusedKernelMode.Kind = kind;
                    return x;
                }
                Harness.WarmUp(() => { chain(x); compiled.Call(In(FusedKernelKind.Interpreter)); compiled.Call(In(FusedKernelKind.Codegen)); },
                    minSeconds: quick ? 0.5 : 2);
                double eager = Harness.Median(reps, () => { for (int k = 0; k < inner; k++) chain(x); }) / inner;
                double interpreter = Harness.Median(reps, () => { var a = In(FusedKernelKind.Interpreter); for (int k = 0; k < inner; k++) compiled.Call(a); }) / inner;
                double codegen = Harness.Median(reps, () => { var a = In(FusedKernelKind.Codegen); for (int k = 0; k < inner; k++) compiled.Call(a); }) / inner;
                double BytesPerCall(FusedKernelKind kind)
                {
                    var a = In(kind);
                    compiled.Call(a);
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int k = 0; k < inner; k++) compiled.Call(a);
                    return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)inner;
                }
                void Report(string mode, string unit, double value, bool higherIsBetter) =>
                    Harness.Report("compiled_elementwise", unit, value, higherIsBetter,
                        ("chain", name), ("mode", mode), ("elements", n), ("dtype", "float32"), ("threads", threads), ("reps", reps));
                double bytes = 4.0 * tensors * n;
                Report("eager", "ms/call", eager * 1e3, false);
                Report("compiled_interpreter", "ms/call", interpreter * 1e3, false);
                Report("compiled_codegen", "ms/call", codegen * 1e3, false);
                Report("eager", "GB/s", bytes / eager / 1e9, true);
                Report("compiled_interpreter", "GB/s", bytes / interpreter / 1e9, true);
                Report("compiled_codegen", "GB/s", bytes / codegen / 1e9, true);
                Report("speedup_interpreter", "eager/compiled", eager / interpreter, true);
                Report("speedup_codegen", "eager/compiled", eager / codegen, true);
                Report("alloc_interpreter", "bytes/call", BytesPerCall(FusedKernelKind.Interpreter), false);
                Report("alloc_codegen", "bytes/call", BytesPerCall(FusedKernelKind.Codegen), false);
            }
        }
        finally
        {
            FusedKernelMode.Kind = saved;
        }
    }
}
