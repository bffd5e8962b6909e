namespace Nabla.Tests.Diagnostics;

/// <summary>Why a gradient is null: Autograd.Grad's unused-input errors and GradientTape.ExplainNullGradient.</summary>
public class ExplainTests
{
    static Tensor V(params double[] values) => Tensor.FromArray(values, [values.Length], requiresGrad: true);

    static string GradError(Tensor output, Tensor input) =>
        Assert.Throws<InvalidOperationException>(() => Autograd.Grad(output, input)).Message;

    [Fact]
    public void UnusedInputCutByDetach()
    {
        var x = V(1, 2);
        var z = V(3, 4);
        var y = (x.Detach() * 2.0 + z).Sum();
        var msg = GradError(y, x);
        Assert.Contains("input 0 ([2] float64) was not used", msg);
        Assert.Contains("Detach()", msg);
        Assert.Contains("allowUnused: true", msg);
        Assert.DoesNotContain("NoGrad", msg);
        Assert.Null(Autograd.Grad(y, x, allowUnused: true));
    }

    [Fact]
    public void UnusedInputComputedUnderNoGrad()
    {
        var x = V(1, 2);
        var z = V(3, 4);
        Tensor h;
        using (Autograd.NoGrad()) h = x.Exp();
        var y = (h * z).Sum();
        var msg = GradError(y, x);
        Assert.Contains("'exp' computed under NoGrad()", msg);
        Assert.DoesNotContain("Detach", msg);
    }

    [Fact]
    public void IntegerInputSaysIntegerDType()
    {
        var n = Tensor.FromArray(new long[] { 1, 2 }, [2]);
        var z = V(3, 4);
        var y = (z * n.To(DType.Float64)).Sum();
        var msg = GradError(y, n);
        Assert.Contains("int64", msg);
        Assert.Contains("integer dtype", msg);
        Assert.Contains("floating", msg);
    }

    [Fact]
    public void TrulyIndependentInput()
    {
        var x = V(1, 2);
        var z = V(3, 4);
        var y = (z * z).Sum();
        var msg = GradError(y, x);
        Assert.Contains("does not depend on it", msg);
        Assert.DoesNotContain("Detach", msg);
        Assert.DoesNotContain("NoGrad", msg);
    }

    [Fact]
    public void OnlyThroughAComparisonSaysSoAndNotNoGrad()
    {
        var x = V(1, -2);
        var z = V(3, 4);
        var y = (z * x.Gt(0.0).To(DType.Float64)).Sum();
        var msg = GradError(y, x);
        Assert.Contains("'gt', which has no gradient", msg);
        Assert.DoesNotContain("NoGrad", msg);
        Assert.DoesNotContain("Detach", msg);

        var m = V(1, 5, 2);
        var viaArgMax = (z * m.ArgMax().To(DType.Float64)).Sum();
        Assert.Contains("'argmax', which has no gradient", GradError(viaArgMax, m));
    }

    [Fact]
    public void NonFloatingResultOfADifferentiableOpIsNamed()
    {
        var x = V(1.5, -2.5);
        var z = V(3, 4);
        var y = (z * x.To(DType.Int64).To(DType.Float64)).Sum();
        var msg = GradError(y, x);
        Assert.Contains("'cast' has a non-floating result (int64), which carries no gradient", msg);
        Assert.DoesNotContain("NoGrad", msg);
    }

    [Fact]
    public void InputThatIsItselfDetachedOrNotRequiringGrad()
    {
        var x = V(1, 2);
        var d = x.Detach();
        var y = (x * 2.0).Sum();
        var msg = GradError(y, d);
        Assert.Contains("does not require grad", msg);
        Assert.Contains("Detach()", msg);

        var plain = Tensor.FromArray(new double[] { 1, 2 }, [2]);
        var msg2 = GradError(y, plain);
        Assert.Contains("does not require grad", msg2);
        Assert.Contains("RequiresGrad", msg2);
    }

