using Nabla.Backends.Cpu;

namespace Nabla.Tests.Ops;

/// <summary>Runs alone: it reseeds the global generator and changes the thread count.</summary>
[CollectionDefinition("GlobalRandomState", DisableParallelization = true)]
public class GlobalRandomStateCollection { }

// Bounds are 5 standard errors of the statistic for n = 100 000 (a false failure about once in 3.5 million runs,
// and the seeds are fixed, so the outcome is deterministic anyway).
[Collection("GlobalRandomState")]
public class RandomTests
{
    const int N = 100_000;

    static double[] Values(Tensor t) => Nabla.Backends.Reference.RefArray.From(t).Data;

    static (double Mean, double Var) Moments(double[] v)
    {
        double mean = v.Average();
        return (mean, v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void UniformMomentsAndRange(DType dtype)
    {
        var v = Values(Tensor.Rand([N], dtype, seed: 1234));
        Assert.All(v, x => Assert.True(x >= 0 && x < 1));
        var (mean, variance) = Moments(v);
        Assert.InRange(mean, 0.5 - 5 * Math.Sqrt(1.0 / 12 / N), 0.5 + 5 * Math.Sqrt(1.0 / 12 / N));
        double sdVar = Math.Sqrt((1.0 / 80 - 1.0 / 144) / N);             // (μ4 - σ⁴)/n for U(0,1)
        Assert.InRange(variance, 1.0 / 12 - 5 * sdVar, 1.0 / 12 + 5 * sdVar);
        double lag = 0;
        for (int i = 0; i + 1 < N; i++) lag += (v[i] - mean) * (v[i + 1] - mean);
        Assert.InRange(lag / (N - 1) / variance, -5 / Math.Sqrt(N), 5 / Math.Sqrt(N));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void NormalMoments(DType dtype)
    {
        var v = Values(Tensor.Randn([N], dtype, seed: 99));
        Assert.All(v, x => Assert.True(double.IsFinite(x)));
        var (mean, variance) = Moments(v);
        Assert.InRange(mean, -5 / Math.Sqrt(N), 5 / Math.Sqrt(N));
        Assert.InRange(variance, 1 - 5 * Math.Sqrt(2.0 / N), 1 + 5 * Math.Sqrt(2.0 / N));
        double within = v.Count(x => Math.Abs(x) < 1) / (double)N;         // P(|z| < 1) = 0.682689
        double sdP = Math.Sqrt(0.682689 * 0.317311 / N);
        Assert.InRange(within, 0.682689 - 5 * sdP, 0.682689 + 5 * sdP);
        // Even and odd elements come from cos and sin of the same pair: they must still be uncorrelated.
        double cross = 0;
        for (int i = 0; i + 1 < N; i += 2) cross += v[i] * v[i + 1];
        Assert.InRange(cross / (N / 2), -5 / Math.Sqrt(N / 2), 5 / Math.Sqrt(N / 2));
    }

    [Fact]
    public void SameSeedSameNumbersOtherSeedOthers()
    {
        Assert.Equal(Tensor.Rand([50], seed: 7).ToArray<float>(), Tensor.Rand([50], seed: 7).ToArray<float>());
        Assert.Equal(Tensor.Randn([5, 10], DType.Float64, seed: 7).ToArray<double>(), Tensor.Randn([5, 10], DType.Float64, seed: 7).ToArray<double>());
        Assert.NotEqual(Tensor.Rand([50], seed: 7).ToArray<float>(), Tensor.Rand([50], seed: 8).ToArray<float>());
        var r = Tensor.Rand([2, 3], DType.Float64, seed: 3, requiresGrad: true);
        Assert.True(r.RequiresGrad);
        Assert.Throws<ArgumentException>(() => Tensor.Rand([2], DType.Int64));
    }

    [Fact]
    public void ManualSeedRestartsTheGlobalStream()
    {
        Tensor.ManualSeed(2024);
        var a = Tensor.Rand(4).ToArray<float>();
        var b = Tensor.Rand(4).ToArray<float>();
        var n = Tensor.Randn(3).ToArray<float>();
        Assert.NotEqual(a, b);
        Tensor.ManualSeed(2024);
        Assert.Equal(a.Concat(b).ToArray(), Tensor.Rand(8).ToArray<float>());   // successive calls continue one stream
        Assert.Equal(n, Tensor.Randn(3).ToArray<float>());
        Tensor.ManualSeed(2024);
        Assert.Equal(a, Tensor.Rand(4).ToArray<float>());
    }

    [Fact]
    public void ValuesDoNotDependOnThreadCount()
    {
        int saved = CpuParallel.Threads;
        try
        {
            CpuParallel.Threads = 1;
            var u1 = Tensor.Rand([N], seed: 5).ToArray<float>();
            var n1 = Tensor.Randn([N + 1], DType.Float64, seed: 5).ToArray<double>();
            var i1 = Tensor.RandInt(-3, 1000, [N], seed: 5).ToArray<long>();
            CpuParallel.Threads = 2;
            Assert.Equal(u1, Tensor.Rand([N], seed: 5).ToArray<float>());
            Assert.Equal(n1, Tensor.Randn([N + 1], DType.Float64, seed: 5).ToArray<double>());
            Assert.Equal(i1, Tensor.RandInt(-3, 1000, [N], seed: 5).ToArray<long>());
        }
        finally
        {
            CpuParallel.Threads = saved;
        }
    }

    [Fact]
    public void RandIntCoversTheRangeUniformly()
    {
        var v = Tensor.RandInt(-2, 3, [N], seed: 11).ToArray<long>();
        Assert.All(v, x => Assert.InRange(x, -2, 2));
        double p = 0.2, sd = Math.Sqrt(p * (1 - p) / N);
        for (long k = -2; k <= 2; k++)
            Assert.InRange(v.Count(x => x == k) / (double)N, p - 5 * sd, p + 5 * sd);
        var i32 = Tensor.RandInt(0, 10, [3, 4], seed: 1, dtype: DType.Int32);
        Assert.Equal(DType.Int32, i32.DType);
        Assert.Throws<ArgumentException>(() => Tensor.RandInt(5, 5, [2]));
    }
}
