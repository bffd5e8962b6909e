using Nabla.Engine;

namespace Nabla.Tests.Autodiff;

/// <summary>
/// Graph-node hooks (GradNode.RegisterPrehook / RegisterHook) and NextFunctions, checked against
/// PyTorch's documented behaviour (torch.autograd.graph.Node.register_prehook / register_hook, whose
/// doc examples are reproduced here) with hand-derived gradients.
/// </summary>
public class NodeHookTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    static Tensor Leaf(params double[] v) => Tensor.FromArray(v, [v.Length], requiresGrad: true);

    [Fact]
    public void NextFunctionsGivesEachInputsNodeWithInputNumberZero()
    {
        var a = Leaf(1, 2);
        var c = Tensor.FromArray(new double[] { 5, 6 }, [2]);           // data: no gradient
        var y = a * c;
        var z = y.Exp();

        Assert.Equal("MulBackward", y.GradFn!.Name);
        var next = y.GradFn.NextFunctions;
        Assert.Equal(2, next.Count);
        Assert.Equal("AccumulateGrad", next[0].Node!.Name);
        Assert.Equal(0, next[0].InputNumber);
        Assert.Null(next[1].Node);                                     // like PyTorch's (None, 0)
        Assert.Equal(0, next[1].InputNumber);

        // A leaf has one accumulator, shared by every op that reads it; a non-leaf's edge is its GradFn.
        Assert.Same(next[0].Node, (a + 1.0).GradFn!.NextFunctions[0].Node);
        Assert.Same(y.GradFn, Assert.Single(z.GradFn!.NextFunctions).Node);
        Assert.Empty(next[0].Node!.NextFunctions);

        // A number operand is a constant input too: (AccumulateGrad, 0), (null, 0).
        var scaled = (a * 3.0).GradFn!.NextFunctions;
        Assert.Equal(2, scaled.Count);
        Assert.Same(next[0].Node, scaled[0].Node);
        Assert.Null(scaled[1].Node);
    }

    [Fact]
    public void PrehookDoublesTheIncomingGradientUntilRemoved()
    {
        // torch.autograd.graph.Node.register_prehook's doc example.
        var a = Leaf(0, 0, 0);
        var b = a.Clone();
        var handle = b.GradFn!.RegisterPrehook(gOut => [gOut[0]! * 2.0]);
        b.Sum().Backward(retainGraph: true);
        Assert.Equal(new double[] { 2, 2, 2 }, D(a.Grad!));

        handle.Dispose();
        a.Grad = null;
        b.Sum().Backward(retainGraph: true);
        Assert.Equal(new double[] { 1, 1, 1 }, D(a.Grad!));
        handle.Dispose();   // twice is harmless
    }

    [Fact]
    public void PostHookSeesComputedInputGradientsAndReplacesThem()
    {
        // torch.autograd.graph.Node.register_hook's doc example, on b = a * [3, 5] (a constant second input).
        var a = Leaf(1, 2);
        var b = a * Tensor.FromArray(new double[] { 3, 5 }, [2]);
        Tensor?[]? seenIn = null, seenOut = null;
        using (b.GradFn!.RegisterHook((gIn, gOut) =>
               {
                   seenIn = gIn;
                   seenOut = gOut;
                   return [gOut[0]! * 2.0, gIn[1]];
               }))
            (b * Tensor.FromArray(new double[] { 1, 10 }, [2])).Sum().Backward();

        Assert.Equal(2, seenIn!.Length);
        Assert.Equal(new double[] { 3, 50 }, D(seenIn[0]!));          // d(b·[1,10])/da = [3, 5]·[1, 10]
        Assert.Null(seenIn[1]);                                      // the constant needs no gradient
        Assert.Equal(new double[] { 1, 10 }, D(Assert.Single(seenOut!)!));
        Assert.Equal(new double[] { 2, 20 }, D(a.Grad!));            // replaced by 2 · gradOutput
    }

    [Fact]
    public void HooksReturningNullKeepTheGradients()
    {
        var a = Leaf(1, 2);
        var b = a * a;                                               // gx = 2a
        int calls = 0;
        using var pre = b.GradFn!.RegisterPrehook(_ => { calls++; return null; });
        using var post = b.GradFn.RegisterHook((_, _) => { calls++; return null; });
        b.Sum().Backward();
        Assert.Equal(2, calls);
        Assert.Equal(new double[] { 2, 4 }, D(a.Grad!));             // d(a²)/da = 2a, unchanged
    }

    [Fact]
    public void PrehookReturningNullGradientSendsNothing()
    {
        var a = Leaf(1, 2);
        var b = a.Clone();
        Tensor?[]? postIn = null;
        using var pre = b.GradFn!.RegisterPrehook(_ => [null]);
        using var post = b.GradFn.RegisterHook((gIn, _) => { postIn = gIn; return null; });
        var y = b.Sum() + (a * 3.0).Sum();
        y.Backward();
        Assert.Equal(new double[] { 3, 3 }, D(a.Grad!));             // only the other path reaches a
        Assert.Null(Assert.Single(postIn!));                         // the node ran but computed nothing
    }

    [Fact]
    public void PostHookGradientForAnInputThatNeedsNoneIsDropped()
    {
        var a = Leaf(1, 2);
        var b = a * Tensor.FromArray(new double[] { 3, 5 }, [2]);
        using var post = b.GradFn!.RegisterHook((gIn, _) => [gIn[0], Tensor.Ones([7], DType.Float32)]);
        b.Sum().Backward();
        Assert.Equal(new double[] { 3, 5 }, D(a.Grad!));
    }

    [Fact]
    public void NodeHookReturningWrongShapeDTypeOrCountThrowsNamingTheNode()
    {
        var a = Leaf(1, 2);
        var b = a * a;
        using (b.GradFn!.RegisterPrehook(g => [g[0]!.Sum()]))
        {
            var ex = Assert.Throws<InvalidOperationException>(() => b.Sum().Backward(retainGraph: true));
            Assert.Contains("GradNode.RegisterPrehook", ex.Message);
            Assert.Contains("MulBackward", ex.Message);
            Assert.Contains("[2] float64", ex.Message);
            Assert.Contains("NodeHookTests.cs", ex.Message);
        }
        using (b.GradFn.RegisterHook((gIn, _) => [gIn[0]!.To(DType.Float32), gIn[1]]))
        {
            var ex = Assert.Throws<InvalidOperationException>(() => b.Sum().Backward(retainGraph: true));
            Assert.Contains("GradNode.RegisterHook", ex.Message);
            Assert.Contains("MulBackward", ex.Message);
            Assert.Contains("input 0", ex.Message);
            Assert.Contains("float32", ex.Message);
        }
        using (b.GradFn.RegisterHook((gIn, _) => [gIn[0]]))
        {
            var ex = Assert.Throws<InvalidOperationException>(() => b.Sum().Backward(retainGraph: true));
            Assert.Contains("returned 1 gradients for a node with 2 inputs", ex.Message);
        }
        using (b.GradFn.RegisterPrehook(g => [g[0], g[0]]))
        {
            var ex = Assert.Throws<InvalidOperationException>(() => b.Sum().Backward(retainGraph: true));
            Assert.Contains("returned 2 gradients", ex.Message);
        }
        Assert.Throws<ArgumentNullException>(() => b.GradFn.RegisterHook(null!));
        Assert.Throws<ArgumentNullException>(() => b.GradFn.RegisterPrehook(null!));
    }

    [Fact]
    public void TensorHookRegisteredBeforeAnInPlaceOpStaysWithTheOldNode()
    {
        // PyTorch's autograd notes: hooks are bound to the grad_fn current at registration, so one
        // registered before an in-place op sees the gradient of the old values; RetainGrad follows the
        // tensor to its new node.
        var x = Leaf(0.5, 1.0);
        var t = x.Sin();
        var oldNode = t.GradFn;
        double[]? before = null, after = null;
        using var hb = t.RegisterHook(g => { before = D(g); return null; });
        t.RetainGrad();
        t.MulInPlace(3.0);                                           // t = 3 sin x: a new node
        Assert.NotSame(oldNode, t.GradFn);
        using var ha = t.RegisterHook(g => { after = D(g); return null; });

        (t * Tensor.FromArray(new double[] { 1, 2 }, [2])).Sum().Backward();
        Assert.Equal(new double[] { 1, 2 }, after);                  // d/d(new t)
        Assert.Equal(new double[] { 3, 6 }, before);                 // d/d(old t) = 3 · [1, 2]
        Assert.Equal(new double[] { 1, 2 }, D(t.Grad!));             // retained gradient of the new values
        Assert.Equal(new[] { 3 * Math.Cos(0.5), 6 * Math.Cos(1.0) }, D(x.Grad!));
    }
}
