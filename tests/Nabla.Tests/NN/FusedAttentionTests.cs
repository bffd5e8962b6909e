using Nabla.NN;
using Nabla.Optim;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.NN;

/// <summary>
/// The fused attention kernel against the composite (MatMul, Softmax, MatMul) on random inputs: values and gradients of
/// both, float64 and float32, causal with L ≠ S, batch and head broadcasting, sizes that are not multiples of the kernel's
/// blocks; second order and forward mode through the fused primitives; a compiled training step.
/// </summary>
public class FusedAttentionTests
{
    static Tensor Fused(Func<Tensor> f)
    {
        using (F.UseAttentionPath(F.AttentionPath.Fused)) return f();
    }

    static Tensor Composite(Func<Tensor> f)
    {
        using (F.UseAttentionPath(F.AttentionPath.Composite)) return f();
    }

    static void Close(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var (e, a) = (expected.To(DType.Float64).ToArray<double>(), actual.To(DType.Float64).ToArray<double>());
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"element {i}: {e[i]} vs {a[i]}");
    }

    /// <summary>Output and the gradients of Σ y∘w in q, k, v, for one path.</summary>
    static Tensor[] OutputAndGrads(bool fused, Tensor q, Tensor k, Tensor v, bool causal, double? scale, Tensor w)
    {
        Tensor Run() => F.ScaledDotProductAttention(q, k, v, isCausal: causal, scale: scale);
        var y = fused ? Fused(Run) : Composite(Run);
        var grads = Autograd.Grad([(y * w).Sum()], [q, k, v]);
        return [y, grads[0]!, grads[1]!, grads[2]!];
    }

    [Theory]
    [InlineData(1, 1, 1, 3, 2, false)]
    [InlineData(37, 70, 5, 7, 3, false)]        // not multiples of the 32-row and 64-key blocks
    [InlineData(70, 37, 8, 4, 2, true)]         // causal, L > S
    [InlineData(37, 130, 6, 6, 2, true)]        // causal, L < S: later keys never seen
    [InlineData(65, 65, 16, 16, 1, true)]
    public void FusedPathMatchesTheCompositeInValueAndGradientsInFloat64(int l, int s, int e, int ev, int batch, bool causal)
    {
        var q = Tensor.Randn([batch, 2, l, e], DType.Float64, seed: 11, requiresGrad: true);
        var k = Tensor.Randn([batch, 2, s, e], DType.Float64, seed: 12, requiresGrad: true);
        var v = Tensor.Randn([batch, 2, s, ev], DType.Float64, seed: 13, requiresGrad: true);
        var w = Tensor.Randn([batch, 2, l, ev], DType.Float64, seed: 14);
        var fused = OutputAndGrads(true, q, k, v, causal, null, w);
        var composite = OutputAndGrads(false, q, k, v, causal, null, w);
        for (int i = 0; i < 4; i++) Close(composite[i], fused[i], 1e-12);
    }

    [Fact]
    public void FusedPathMatchesTheCompositeInFloat32WithAScale()
    {
        var q = Tensor.Randn([3, 100, 32], seed: 21, requiresGrad: true);
        var k = Tensor.Randn([3, 90, 32], seed: 22, requiresGrad: true);
        var v = Tensor.Randn([3, 90, 32], seed: 23, requiresGrad: true);
        var w = Tensor.Randn([3, 100, 32], seed: 24);
        var fused = OutputAndGrads(true, q, k, v, true, 0.3, w);
        var composite = OutputAndGrads(false, q, k, v, true, 0.3, w);
        for (int i = 0; i < 4; i++) Close(composite[i], fused[i], 2e-5);
    }

    [Fact]
    public void BatchAndHeadDimsBroadcastOnTheFusedPath()
    {
        // q [2, 3, L, E] against one k and v shared by the batch ([1, 3, ...]) and v also shared by the heads.
        var q = Tensor.Randn([2, 3, 9, 4], DType.Float64, seed: 31, requiresGrad: true);
        var k = Tensor.Randn([1, 3, 11, 4], DType.Float64, seed: 32, requiresGrad: true);
        var v = Tensor.Randn([11, 5], DType.Float64, seed: 33, requiresGrad: true);
        var w = Tensor.Randn([2, 3, 9, 5], DType.Float64, seed: 34);
        var fused = OutputAndGrads(true, q, k, v, false, null, w);
        var composite = OutputAndGrads(false, q, k, v, false, null, w);
        Assert.Equal([2, 3, 9, 5], fused[0].Shape.ToArray());
        Assert.Equal([1, 3, 11, 4], fused[2].Shape.ToArray());
        Assert.Equal([11, 5], fused[3].Shape.ToArray());
        for (int i = 0; i < 4; i++) Close(composite[i], fused[i], 1e-12);
    }

    [Fact]
    public void TheDefaultPathIsTheFusedKernelAboveTheThreshold()
    {
        var q = Tensor.Randn([1, 4, F.FusedAttentionMinKeys + 1, 8], seed: 41);
        var counter = new PrimitiveNames();
        using (Nabla.Engine.Dispatch.Observe(counter)) F.ScaledDotProductAttention(q, q, q, isCausal: true);
        Assert.Contains("fused_attention", counter.Names);
        Assert.DoesNotContain("matmul", counter.Names);
        counter.Names.Clear();
        // Below the threshold, or with a mask, the composite.
        using (Nabla.Engine.Dispatch.Observe(counter)) F.ScaledDotProductAttention(q[.., .., ..(F.FusedAttentionMinKeys - 1)], q, q);
        Assert.Contains("fused_attention", counter.Names);
        counter.Names.Clear();
        var shortSeq = Tensor.Randn([1, 4, F.FusedAttentionMinKeys - 1, 8], seed: 42);
        using (Nabla.Engine.Dispatch.Observe(counter)) F.ScaledDotProductAttention(shortSeq, shortSeq, shortSeq);
        Assert.DoesNotContain("fused_attention", counter.Names);
        Assert.Contains("matmul", counter.Names);
        counter.Names.Clear();
        using (Nabla.Engine.Dispatch.Observe(counter)) F.ScaledDotProductAttention(q, q, q, attnMask: Tensor.Ones([q.Shape[2], q.Shape[2]], DType.Bool));
        Assert.DoesNotContain("fused_attention", counter.Names);
    }

    sealed class PrimitiveNames : Nabla.Engine.Interpreter
    {
        public readonly List<string> Names = [];

        public override void Call(Nabla.Primitives.Primitive op, Tensor[] inputs, ReadOnlySpan<Tensor> outputs) => Names.Add(op.Name);
    }

    [Fact]
    public void SecondOrderAndForwardModeOfTheFusedPathMatchTheComposite()
    {
        var q = Tensor.Randn([2, 35, 4], DType.Float64, seed: 51, requiresGrad: true);
        var k = Tensor.Randn([2, 67, 4], DType.Float64, seed: 52, requiresGrad: true);
        var v = Tensor.Randn([2, 67, 3], DType.Float64, seed: 53, requiresGrad: true);
        var w = Tensor.Randn([2, 35, 3], DType.Float64, seed: 54);
        Tensor[] SecondOrder(bool fused)
        {
            Tensor Run() => F.ScaledDotProductAttention(q, k, v, isCausal: true);
            var y = fused ? Fused(Run) : Composite(Run);
            var g = Autograd.Grad([(y * w).Sum()], [q, k, v], createGraph: true);
            // a scalar of all three first derivatives, differentiated again
            var h = (g[0]! * g[0]!).Sum() + (g[1]! * q.Sum(1, keepDim: true)).Sum() + g[2]!.Pow(2).Sum();
            return [.. Autograd.Grad([h], [q, k, v]).Select(t => t!)];
        }
        var (fs, cs) = (SecondOrder(true), SecondOrder(false));
        for (int i = 0; i < 3; i++) Close(cs[i], fs[i], 1e-10);

        // Forward mode: the JVP of the output in a random direction of q, k and v.
        Tensor Jvp(bool fused)
        {
            var (dq, dk, dv) = (Tensor.Randn([2, 35, 4], DType.Float64, seed: 55), Tensor.Randn([2, 67, 4], DType.Float64, seed: 56), Tensor.Randn([2, 67, 3], DType.Float64, seed: 57));
            var (q0, k0, v0) = (q.Detach(), k.Detach(), v.Detach());
            using var acc = new ForwardAccumulator([q0, k0, v0], [dq, dk, dv]);
            Tensor Run() => F.ScaledDotProductAttention(q0, k0, v0, isCausal: true);
            var y = fused ? Fused(Run) : Composite(Run);
            return acc.Jvp(y)!;
        }
        Close(Jvp(false), Jvp(true), 1e-11);
    }

    [Fact]
    public void FusedGradientMatchesFiniteDifferencesInFloat64()
    {
        var q = Tensor.Randn([1, 40, 3], DType.Float64, seed: 61);
        var k = Tensor.Randn([1, 70, 3], DType.Float64, seed: 62);
        var v = Tensor.Randn([1, 70, 2], DType.Float64, seed: 63);
        var w = Tensor.Randn([1, 40, 2], DType.Float64, seed: 64);
        var qg = q.Detach();
        qg.RequiresGrad = true;
        double Loss(Tensor qq) => Fused(() => (F.ScaledDotProductAttention(qq, k, v, isCausal: true) * w).Sum()).Item<double>();
        var grad = Autograd.Grad([Fused(() => (F.ScaledDotProductAttention(qg, k, v, isCausal: true) * w).Sum())], [qg])[0]!.ToArray<double>();
        var qa = q.ToArray<double>();
        const double h = 1e-6;
        foreach (int i in new[] { 0, 17, 60, 119 })
        {
            var plus = (double[])qa.Clone(); plus[i] += h;
            var minus = (double[])qa.Clone(); minus[i] -= h;
            double fd = (Loss(Tensor.FromArray(plus, [1, 40, 3])) - Loss(Tensor.FromArray(minus, [1, 40, 3]))) / (2 * h);
            Assert.Equal(fd, grad[i], 7);
        }
    }

    [Fact]
    public void CompiledTrainingStepWithFusedAttentionMatchesEager()
    {
        (Linear, Sgd) Model()
        {
            var net = new Linear(8, 8, seed: 3);
            return (net, new Sgd(net.Parameters(), learningRate: 0.1));
        }
        Func<Tensor, Tensor> Step(Linear net, Sgd opt) => x =>
        {
            opt.ZeroGrad();
            var q = net.Call(x);
            var y = F.ScaledDotProductAttention(q, x, x, isCausal: true);
            var loss = y.Pow(2).Mean();
            loss.Backward();
            opt.Step();
            return loss;
        };
        var (netE, optE) = Model();
        var (netC, optC) = Model();
        var eager = Step(netE, optE);
        var compiled = Graph.Compile(Step(netC, optC));
        using (F.UseAttentionPath(F.AttentionPath.Fused))
            for (int i = 0; i < 4; i++)
            {
                var x = Tensor.Randn([2, 40, 8], seed: 70 + i);
                Assert.Equal(eager(x).Item<float>(), compiled.Call(x).Item<float>(), 6);
            }
        Assert.Equal(1, compiled.TraceCount);
        Close(netE.Weight.Detach(), netC.Weight.Detach(), 1e-6);
        Assert.Contains("fused_attention", compiled.TracedGraphFor(Tensor.Randn([2, 40, 8], seed: 70)).ToString());
    }

    [Fact]
    public void ADynamicBatchDimFollowsThroughTheFusedPrimitivesFromOneTrace()
    {
        var w = Tensor.Randn([8, 8], DType.Float64, seed: 80);
        Tensor Loss(Tensor x)
        {
            using (F.UseAttentionPath(F.AttentionPath.Fused))
            {
                var q = x.MatMul(w);
                var y = F.ScaledDotProductAttention(q, x, x, isCausal: true);
                return (y * y).Sum();
            }
        }
        Tensor Grad(Tensor x) => Autograd.Grad([Loss(x)], [x])[0]!;
        var compiled = Graph.Compile(Grad, new CompileOptions { InputSignature = [new TensorSpec([null, 40, 8])] });
        foreach (int n in new[] { 3, 2, 5 })
        {
            var x = Tensor.Randn([n, 40, 8], DType.Float64, seed: 81 + n);
            x.RequiresGrad = true;
            Assert.Equal(Grad(x).ToArray<double>(), compiled.Call(x).ToArray<double>());
        }
        Assert.True(compiled.TraceCount == 1, compiled.Explain());
    }

    [Fact]
    public void CausalWithAMaskIsRefusedBeforeEitherPathRuns()
    {
        var q = Tensor.Randn([1, 2, F.FusedAttentionMinKeys, 4], seed: 90);
        var mask = Tensor.Ones([F.FusedAttentionMinKeys, F.FusedAttentionMinKeys], DType.Bool);
        var e = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, q, q, attnMask: mask, isCausal: true));
        Assert.Contains("ScaledDotProductAttention", e.Message);
        Assert.Contains("isCausal and attnMask can't be given together", e.Message);
        Assert.Contains("FusedAttentionTests.cs:", e.Message);
    }

    [Fact]
    public void AGradientGraphThroughTheFusedPrimitivesSavesAndLoads()
    {
        static Tensor Grad(Tensor x)
        {
            var leaf = x.Detach();
            leaf.RequiresGrad = true;
            using (F.UseAttentionPath(F.AttentionPath.Fused))
                return Autograd.Grad((F.ScaledDotProductAttention(leaf, leaf * 0.5, leaf, isCausal: true, scale: 0.8) * leaf).Sum(), leaf)!;
        }
        var compiled = Graph.Compile(Grad);
        compiled.Call(Tensor.Randn([2, 70, 5], DType.Float64, seed: 100));
        using var stream = new MemoryStream();
        compiled.Save(stream);
        stream.Position = 0;
        var loaded = CompiledFunction.Load(stream);
        var x = Tensor.Randn([2, 70, 5], DType.Float64, seed: 101);
        Assert.Equal(Grad(x).ToArray<double>(), loaded.Call(x).ToArray<double>());
    }

    [Fact]
    public void EmptyInputsGiveTheCompositesEmptyShapesOnEitherPath()
    {
        var q = Tensor.Randn([0, 2, 5, 4], DType.Float64, seed: 110);
        var k = Tensor.Randn([1, 2, 7, 4], DType.Float64, seed: 111);
        var v = Tensor.Randn([1, 2, 7, 3], DType.Float64, seed: 112);
        Assert.Equal([0, 2, 5, 3], Fused(() => F.ScaledDotProductAttention(q, k, v, isCausal: true)).Shape.ToArray());
        Assert.Equal([0, 2, 5, 3], Composite(() => F.ScaledDotProductAttention(q, k, v, isCausal: true)).Shape.ToArray());
    }

    [Fact]
    public void TwoDimensionalInputsTakeTheFusedPath()
    {
        var q = Tensor.Randn([40, 6], DType.Float64, seed: 120);
        var k = Tensor.Randn([70, 6], DType.Float64, seed: 121);
        var v = Tensor.Randn([70, 2], DType.Float64, seed: 122);
        var fused = Fused(() => F.ScaledDotProductAttention(q, k, v, isCausal: true));
        Assert.Equal([40, 2], fused.Shape.ToArray());
        Close(Composite(() => F.ScaledDotProductAttention(q, k, v, isCausal: true)), fused, 1e-12);
    }
}
