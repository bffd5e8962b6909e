namespace Nabla.Tests.Forward;

/// <summary>
/// TensorFlow's nesting rule for tapes and forward accumulators (tf.autodiff.ForwardAccumulator docs,
/// forwardprop_test): what matters is the order scopes were entered. A tape entered inside an
/// accumulator treats its tangents as constants; a tape entered before it records the JVP computation.
/// </summary>
public class TapeAccumulatorNestingFidelityTests
{
    static double V(Tensor? t) => Assert.IsType<Tensor>(t, exactMatch: false).Item<double>();

    [Fact]
    public void TapeInsideAccumulatorTreatsItsTangentsAsConstants()
    {
        // d = c², J = acc.Jvp(d) = 2c·t is a constant for the inner tape: d/dc (d·J) = 2c·J = 4c²t.
        foreach (var (cv, tv) in new[] { (1.0, 1.0), (1.5, 0.5), (-0.7, 2.0) })
        {
            var c = Tensor.Scalar(cv);
            using var acc = new ForwardAccumulator(c, Tensor.Scalar(tv));
            using var tape = new GradientTape();
            tape.Watch(c);
            var d = c * c;
            var j = acc.Jvp(d)!;
            Assert.Equal(2 * cv * tv, j.Item<double>(), 14);
            Assert.Equal(4 * cv * cv * tv, V(tape.Gradient(d * j, c)), 13);   // 4 at c = 1, t = 1 (6 would be wrong)
        }
    }

    [Fact]
    public void TapeOutsideAccumulatorDifferentiatesTheJvp()
    {
        // Tape entered first: it records the JVP's computation, so d/dc (c² · 2ct) = 6c²t.
        foreach (var (cv, tv) in new[] { (1.0, 1.0), (1.5, 0.5) })
        {
            var c = Tensor.Scalar(cv);
            using var tape = new GradientTape();
            tape.Watch(c);
            using var acc = new ForwardAccumulator(c, Tensor.Scalar(tv));
            var d = c * c;
            Assert.Equal(6 * cv * cv * tv, V(tape.Gradient(d * acc.Jvp(d)!, c)), 13);
        }

        // TF's case: d = cos c, tangent 0.1: d/dc (acc.jvp(d)) = d/dc (-0.1 sin c) = -0.1 cos c.
        var x = Tensor.Scalar(1.0);
        using var outer = new GradientTape();
        outer.Watch(x);
        using var inner = new ForwardAccumulator(x, Tensor.Scalar(0.1));
        var y = x.Cos();
        Assert.Equal(-0.1 * Math.Cos(1.0), V(outer.Gradient(inner.Jvp(y)!, x)), 15);
    }

    [Fact]
    public void NestingFollowsEntryOrderNotCreationOrder()
    {
        // The tape is created first, but re-entered inside the accumulator: it is the inner one.
        var c = Tensor.Scalar(1.0);
        var tape = new GradientTape(persistent: true);
        tape.Dispose();
        using (var acc = new ForwardAccumulator(c, Tensor.Scalar(0.1)))
        {
            Tensor d;
            using (tape.Resume())
            {
                tape.Watch(c);
                d = c.Cos();
            }
            Assert.Null(tape.Gradient(acc.Jvp(d)!, c));
            Assert.Equal(-Math.Sin(1.0), V(tape.Gradient(d, c)), 15);
        }

        // The accumulator is created first, but re-entered inside the tape: the tape is the outer one.
        var x = Tensor.Scalar(1.0);
        var acc2 = new ForwardAccumulator(x, Tensor.Scalar(0.1));
        acc2.Dispose();
        using var tape2 = new GradientTape();
        tape2.Watch(x);
        Tensor y;
        using (acc2.Resume()) y = x.Cos();
        Assert.Equal(-0.1 * Math.Cos(1.0), V(tape2.Gradient(acc2.Jvp(y)!, x)), 15);
    }

