using System.Numerics.Tensors;
using Nabla.Backends.Cpu;
using F = Nabla.NN.Functional;

namespace Nabla.Bench;

/// <summary>
/// float32 transcendental kernels on preallocated arrays (no allocation, one call over the whole run):
/// the float <see cref="FastMath"/> kernels beside TensorPrimitives (which widens float to double) in the
/// same run, in Gelem/s. GELU has no TensorPrimitives form: its "before" is the composite
/// 0.5·x·(1 + erf(x/√2)) through the Tensor API, and "after" is listed both as the bare kernel and
/// as the F.Gelu op (allocating its output). Inputs are uniform in [-4, 4].
/// </summary>
internal static class KernelBenchmarks
{
    public static void ElementwiseKernels(int threads, bool quick)
    {
        if (threads != 1) return;   // a per-core figure: the kernels run on the calling thread
        int[] sizes = quick ? [1_000_000] : [1_000_000, 10_000_000];
        foreach (var n in sizes)
        {
            var xt = Harness.Uniform(11, [n], -4, 4);
            var x = xt.ToArray<float>();
            var y = new float[n];
            int reps = quick ? 5 : 11;
            void Row(string op, string impl, Action body)
            {
                Harness.WarmUp(body);
                double seconds = Harness.Median(reps, body);
                Harness.Report("elementwise_kernels", "Gelem/s", n / seconds / 1e9, true,
                    ("op", op), ("impl", impl), ("n", n), ("dtype", "float32"), ("threads", 1), ("reps", reps));
            }
            Row("exp", "TensorPrimitives", () => TensorPrimitives.Exp(x, y));
            Row("exp", "FastMath", () => FastMath.Exp(x, y));
            Row("tanh", "TensorPrimitives", () => TensorPrimitives.Tanh(x, y));
            Row("tanh", "FastMath", () => FastMath.Tanh(x, y));
            Row("sigmoid", "TensorPrimitives", () => TensorPrimitives.Sigmoid(x, y));
            Row("sigmoid", "FastMath", () => FastMath.Sigmoid(x, y));
            Row("gelu", "composite_ops", () => _ = 0.5 * xt * (1.0 + F.Erf(xt * 0.70710678118654752)));
            Row("gelu", "F.Gelu_op", () => _ = F.Gelu(xt));
            Row("gelu", "FastMath", () => FastMath.Gelu(x, y));
        }
    }
}
