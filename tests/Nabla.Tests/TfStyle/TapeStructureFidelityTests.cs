namespace Nabla.Tests.TfStyle;

/// <summary>
/// Lists of targets (summed, each weighted by its output gradient) and gradients in the sources'
/// structure, with cases from TensorFlow's backprop_test.
/// </summary>
public class TapeStructureFidelityTests
{
    static double V(Tensor? t) => Assert.IsType<Tensor>(t, exactMatch: false).Item<double>();

    [Fact]
    public void TwoTargetsAreSummed()
    {
        // testTwoTargets: d(2x + 3y)/d[x, y] = [2, 3].
        var x = Tensor.Scalar(3.0);
        var y = Tensor.Scalar(2.0);
        var tape = new GradientTape();
        tape.Watch([x, y]);
        var xx = 2.0 * x;
        var yy = 3.0 * y;
        tape.Dispose();
        var g = tape.Gradient([xx, yy], [x, y]);
        Assert.Equal(2.0, V(g[0]));
        Assert.Equal(3.0, V(g[1]));
    }

    [Fact]
    public void OutputGradientsWeightEachTarget()
    {
        // testOutputGradUsedInComputation: loss = x·y, d(1·loss + 2·x)/dx = y + 2 = 4.
        var x = Tensor.Scalar(3.0);
        var y = Tensor.Scalar(2.0);
        var tape = new GradientTape();
        tape.Watch([x, y]);
        var loss = x * y;
        tape.Dispose();
        var g = tape.Gradient([loss, x], [x], [Tensor.Scalar(1.0), Tensor.Scalar(2.0)]);
        Assert.Equal(4.0, V(g[0]));
    }

    [Fact]
    public void NonScalarTargetsWithPerTargetWeightsAndDefaults()
    {
        // u = x ⊙ x (weighted by [1, -1]) plus s = Σ sin x (no weight: ones): g = 2x ⊙ [1, -1] + cos x.
        var x = Tensor.FromArray([0.5, -1.5], [2]);
        var tape = new GradientTape();
        tape.Watch(x);
        var u = x * x;
        var s = x.Sin().Sum();
        tape.Dispose();
        var g = tape.Gradient([u, s], [x], [Tensor.FromArray([1.0, -1.0], [2]), null])[0]!;
        Assert.Equal(2 * 0.5 + Math.Cos(0.5), g.ToDoubleArray()[0], 14);
        Assert.Equal(-2 * -1.5 + Math.Cos(-1.5), g.ToDoubleArray()[1], 14);
    }

    [Fact]
    public void TargetThatIsASourceAddsOnes()
    {
        // testTapeGradientMultiTargetOneIsSource: d(x + x²)/dx at 2 = 5.
        var x = Tensor.Scalar(2.0);
        var tape = new GradientTape();
        tape.Watch(x);
        var y = x * x;
        tape.Dispose();
        Assert.Equal(5.0, V(tape.Gradient([x, y], [x])[0]));

        // testTapeNoOpGradientWithMultiTargetMultiSource: [x, y, y²] w.r.t. [x, y] at y = 5: [1, 11].
        var a = Tensor.Scalar(3.0);
        var b = Tensor.Scalar(5.0);
        var t2 = new GradientTape();
        t2.Watch([a, b]);
        var z = b * b;
        t2.Dispose();
        var g = t2.Gradient([a, b, z], [a, b]);
        Assert.Equal(1.0, V(g[0]));
        Assert.Equal(11.0, V(g[1]));
    }

    [Fact]
    public void DuplicateTargetsCountTwice()
    {
        // testTapeNoOpGradientWithMultiTargetAllSource and ...MultiTarget2By2: [y, y] with y = x -> 2.
        var a = Tensor.Full([2, 2], 2.0, DType.Float64);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(a);
        var g = tape.Gradient([a, a], [a])[0]!;
        Assert.Equal([2.0, 2.0, 2.0, 2.0], g.ToDoubleArray());
        var y = a * 3.0;
        Assert.Equal([6.0, 6.0, 6.0, 6.0], tape.Gradient([y, y], [a])[0]!.ToDoubleArray());
    }

    [Fact]
    public void WatchingIsTapeLocalWithListsOfTargets()
    {
        // testWatchingIsTapeLocal: y = x1³, z = x2²; the inner tape gives [12, 4]; the outer tape
        // (watching only x1) gives d(dy + dz)/d[x1, x2] = [6·x1, null] = [12, null].
        var x1 = new Variable(Tensor.Scalar(2.0), trainable: false);
        var x2 = new Variable(Tensor.Scalar(2.0), trainable: false);
        Tensor?[] second;
        using (var tape1 = new GradientTape())
        {
            Tensor?[] first;
            using (var tape2 = new GradientTape())
            {
                tape1.Watch(x1);
                tape2.Watch([x1, x2]);
                var y = x1 * x1 * x1;
                var z = x2 * x2;
                first = tape2.Gradient([y, z], [x1, x2]);
            }
            Assert.Equal(12.0, V(first[0]));
            Assert.Equal(4.0, V(first[1]));
            second = tape1.Gradient([first[0]!, first[1]!], [x1, x2]);
        }
        Assert.Equal(12.0, V(second[0]));
        Assert.Null(second[1]);
    }