    [Fact]
    public void TapesEnteredBeforeTheAccumulatorStillRecordItsJvp()
    {
        // outer tape, then the accumulator, then an inner tape, all on c = 1 with tangent 1.
        var c = Tensor.Scalar(1.0);
        using var outer = new GradientTape(persistent: true);
        outer.Watch(c);
        using var acc = new ForwardAccumulator(c, Tensor.Scalar(1.0));
        Tensor d, j, innerGrad;
        using (var inner = new GradientTape())
        {
            inner.Watch(c);
            d = c * c;
            j = acc.Jvp(d)!;
            innerGrad = inner.Gradient(d * j, c)!;
        }
        Assert.Equal(4.0, innerGrad.Item<double>(), 14);          // inner: J constant
        Assert.Equal(2.0, V(outer.Gradient(j, c)), 14);           // outer: d/dc 2c = 2
        Assert.Equal(6.0, V(outer.Gradient(d * j, c)), 14);       // outer: d/dc 2c³ = 6c²
    }

    [Fact]
    public void TapeBetweenTwoAccumulatorsRecordsOnlyTheInnerOnesJvp()
    {
        // acc1, then a tape, then acc2, all on c with tangent 1; d = c³.
        double cv = 1.3;
        var c = Tensor.Scalar(cv);
        using var acc1 = new ForwardAccumulator(c, Tensor.Scalar(1.0));
        using var tape = new GradientTape(persistent: true);
        tape.Watch(c);
        using var acc2 = new ForwardAccumulator(c, Tensor.Scalar(1.0));
        var d = c * c * c;
        Assert.Equal(3 * cv * cv, acc2.Jvp(d)!.Item<double>(), 13);
        Assert.Equal(3 * cv * cv, acc1.Jvp(d)!.Item<double>(), 13);
        Assert.Equal(6 * cv, V(tape.Gradient(acc2.Jvp(d)!, c)), 13);   // entered after the tape: recorded
        Assert.Null(tape.Gradient(acc1.Jvp(d)!, c));                     // entered before the tape: a constant
        // The forward-over-forward second derivative is unchanged: acc1 sees acc2's JVP computation.
        Assert.Equal(6 * cv, acc1.Jvp(acc2.Jvp(d)!)!.Item<double>(), 13);
    }

    [Fact]
    public void RequiresGradGraphStillRecordsTheJvpInsideAnInnerTape()
    {
        // PyTorch-style recording is separate: the JVP of a leaf that requires grad is differentiable.
        var c = Tensor.Scalar(1.5, requiresGrad: true);
        using var acc = new ForwardAccumulator(c, Tensor.Scalar(2.0));
        using var tape = new GradientTape(persistent: true);
        tape.Watch(c);
        var d = c * c;
        var j = acc.Jvp(d)!;                                            // 2c·t = 6
        Assert.True(j.RequiresGrad);
        Assert.Equal(2 * 2.0, Autograd.Grad(j, c, retainGraph: true)!.Item<double>(), 14);   // 2t
        Assert.Equal(4 * 1.5 * 1.5 * 2.0, V(tape.Gradient(d * j, c)), 13);                   // the tape still sees J as constant
    }

    [Fact]
    public void ForwardOverBackwardHessianVectorProductFromTheDocs()
    {
        // tf.autodiff.ForwardAccumulator docs: v = [1, 2], tangent [1, 0], y = Σ v³:
        // the gradient 3v² = [3, 12], and its JVP (the Hessian-vector product 6v ⊙ [1, 0]) = [6, 0].
        var v = new Variable(Tensor.FromArray([1.0, 2.0], [2]));
        using var acc = new ForwardAccumulator(v, Tensor.FromArray([1.0, 0.0], [2]));
        Tensor backward;
        using (var tape = new GradientTape())
        {
            var y = (v * v * v).Sum();
            backward = tape.Gradient(y, v)!;
        }
        Assert.Equal([3.0, 12.0], backward.ToDoubleArray());
        Assert.Equal([6.0, 0.0], acc.Jvp(backward)!.ToDoubleArray());
    }
}
