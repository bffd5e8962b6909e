using Nabla.Engine;
using Nabla.Graphs;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A replay writes the new value of an in-place update (<c>buf.MulInPlace(m)</c>, an optimizer's <c>p.AddInPlace(...)</c>)
/// straight into its destination when the assignment follows the op that makes it (ReplayBuffers.WriteTargetOf), and the
/// assignment then moves nothing. Results stay eager's bit for bit, including where the destination is also an input
/// (buf * m written over buf) and where the kernel cannot take the destination's layout (a transposed view).
/// </summary>
public class WriteTargetTests
{
    static TracedGraph Trace(Func<Tensor, Tensor> f, Tensor x)
    {
        var tracer = new Tracer([x], ["x"], firstTrace: true, fullGraph: false);
        Tensor y;
        using (Dispatch.Observe(tracer)) y = f(x);
        return tracer.Finish([y]);
    }

    static float[] F(Tensor t) => t.ToArray<float>();

    sealed class MomentumStep(Tensor buf, Tensor p)
    {
        public Tensor Buf => buf;
        public Tensor P => p;

        public Tensor Run(Tensor g)
        {
            buf.MulInPlace(0.9).AddInPlace(g);
            p.AddInPlace(buf * -0.1);
            return p.Sum();
        }
    }

    [Fact]
    public void AnUpdateIsWrittenIntoItsDestinationAndMatchesEager()
    {
        using var noGrad = Autograd.NoGrad();
        var eager = new MomentumStep(Tensor.Zeros([100]), Tensor.Randn([100], seed: 1));
        var compiled = new MomentumStep(Tensor.Zeros([100]), Tensor.Randn([100], seed: 1));
        var graph = Trace(compiled.Run, Tensor.Randn([100], seed: 2));
        eager.Run(Tensor.Randn([100], seed: 2));   // the trace ran one step on the compiled side
        var plan = ReplayBuffers.For(graph, ReplayRecording.None);
        var targets = Enumerable.Range(0, graph.Ops.Count).Where(i => plan.WriteTargetOf(i) >= 0).ToList();
        // buf * 0.9 -> buf, buf + g -> buf, p + buf * -0.1 -> p: three ops followed by their assignment.
        Assert.Equal(3, targets.Count);
        for (int call = 3; call < 9; call++)
        {
            var g = Tensor.Randn([100], seed: call);
            var expected = F(eager.Run(g));
            Assert.Equal(expected, F(Replay.Run(graph, [g], out _)![0]));
            Assert.Equal(F(eager.Buf), F(compiled.Buf));
            Assert.Equal(F(eager.P), F(compiled.P));
        }
        // The kernels took the destinations: the plan still writes into them.
        Assert.All(targets, i => Assert.True(plan.WriteTargetOf(i) >= 0));
    }

    [Fact]
    public void ADestinationTheKernelCannotTakeIsCopiedAsBeforeAndMatchesEager()
    {
        using var noGrad = Autograd.NoGrad();
        // A transposed view is no contiguous output: the kernel refuses it, the plan stops asking, the assignment copies.
        var eagerBase = Tensor.Randn([8, 8], seed: 3);
        var compiledBase = Tensor.Randn([8, 8], seed: 3);
        Tensor Update(Tensor baseTensor, Tensor g) => baseTensor.Transpose(0, 1).MulInPlace(0.5).AddInPlace(g).Sum();
        var graph = Trace(g => Update(compiledBase, g), Tensor.Randn([8, 8], seed: 4));
        Update(eagerBase, Tensor.Randn([8, 8], seed: 4));
        for (int call = 5; call < 9; call++)
        {
            var g = Tensor.Randn([8, 8], seed: call);
            Assert.Equal(F(Update(eagerBase, g)), F(Replay.Run(graph, [g], out _)![0]));
            Assert.Equal(F(eagerBase), F(compiledBase));
        }
    }

    [Fact]
    public void AssigningATensorToItselfLeavesItAndBumpsItsVersion()
    {
        var t = Tensor.Randn([10], seed: 6);
        var before = F(t);
        int version = t.Version;
        using (Autograd.NoGrad()) t.CopyFrom(t);
        Assert.Equal(before, F(t));
        Assert.True(t.Version > version);
    }
}
