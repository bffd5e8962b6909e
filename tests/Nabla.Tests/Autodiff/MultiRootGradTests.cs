namespace Nabla.Tests.Autodiff;

/// <summary>
/// Autograd.Grad over several outputs and inputs: a shared node runs once, and materializeGrads
/// (PyTorch 2.x materialize_grads) gives zeros of an unused input's shape and dtype instead of null.
/// </summary>
public class MultiRootGradTests
{
    static double[] D(Tensor t) => t.ToArray<double>();

    [Fact]
    public void GradOfTwoOutputsRunsTheSharedNodeOnceAndTouchesNoGrad()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var h = x.Exp();
        int calls = 0;
        using var count = h.GradFn!.RegisterHook((_, _) => { calls++; return null; });
        var g = Autograd.Grad([(h * 2.0).Sum(), h.Sum()], [x])[0]!;   // (2 + 1) · e^x
        Assert.Equal(1, calls);
        Assert.Equal(new[] { 3 * Math.Exp(1), 3 * Math.Exp(2) }, D(g));
        Assert.Null(x.Grad);
    }

    [Fact]
    public void MaterializeGradsGivesZerosOfTheUnusedInputsShapeAndDType()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var unused = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3], requiresGrad: true);
        var y = (x * x).Sum();
        var g = Autograd.Grad([y], [x, unused], materializeGrads: true);
        Assert.Equal(new double[] { 2, 4 }, D(g[0]!));
        Assert.Equal([2, 3], g[1]!.Shape.ToArray());
        Assert.Equal(DType.Float32, g[1]!.DType);
        Assert.Equal(new float[6], g[1]!.ToArray<float>());

        // The single-tensor overload, and materializeGrads implies allowUnused.
        var z = Autograd.Grad((x * 3.0).Sum(), unused, materializeGrads: true)!;
        Assert.Equal(new float[6], z.ToArray<float>());
        Assert.Equal(new float[6], Autograd.Grad((x * 3.0).Sum(), unused, allowUnused: true, materializeGrads: true)!.ToArray<float>());
    }

    [Fact]
    public void WithoutMaterializeGradsUnusedInputsStayNullOrThrow()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var unused = Tensor.FromArray(new double[] { 5 }, [1], requiresGrad: true);
        Assert.Null(Autograd.Grad((x * 3.0).Sum(), unused, allowUnused: true));
        var ex = Assert.Throws<InvalidOperationException>(() => Autograd.Grad((x * 3.0).Sum(), unused));
        Assert.Contains("was not used", ex.Message);
    }

    [Fact]
    public void MaterializeGradsWithAllowUnusedFalseIsAnError()
    {
        // PyTorch raises too: materialize_grads needs allow_unused left out or True.
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var ex = Assert.Throws<ArgumentException>(() => Autograd.Grad((x * x).Sum(), x, allowUnused: false, materializeGrads: true));
        Assert.Contains("materializeGrads", ex.Message);
        Assert.Contains("allowUnused: false", ex.Message);
        Assert.Contains("MultiRootGradTests.cs", ex.Message);
    }

    [Fact]
    public void MaterializedZerosDoNotBreakSecondOrder()
    {
        // y = x² · 1 with w unused: dy/dx = 2x (with graph), dy/dw = 0; d(sum dy/dx)/dx = 2.
        var x = Tensor.FromArray(new double[] { 1, 3 }, [2], requiresGrad: true);
        var w = Tensor.FromArray(new double[] { 4 }, [1], requiresGrad: true);
        var g = Autograd.Grad([(x * x).Sum()], [x, w], createGraph: true, materializeGrads: true);
        Assert.Equal(new double[] { 2, 6 }, D(g[0]!));
        Assert.Equal(new double[] { 0 }, D(g[1]!));
        Assert.Equal(new double[] { 2, 2 }, D(Autograd.Grad(g[0]!.Sum(), x)!));
    }

    [Fact]
    public void GradWithNoInputsIsAnError()
    {
        var x = Tensor.FromArray(new double[] { 1 }, [1], requiresGrad: true);
        var ex = Assert.Throws<ArgumentException>(() => Autograd.Grad([(x * x).Sum()], []));
        Assert.Contains("inputs is empty", ex.Message);
    }
}
