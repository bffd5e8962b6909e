using Nabla.Tests.OpDb;

namespace Nabla.Tests.Graphs;

/// <summary>
/// Every OpDb entry, compiled: the tracing call and a replay give bitwise the eager result, in float64
/// and float32 (the same kernels run in the same order), and a replay of the recorded op gives the
/// same gradient as eager code for differentiable entries.
/// </summary>
// Draws from (and reseeds) the process-wide generator: runs alone, so no other test draws in between.
[Collection("Default generator")]
public class CompiledOpDbTests
{
    static double[] Values(Tensor y) => y.To(DType.Float64).ToArray<double>();

    /// <summary>Fresh inputs of one sample (samples are deterministic), so in-place entries start equal each time.</summary>
    static Tensor[] Inputs(OpInfo entry, int sample, DType dtype) =>
        [.. entry.Samples().ElementAt(sample).Inputs.Select(x => x.DType.IsFloating() ? x.To(dtype) : x)];

    [Theory, MemberData(nameof(OpDb.OpDb.Names), MemberType = typeof(OpDb.OpDb))]
    public void CompiledForwardEqualsEagerBitwise(string name)
    {
        var entry = OpDb.OpDb.Get(name);
        int samples = entry.Samples().Count();
        foreach (var dtype in entry.DTypes)
            for (int s = 0; s < samples; s++)
            {
                string what = $"{name} / sample {s} / {dtype}";
                Tensor.ManualSeed(11);
                var eager = Values(entry.Op(Inputs(entry, s, dtype)));
                var cf = Graph.Compile((Tensor[] xs) => [entry.Op(xs)]);
                Tensor.ManualSeed(11);
                var traced = Values(cf.Call(Inputs(entry, s, dtype))[0]);
                Tensor.ManualSeed(11);
                var replayed = Values(cf.Call(Inputs(entry, s, dtype))[0]);
                Assert.True(eager.SequenceEqual(traced), $"{what}: the tracing call differs from eager");
                Assert.True(eager.SequenceEqual(replayed), $"{what}: the replay differs from eager ({cf.Explain()})");
                Assert.True(cf.TraceCount == 1, $"{what}: traced {cf.TraceCount} times: {cf.Explain()}");
            }
    }

    [Theory, MemberData(nameof(OpDb.OpDb.Names), MemberType = typeof(OpDb.OpDb))]
    public void GradientThroughReplayEqualsEagerBitwise(string name)
    {
        var entry = OpDb.OpDb.Get(name);
        if (!entry.Differentiable) return;   // comparisons, ArgMax: no gradient to compare (forward is checked above)
        int samples = entry.Samples().Count();
        for (int s = 0; s < samples; s++)
        {
            var cf = Graph.Compile((Tensor[] xs) => [entry.Op(xs)]);
            cf.Call(Tracked(entry, s, out _));                          // trace
            var replayInputs = Tracked(entry, s, out var wrt);
            var eagerInputs = Tracked(entry, s, out _);
            Tensor.ManualSeed(3);
            var yc = cf.Call(replayInputs)[0];
            Tensor.ManualSeed(3);
            var ye = entry.Op(eagerInputs);
            if (!ye.DType.IsFloating() || wrt.Length == 0) continue;
            var gc = Autograd.Grad([yc], [.. wrt.Select(i => replayInputs[i])], [Tensor.OnesLike(yc)], allowUnused: true);
            var ge = Autograd.Grad([ye], [.. wrt.Select(i => eagerInputs[i])], [Tensor.OnesLike(ye)], allowUnused: true);
            for (int k = 0; k < wrt.Length; k++)
            {
                Assert.Equal(ge[k] is null, gc[k] is null);
                if (ge[k] is not null) Assert.True(Values(ge[k]!).SequenceEqual(Values(gc[k]!)), $"{name} / sample {s}: gradient of input {wrt[k]}");
            }
        }
    }

    static Tensor[] Tracked(OpInfo entry, int sample, out int[] wrt)
    {
        var xs = Inputs(entry, sample, DType.Float64);
        wrt = entry.GradInputs ?? [.. Enumerable.Range(0, xs.Length).Where(i => xs[i].DType.IsFloating())];
        foreach (int i in wrt)
        {
            xs[i] = xs[i].Detach();   // same storage and strides, a fresh leaf
            xs[i].RequiresGrad = true;
        }
        return xs;
    }
}
