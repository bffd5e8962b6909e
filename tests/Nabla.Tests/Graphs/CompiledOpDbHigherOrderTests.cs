using Nabla.Engine;
using Nabla.Tests.OpDb;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Every differentiable OpDb entry in float64, compiled, against the same code run eagerly: forward mode (a
/// JVP through a replay, and a JVP taken inside the compiled function), second order (grad of grad with
/// createGraph through a replay), and a gradient taken inside the compiled function, then differentiated
/// once more by the caller. Each function is traced on other values than it is replayed on (see
/// <see cref="Reordered"/>). A replay re-issues the traced primitives through Dispatch, so the same
/// kernels run in the same order and the results must be bitwise equal.
/// </summary>
// Draws from (and reseeds) the process-wide generator: runs alone, so no other test draws in between.
[Collection("Default generator")]
public class CompiledOpDbHigherOrderTests
{
    static double[] Values(Tensor y) => y.To(DType.Float64).ToArray<double>();

    /// <summary>Exactly <paramref name="traces"/> graphs were traced and none runs eagerly (so the later calls were replays).</summary>
    static void AssertReplayed(CompiledFunction cf, int traces = 1, string what = "")
    {
        string explain = cf.Explain();
        Assert.True(cf.TraceCount == traces && !explain.Contains("runs eagerly", StringComparison.Ordinal) && !explain.Contains("ran eagerly", StringComparison.Ordinal),
            $"{what}expected {traces} traced graph(s), replayed: {explain}");
    }

    /// <summary>Fresh float64 inputs of one sample and the indices of those to differentiate.</summary>
    static Tensor[] Inputs(OpInfo entry, int sample, out int[] wrt)
    {
        var xs = entry.Samples().ElementAt(sample).Inputs.ToArray();
        wrt = entry.GradInputs ?? [.. Enumerable.Range(0, xs.Length).Where(i => xs[i].DType.IsFloating())];
        return xs;
    }

    /// <summary>The sample's inputs with the ones to differentiate made fresh leaves (same storage and strides).</summary>
    static Tensor[] Leaves(OpInfo entry, int sample, out int[] wrt)
    {
        var xs = Inputs(entry, sample, out wrt);
        foreach (int i in wrt)
        {
            xs[i] = xs[i].Detach();
            xs[i].RequiresGrad = true;
        }
        return xs;
    }

    /// <summary>
    /// <paramref name="xs"/> with each floating input's values reversed in place (same shape, strides and value
    /// set, so the same signature and domain): the trace then sees other values than the replays, and a
    /// value the graph froze at trace time (an argmax, a mask) shows up as a difference from eager.
    /// </summary>
    static Tensor[] Reordered(Tensor[] xs)
    {
        using var _ = Autograd.NoGrad();
        foreach (var x in xs)
            if (x.DType.IsFloating() && x.Rank > 0 && x.Shape.NumElements > 1)
                x.CopyFrom(x.Flip([.. Enumerable.Range(0, x.Rank)]).Clone());   // NB: a broadcast (overlapping) sample would refuse the write
        return xs;
    }

    static void AssertBitwise(Tensor? expected, Tensor? actual, string what)
    {
        Assert.True((expected is null) == (actual is null), $"{what}: eager gave {(expected is null ? "no" : "a")} tensor, compiled {(actual is null ? "none" : "one")}");
        if (expected is null) return;
        Assert.True(expected.Shape.Equals(actual!.Shape), $"{what}: shape {actual.Shape}, eager {expected.Shape}");
        Assert.True(Values(expected).SequenceEqual(Values(actual)), $"{what}: differs from eager");
    }

    static IEnumerable<(OpInfo Entry, int Sample)> Cases(string name)
    {
        var entry = OpDb.OpDb.Get(name);
        if (!entry.Differentiable) yield break;   // comparisons, ArgMax: nothing to differentiate
        int samples = entry.Samples().Count();
        for (int s = 0; s < samples; s++)
        {
            var probe = Inputs(entry, s, out var wrt);
            if (wrt.Length > 0 && entry.Op(probe).DType.IsFloating()) yield return (entry, s);
        }
    }

    [Theory, MemberData(nameof(OpDb.OpDb.Names), MemberType = typeof(OpDb.OpDb))]
    public void JvpThroughReplayEqualsEagerBitwise(string name)
    {
        foreach (var (entry, s) in Cases(name))
        {
            var cf = Graph.Compile((Tensor[] xs) => [entry.Op(xs)]);
            Tensor.ManualSeed(5);
            cf.Call(Reordered(Inputs(entry, s, out _)));               // trace (other values), outside any accumulator
            var all = Inputs(entry, s, out var wrt);
            var v = wrt.Select((i, k) => TestTensors.RandomLike(all[i], seed: 40 + k)).ToArray();
            Func<Tensor[], Tensor> Restricted(Func<Tensor[], Tensor> op) => xs =>
            {
                var args = (Tensor[])all.Clone();
                for (int k = 0; k < wrt.Length; k++) args[wrt[k]] = xs[k];
                return op(args);
            };
            Tensor.ManualSeed(5);
            var (yc, dyc) = ForwardMode.Jvp(Restricted(xs => cf.Call(xs)[0]), [.. wrt.Select(i => all[i])], v);
            Tensor.ManualSeed(5);
            var (ye, dye) = ForwardMode.Jvp(Restricted(entry.Op), [.. wrt.Select(i => all[i])], v);
            string what = $"{name} / sample {s}";
            AssertBitwise(ye, yc, what + ": primal under forward mode");
            AssertBitwise(dye, dyc, what + ": JVP");
            AssertReplayed(cf, 1, what + ": ");
        }
    }

    /// <summary>The op's JVP with an accumulator opened inside (tangents: the arguments after the op's inputs): [y, dy].</summary>
    static Tensor[] JvpInside(OpInfo entry, Tensor[] args, int[] wrt)
    {
        var all = args[..^wrt.Length];
        var (y, dy) = ForwardMode.Jvp(xs =>
        {
            var full = (Tensor[])all.Clone();
            for (int k = 0; k < wrt.Length; k++) full[wrt[k]] = xs[k];
            return entry.Op(full);
        }, [.. wrt.Select(i => all[i])], args[^wrt.Length..]);
        return [y, dy];
    }

    [Theory, MemberData(nameof(OpDb.OpDb.Names), MemberType = typeof(OpDb.OpDb))]
    public void JvpInsideCompiledFunctionEqualsEagerBitwise(string name)
    {
        foreach (var (entry, s) in Cases(name))
        {
            Tensor[] Args(out int[] wrt)
            {
                var all = Inputs(entry, s, out wrt);
                return [.. all, .. wrt.Select((i, k) => TestTensors.RandomLike(all[i], seed: 80 + k))];
            }
            int[] wrt = [];
            var cf = Graph.Compile((Tensor[] xs) => JvpInside(entry, xs, wrt));
            Tensor.ManualSeed(5);
            cf.Call(Reordered(Args(out wrt)));                         // trace with other values
            Tensor.ManualSeed(5);
            var c = cf.Call(Args(out _));
            Tensor.ManualSeed(5);
            var e = JvpInside(entry, Args(out _), wrt);
            string what = $"{name} / sample {s}";
            AssertBitwise(e[0], c[0], what + ": primal with the accumulator inside");
            AssertBitwise(e[1], c[1], what + ": JVP with the accumulator inside");
            AssertReplayed(cf, 1, what + ": ");
        }
    }

    /// <summary>
    /// gradgradcheck's formulation: g(x, gy) = J(x)^T gy with createGraph, then the gradient of
    /// &lt;g, w&gt; with respect to every differentiated input and gy (gy makes g depend on something even
    /// for linear ops).
    /// </summary>
    static Tensor?[] GradOfGrad(Func<Tensor[], Tensor> f, Tensor[] all, int[] wrt, int seed, out Tensor?[] first)
    {
        var y = f(all);
        var gy = TestTensors.RandomLike(y, seed: seed);
        gy.RequiresGrad = true;
        var leaves = wrt.Select(i => all[i]).ToArray();
        first = y.RequiresGrad ? Autograd.Grad([y], leaves, [gy], createGraph: true, allowUnused: true) : new Tensor?[leaves.Length];
        return Outer(first, [.. leaves, gy], seed + 1);
    }

    /// <summary>The gradient of sum_k &lt;g_k, w_k&gt; (fixed random w_k) with respect to <paramref name="wrt"/>.</summary>
    static Tensor?[] Outer(Tensor?[] g, Tensor[] wrt, int seed)
    {
        Tensor? s = null;
        for (int k = 0; k < g.Length; k++)
            if (g[k] is { RequiresGrad: true } gk)
            {
                var term = (gk * TestTensors.RandomLike(gk, seed: seed + k)).Sum();
                s = s is null ? term : s + term;
            }
        return s is null ? new Tensor?[wrt.Length] : Autograd.Grad([s], wrt, allowUnused: true);
    }

    [Theory, MemberData(nameof(OpDb.OpDb.Names), MemberType = typeof(OpDb.OpDb))]
    public void SecondOrderThroughReplayEqualsEagerBitwise(string name)
    {
        foreach (var (entry, s) in Cases(name))
        {
            if (!entry.SecondOrder) continue;
            var cf = Graph.Compile((Tensor[] xs) => [entry.Op(xs)]);
            Tensor.ManualSeed(5);
            cf.Call(Reordered(Leaves(entry, s, out _)));               // trace: other values, the same flags
            Tensor.ManualSeed(5);
            var gc = GradOfGrad(xs => cf.Call(xs)[0], Leaves(entry, s, out var wrt), wrt, 50, out var firstC);
            Tensor.ManualSeed(5);
            var ge = GradOfGrad(entry.Op, Leaves(entry, s, out _), wrt, 50, out var firstE);
            string what = $"{name} / sample {s}";
            for (int k = 0; k < wrt.Length; k++) AssertBitwise(firstE[k], firstC[k], $"{what}: first-order gradient of input {wrt[k]}");
            for (int k = 0; k < ge.Length; k++) AssertBitwise(ge[k], gc[k], $"{what}: second-order gradient {k}");
            AssertReplayed(cf, 1, what + ": ");
        }
    }

    /// <summary>The gradients J^T gy of the op, taken with createGraph (zeros where an input is unused): what the compiled function returns.</summary>
    static Tensor[] GradientInside(OpInfo entry, Tensor[] args, int[] wrt)
    {
        var all = args[..^1];
        var gy = args[^1];
        var y = entry.Op(all);
        var leaves = wrt.Select(i => all[i]).ToArray();
        var g = y.RequiresGrad ? Autograd.Grad([y], leaves, [gy], createGraph: true, allowUnused: true) : new Tensor?[leaves.Length];
        return [.. leaves.Select((x, k) => g[k] ?? Tensor.ZerosLike(x))];
    }

    [Theory, MemberData(nameof(OpDb.OpDb.Names), MemberType = typeof(OpDb.OpDb))]
    public void GradientInsideCompiledFunctionEqualsEagerAndDifferentiatesAgain(string name)
    {
        foreach (var (entry, s) in Cases(name))
        {
            if (!entry.SecondOrder) continue;
            Tensor[] Args(out int[] wrt)
            {
                var all = Leaves(entry, s, out wrt);
                Tensor y;
                using (Autograd.NoGrad()) y = entry.Op(Inputs(entry, s, out _));
                var gy = TestTensors.RandomLike(y, seed: 60);
                gy.RequiresGrad = true;
                return [.. all, gy];
            }
            int[] wrt = [];
            var cf = Graph.Compile((Tensor[] xs) => GradientInside(entry, xs, wrt));
            Tensor.ManualSeed(5);
            var traceArgs = Args(out wrt);
            Reordered(traceArgs);                                      // trace with other values
            cf.Call(traceArgs);
            var argsC = Args(out _);
            var argsE = Args(out _);
            Tensor.ManualSeed(5);
            var gc = cf.Call(argsC);
            Tensor.ManualSeed(5);
            var ge = GradientInside(entry, argsE, wrt);
            string what = $"{name} / sample {s}";
            for (int k = 0; k < wrt.Length; k++) AssertBitwise(ge[k], gc[k], $"{what}: gradient of input {wrt[k]} computed inside");
            // The caller differentiates the returned gradients once more (with respect to the inputs and gy).
            var ggc = Outer(gc, [.. wrt.Select(i => argsC[i]), argsC[^1]], 70);
            var gge = Outer(ge, [.. wrt.Select(i => argsE[i]), argsE[^1]], 70);
            for (int k = 0; k < gge.Length; k++) AssertBitwise(gge[k], ggc[k], $"{what}: gradient of the returned gradients, input {k}");
            AssertReplayed(cf, 1, what + ": ");
        }
    }
}
