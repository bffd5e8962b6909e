namespace Nabla.Tests.TfStyle;

/// <summary>Tapes and RequiresGrad/Backward on one computation: a tape never touches .Grad, Backward never breaks a live tape.</summary>
public class TapeCoexistTests
{
    static double[] D(Tensor t) => t.ToDoubleArray();
    static Tensor Vec(params double[] v) => Tensor.FromArray(v, [v.Length]);

    [Fact]
    public void TapeNeverTouchesGrad()
    {
        var x = new Variable(Vec(1, 2));
        var leaf = Tensor.FromArray([3.0, 4.0], [2], requiresGrad: true);
        var tape = new GradientTape();
        Tensor y;
        using (tape)
        {
            tape.Watch(leaf);
            y = (x * leaf).Sum();
            y.RetainGrad();
        }
        var g = tape.Gradient(y, [x, leaf]);
        Assert.Equal([3.0, 4.0], D(g[0]!));
        Assert.Equal([1.0, 2.0], D(g[1]!));
        Assert.Null(x.Grad);
        Assert.Null(leaf.Grad);
        Assert.Null(y.Grad);
    }

    [Fact]
    public void TapeAndBackwardCoexistOnOneComputation()
    {
        var x = new Variable(Vec(1, -2));
        var tape = new GradientTape(persistent: true);
        Tensor y;
        using (tape) y = (x * x * x).Sum();

        y.Backward();                                            // no retainGraph: a PyTorch user's habit
        Assert.Equal([3.0, 12.0], D(x.Grad!));
        Assert.Equal([3.0, 12.0], D(tape.Gradient(y, x)!));    // the tape still works
        Assert.Equal([3.0, 12.0], D(x.Grad!));                  // and left .Grad alone
        Assert.Equal([3.0, 12.0], D(tape.Gradient(y, x)!));

        y.Backward(retainGraph: true);
        Assert.Equal([6.0, 24.0], D(x.Grad!));                  // accumulates as usual
        Assert.Null(y.Grad);
    }

    [Fact]
    public void TapeFirstThenBackward()
    {
        var x = new Variable(Vec(2, 3));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = (x.Exp() * x).Sum();
        var g = tape.Gradient(y, x)!;                         // (1 + x) e^x
        Assert.Null(x.Grad);
        y.Backward();
        Assert.Equal(D(g), D(x.Grad!));
        Assert.Equal(3 * Math.Exp(2), D(g)[0], 12);
        Assert.Equal(4 * Math.Exp(3), D(g)[1], 12);
    }

    [Fact]
    public void SpentNonPersistentTapeDoesNotProtectTheGraph()
    {
        var x = new Variable(2.0);
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x * x;
        Assert.Equal(4.0, tape.Gradient(y, x)!.Item<double>());
        y.Backward();                                   // frees the saved values: nobody can use them again
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }
}