    [Fact]
    public void TapeNotWatched()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2]);
        var v = new Variable(1.0);
        using var tape = new GradientTape(persistent: true, watchAccessedVariables: false);
        var y = (x * 2.0).Sum() + v * 3.0;
        Assert.Null(tape.Gradient(y, x));
        Assert.Contains("not watched", tape.ExplainNullGradient(y, x));
        Assert.Contains("not watched", tape.ExplainNullGradient(y, v));
        Assert.Contains("Watch", tape.ExplainNullGradient(y, x));
    }

    [Fact]
    public void TapeRecordedOutsideTheTape()
    {
        var v = new Variable(2.0);
        var before = v * v;                                   // computed before the tape started
        using var tape = new GradientTape(persistent: true);
        tape.Watch(v);
        var y = before * 3.0;
        Assert.Null(tape.Gradient(y, v));
        var msg = tape.ExplainNullGradient(y, v);
        Assert.Contains("outside", msg);
        Assert.Contains("before the tape started", msg);
    }

    [Fact]
    public void TapeRecordedUnderStopRecording()
    {
        var v = new Variable(2.0);
        var w = new Variable(5.0);
        using var tape = new GradientTape(persistent: true);
        var used = v * 1.0;                                   // v is watched
        Tensor h;
        using (tape.StopRecording()) h = v * v;
        var y = h * w;
        Assert.Null(tape.Gradient(y, v));
        Assert.Equal(4.0, tape.Gradient(y, w)!.Item<double>());
        Assert.Contains("StopRecording()", tape.ExplainNullGradient(y, v));
        GC.KeepAlive(used);
    }

    [Fact]
    public void TapeWatchedPlainTensorUnderStopRecordingOrNoGrad()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2]);
        var w = new Variable(5.0);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        Tensor a, b;
        using (tape.StopRecording()) a = x.Exp();
        using (Autograd.NoGrad()) b = x.Sin();
        var ya = (a * w).Sum();
        var yb = (b * w).Sum();
        Assert.Null(tape.Gradient(ya, x));
        Assert.Contains("StopRecording()", tape.ExplainNullGradient(ya, x));
        Assert.Contains("'sin' computed under NoGrad()", tape.ExplainNullGradient(yb, x));
    }

    [Fact]
    public void TapeCutByDetachAndNoGrad()
    {
        var v = new Variable(2.0);
        var w = new Variable(5.0);
        using var tape = new GradientTape(persistent: true);
        var y1 = (v * 2.0).Detach() * 3.0 + w;
        Tensor h;
        using (Autograd.NoGrad()) h = v.Exp();
        var y2 = h * w;
        Assert.Null(tape.Gradient(y1, v));
        Assert.Contains("Detach()", tape.ExplainNullGradient(y1, v));
        Assert.Contains("'exp' computed under NoGrad()", tape.ExplainNullGradient(y2, v));

        // a watched plain tensor detached inside the tape
        var x = Tensor.Scalar(1.5);
        tape.Watch(x);
        var y3 = x.Detach() * 2.0 + w;
        Assert.Contains("Detach()", tape.ExplainNullGradient(y3, x));
    }

    [Fact]
    public void TapeIntegerDType()
    {
        var n = Tensor.FromArray(new long[] { 1, 2 }, [2]);
        var w = new Variable(5.0);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(n);
        var y = (n.To(DType.Float64) * w).Sum();
        Assert.Null(tape.Gradient(y, n));
        var msg = tape.ExplainNullGradient(y, n);
        Assert.Contains("integer dtype", msg);
        Assert.Contains("int64", msg);
    }

    [Fact]
    public void TapeConnected()
    {
        var v = new Variable(2.0);
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2]);
        using var tape = new GradientTape();
        tape.Watch(x);
        var y = (x * v).Sum();
        Assert.StartsWith("connected", tape.ExplainNullGradient(y, v));
        Assert.StartsWith("connected", tape.ExplainNullGradient(y, x));
        // explaining does not use up a non-persistent tape
        Assert.Equal(3.0, tape.Gradient(y, v)!.Item<double>());
    }

    [Fact]
    public void TapeIndependent()
    {
        var v = new Variable(2.0);
        var w = new Variable(3.0);
        using var tape = new GradientTape(persistent: true);
        var y = w * w;
        _ = v * 1.0;
        Assert.Contains("does not depend on it", tape.ExplainNullGradient(y, v));
    }
}
