using System.Runtime.CompilerServices;
using Nabla.Tests.Custom;

namespace Nabla.Tests.Diagnostics;

/// <summary>
/// Autograd.DetectAnomaly: the first NaN/Inf in forward or backward throws, naming the op and the
/// exact file:line of the forward call. Lines are captured with [CallerLineNumber] on the same line as the call.
/// </summary>
public class AnomalyTests
{
    static int Line([CallerLineNumber] int line = 0) => line;

    const string File = "AnomalyTests.cs";

    static Tensor V(params double[] values) => Tensor.FromArray(values, [values.Length], requiresGrad: true);

    [Fact]
    public void ForwardNaNNamesTheOpAndTheExactLine()
    {
        var x = V(1, -1);
        using var scope = Autograd.DetectAnomaly();
        int line = Line(); var ex = Assert.Throws<ArithmeticException>(() => x.Log());
        Assert.Contains("log", ex.Message);
        Assert.Contains("forward from finite inputs", ex.Message);
        Assert.Contains($"AnomalyTests.{nameof(ForwardNaNNamesTheOpAndTheExactLine)} (lambda) ({File}:{line})", ex.Message);
        Assert.Contains($"{File}:{line})", ex.Message);
    }

    [Fact]
    public void ForwardInfWithoutLambdaNamesTheTestMethod()
    {
        var x = V(1, 1000);
        using var scope = Autograd.DetectAnomaly();
        int line = 0;
        try
        {
            var ok = x * 2.0;
            line = Line(); _ = ok.Exp();
            Assert.Fail("exp(2000) = Inf should have thrown");
        }
        catch (ArithmeticException ex)
        {
            Assert.StartsWith("exp:", ex.Message);
            Assert.Contains(nameof(ForwardInfWithoutLambdaNamesTheTestMethod), ex.Message);
            Assert.Contains($"{File}:{line})", ex.Message);
        }
    }

    [Fact]
    public void OnlyTheFirstOffendingOpIsReported()
    {
        var x = V(0, 2);
        using var scope = Autograd.DetectAnomaly();
        var a = x * 3.0 + 1.0;                    // finite
        var b = a.Sqrt();                          // finite
        int line = 0;
        var ex = Assert.Throws<ArithmeticException>(() =>
        {
            var c = b - 1.0;                       // [0, 2.6]: finite
            line = Line(); var d = 1.0 / c;        // 1/0 = Inf: the first one
            return d.Log();                        // would be NaN-free anyway, never reached
        });
        Assert.StartsWith("div:", ex.Message);
        Assert.Contains($"{File}:{line})", ex.Message);
    }

    [Fact]
    public void Float32OverflowIsCaught()
    {
        var x = Tensor.FromArray(new float[] { 100f }, [1]);
        Assert.True(float.IsInfinity(x.Exp().Item<float>()));
        using var scope = Autograd.DetectAnomaly();
        int line = Line(); var ex = Assert.Throws<ArithmeticException>(() => x.Exp());
        Assert.Contains("float32", ex.Message);
        Assert.Contains($"{File}:{line})", ex.Message);
    }

    [Fact]
    public void BackwardInfNamesTheNodeAndTheLineOfItsForwardCall()
    {
        // sqrt(0) = 0 is finite; its gradient 1/(2·0) = Inf.
        var x = V(0, 4);
        using var scope = Autograd.DetectAnomaly();
        int forwardLine = Line(); var y = x.Sqrt();
        Assert.Equal(new double[] { 0, 2 }, y.ToArray<double>());
        var loss = y.Sum();
        var ex = Assert.Throws<ArithmeticException>(() => loss.Backward());
        Assert.StartsWith("SqrtBackward", ex.Message);
        Assert.Contains($"{File}:{forwardLine})", ex.Message);
        Assert.DoesNotContain("in forward", ex.Message);
    }

    [Fact]
    public void BackwardInfThroughAutogradGradAndTape()
    {
        var x = V(0, 4);
        using var scope = Autograd.DetectAnomaly();
        int line = Line(); var y = (x * 1.0).Sqrt().Sum();
        var ex = Assert.Throws<ArithmeticException>(() => Autograd.Grad(y, x));
        Assert.StartsWith("SqrtBackward", ex.Message);
        Assert.Contains($"{File}:{line})", ex.Message);

        var v = new Variable(Tensor.FromArray(new double[] { 0, 4 }, [2]));
        using var tape = new GradientTape();
        int tapeLine = Line(); var z = v.Sqrt().Sum();
        var ex2 = Assert.Throws<ArithmeticException>(() => tape.Gradient(z, v));
        Assert.StartsWith("SqrtBackward", ex2.Message);
        Assert.Contains($"{File}:{tapeLine})", ex2.Message);
    }