    [Fact]
    public void GradientsComeBackInTheSourcesStructure()
    {
        // testGradientTapeStructure: y = x1 + 2·x2 + 3·x3.
        var x1 = Tensor.Scalar(3.0);
        var x2 = Tensor.Scalar(3.1);
        var x3 = Tensor.Scalar(3.2);
        var tape = new GradientTape(persistent: true);
        tape.Watch([x1, x2, x3]);
        var y = x1 + 2.0 * x2 + 3.0 * x3;
        tape.Dispose();

        var (d1, d2) = tape.Gradient(y, (x1, x2));
        Assert.Equal(1.0, V(d1));
        Assert.Equal(2.0, V(d2));
        var (e1, e2, e3) = tape.Gradient(y, (x1, x2, x3));
        Assert.Equal([1.0, 2.0, 3.0], new[] { V(e1), V(e2), V(e3) });
        var named = tape.Gradient(y, new Dictionary<string, Tensor> { ["x2"] = x2, ["x3"] = x3 });
        Assert.Equal(2, named.Count);
        Assert.Equal(2.0, V(named["x2"]));
        Assert.Equal(3.0, V(named["x3"]));
        // The same source twice gets its gradient twice (testGradientTapeRepeatedSource).
        var twice = tape.Gradient(y, [x2, x2]);
        Assert.Equal(2.0, V(twice[0]));
        Assert.Equal(2.0, V(twice[1]));
        // A target computed after the tape's scope contributes nothing to the sum: only y's 3 counts.
        var summed = tape.Gradient([y, x3 * x3], new Dictionary<string, Tensor> { ["x3"] = x3 });
        Assert.Equal(3.0, V(summed["x3"]));
    }

    [Fact]
    public void NamedSourcesWithSeveralTargetsAndUnconnectedZeros()
    {
        var a = Tensor.Scalar(1.5);
        var b = Tensor.Scalar(-2.0);
        var c = Tensor.Scalar(4.0);
        var tape = new GradientTape();
        tape.Watch([a, b, c]);
        var p = a * b;       // ∂/∂a = b, ∂/∂b = a
        var q = b * b;       // ∂/∂b = 2b
        tape.Dispose();
        var g = tape.Gradient([p, q], new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b, ["c"] = c },
            unconnected: UnconnectedGradients.Zero);
        Assert.Equal(-2.0, V(g["a"]));
        Assert.Equal(1.5 + 2 * -2.0, V(g["b"]));
        Assert.Equal(0.0, V(g["c"]));
    }

    [Fact]
    public void WrongNumberOrShapeOfOutputGradientsIsAClearError()
    {
        var x = Tensor.FromArray([1.0, 2.0], [2]);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        var y = x * 2.0;
        var count = Assert.Throws<ArgumentException>(() => tape.Gradient([y, y], [x], [Tensor.Ones([2], DType.Float64)]));
        Assert.Contains("GradientTape.Gradient", count.Message);
        Assert.Contains("1 output gradients for 2 targets", count.Message);
        var shape = Assert.Throws<ArgumentException>(() => tape.Gradient([y], [x], [Tensor.Ones([3], DType.Float64)]));
        Assert.Contains("[3]", shape.Message);
    }

    [Fact]
    public void AccumulatorJvpOverListsAndNames()
    {
        // x = [1, 2] with tangent [1, 0.5]: y = x² -> 2x ⊙ t = [2, 2]; s = Σ x -> 1.5; an unrelated tensor -> null.
        var x = Tensor.FromArray([1.0, 2.0], [2]);
        using var acc = new ForwardAccumulator(x, Tensor.FromArray([1.0, 0.5], [2]));
        var y = x * x;
        var s = x.Sum();
        var other = Tensor.Scalar(3.0);
        var list = acc.Jvp([y, s, other]);
        Assert.Equal([2.0, 2.0], list[0]!.ToDoubleArray());
        Assert.Equal(1.5, list[1]!.Item<double>());
        Assert.Null(list[2]);
        var named = acc.Jvp(new Dictionary<string, Tensor> { ["y"] = y, ["other"] = other }, UnconnectedGradients.Zero);
        Assert.Equal([2.0, 2.0], named["y"]!.ToDoubleArray());
        Assert.Equal(0.0, named["other"]!.Item<double>());
    }
}
