using Nabla.Backends.Reference;
using Nabla.Engine;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.OpDb;

/// <summary>
/// The generic checks every OpDb entry gets, on every sample: forward against the double-precision
/// reference (float64 and float32), reverse mode against finite differences (GradCheck), forward
/// mode against finite differences, the dot-product test tying the two modes together, and second order.
/// </summary>
public class OpDbTests
{
    const double Float64Tolerance = 1e-10;
    const double FdStep = 1e-6;
    // Central differences in float64 with step 1e-6: truncation ~1e-12 and rounding ~1e-10 * |y|,
    // so 1e-6 relative leaves a wide margin while any wrong rule (errors of order 1) still fails.
    const double FdTolerance = 1e-6;

    [Fact]
    public void RegistryHasUniqueNamesAndSamples()
    {
        Assert.NotEmpty(OpDb.All);
        var duplicates = OpDb.All.GroupBy(e => e.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "duplicate OpDb entry names: " + string.Join(", ", duplicates));
        foreach (var e in OpDb.All) Assert.True(e.Samples().Any(), $"{e.Name} has no samples.");
    }

    /// <summary>The devices of every backend in this build: the forward check runs on each.</summary>
    public static readonly Device[] Devices = Nabla.Backends.Backend.All.Select(b => b.Device).ToArray();

    /// <summary>
    /// Every entry, in every dtype it lists, on every backend: the inputs moved to the device, the output
    /// on that device with the reference's values. An op with no kernel on a backend fails here (none is
    /// CPU-only on purpose today; an op that is would be listed here with its reason).
    /// </summary>
    [Theory, MemberData(nameof(OpDb.Names), MemberType = typeof(OpDb))]
    public void ForwardMatchesReference(string name)
    {
        var entry = OpDb.Get(name);
        foreach (var device in Devices)
            foreach (var sample in entry.Samples())
                foreach (var dtype in entry.DTypes)
                {
                    var inputs = sample.Inputs.Select(x => x.DType.IsFloating() ? x.To(dtype) : x).ToArray();
                    var expected = entry.Reference(inputs.Select(RefArray.From).ToArray());
                    var y = entry.Op(inputs.Select(x => x.To(device)).ToArray());
                    string what = $"{name} / {sample.Name} / {dtype} / {device}";
                    Assert.True(y.Device.Equals(device), $"{what}: output on {y.Device}");
                    if (dtype.IsFloating() && y.DType.IsFloating() && inputs.Any(x => x.DType.IsFloating()))
                        Assert.True(y.DType == dtype, $"{what}: output dtype {y.DType}, expected {dtype} (the inputs' dtype).");
                    double tol = dtype == DType.Float32 ? entry.Float32Tolerance : Float64Tolerance;
                    Approx.Equal(expected, y, tol, what);
                }
    }

    [Theory, MemberData(nameof(OpDb.Names), MemberType = typeof(OpDb))]
    public void VjpMatchesFiniteDifferences(string name)
    {
        var entry = OpDb.Get(name);
        if (!entry.Differentiable) return;
        foreach (var sample in entry.Samples())
        {
            var (f, xs) = Restrict(entry, sample);
            try { Assert.True(GradCheck.Check(f, xs)); }
            catch (GradCheckException ex) { Assert.Fail($"{name} / {sample.Name}: {ex.Message}"); }
        }
    }

    [Theory, MemberData(nameof(OpDb.Names), MemberType = typeof(OpDb))]
    public void JvpMatchesFiniteDifferences(string name)
    {
        var entry = OpDb.Get(name);
        if (!entry.Differentiable) return;
        foreach (var sample in entry.Samples())
        {
            var (f, xs) = Restrict(entry, sample);
            var v = xs.Select((x, k) => TestTensors.RandomLike(x, seed: 10 + k)).ToArray();
            var (y, dy) = ForwardMode.Jvp(f, xs, v);
            string what = $"{name} / {sample.Name}";
            Tensor plain, plus, minus;
            using (Autograd.NoGrad())
            {
                plain = f(xs);
                plus = f(xs.Select((x, k) => x + FdStep * v[k]).ToArray());
                minus = f(xs.Select((x, k) => x - FdStep * v[k]).ToArray());
            }
            Approx.Equal(RefArray.From(plain), y, Float64Tolerance, what + ": primal under forward mode");
            var p = plus.ToDoubleArray();
            var m = minus.ToDoubleArray();
            var fd = new double[p.Length];
            for (int i = 0; i < fd.Length; i++) fd[i] = (p[i] - m[i]) / (2 * FdStep);
            Approx.Equal(new RefArray(fd, plain.Shape.ToArray()), dy, FdTolerance, what + ": JVP vs central differences");
        }
    }

