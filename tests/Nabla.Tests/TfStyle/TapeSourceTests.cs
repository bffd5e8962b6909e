namespace Nabla.Tests.TfStyle;

/// <summary>Gradients with respect to intermediates, watched intermediates, and a source itself.</summary>
public class TapeSourceTests
{
    static double[] D(Tensor t) => t.ToDoubleArray();
    static Tensor Vec(params double[] v) => Tensor.FromArray(v, [v.Length]);

    [Fact]
    public void GradientWithRespectToIntermediates()
    {
        var x = new Variable(Vec(1, 2));
        var tape = new GradientTape(persistent: true);
        Tensor h, y;
        using (tape)
        {
            h = x * 3;                         // recorded from a watched variable: followed automatically
            y = (h * h).Sum();
        }
        Assert.Equal([6.0, 12.0], D(tape.Gradient(y, h)!));          // 2h
        Assert.Equal([18.0, 36.0], D(tape.Gradient(y, x)!));         // 18x
        var both = tape.Gradient(y, [h, x, h]);
        Assert.Equal([6.0, 12.0], D(both[0]!));
        Assert.Equal([18.0, 36.0], D(both[1]!));
        Assert.Equal([6.0, 12.0], D(both[2]!));
    }

    [Fact]
    public void WatchedIntermediateComputedOutsideTheTape()
    {
        var p = Tensor.Scalar(2.0, requiresGrad: true);
        var h = p * p;                     // has a GradFn, made before the tape
        var tape = new GradientTape(persistent: true);
        Tensor y;
        using (tape)
        {
            tape.Watch(h);
            y = h * h * h;                 // h^3
        }
        Assert.Equal(48.0, tape.Gradient(y, h)!.Item<double>());  // 3h^2, h = 4
        Assert.Null(tape.Gradient(y, p));                          // p -> h was not recorded by the tape
        Assert.Null(p.Grad);
    }

    [Fact]
    public void GradientOfASourceWithRespectToItself()
    {
        var x = new Variable(Vec(1, 2, 3));
        var plain = Tensor.FromArray([1.0, 2.0, 3.0, 4.0], [2, 2]);
        var tape = new GradientTape(persistent: true);
        Tensor h;
        using (tape)
        {
            tape.Watch(plain);
            h = x * 2;
        }
        Assert.Equal([1.0, 1.0, 1.0], D(tape.Gradient(x, x)!));
        Assert.Equal([1.0, 1.0, 1.0, 1.0], D(tape.Gradient(plain, plain)!));
        Assert.Equal([1.0, 1.0, 1.0], D(tape.Gradient(h, h)!));
        Assert.Equal([0.5, -1.0, 2.0], D(tape.Gradient(x, x, outputGradient: Vec(0.5, -1, 2))!));
    }
}
