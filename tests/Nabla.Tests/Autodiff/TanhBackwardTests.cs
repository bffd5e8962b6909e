using Nabla.Primitives.Elementwise;

namespace Nabla.Tests.Autodiff;

/// <summary>
/// Tanh's one-pass gradient (TanhBackward, g·(1 - y²)) and its own rules: first, second and third
/// derivatives of tanh against the closed forms, forward mode over it, and float32 against float64.
/// </summary>
public class TanhBackwardTests
{
    static readonly double[] Xs = [-3, -0.7, 0, 0.2, 1.5];

    [Fact]
    public void DerivativesToThirdOrderMatchTheClosedForms()
    {
        var x = Tensor.FromArray(Xs, [5], requiresGrad: true);
        var g1 = Autograd.Grad(x.Tanh().Sum(), x, createGraph: true)!;
        var g2 = Autograd.Grad(g1.Sum(), x, createGraph: true)!;
        var g3 = Autograd.Grad(g2.Sum(), x)!;
        for (int i = 0; i < Xs.Length; i++)
        {
            double t = Math.Tanh(Xs[i]);
            Assert.Equal(1 - t * t, g1.ToArray<double>()[i], 14);
            Assert.Equal(-2 * t * (1 - t * t), g2.ToArray<double>()[i], 14);
            Assert.Equal((6 * t * t - 2) * (1 - t * t), g3.ToArray<double>()[i], 14);
        }
    }

    [Fact]
    public void BothInputsDifferentiateByFiniteDifferences()
    {
        var g = Tensor.FromArray(new double[] { 0.3, -1.2, 2.0, 0.5 }, [2, 2]);
        var y = Tensor.FromArray(new double[] { 0.1, -0.8, 0.95, 0.4 }, [2, 2]);
        Func<Tensor[], Tensor> f = t => Engine.Dispatch.Call(new TanhBackward(), t[0], t[1]);
        Assert.True(GradCheck.Check(f, [g, y]));
        Assert.True(GradCheck.CheckSecondOrder(f, [g, y]));
        // A broadcast incoming gradient (a stride-0 view) reads like the full tensor.
        var r = Engine.Dispatch.Call(new TanhBackward(), Tensor.Scalar(2.0, DType.Float64).Expand(2, 2), y);
        Assert.Equal(new[] { 2 * (1 - 0.1 * 0.1), 2 * (1 - -0.8 * -0.8), 2 * (1 - 0.95 * 0.95), 2 * (1 - 0.4 * 0.4) }, r.ToArray<double>());
    }

    [Fact]
    public void ForwardModeAndHessianVectorProduct()
    {
        var x = Tensor.FromArray(Xs, [5]);
        var v = Tensor.FromArray(new double[] { 1, -2, 0.5, 3, 1 }, [5]);
        // Hessian of sum(tanh) is diagonal: H·v = f''(x)·v.
        var hv = Autograd.Hvp(t => t.Tanh().Sum(), x, v).Result;
        // Forward mode through tanh' = tanh_backward(1, tanh(t)): its tangent rule in y, then tanh's.
        var (_, jv) = Autograd.Jvp(t => Engine.Dispatch.Call(new TanhBackward(), Tensor.OnesLike(t), t.Tanh()), x, v);
        for (int i = 0; i < Xs.Length; i++)
        {
            double t = Math.Tanh(Xs[i]), f2 = -2 * t * (1 - t * t);
            Assert.Equal(f2 * v.ToArray<double>()[i], hv.ToArray<double>()[i], 13);
            Assert.Equal(f2 * v.ToArray<double>()[i], jv.ToArray<double>()[i], 13);
        }
    }

    [Fact]
    public void Float32MatchesFloat64()
    {
        var rng = new Random(5);
        var data = Enumerable.Range(0, 1000).Select(_ => rng.NextDouble() * 8 - 4).ToArray();
        var x64 = Tensor.FromArray(data, [1000], requiresGrad: true);
        var x32 = Tensor.FromArray(data.Select(d => (float)d).ToArray(), [1000], requiresGrad: true);
        var h64 = Autograd.Grad(Autograd.Grad(x64.Tanh().Sum(), x64, createGraph: true)!.Sum(), x64)!.ToArray<double>();
        var h32 = Autograd.Grad(Autograd.Grad(x32.Tanh().Sum(), x32, createGraph: true)!.Sum(), x32)!.ToArray<float>();
        for (int i = 0; i < data.Length; i++) Assert.True(Math.Abs(h64[i] - h32[i]) < 2e-6, $"{i}: {h64[i]} vs {h32[i]}");
    }
}
