using Nabla.Engine;

namespace Nabla.Tests.Autodiff;

/// <summary>
/// The order of every hook kind during backward, as PyTorch's engine runs them (autograd notes,
/// "Backward Hooks execution"): tensor hooks, the retains-grad update, node pre-hooks, the node, node
/// post hooks; at a leaf: tensor hooks, the accumulator's pre-hooks, accumulation, post-accumulate-grad
/// hooks, the accumulator's post hooks. And which hooks fire for Backward versus Autograd.Grad.
/// </summary>
public class NodeHookOrderTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    /// <summary>x = [1, 2]; h = 2x; y = sum(3h), with one hook of every kind, each changing the gradient.</summary>
    sealed class Setup
    {
        public readonly Tensor X = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        public readonly Tensor H;
        public readonly Tensor Y;
        public readonly List<string> Order = [];
        public double[]? RetainedAtPrehook;
        public double[]? GradOutAtPost, GradInAtPost, GradAtPostAccumulate, GradOutAtAccPost;
        public int GradInCountAtAccPost = -1;

        public Setup()
        {
            H = X * 2.0;
            Y = (H * 3.0).Sum();
            var node = H.GradFn!;
            var acc = node.NextFunctions[0].Node!;
            // Registered out of order on purpose: the order of kinds must not depend on it.
            acc.RegisterHook((gIn, gOut) =>
            {
                Order.Add("accPost");
                GradInCountAtAccPost = gIn.Length;
                GradOutAtAccPost = D(gOut[0]!);
                return null;
            });
            X.RegisterPostAccumulateGradHook(t => { Order.Add("postAccumulate"); GradAtPostAccumulate = D(t.Grad!); });
            node.RegisterHook((gIn, gOut) =>
            {
                Order.Add("post");
                GradInAtPost = D(gIn[0]!);
                GradOutAtPost = D(gOut[0]!);
                return [gIn[0]! + 1.0, gIn[1]];
            });
            node.RegisterPrehook(gOut =>
            {
                Order.Add("pre");
                RetainedAtPrehook = H.Grad is null ? null : D(H.Grad);
                return [gOut[0]! * 2.0];
            });
            acc.RegisterPrehook(gOut => { Order.Add("accPre"); return [gOut[0]! + 0.5]; });
            X.RegisterHook(g => { Order.Add("leafTensor"); return g * -1.0; });
            H.RegisterHook(g => { Order.Add("tensor1"); return g * 10.0; });
            H.RetainGrad();                                         // before tensor2, yet it runs after it
            H.RegisterHook(g => { Order.Add("tensor2"); return g + 1.0; });
        }
    }

    [Fact]
    public void BackwardRunsEveryHookKindInPyTorchsOrder()
    {
        var s = new Setup();
        s.Y.Backward();

        Assert.Equal(["tensor1", "tensor2", "pre", "post", "leafTensor", "accPre", "postAccumulate", "accPost"], s.Order);
        // gradient of h: 3 -> tensor1 ·10 = 30 -> tensor2 +1 = 31 (what .Grad retains) -> pre ·2 = 62
        Assert.Equal(new double[] { 31, 31 }, s.RetainedAtPrehook);
        Assert.Equal(new double[] { 31, 31 }, D(s.H.Grad!));
        Assert.Equal(new double[] { 62, 62 }, s.GradOutAtPost);
        // MulBackward: 62 · 2 = 124 -> post +1 = 125 -> leaf tensor hook ·(-1) -> accumulator pre-hook +0.5
        Assert.Equal(new double[] { 124, 124 }, s.GradInAtPost);
        Assert.Equal(new double[] { -124.5, -124.5 }, s.GradAtPostAccumulate);
        Assert.Equal(new double[] { -124.5, -124.5 }, D(s.X.Grad!));
        Assert.Equal(0, s.GradInCountAtAccPost);                    // an accumulator has no inputs
        Assert.Equal(new double[] { -124.5, -124.5 }, s.GradOutAtAccPost);
    }

    [Fact]
    public void AutogradGradFiresTensorHooksAndExecutedNodesHooksButNoAccumulatorOrRetainedGrad()
    {
        var s = new Setup();
        var gx = Autograd.Grad(s.Y, s.X)!;

        // The leaf's accumulator does not run (nothing is accumulated), so neither do its hooks.
        Assert.Equal(["tensor1", "tensor2", "pre", "post", "leafTensor"], s.Order);
        Assert.Equal(new double[] { -125, -125 }, D(gx));
        Assert.Null(s.RetainedAtPrehook);                           // retain_grad's .Grad is for Backward only
        Assert.Null(s.H.Grad);
        Assert.Null(s.X.Grad);
    }

    [Fact]
    public void HooksOfOneKindRunInRegistrationOrderAndSeeEarlierChanges()
    {
        var a = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var b = a.Exp();                                             // gx = g · e^a
        var node = b.GradFn!;
        var seen = new List<string>();
        using var p1 = node.RegisterPrehook(g => { seen.Add($"pre1:{D(g[0]!)[0]}"); return [g[0]! * 3.0]; });
        using var p2 = node.RegisterPrehook(g => { seen.Add($"pre2:{D(g[0]!)[0]}"); return null; });
        using var q1 = node.RegisterHook((gIn, _) => { seen.Add("post1"); return [gIn[0]! * 0.0 + 7.0]; });
        using var q2 = node.RegisterHook((gIn, _) => { seen.Add($"post2:{D(gIn[0]!)[0]}"); return null; });
        b.Sum().Backward();
        Assert.Equal(["pre1:1", "pre2:3", "post1", "post2:7"], seen);
        Assert.Equal(new double[] { 7, 7 }, D(a.Grad!));
    }

    [Fact]
    public void BackwardWithInputsRunsTheInputsOwnNodeButAutogradGradDoesNot()
    {
        // PyTorch's notes: backward(inputs=...) executes the Node of a tensor passed as an input (its node
        // hooks fire); autograd.grad does not execute it unless another input needs what it computes.
        // Tensor hooks on the input fire in both.
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var h = x * x;
        var y = (h * 3.0).Sum();
        int tensorHook = 0, pre = 0, post = 0;
        using var th = h.RegisterHook(_ => { tensorHook++; return null; });
        using var ph = h.GradFn!.RegisterPrehook(_ => { pre++; return null; });
        using var qh = h.GradFn.RegisterHook((_, _) => { post++; return null; });

        var gh = Autograd.Grad(y, h, retainGraph: true)!;
        Assert.Equal(new double[] { 3, 3 }, D(gh));
        Assert.Equal((1, 0, 0), (tensorHook, pre, post));

        Autograd.Backward([y], inputs: [h]);
        Assert.Equal((2, 1, 1), (tensorHook, pre, post));
        Assert.Equal(new double[] { 3, 3 }, D(h.Grad!));
        Assert.Null(x.Grad);                                         // x was not asked for
    }
}
