namespace Nabla.Tests.Custom;

/// <summary>
/// PyTorch's custom-function context features: once_differentiable, set_materialize_grads, mark_dirty
/// and save_for_backward with None, with values derived by hand.
/// </summary>
public class CustomFunctionFidelityTests
{
    static readonly double[] Xs = [-0.5, 0.25, 1.5];

    /// <summary>|actual - expected| within a relative 1e-14 (a few ulps: exp kernels may differ from Math.Exp in the last bit).</summary>
    static void Near(double expected, double actual) =>
        Assert.True(Math.Abs(actual - expected) <= 1e-14 * Math.Max(1, Math.Abs(expected)), $"{actual:R} vs expected {expected:R}");

    /// <summary>exp(x) with a backward marked once-differentiable; records whether grad mode was on inside it.</summary>
    sealed class OnceExp : CustomFunction
    {
        public readonly List<bool> GradModeInBackward = [];

        protected override bool OnceDifferentiable => true;

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var y = inputs[0].Exp();
            ctx.SaveForBackward(y);
            return [y];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            GradModeInBackward.Add(Autograd.IsGradEnabled);
            return [gradOutputs[0] * ctx.SavedTensors[0]];
        }
    }

    [Fact]
    public void OnceDifferentiableGivesFirstOrderGradient()
    {
        var x = Tensor.FromArray(Xs, [3], requiresGrad: true);
        var f = new OnceExp();
        var g = Autograd.Grad(f.Apply(x).Sum(), x)!.ToDoubleArray();
        for (int i = 0; i < 3; i++) Near(Math.Exp(Xs[i]), g[i]);
        Assert.Equal([false], f.GradModeInBackward);
    }

    [Fact]
    public void OnceDifferentiableBackwardRunsUnderNoGradEvenWithCreateGraph()
    {
        var x = Tensor.FromArray(Xs, [3], requiresGrad: true);
        var f = new OnceExp();
        var g = Autograd.Grad(f.Apply(x).Sum(), x, createGraph: true)!;
        Assert.Equal([false], f.GradModeInBackward);
        for (int i = 0; i < 3; i++) Near(Math.Exp(Xs[i]), g.ToDoubleArray()[i]);
        // The first gradient is still connected (to a node that refuses to be differentiated), as PyTorch's DelayedError.
        Assert.True(g.RequiresGrad);
        Assert.Equal("DelayedErrorBackward", g.GradFn!.Name);
    }

    [Fact]
    public void OnceDifferentiableSecondGradThrowsNamingFunction()
    {
        var x = Tensor.FromArray(Xs, [3], requiresGrad: true);
        var g = Autograd.Grad(new OnceExp().Apply(x).Sum(), x, createGraph: true)!;
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Grad(g.Sum(), x));
        Assert.Contains("OnceExp", e.Message);
        Assert.Contains("differentiate twice", e.Message);
        Assert.Contains("OnceDifferentiable", e.Message);
    }

    [Fact]
    public void OnceDifferentiableNestedTapesThrowNamingFunction()
    {
        var v = new Variable(Tensor.FromArray(Xs, [3]));
        using var outer = new GradientTape();
        using var inner = new GradientTape();
        var y = new OnceExp().Apply(v).Sum();
        var g = inner.Gradient(y, v)!;
        var e = Assert.Throws<InvalidOperationException>(() => outer.Gradient(g, v));
        Assert.Contains("OnceExp", e.Message);
    }

    [Fact]
    public void OnceDifferentiableInForwardModeAsksForJvp()
    {
        var x = Tensor.FromArray(Xs, [3]);
        using var acc = new ForwardAccumulator(x, Tensor.OnesLike(x));
        var e = Assert.Throws<InvalidOperationException>(() => new OnceExp().Apply(x));
        Assert.Contains("OnceExp", e.Message);
        Assert.Contains("Jvp", e.Message);
    }

    /// <summary>(sin x, cos x); records the gradOutputs each backward call received.</summary>
    sealed class SinCosRecording(bool materialize) : CustomFunction
    {
        public readonly List<Tensor?[]> Received = [];

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SetMaterializeGrads(materialize);
            ctx.SaveForBackward(inputs[0]);
            return [inputs[0].Sin(), inputs[0].Cos()];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            Received.Add([.. gradOutputs]);
            var x = ctx.SavedTensors[0];
            Tensor? g = null;
            if (gradOutputs[0] is { } g0) g = g0 * x.Cos();
            if (gradOutputs[1] is { } g1) g = g is null ? -g1 * x.Sin() : g - g1 * x.Sin();
            return [g];
        }
    }

    [Fact]
    public void MaterializeGradsDefaultPassesZerosForUnusedOutput()
    {
        var x = Tensor.FromArray(Xs, [3], requiresGrad: true);
        var f = new SinCosRecording(materialize: true);
        var outs = f.ApplyAll(x);
        var g = Autograd.Grad((outs[0] * 2.0).Sum(), x)!.ToDoubleArray();
        for (int i = 0; i < 3; i++) Near(2 * Math.Cos(Xs[i]), g[i]);
        var call = Assert.Single(f.Received);
        Assert.NotNull(call[1]);
        Assert.Equal(new double[3], call[1]!.ToDoubleArray());
        Assert.Equal([3], call[1]!.Shape.ToArray());
    }

    [Fact]
    public void SetMaterializeGradsFalsePassesNullForUnusedOutput()
    {
        var x = Tensor.FromArray(Xs, [3], requiresGrad: true);
        var f = new SinCosRecording(materialize: false);
        var outs = f.ApplyAll(x);
        var g = Autograd.Grad((outs[1] * 3.0).Sum(), x)!.ToDoubleArray();
        for (int i = 0; i < 3; i++) Near(-3 * Math.Sin(Xs[i]), g[i]);
        var call = Assert.Single(f.Received);
        Assert.Null(call[0]);
        Assert.Equal([3.0, 3.0, 3.0], call[1]!.ToDoubleArray());
    }

    [Fact]
    public void SetMaterializeGradsFalseBothOutputsUsedSumsGradients()
    {
        var x = Tensor.FromArray(Xs, [3], requiresGrad: true);
        var outs = new SinCosRecording(materialize: false).ApplyAll(x);
        var g = Autograd.Grad((outs[0] + outs[1]).Sum(), x)!.ToDoubleArray();
        for (int i = 0; i < 3; i++) Near(Math.Cos(Xs[i]) - Math.Sin(Xs[i]), g[i]);
    }

    /// <summary>x ← exp(x) in place, saving the changed input itself (allowed: saved after the dirty bump, as PyTorch).</summary>
    internal sealed class ExpInPlace(bool markDirty = true, bool returnInput = true) : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var x = inputs[0];
            x.CopyFrom(x.Exp());
            if (markDirty) ctx.MarkDirty(x);
            ctx.SaveForBackward(x);
            return [returnInput ? x : x * 1.0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => [gradOutputs[0] * ctx.SavedTensors[0]];
    }

    [Fact]
    public void MarkDirtyReturnsInputItselfWithCustomHistory()
    {
        var a = Tensor.FromArray(Xs, [3], requiresGrad: true);
        var b = a * 2.0;
        var y = new ExpInPlace().Apply(b);
        Assert.Same(b, y);
        Assert.Equal("ExpInPlaceBackward", b.GradFn!.Name);
        for (int i = 0; i < 3; i++) Near(Math.Exp(2 * Xs[i]), b.ToDoubleArray()[i]);
        // d/da Σ exp(2a) = 2 exp(2a), through the custom node and then b's old history (MulBackward).
        y.Sum().Backward();
        for (int i = 0; i < 3; i++) Near(2 * Math.Exp(2 * Xs[i]), a.Grad!.ToDoubleArray()[i]);
    }

    [Fact]
    public void MarkDirtyBumpsVersionOnce()
    {
        var b = Tensor.FromArray(Xs, [3], requiresGrad: true) * 1.0;
        int before = b.Version;
        new ExpInPlace().Apply(b);
        // One for the write inside Forward (CopyFrom), one for MarkDirty, as torch's copy_ then mark_dirty.
        Assert.Equal(before + 2, b.Version);
    }

    [Fact]
    public void MarkDirtyInvalidatesEarlierSavedValue()
    {
        // PyTorch's mark_dirty docs example: b = a * a saved a; changing a in place makes b's backward throw.
        var leaf = Tensor.FromArray([1.0], [1], requiresGrad: true);
        var a = leaf * 1.0;
        var b = a * a;
        new ExpInPlace().Apply(a);
        var e = Assert.Throws<InvalidOperationException>(() => b.Sum().Backward());
        Assert.Contains("modified by an in-place operation", e.Message);
        Assert.Contains("ExpInPlace", e.Message);
    }

    [Fact]
    public void MarkDirtyInputNotReturnedThrows()
    {
        var b = Tensor.FromArray(Xs, [3], requiresGrad: true) * 1.0;
        var e = Assert.Throws<InvalidOperationException>(() => new ExpInPlace(returnInput: false).Apply(b));
        Assert.Contains("ExpInPlace", e.Message);
        Assert.Contains("MarkDirty", e.Message);
        Assert.Contains("not returned", e.Message);
    }

    [Fact]
    public void MarkDirtyLeafRequiringGradThrows()
    {
        var a = Tensor.FromArray(Xs, [3], requiresGrad: true);
        var e = Assert.Throws<InvalidOperationException>(() => new ExpInPlace().Apply(a));
        Assert.Contains("ExpInPlace", e.Message);
        Assert.Contains("leaf", e.Message);
        Assert.Contains("[3] float64", e.Message);
    }

    [Fact]
    public void MarkDirtyLeafUnderNoGradIsAllowed()
    {
        var a = Tensor.FromArray(Xs, [3], requiresGrad: true);
        int before = a.Version;
        using (Autograd.NoGrad()) Assert.Same(a, new ExpInPlace().Apply(a));
        Assert.True(a.IsLeaf);
        Assert.Equal(before + 2, a.Version);
        for (int i = 0; i < 3; i++) Near(Math.Exp(Xs[i]), a.ToDoubleArray()[i]);
    }

    [Fact]
    public void MarkDirtyPlainLeafBecomesNonLeafWhenOtherInputRecorded()
    {
        // x (no grad) ← x * w in place; w requires grad: x's history is now this function (PyTorch rebase).
        var x = Tensor.FromArray([1.0, 2.0, 3.0], [3]);
        var w = Tensor.FromArray([0.5, -1.0, 2.0], [3], requiresGrad: true);
        var y = new ScaleInPlace().ApplyAll(x, w)[0];
        Assert.Same(x, y);
        Assert.False(x.IsLeaf);
        (x * x).Sum().Backward();
        // d/dw Σ (x0 w)² = 2 x0² w
        Assert.Equal([2 * 1 * 0.5, 2 * 4 * -1.0, 2 * 9 * 2.0], w.Grad!.ToDoubleArray());
    }

    /// <summary>x ← x·w in place.</summary>
    internal sealed class ScaleInPlace : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var (x, w) = (inputs[0], inputs[1]);
            ctx.SaveForBackward(x.Clone(), w);
            x.MulInPlace(w);
            ctx.MarkDirty(x);
            return [x];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            var (x0, w) = (ctx.SavedTensors[0], ctx.SavedTensors[1]);
            return [gradOutputs[0] * w, gradOutputs[0] * x0];
        }
    }

    /// <summary>Saves (x, null, 2x) and checks they come back as saved.</summary>
    sealed class SavesNull : CustomFunction
    {
        public int SavedCount = -1;
        public bool MiddleWasNull;

        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0], null, inputs[0] * 2.0);
            return [inputs[0] * inputs[0]];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            var saved = ctx.SavedTensors;
            SavedCount = saved.Count;
            MiddleWasNull = saved[1] is null;
            return [gradOutputs[0] * saved[2]];   // d x²/dx = 2x
        }
    }

    [Fact]
    public void SaveForBackwardKeepsNullEntries()
    {
        var x = Tensor.FromArray(Xs, [3], requiresGrad: true);
        var f = new SavesNull();
        var g = Autograd.Grad(f.Apply(x).Sum(), x)!.ToDoubleArray();
        Assert.Equal(3, f.SavedCount);
        Assert.True(f.MiddleWasNull);
        for (int i = 0; i < 3; i++) Near(2 * Xs[i], g[i]);
    }
}
