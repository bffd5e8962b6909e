using Nabla.Optim;

namespace Nabla.Tests.Optim;

/// <summary>
/// Adam's one-pass update (vector lanes plus a scalar tail) must give bitwise the parameters of the
/// tensor expression it replaces; anomaly detection turns the one-pass update off, which gives that
/// expression to compare with.
/// </summary>
public class AdamFusedTests
{
    static Tensor[] Run(DType dtype, bool decoupled, double wd, bool maximize, bool anomaly)
    {
        const int n = 40_003;                        // chunks across cores, vectors of 8 or 16 lanes, a scalar tail
        var rng = new Random(5);
        var p = new Variable(Tensor.FromArray(Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray(), [n]).To(dtype));
        Optimizer opt = decoupled
            ? new AdamW([p], learningRate: 0.05, weightDecay: wd, maximize: maximize)
            : new Adam([p], learningRate: 0.05, weightDecay: wd, maximize: maximize);
        using var detect = anomaly ? Autograd.DetectAnomaly() : null;
        for (int step = 0; step < 7; step++)
        {
            // Gradients spanning many magnitudes (the lerp weight and sqrt see small and large values).
            var g = Enumerable.Range(0, n).Select(i => Math.Sin(i * 0.37 + step) * Math.Pow(10, i % 7 - 3)).ToArray();
            p.Grad = Tensor.FromArray(g, [n]).To(dtype);
            opt.Step();
        }
        var state = opt.StateDict().State[0];
        return [p, state["exp_avg"], state["exp_avg_sq"]];
    }

    [Theory]
    [InlineData(DType.Float32, false, 0.0, false)]
    [InlineData(DType.Float32, false, 0.01, true)]
    [InlineData(DType.Float32, true, 0.01, false)]
    [InlineData(DType.Float64, false, 0.0, false)]
    [InlineData(DType.Float64, true, 0.01, true)]
    public void OnePassUpdateIsBitwiseTheTensorExpression(DType dtype, bool decoupled, double wd, bool maximize)
    {
        var fusedRun = Run(dtype, decoupled, wd, maximize, anomaly: false);
        var plainRun = Run(dtype, decoupled, wd, maximize, anomaly: true);
        string[] names = ["parameter", "exp_avg", "exp_avg_sq"];
        for (int t = 0; t < names.Length; t++)
        {
            var fused = fusedRun[t].To(DType.Float64).ToArray<double>();
            var plain = plainRun[t].To(DType.Float64).ToArray<double>();
            for (int i = 0; i < fused.Length; i++)
                Assert.True(BitConverter.DoubleToInt64Bits(fused[i]) == BitConverter.DoubleToInt64Bits(plain[i]), $"{names[t]} element {i}: {fused[i]:R} vs {plain[i]:R}");
        }
    }
}
