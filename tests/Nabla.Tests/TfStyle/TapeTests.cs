namespace Nabla.Tests.TfStyle;

/// <summary>GradientTape: what it watches and records, and what Gradient returns (TensorFlow's semantics).</summary>
public class TapeTests
{
    static double[] D(Tensor t) => t.ToDoubleArray();
    static Tensor Vec(params double[] v) => Tensor.FromArray(v, [v.Length]);

    [Fact]
    public void TrainableVariablesUsedInsideAreWatched()
    {
        var a = new Variable(Vec(1, 2, 3));
        var b = new Variable(Vec(-1, 0.5, 2));
        var unused = new Variable(4.0);
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = (a * b + a).Sum();
        var g = tape.Gradient(y, [a, b, unused]);
        Assert.Equal([0.0, 1.5, 3.0], D(g[0]!));          // b + 1
        Assert.Equal([1.0, 2.0, 3.0], D(g[1]!));          // a
        Assert.Null(g[2]);
        Assert.Equal([a, b], tape.WatchedVariables());
    }

    [Fact]
    public void WithoutWatchAccessedVariablesOnlyWatchedOnesCount()
    {
        var a = new Variable(2.0);
        var b = new Variable(5.0);
        var tape = new GradientTape(persistent: true, watchAccessedVariables: false);
        Tensor y;
        using (tape)
        {
            tape.Watch(b);
            y = a * a * b;
        }
        Assert.Null(tape.Gradient(y, a));
        Assert.Equal(4.0, tape.Gradient(y, b)!.Item<double>());   // a^2
        Assert.Equal([b], tape.WatchedVariables());
        Assert.Equal(0.0, tape.Gradient(y, a, unconnected: UnconnectedGradients.Zero)!.Item<double>());
    }

    [Fact]
    public void WatchPlainTensorAndList()
    {
        var p = Vec(1, 2);
        var q = Tensor.Scalar(3.0);
        var r = Tensor.Scalar(-2.0);
        var tape = new GradientTape();
        Tensor y;
        using (tape)
        {
            tape.Watch(p);
            tape.Watch([q, r]);
            y = (p * p).Sum() * q + r * r * r;
        }
        var g = tape.Gradient(y, [p, q, r]);
        Assert.Equal([6.0, 12.0], D(g[0]!));   // 2 p q
        Assert.Equal(5.0, g[1]!.Item<double>()); // sum p^2
        Assert.Equal(12.0, g[2]!.Item<double>()); // 3 r^2
        Assert.Empty(tape.WatchedVariables());   // plain tensors are not variables
        Assert.False(p.RequiresGrad);
        Assert.Null(p.Grad);
    }

    [Fact]
    public void UnwatchedPlainTensorsAndRequiresGradLeavesGiveNull()
    {
        var p = Vec(1, 2);
        var leaf = Tensor.Scalar(2.0, requiresGrad: true);  // PyTorch style: a tape does not watch it
        var x = new Variable(3.0);
        var tape = new GradientTape(persistent: true);
        Tensor y;
        using (tape) y = (p * x).Sum() * leaf;
        Assert.Null(tape.Gradient(y, p));
        Assert.Null(tape.Gradient(y, leaf));
        Assert.Equal(6.0, tape.Gradient(y, x)!.Item<double>());   // (1 + 2) * 2
        var zeros = tape.Gradient(y, [p, leaf], unconnected: UnconnectedGradients.Zero);
        Assert.Equal([0.0, 0.0], D(zeros[0]!));
        Assert.Equal([2], zeros[0]!.Shape.ToArray());
        Assert.Equal(0.0, zeros[1]!.Item<double>());
    }

    [Fact]
    public void WatchedVariablesKeepFirstUseOrder()
    {
        var a = new Variable(1.0);
        var b = new Variable(2.0);
        var c = new Variable(3.0);
        var plain = Tensor.Scalar(4.0);
        using var tape = new GradientTape();
        _ = c * 2;
        tape.Watch(plain);
        _ = a + c;
        tape.Watch(b);
        _ = b * a;
        Assert.Equal([c, a, b], tape.WatchedVariables());
    }