    [Fact]
    public void CustomFunctionBackwardReturningInfIsNamed()
    {
        var x = V(1, 2);
        using var scope = Autograd.DetectAnomaly();
        int line = Line(); var y = new BadBackward(g => [g * double.PositiveInfinity]).Apply(x);
        var ex = Assert.Throws<ArithmeticException>(() => y.Sum().Backward());
        // g · Inf only passes on the constant's Inf: the node's result is what gets reported
        Assert.StartsWith("FaultyBackward: returned NaN or Inf in the gradient of input 0", ex.Message);
        Assert.Contains($"{File}:{line})", ex.Message);
    }

    [Fact]
    public void OutsideTheScopeNothingIsChecked()
    {
        var x = V(0, -1);
        using (Autograd.DetectAnomaly()) { _ = x * 2.0; }
        var y = x.Log();                                       // -Inf, NaN
        Assert.True(double.IsNegativeInfinity(y.ToArray<double>()[0]));
        Assert.True(double.IsNaN(y.ToArray<double>()[1]));
        var s = x.Abs().Sqrt().Sum();
        s.Backward();                                          // gradient Inf at 0
        Assert.False(double.IsFinite(x.Grad!.ToArray<double>()[0]));  // Inf · sign(0) = NaN

        // A graph built inside the scope is not checked by a backward run outside it.
        var z = V(0);
        Tensor w;
        using (Autograd.DetectAnomaly()) w = z.Sqrt().Sum();
        w.Backward();
        Assert.True(double.IsPositiveInfinity(z.Grad!.Item<double>()));
    }

    [Fact]
    public void FiniteGradientsAtKinksDoNotThrow()
    {
        var x = V(0, -1, 2);
        using var scope = Autograd.DetectAnomaly();
        var y = x.Relu() + x.Abs() + x.Clamp(-1, 2) + x.Pow(2) + x.Maximum(Tensor.FromArray(new double[] { 0, 0, 0 }, [3]));
        y.Sum().Backward();
        Assert.All(x.Grad!.ToArray<double>(), g => Assert.True(double.IsFinite(g)));
    }

    [Fact]
    public void NestedScopesRestoreOnDispose()
    {
        var x = V(-1);
        var outer = Autograd.DetectAnomaly();
        using (Autograd.DetectAnomaly()) Assert.Throws<ArithmeticException>(() => x.Log());
        Assert.Throws<ArithmeticException>(() => x.Log());     // the outer scope is still on
        outer.Dispose();
        Assert.True(double.IsNaN(x.Log().Item<double>()));
    }

    [Fact]
    public void NaNAlreadyInTheDataIsReportedAtItsFirstUseAsReceived()
    {
        var data = Tensor.FromArray(new double[] { 1, double.NaN }, [2]);
        var w = V(2, 3);
        using var scope = Autograd.DetectAnomaly();
        int line = Line(); var ex = Assert.Throws<ArithmeticException>(() => w * data);
        Assert.StartsWith("mul: its input 1 ([2] float64) already holds NaN or Inf", ex.Message);
        Assert.Contains($"{File}:{line})", ex.Message);
    }

    [Fact]
    public void LocalFunctionCallSiteIsNamedReadably()
    {
        var x = V(-2);
        using var scope = Autograd.DetectAnomaly();
        int line = 0;
        Tensor Bad() { line = Line(); return x.Sqrt(); }
        var ex = Assert.Throws<ArithmeticException>(Bad);
        Assert.Contains($"AnomalyTests.{nameof(LocalFunctionCallSiteIsNamedReadably)}.Bad ({File}:{line})", ex.Message);
    }

    [Fact]
    public void BackwardOfAGraphBuiltOutsideTheScopeSaysWhereToLook()
    {
        var x = V(0);
        var y = x.Sqrt();
        using var scope = Autograd.DetectAnomaly();
        var ex = Assert.Throws<ArithmeticException>(() => y.Backward());
        Assert.StartsWith("SqrtBackward", ex.Message);
        Assert.Contains("inside DetectAnomaly()", ex.Message);
    }
}
