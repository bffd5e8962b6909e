namespace Nabla.Tests.TfStyle;

/// <summary>
/// Autograd.StopRecording(): TensorFlow's record.stop_recording, which pauses tapes and forward
/// accumulators alike (forwardprop_test's stop-recording cases), next to NoGrad (PyTorch's no_grad,
/// which leaves forward mode running) and a tape's own StopRecording().
/// </summary>
public class StopRecordingFidelityTests
{
    static double V(Tensor? t) => Assert.IsType<Tensor>(t, exactMatch: false).Item<double>();

    [Fact]
    public void StopRecordingPausesTapesAndAccumulatorsThenEverythingResumes()
    {
        // c = 1 with tangent 2, watched by a persistent tape.
        var c = Tensor.Scalar(1.0);
        using var acc = new ForwardAccumulator(c, Tensor.Scalar(2.0));
        using var tape = new GradientTape(persistent: true);
        tape.Watch(c);
        Tensor d, e;
        using (Autograd.StopRecording())
        {
            Assert.False(Autograd.IsGradEnabled);
            d = c * 2.0;
            e = c * 3.0;
        }
        Assert.Null(acc.Jvp(d));
        Assert.Null(acc.Jvp(e));
        Assert.Null(tape.Gradient(d, c));
        Assert.Null(tape.Gradient(e, c));
        Assert.Contains("Autograd.StopRecording()", tape.ExplainNullGradient(d, c));

        Assert.True(Autograd.IsGradEnabled);
        var f = c * 3.0;
        Assert.Equal(6.0, V(acc.Jvp(f)));
        Assert.Equal(3.0, V(tape.Gradient(f, c)));
    }

    [Fact]
    public void NoGradStopsTapesButNotForwardMode()
    {
        // PyTorch's no_grad does not stop forward AD: the tangent still flows, only the tape misses the op.
        var c = Tensor.Scalar(1.0);
        using var acc = new ForwardAccumulator(c, Tensor.Scalar(2.0));
        using var tape = new GradientTape(persistent: true);
        tape.Watch(c);
        Tensor d;
        using (Autograd.NoGrad()) d = c * 2.0;
        Assert.Equal(4.0, V(acc.Jvp(d)));
        Assert.Null(tape.Gradient(d, c));
    }

    [Fact]
    public void ATapesOwnStopRecordingLeavesAccumulatorsRunning()
    {
        var c = Tensor.Scalar(1.0);
        using var acc = new ForwardAccumulator(c, Tensor.Scalar(2.0));
        using var tape = new GradientTape(persistent: true);
        tape.Watch(c);
        Tensor d;
        using (tape.StopRecording()) d = c * 2.0;
        Assert.Equal(4.0, V(acc.Jvp(d)));
        Assert.Null(tape.Gradient(d, c));
    }

    [Fact]
    public void GradientComputedUnderStopRecordingIsNotTaped()
    {
        // y = x³ at 2: the tape's gradient 3x² = 12, computed under StopRecording, is not recorded by the
        // (persistent, recording) tape, so it has no second derivative; computed outside, it has 6x = 12.
        var x = Tensor.Scalar(2.0);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        var y = x * x * x;
        Tensor stopped;
        using (Autograd.StopRecording()) stopped = tape.Gradient(y, x)!;
        Assert.Equal(12.0, stopped.Item<double>());
        Assert.Null(tape.Gradient(stopped, x));
        var recorded = tape.Gradient(y, x)!;
        Assert.Equal(12.0, V(tape.Gradient(recorded, x)));
    }

    [Fact]
    public void NestedStopRecordingScopesRestoreInOrder()
    {
        var c = Tensor.Scalar(1.5);
        using var acc = new ForwardAccumulator(c, Tensor.Scalar(1.0));
        Tensor a, b, d;
        using (Autograd.StopRecording())
        {
            using (Autograd.StopRecording()) a = c * c;
            b = c * c;
        }
        d = c * c;
        Assert.Null(acc.Jvp(a));
        Assert.Null(acc.Jvp(b));
        Assert.Equal(3.0, V(acc.Jvp(d)));
    }

    [Fact]
    public void ScopesOpenedInsideStopRecordingAreTheirOwn()
    {
        var c = Tensor.Scalar(1.5);
        using var outerAcc = new ForwardAccumulator(c, Tensor.Scalar(1.0));
        using var outerTape = new GradientTape(persistent: true);
        outerTape.Watch(c);
        using (Autograd.StopRecording())
        {
            // A new accumulator computes its tangents; the paused one does not.
            var x = Tensor.Scalar(0.5);
            Tensor y;
            using (var inner = new ForwardAccumulator(x, Tensor.Scalar(1.0)))
            {
                y = x.Sin() * c;
                Assert.Equal(Math.Cos(0.5) * 1.5, V(inner.Jvp(y)), 15);
            }
            Assert.Null(outerAcc.Jvp(y));
            // So does Autograd.Jvp: d/dx (x²) along 3 at 0.5 = 3.
            Assert.Equal(3.0, Autograd.Jvp(t => t * t, x, Tensor.Scalar(3.0)).Result.Item<double>(), 15);

            // EnableGrad turns graph recording back on (and a tape entered inside records),
            // never the paused outer tape.
            using (Autograd.EnableGrad())
            {
                var leaf = Tensor.Scalar(2.0, requiresGrad: true);
                Assert.Equal(4.0, Autograd.Grad(leaf * leaf, leaf)!.Item<double>());
                using var innerTape = new GradientTape();
                innerTape.Watch(c);
                var z = c * c;
                Assert.Equal(3.0, V(innerTape.Gradient(z, c)));
                Assert.Null(outerTape.Gradient(c * c, c));
            }
        }
        var w = c * c;
        Assert.Equal(3.0, V(outerTape.Gradient(w, c)));
        Assert.Equal(3.0, V(outerAcc.Jvp(w)));
    }
}