    [Fact]
    public void UnconnectedSourceIsNullOrZeros()
    {
        var x = new Variable(Vec(1, 2, 3));
        var z = new Variable(Tensor.Zeros([2, 2], DType.Float64));
        var tape = new GradientTape(persistent: true);
        Tensor y;
        using (tape)
        {
            y = (x * 2).Sum();
            _ = z * 3;                       // z is watched but y does not depend on it
        }
        Assert.Null(tape.Gradient(y, z));
        var zero = tape.Gradient(y, z, unconnected: UnconnectedGradients.Zero)!;
        Assert.Equal([2, 2], zero.Shape.ToArray());
        Assert.Equal(DType.Float64, zero.DType);
        Assert.Equal([0.0, 0.0, 0.0, 0.0], D(zero));
        Assert.Contains("does not depend", tape.ExplainNullGradient(y, z));
    }

    [Fact]
    public void OnlyDifferentiablePathsConnect()
    {
        var x = new Variable(Vec(1, 5, 3));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x.ArgMax().To(DType.Float64) + x.Gt(2.0).To(DType.Float64).Sum();
        Assert.Null(tape.Gradient(y, x));
    }

    [Fact]
    public void NonScalarTargetIsSummed()
    {
        var x = new Variable(Vec(1, 2, 3));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x * x;                     // [3]
        Assert.Equal([2.0, 4.0, 6.0], D(tape.Gradient(y, x)!));
    }

    [Fact]
    public void OutputGradientWeightsTheTarget()
    {
        var x = new Variable(Vec(1, 2, 3));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x * x;
        var g = tape.Gradient(y, x, outputGradient: Vec(1, -1, 0.5))!;
        Assert.Equal([2.0, -4.0, 3.0], D(g));
    }

    [Fact]
    public void OutputGradientOfWrongShapeThrows()
    {
        var x = new Variable(Vec(1, 2, 3));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x * x;
        Assert.Throws<ArgumentException>(() => tape.Gradient(y, x, outputGradient: Vec(1, 2)));
    }

    [Fact]
    public void NonPersistentTapeAllowsOneCall()
    {
        var x = new Variable(3.0);
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x * x;
        Assert.Equal(6.0, tape.Gradient(y, x)!.Item<double>());
        var e = Assert.Throws<InvalidOperationException>(() => tape.Gradient(y, x));
        Assert.Contains("persistent: true", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => tape.Gradient(y, [x]));
        Assert.Contains("persistent: true", e.Message);
    }

