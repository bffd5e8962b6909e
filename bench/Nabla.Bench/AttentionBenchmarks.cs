using System.Globalization;
using Bench.Shared;
using Nabla.Backends.Cpu;
using F = Nabla.NN.Functional;

namespace Nabla.Bench;

/// <summary>
/// Scaled dot-product attention, the fused kernel against the composite (MatMul, Softmax, MatMul), forward + backward:
/// <c>attention_step</c> times one step (causal, float32) at the CharLM's shapes and at longer sequences, and
/// <c>attention_memory</c> measures the peak RSS of a child process per sequence length and path (batch 1, 4 heads, head
/// dim 64, L = S): the fused path grows linearly with the length, the composite quadratically (its [L, S] scores).
/// </summary>
internal static class AttentionBenchmarks
{
    static Tensor Step(Tensor q, Tensor k, Tensor v, bool fused)
    {
        using var path = F.UseAttentionPath(fused ? F.AttentionPath.Fused : F.AttentionPath.Composite);
        var y = F.ScaledDotProductAttention(q, k, v, isCausal: true);
        var grads = Autograd.Grad([y.Sum()], [q, k, v]);
        return grads[0]!;
    }

    /// <summary>Milliseconds per forward + backward, fused and composite, at [batch, heads, T, headDim].</summary>
    public static void AttentionStep(int threads, bool quick)
    {
        (int B, int H, int T, int D)[] shapes = quick
            ? [(32, 4, 64, 32), (32, 4, 128, 32), (1, 4, 512, 64)]
            : [(64, 4, 32, 32), (32, 4, 64, 32), (32, 4, 128, 32), (64, 4, 128, 32), (32, 4, 256, 32), (64, 4, 256, 32), (1, 4, 512, 64), (1, 4, 1024, 64)];
        foreach (var (b, h, t, d) in shapes)
        {
            var q = Harness.Uniform(1, [b, h, t, d], requiresGrad: true);
            var k = Harness.Uniform(2, [b, h, t, d], requiresGrad: true);
            var v = Harness.Uniform(3, [b, h, t, d], requiresGrad: true);
            foreach (bool fused in new[] { false, true })
            {
                Harness.WarmUp(() => Step(q, k, v, fused), minRuns: 2, minSeconds: quick ? 0.2 : 0.5);
                double ms = Harness.Median(quick ? 3 : 7, () => Step(q, k, v, fused)) * 1e3;
                // CPU time per step too: on a loaded machine it moves less than the wall clock (one thread: the same work).
                var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                int reps = quick ? 3 : 7;
                for (int r = 0; r < reps; r++) Step(q, k, v, fused);
                double cpuMs = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / reps;
                Harness.Report("attention_step", "ms", ms, false, ("path", fused ? "fused" : "composite"),
                    ("batch", b), ("heads", h), ("T", t), ("head_dim", d), ("threads", threads), ("cpu_ms", Math.Round(cpuMs, 2)));
            }
        }
    }

    /// <summary>Milliseconds of the fused forward alone and of its backward kernel alone (no autograd), at the CharLM's shape.</summary>
    public static void AttentionKernels(int threads, bool quick)
    {
        foreach (var (b, t, d) in new[] { (128, 64, 32), (128, 256, 32), (4, 1024, 64) })
        {
            var q = Harness.Uniform(1, [b, t, d]);
            var k = Harness.Uniform(2, [b, t, d]);
            var v = Harness.Uniform(3, [b, t, d]);
            var op = new Primitives.Linalg.FusedAttention(1 / Math.Sqrt(d), true);
            var outs = Engine.Dispatch.CallMany(op, q, k, v);
            Action forward = () => Engine.Dispatch.CallMany(new Primitives.Linalg.FusedAttention(1 / Math.Sqrt(d), true), q, k, v);
            Action backward = () => Engine.Dispatch.Call(new Primitives.Linalg.FusedAttentionGrad(1 / Math.Sqrt(d), true), q, k, v, outs[0], outs[1], v);
            Action composite = () => Nabla.Primitives.Linalg.FusedAttention.Probabilities(q, k, 1 / Math.Sqrt(d), true).MatMul(v);
            foreach (var (name, body) in new[] { ("forward", forward), ("backward", backward), ("composite_forward", composite) })
            {
                Harness.WarmUp(body, minRuns: 2, minSeconds: 0.2);
                Harness.Report("attention_kernels", "ms", Harness.Median(5, body) * 1e3, false, ("part", name), ("batch", b), ("T", t), ("head_dim", d), ("threads", threads));
            }
        }
    }

    /// <summary>Peak RSS per length and path, each in its own child process (so no run sees another's heap).</summary>
    public static void AttentionMemory(int threads, bool quick)
    {
        if (threads != 1) return;
        int[] lengths = quick ? [256, 1024] : [256, 512, 1024, 2048];
        foreach (int l in lengths)
            foreach (var path in new[] { "composite", "fused" })
                Console.Write(BenchCore.Launch(typeof(AttentionBenchmarks).Assembly, "--attention-memory-child", path, l.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>The child of <see cref="AttentionMemory"/>: three forward + backward steps, then VmHWM; null unless asked.</summary>
    public static int? RunChild(string[] args)
    {
        if (args.Length < 3 || args[0] != "--attention-memory-child") return null;
        CpuParallel.Threads = 1;
        int l = int.Parse(args[2], CultureInfo.InvariantCulture);
        bool fused = args[1] == "fused";
        var q = Harness.Uniform(1, [1, 4, l, 64], requiresGrad: true);
        var k = Harness.Uniform(2, [1, 4, l, 64], requiresGrad: true);
        var v = Harness.Uniform(3, [1, 4, l, 64], requiresGrad: true);
        Step(Harness.Uniform(4, [1, 4, 8, 64], requiresGrad: true), Harness.Uniform(5, [1, 4, 8, 64], requiresGrad: true),
            Harness.Uniform(6, [1, 4, 8, 64], requiresGrad: true), fused);   // the code loaded and jitted before the baseline
        double baseMiB = BenchCore.ProcStatusKiB("VmHWM") / 1024.0;
        for (int s = 0; s < 3; s++) Step(q, k, v, fused);
        double peakMiB = BenchCore.ProcStatusKiB("VmHWM") / 1024.0;
        Harness.Report("attention_memory", "MiB", peakMiB, false, ("path", args[1]), ("L", l), ("S", l), ("batch", 1), ("heads", 4),
            ("head_dim", 64), ("base_MiB", Math.Round(baseMiB, 1)), ("above_base_MiB", Math.Round(peakMiB - baseMiB, 1)));
        return 0;
    }
}
