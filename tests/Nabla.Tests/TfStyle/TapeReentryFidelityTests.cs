namespace Nabla.Tests.TfStyle;

/// <summary>
/// Re-entering a tape's or an accumulator's scope after leaving it (TensorFlow's second
/// <c>with tape:</c> / <c>with acc:</c>, backprop_test.testGradientTapeReEnterContext and
/// forwardprop_test.testReenter), through Resume().
/// </summary>
public class TapeReentryFidelityTests
{
    static double V(Tensor? t) => Assert.IsType<Tensor>(t, exactMatch: false).Item<double>();

    [Fact]
    public void ResumedTapeSeesTheOpsOfBothScopes()
    {
        // testGradientTapeReEnterContext (a non-persistent tape, not used yet): z = 2·(2x) -> 4.
        var g = new GradientTape();
        var x = Tensor.Scalar(3.0);
        Tensor y, z;
        using (g)
        {
            g.Watch(x);
            y = 2.0 * x;
        }
        using (g.Resume()) z = 2.0 * y;
        Assert.Equal(4.0, V(g.Gradient(z, [x])[0]));
    }

    [Fact]
    public void PersistentTapeResumesAfterAGradient()
    {
        var x = Tensor.Scalar(3.0);
        var tape = new GradientTape(persistent: true);
        Tensor y, z;
        using (tape)
        {
            tape.Watch(x);
            y = x * x;
        }
        Assert.Equal(6.0, V(tape.Gradient(y, x)));
        using (tape.Resume()) z = y * x;                 // x³
        Assert.Equal(27.0, V(tape.Gradient(z, x)));      // 3x²
        Assert.Equal(6.0, V(tape.Gradient(y, x)));
    }

    [Fact]
    public void OpsBetweenTheScopesAreNotRecorded()
    {
        var x = Tensor.Scalar(1.5);
        var tape = new GradientTape(persistent: true);
        Tensor y, w, z, u;
        using (tape)
        {
            tape.Watch(x);
            y = x * x;
        }
        w = y * 5.0;                     // outside any scope of the tape
        using (tape.Resume())
        {
            z = w * 2.0;
            u = y * 2.0;
        }
        Assert.Null(tape.Gradient(z, x));
        Assert.Equal(4 * 1.5, V(tape.Gradient(u, x)));
    }

    [Fact]
    public void ResumingARecordingTapeThrows()
    {
        // testNestedSelfContexts: entering an active tape is an error.
        using var tape = new GradientTape(persistent: true);
        var e = Assert.Throws<InvalidOperationException>(() => tape.Resume());
        Assert.Contains("GradientTape.Resume", e.Message);
        Assert.Contains("already recording", e.Message);
        Assert.Contains(nameof(ResumingARecordingTapeThrows), e.Message);   // the caller's place
    }

    [Fact]
    public void NonPersistentTapeUsedForAGradientRefusesToResume()
    {
        var x = Tensor.Scalar(2.0);
        var tape = new GradientTape();
        Tensor y;
        using (tape)
        {
            tape.Watch(x);
            y = x * x;
        }
        Assert.Equal(4.0, V(tape.Gradient(y, x)));
        var e = Assert.Throws<InvalidOperationException>(() => tape.Resume());
        Assert.Contains("non-persistent", e.Message);
        Assert.Contains("persistent: true", e.Message);
        // Reset starts a fresh recording, which may then be resumed and used once more.
        tape.Reset();
        Tensor z;
        using (tape.Resume())
        {
            tape.Watch(x);
            z = x * x * x;
        }
        Assert.Equal(12.0, V(tape.Gradient(z, x)));
    }

    [Fact]
    public void StaleResumeHandleDoesNotLeaveALaterScope()
    {
        var x = Tensor.Scalar(2.0);
        var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        tape.Dispose();
        var first = tape.Resume();
        first.Dispose();
        Tensor y;
        using (tape.Resume())
        {
            first.Dispose();             // already used: must not stop the second scope
            y = x * x;
        }
        Assert.Equal(4.0, V(tape.Gradient(y, x)));
    }

    [Fact]
    public void AccumulatorReentersItsScope()
    {
        // forwardprop_test.testReenter: x = -2 with tangent 1.5.
        var x = Tensor.Scalar(-2.0);
        var acc = new ForwardAccumulator(x, Tensor.Scalar(1.5));
        Tensor y;
        using (acc)
        {
            Assert.Equal(1.5, V(acc.Jvp(x)));
            y = 4.0 * x;
            Assert.Equal(6.0, V(acc.Jvp(y)));
            var e = Assert.Throws<InvalidOperationException>(() => acc.Resume());
            Assert.Contains("ForwardAccumulator.Resume", e.Message);
        }
        var z = 4.0 * x;
        Assert.Null(acc.Jvp(z));
        Assert.Equal(1.5, V(acc.Jvp(x)));   // JVPs stay readable outside the scope
        Tensor yy;
        using (acc.Resume()) yy = y * y;
        Assert.Equal(6.0 * -8.0 * 2.0, V(acc.Jvp(yy)));
        var after = 3.0 * x;
        Assert.Null(acc.Jvp(after));
    }

    [Fact]
    public void ResumedAccumulatorIsTheInnermost()
    {
        // 'first' is created first, left, and resumed inside 'second': it is now the inner level (TF applies
        // accumulators in the order they were entered). The outer level differentiates the inner one's
        // JVP, second.Jvp(first.Jvp(x³)) = 6x, and the inner one sees no outer JVP computation (null).
        double xv = 0.8;
        var x = Tensor.Scalar(xv);
        var first = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        first.Dispose();
        using var second = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        using var resumed = first.Resume();
        var y = x * x * x;
        Assert.Equal(3 * xv * xv, V(first.Jvp(y)), 14);
        Assert.Equal(3 * xv * xv, V(second.Jvp(y)), 14);
        Assert.Equal(6 * xv, V(second.Jvp(first.Jvp(y)!)), 14);
        Assert.Null(first.Jvp(second.Jvp(y)!));
    }
}