    [Fact]
    public void PersistentTapeAllowsManyCalls()
    {
        var x = new Variable(3.0);
        var tape = new GradientTape(persistent: true);
        Tensor y, z;
        using (tape)
        {
            y = x * x;
            z = y * y;                  // x^4
        }
        Assert.True(tape.Persistent);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(6.0, tape.Gradient(y, x)!.Item<double>());
            Assert.Equal(108.0, tape.Gradient(z, x)!.Item<double>());   // 4 x^3
            Assert.Equal(18.0, tape.Gradient(z, y)!.Item<double>());    // 2y
        }
    }

    [Fact]
    public void DisposeStopsRecordingAndLaterOpsDoNotCount()
    {
        var x = new Variable(2.0);
        var tape = new GradientTape(persistent: true);
        Tensor y;
        using (tape) y = x * x;        // 4
        var after = y * x;             // recorded by no tape
        tape.Dispose();                // a second Dispose is harmless
        Assert.Equal(4.0, tape.Gradient(y, x)!.Item<double>());
        Assert.Null(tape.Gradient(after, x));
        Assert.Null(tape.Gradient(after, y));
        Assert.Contains("not computed from watched tensors while this tape was recording", tape.ExplainNullGradient(after, x));
    }

    [Fact]
    public void OpsBeforeTheTapeStartedDoNotCount()
    {
        var x = new Variable(2.0);
        var before = x * x * x;        // x^3, recorded for Backward but not by the tape
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = before * x + x;
        // As in TensorFlow, 'before' is a constant for the tape: dy/dx = before + 1 = 9, not 4x^3 + 1 = 33.
        Assert.Equal(9.0, tape.Gradient(y, x)!.Item<double>());
    }

    [Fact]
    public void StopRecordingScopeIsNotRecorded()
    {
        var x = new Variable(2.0);
        var w = new Variable(7.0);
        var tape = new GradientTape(persistent: true);
        Tensor y, hidden;
        using (tape)
        {
            var a = x * x;                          // recorded
            using (tape.StopRecording())
            {
                hidden = x * x * x;                 // not recorded
                _ = w * 2;                          // and w is not watched by this use
            }
            y = a + hidden + x;                     // recorded again
        }
        Assert.Equal(5.0, tape.Gradient(y, x)!.Item<double>());   // 2x + 1, the hidden x^3 is a constant
        Assert.Null(tape.Gradient(hidden, x));
        Assert.Equal([x], tape.WatchedVariables());
        Assert.Throws<InvalidOperationException>(() => tape.StopRecording());   // disposed: not recording
    }

    [Fact]
    public void ResetForgetsWhatWasRecorded()
    {
        var x = new Variable(3.0);
        var w = new Variable(5.0);
        using var tape = new GradientTape();
        var lost = x * x;
        _ = w * 1;
        tape.Reset();
        Assert.Empty(tape.WatchedVariables());
        var y = lost + x * 4;
        // As in TF's reset(): only what followed the reset counts.
        Assert.Equal(4.0, tape.Gradient(y, x)!.Item<double>());
        Assert.Equal([x], tape.WatchedVariables());
    }

    [Fact]
    public void ResetMakesANonPersistentTapeUsableAgain()
    {
        var x = new Variable(3.0);
        using var tape = new GradientTape();
        var y = x * x;
        Assert.Equal(6.0, tape.Gradient(y, x)!.Item<double>());
        tape.Reset();                       // the tape is still in scope, so it records again
        var z = x * x * x;
        Assert.Equal(27.0, tape.Gradient(z, x)!.Item<double>());
    }

    [Fact]
    public void IntegerTensorsHaveNoGradient()
    {
        var n = Tensor.FromArray(new[] { 1, 2, 3 }, [3]);
        var x = new Variable(2.0);
        var tape = new GradientTape(persistent: true);
        Tensor y;
        using (tape)
        {
            tape.Watch(n);                     // allowed, as in TF (which only warns)
            y = (n.To(DType.Float64) * x).Sum();
        }
        Assert.Null(tape.Gradient(y, n));
        var z = tape.Gradient(y, n, unconnected: UnconnectedGradients.Zero)!;
        Assert.Equal(DType.Int32, z.DType);
        Assert.Equal(new[] { 0, 0, 0 }, z.ToArray<int>());
        Assert.Equal(6.0, tape.Gradient(y, x)!.Item<double>());
        Assert.Contains("dtype", tape.ExplainNullGradient(y, n));
    }

    [Fact]
    public void Float32VariableGivesFloat32Gradient()
    {
        var x = new Variable(Tensor.FromArray(new[] { 1f, 2f }, [2]));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = (x * x).Sum();
        var g = tape.Gradient(y, x, outputGradient: Tensor.Scalar(2.0))!;   // a float64 weight is converted
        Assert.Equal(DType.Float32, g.DType);
        Assert.Equal(new[] { 4f, 8f }, g.ToArray<float>());
    }

    [Fact]
    public void NullArgumentsThrow()
    {
        var x = new Variable(1.0);
        using var tape = new GradientTape(persistent: true);
        var y = x * 2;
        Assert.Throws<ArgumentNullException>(() => tape.Watch((Tensor)null!));
        Assert.Throws<ArgumentNullException>(() => tape.Watch((IEnumerable<Tensor>)null!));
        Assert.Throws<ArgumentNullException>(() => tape.Gradient(null!, x));
        Assert.Throws<ArgumentNullException>(() => tape.Gradient(y, (Tensor)null!));
        Assert.Throws<ArgumentNullException>(() => tape.Gradient(y, (IEnumerable<Tensor>)null!));
    }
}
