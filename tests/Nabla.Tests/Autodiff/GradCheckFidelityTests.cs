namespace Nabla.Tests.Autodiff;

/// <summary>
/// GradCheck runs the checked function as written, in the caller's grad mode (torch.autograd.gradcheck
/// perturbs the inputs without recording but calls the function normally), so a function that itself
/// takes a gradient (a gradient penalty) can be checked, to first and second order.
/// </summary>
public class GradCheckFidelityTests
{
    static readonly double[] Xs = [0.7, -1.3, 0.4];

    // f(x) = Σ (∂/∂x Σ x³)² = Σ (3x²)² = 9 Σ x⁴, so ∂f/∂x = 36 x³ and ∂²f/∂x² = 108 x² (diagonal).
    static Tensor GradientPenalty(Tensor[] xs)
    {
        var x = xs[0];
        var g = Autograd.Grad((x * x * x).Sum(), x, createGraph: true)!;
        return (g * g).Sum();
    }

    [Fact]
    public void GradientPenaltyPassesFirstOrderCheck()
    {
        Assert.True(GradCheck.Check(GradientPenalty, [Tensor.FromArray(Xs, [3])]));
    }

    [Fact]
    public void GradientPenaltyPassesSecondOrderCheck()
    {
        Assert.True(GradCheck.CheckSecondOrder(GradientPenalty, [Tensor.FromArray(Xs, [3])]));
    }

    [Fact]
    public void GradientPenaltyGradientIsHandDerivedValue()
    {
        // The value GradCheck compared against finite differences: 36 x³.
        var x = Tensor.FromArray(Xs, [3], requiresGrad: true);
        var g = Autograd.Grad(GradientPenalty([x]), x)!.ToDoubleArray();
        for (int i = 0; i < 3; i++) Assert.Equal(36 * Math.Pow(Xs[i], 3), g[i], 12);
    }

    /// <summary>x³ whose backward has the right value 3x² but only half its derivative (one factor of x detached).</summary>
    sealed class CubeWithWrongSecondDerivative : CustomFunction
    {
        protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return [inputs[0] * inputs[0] * inputs[0]];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs)
        {
            var x = ctx.SavedTensors[0];
            return [gradOutputs[0] * 3.0 * x * x.Detach()];
        }
    }

    [Fact]
    public void GradientPenaltyThroughWrongSecondDerivativeFails()
    {
        // f = Σ g², g = 3x²: the true ∂f/∂x is 36x³, the broken rule gives 2·3x²·3x = 18x³. The check sees it
        // only because f now runs with recording on in the finite-difference pass too.
        Tensor Penalty(Tensor[] xs)
        {
            var x = xs[0];
            var g = Autograd.Grad(new CubeWithWrongSecondDerivative().Apply(x).Sum(), x, createGraph: true)!;
            return (g * g).Sum();
        }
        var e = Assert.Throws<GradCheckException>(() => GradCheck.Check(Penalty, [Tensor.FromArray(Xs, [3])]));
        Assert.Equal(18 * Math.Pow(Xs[e.InputElement[0]], 3), e.Analytical, 9);
        Assert.Equal(36 * Math.Pow(Xs[e.InputElement[0]], 3), e.Numerical, 5);
    }

    [Fact]
    public void FunctionSeesCallersGradModeInFiniteDifferencePass()
    {
        var modes = new List<bool>();
        Assert.True(GradCheck.Check(xs =>
        {
            modes.Add(Autograd.IsGradEnabled);
            return xs[0].Sin();
        }, [Tensor.FromArray(Xs, [3])]));
        Assert.Equal(1 + 2 * 3, modes.Count);  // one analytical pass, two evaluations per element
        Assert.All(modes, Assert.True);
    }
}
