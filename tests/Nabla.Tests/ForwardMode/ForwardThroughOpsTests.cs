using Nabla.Backends.Reference;
using Nabla.Tests.AutogradFunctional;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Forward;

/// <summary>
/// Composite functions through many ops: the JVP from a ForwardAccumulator equals central
/// differences and J·v with J from Autograd.Jacobian (reverse mode), and the primal is unchanged.
/// </summary>
public class ForwardThroughOpsTests
{
    // Central differences with step 1e-6 in float64: error ~1e-10 relative; a wrong rule is off by O(1).
    const double FdTol = 1e-7;
    const double Exact = 1e-12;

    static readonly Tensor W = FiniteDiff.Uniform(100, [4, 3]);
    static readonly Tensor B = FiniteDiff.Uniform(101, [3, 5]);
    static readonly Tensor Bias = FiniteDiff.Uniform(102, [1, 3]);
    static readonly Tensor Col = FiniteDiff.Uniform(103, [3, 1]);
    static readonly Tensor Idx = Tensor.FromArray([2L, 0L, 1L, 1L, 3L, 0L], [3, 2]);
    static readonly Tensor Rows = Tensor.FromArray([2L, 0L, 2L], [3]);

    /// <summary>Every case takes x of shape [3, 4] (values in [-1, 1) with no ties).</summary>
    public static readonly Dictionary<string, Func<Tensor, Tensor>> Cases = new()
    {
        ["softmax(xW)"] = x => x.MatMul(W).Softmax(1),
        ["logsoftmax(dim0)"] = x => x.LogSoftmax(0),
        ["logsumexp(dim1)"] = x => x.LogSumExp(1),
        ["logsumexp(dim0,keep)*x"] = x => x.LogSumExp(0, keepDim: true) * x,
        ["matmul chain"] = x => x.MatMul(W).Tanh().MatMul(B).MatMul(B.T).MatMul(x).MatMul(x.T.MatMul(x)).Sigmoid(),
        ["matmul xᵀ x"] = x => x.T.MatMul(x),
        ["broadcast [3,1]*[3,4]+[1,4]"] = x => Col * x + x[0..1] * x.Sum(1, keepDim: true),
        ["broadcast scalar"] = x => x * x.Mean() - x.Exp().Sum() / 7.0,
        ["slice rows/step"] = x => x[1.., TensorIndex.Slice(.., 2)] * x[..2, 1..3],
        ["single index"] = x => x[1] * x[^1] + x[.., 2].Sum(),
        ["narrow flip pad"] = x => x.Narrow(1, 1, 2).Flip(0).Pad(1, 1) * 2.0,
        ["transpose permute reshape"] = x => (x.T.Contiguous().Reshape(2, 6) * x.Reshape(6, 2).T).Permute(1, 0).Sin(),
        ["expand unsqueeze"] = x => x.Unsqueeze(0).Expand(2, 3, 4).Sum(0) * x.Unsqueeze(2).Squeeze(2),
        ["concat"] = x => Tensor.Concat([x, x.Sin(), x[.., ..1]], 1).Exp(),
        ["stack"] = x => Tensor.Stack([x, x * x], 0).Sum(0),
        ["gather"] = x => x.Gather(1, Idx) * x[.., ..2],
        ["index select"] = x => x.IndexSelect(0, Rows).Tanh(),
        ["scatter add"] = x => x.ScatterAdd(1, Idx, x[.., ..2] * x[.., 2..]),
        ["where"] = x => Tensor.Where(x.Gt(0.1), x * x, x.Sin() - 1.0),
        ["maximum/minimum"] = x => x.Maximum(x.Flip(1) * 0.5) + x.Minimum(x.T.Reshape(3, 4).Cos()),
        ["relu clamp abs"] = x => x.Relu() + x.Clamp(-0.5, 0.5) * x.Abs(),
        ["sum mean"] = x => x.Sum(0) * x.Mean(1).Sum() + x.Mean(),
        ["max min"] = x => x.Max(1) * x.Min(0).Sum() + x.Max() * x.Exp().Max(0, keepDim: true).Sum(),
        ["pow sqrt log div"] = x => (x * x + 1.0).Sqrt().Log() / (x.Abs() + 2.0).Pow(1.5) + (x + 2.0).Pow(x),
        ["rsqrt reciprocal square"] = x => (x.Square() + 0.5).Rsqrt() + (x + 3.0).Reciprocal(),
        ["float32 round trip"] = x => x.To(DType.Float32).To(DType.Float64) * 0 + x.Cos(),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    static Tensor X() => Tensor.FromArray(DistinctValues(12, seed: 104), [3, 4]);

    /// <summary>
    /// Values in [-1, 1): |values| at least 0.02 apart (no ties for max/min/maximum, also against half
    /// of another value), away from 0, ±0.5 and 0.1 (the kinks of relu/abs/clamp/where).
    /// </summary>
    static double[] DistinctValues(int n, int seed)
    {
        var rng = new Random(seed);
        var list = new List<double>();
        while (list.Count < n)
        {
            double v = Math.Round(2 * rng.NextDouble() - 1, 3);
            if (Math.Abs(v) < 0.05 || Math.Abs(v - 0.1) < 0.05 || Math.Abs(Math.Abs(v) - 0.5) < 0.05) continue;
            if (list.Any(u => Math.Abs(Math.Abs(u) - Math.Abs(v)) < 0.02 || Math.Abs(u - 0.5 * v) < 0.02 || Math.Abs(v - 0.5 * u) < 0.02)) continue;
            list.Add(v);
        }
        return [.. list];
    }

    [Theory, MemberData(nameof(CaseNames))]
    public void AccumulatorJvpMatchesFiniteDifferencesAndJacobianTimesV(string name)
    {
        var f = Cases[name];
        var x = X();
        var v = FiniteDiff.Uniform(105, [3, 4]);
        Tensor y, jvp;
        using (var acc = new ForwardAccumulator(x, v))
        {
            y = f(x);
            jvp = acc.Jvp(y, UnconnectedGradients.Zero)!;
        }
        Approx.Equal(RefArray.From(f(X())), y, Exact, $"{name}: primal under forward mode");
        Approx.Equal(RefArray.From(FiniteDiff.Directional(f, x, v)), jvp, FdTol, $"{name}: JVP vs central differences");
        var jac = Autograd.Jacobian(f, x);
        Assert.Equal([.. y.Shape.ToArray(), 3, 4], jac.Shape.ToArray());
        Approx.Equal(RefArray.From(FiniteDiff.JacobianTimes(jac, v, y.Shape.ToArray())), jvp, Exact, $"{name}: JVP vs Jacobian·v");
        // The functional form agrees with the accumulator exactly (same engine).
        var (y2, jvp2) = Autograd.Jvp(f, x, v);
        Approx.Equal(RefArray.From(y), y2, 1e-14, $"{name}: Autograd.Jvp primal");
        Approx.Equal(RefArray.From(jvp), jvp2, 1e-14, $"{name}: Autograd.Jvp tangent");
    }

    [Fact]
    public void CasesHaveNoTiesOrKinksAtTheSamplePoint()
    {
        // Guards the test above: central differences at a kink would not be a derivative.
        var xs = TestTensors.D(X());
        Assert.Equal(12, xs.Distinct().Count());
        Assert.DoesNotContain(xs, a => Math.Abs(a) < 0.05 || Math.Abs(Math.Abs(a) - 0.5) < 0.05);
    }
}