    /// <summary>&lt;gy, J dx&gt; = &lt;J^T gy, dx&gt;: forward and reverse mode describe the same linear map.</summary>
    [Theory, MemberData(nameof(OpDb.Names), MemberType = typeof(OpDb))]
    public void ForwardAndReverseModesAgree(string name)
    {
        var entry = OpDb.Get(name);
        if (!entry.Differentiable) return;
        foreach (var sample in entry.Samples())
        {
            var (f, xs) = Restrict(entry, sample);
            var dx = xs.Select((x, k) => TestTensors.RandomLike(x, seed: 20 + k)).ToArray();
            var (_, dy) = ForwardMode.Jvp(f, xs, dx);

            var leaves = xs.Select(x =>
            {
                var leaf = x.Detach();  // same storage and strides, a fresh leaf
                leaf.RequiresGrad = true;
                return leaf;
            }).ToArray();
            var y = f(leaves);
            var gy = TestTensors.RandomLike(y, seed: 30);
            var gxs = y.RequiresGrad
                ? Autograd.Grad([y], leaves, [gy], allowUnused: true)
                : new Tensor?[leaves.Length];

            double lhs = TestTensors.Dot(gy, dy), scale = TestTensors.AbsDot(gy, dy);
            double rhs = 0;
            for (int k = 0; k < xs.Length; k++)
            {
                if (gxs[k] is not { } gx) continue;
                Assert.True(gx.Shape.Equals(xs[k].Shape), $"{name} / {sample.Name}: gradient {k} has shape {gx.Shape}, input {xs[k].Shape}.");
                rhs += TestTensors.Dot(gx, dx[k]);
                scale += TestTensors.AbsDot(gx, dx[k]);
            }
            Approx.Close(lhs, rhs, Float64Tolerance, scale, $"{name} / {sample.Name}: <gy, J dx> vs <J^T gy, dx>");
        }
    }

    [Theory, MemberData(nameof(OpDb.Names), MemberType = typeof(OpDb))]
    public void SecondOrderMatchesFiniteDifferences(string name)
    {
        var entry = OpDb.Get(name);
        if (!entry.Differentiable || !entry.SecondOrder) return;
        foreach (var sample in entry.Samples())
        {
            var (f, xs) = Restrict(entry, sample);
            try { Assert.True(GradCheck.CheckSecondOrder(f, xs)); }
            catch (GradCheckException ex) { Assert.Fail($"{name} / {sample.Name}: {ex.Message}"); }
        }
    }

    /// <summary>
    /// The op as a function of the inputs to differentiate only (entry.GradInputs, default: every
    /// floating input); the other inputs are fixed at the sample's values.
    /// </summary>
    static (Func<Tensor[], Tensor> F, Tensor[] Xs) Restrict(OpInfo entry, OpSample sample)
    {
        var all = sample.Inputs;
        var idx = entry.GradInputs ?? Enumerable.Range(0, all.Length).Where(i => all[i].DType.IsFloating()).ToArray();
        foreach (var i in idx)
            Assert.True(all[i].DType == DType.Float64, $"{entry.Name} / {sample.Name}: input {i} to differentiate must be float64, is {all[i].DType}.");
        Tensor F(Tensor[] xs)
        {
            var args = (Tensor[])all.Clone();
            for (int k = 0; k < idx.Length; k++) args[idx[k]] = xs[k];
            return entry.Op(args);
        }
        return (F, idx.Select(i => all[i]).ToArray());
    }
}
