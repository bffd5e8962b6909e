namespace Nabla.Tests.TfStyle;

/// <summary>
/// tape.Jacobian / BatchJacobian with zero-size targets and sources (TensorFlow's shapes, e.g.
/// backprop_test's degenerate batch Jacobian [1, 0] -> [1, 0, 0]) and with a list of sources.
/// </summary>
public class TapeJacobianFidelityTests
{
    static double[] D(Tensor t) => t.ToDoubleArray();

    [Fact]
    public void BatchJacobianOfAnEmptyExampleHasTfsDegenerateShape()
    {
        // TF: x = zeros([1, 0]); y = x ** 2; tape.batch_jacobian(y, x).shape == [1, 0, 0].
        var x = Tensor.Zeros([1, 0], DType.Float64);
        var tape = new GradientTape(persistent: true);
        tape.Watch(x);
        var y = x.Pow(2);
        tape.Dispose();
        var bj = tape.BatchJacobian(y, x);
        Assert.NotNull(bj);
        Assert.Equal([1, 0, 0], bj!.Shape.ToArray());
        Assert.Equal(DType.Float64, bj.DType);
        var j = tape.Jacobian(y, x);
        Assert.NotNull(j);
        Assert.Equal([1, 0, 1, 0], j!.Shape.ToArray());
    }

    [Fact]
    public void JacobianOfAnEmptyTargetIsEmptyWithTargetShapeThenSourceShape()
    {
        var x = Tensor.FromArray([1.0, 2.0, 3.0], [3]);
        var tape = new GradientTape();
        tape.Watch(x);
        var y = (x * x).Narrow(0, 1, 0);   // shape [0], computed from x
        tape.Dispose();
        var j = tape.Jacobian(y, x);
        Assert.NotNull(j);
        Assert.Equal([0, 3], j!.Shape.ToArray());
        Assert.Equal(0, j.NumElements);
    }

    [Fact]
    public void EmptyBatchGivesAnEmptyBatchJacobian()
    {
        // Batch of zero examples: target [0, 3] from source [0, 2] -> [0, 3, 2].
        var x = Tensor.Zeros([0, 2], DType.Float64);
        var w = Tensor.FromArray([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
        var tape = new GradientTape();
        tape.Watch(x);
        var y = x.MatMul(w);
        tape.Dispose();
        var bj = tape.BatchJacobian(y, x);
        Assert.NotNull(bj);
        Assert.Equal([0, 3, 2], bj!.Shape.ToArray());
    }

    [Fact]
    public void EmptyTargetUnconnectedToTheSourceFollowsTheUnconnectedRule()
    {
        // TF traces one gradient: an unconnected source gives None, or zeros with 'zero'.
        var x = Tensor.FromArray([1.0, 2.0, 3.0], [3]);
        var z = Tensor.FromArray([4.0, 5.0], [2]);
        var tape = new GradientTape(persistent: true);
        tape.Watch([x, z]);
        var y = (z * 2).Narrow(0, 0, 0);
        tape.Dispose();
        Assert.Null(tape.Jacobian(y, x));
        var zero = tape.Jacobian(y, x, UnconnectedGradients.Zero);
        Assert.Equal([0, 3], zero!.Shape.ToArray());
        Assert.Equal([0, 2], tape.Jacobian(y, z)!.Shape.ToArray());
        // Nonempty unconnected cases keep their TF behaviour: null, or zeros of target + source shape.
        var y2 = z * 3;
        Assert.Null(tape.Jacobian(y2, x));
        var z2 = tape.Jacobian(y2, x, UnconnectedGradients.Zero)!;
        Assert.Equal([2, 3], z2.Shape.ToArray());
        Assert.All(D(z2), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void ZeroSizeSourceGivesAnEmptyJacobianNextToTheOthers()
    {
        // y = w · (Σx + 1) with x of shape [0]: ∂y/∂x is [2, 0], ∂y/∂w = diag(Σx + 1) = I.
        var x = Tensor.Zeros([0], DType.Float64);
        var w = Tensor.FromArray([0.5, -2.0], [2]);
        var tape = new GradientTape();
        tape.Watch([x, w]);
        var y = w * (x.Sum() + 1.0);
        tape.Dispose();
        var js = tape.Jacobian(y, [x, w]);
        Assert.Equal([2, 0], js[0]!.Shape.ToArray());
        Assert.Equal([2, 2], js[1]!.Shape.ToArray());
        Assert.Equal([1.0, 0.0, 0.0, 1.0], D(js[1]!));
    }

    [Fact]
    public void BatchJacobianWithAZeroSizeSourceExample()
    {
        // target [2, 1] = Σ over an empty example + 1 of each row; source [2, 0]: result [2, 1, 0].
        var x = Tensor.Zeros([2, 0], DType.Float64);
        var tape = new GradientTape();
        tape.Watch(x);
        var y = x.Sum(1, keepDim: true) + 1.0;
        tape.Dispose();
        var bj = tape.BatchJacobian(y, x);
        Assert.Equal([2, 1, 0], bj!.Shape.ToArray());
    }

    [Fact]
    public void JacobianWithRespectToAListOfSources()
    {
        // backprop_test's JacobianTest: z = x·x·y -> [diag(2xy), diag(x²)].
        var x = Tensor.FromArray([1.0, 2.0], [2]);
        var y = Tensor.FromArray([3.0, 4.0], [2]);
        var tape = new GradientTape();
        tape.Watch([x, y]);
        var z = x * x * y;
        tape.Dispose();
        var j = tape.Jacobian(z, [x, y]);
        Assert.Equal(2, j.Length);
        Assert.Equal([6.0, 0.0, 0.0, 16.0], D(j[0]!));
        Assert.Equal([1.0, 0.0, 0.0, 4.0], D(j[1]!));
        Assert.Equal([2, 2], j[1]!.Shape.ToArray());
    }

    [Fact]
    public void JacobianWithRespectToNamedSources()
    {
        var x = Tensor.FromArray([1.0, 2.0], [2]);
        var y = Tensor.FromArray([3.0, 4.0], [2]);
        var unrelated = Tensor.Scalar(1.0);
        var tape = new GradientTape();
        tape.Watch([x, y, unrelated]);
        var z = x * y;
        tape.Dispose();
        var j = tape.Jacobian(z, new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y, ["u"] = unrelated });
        Assert.Equal([3.0, 0.0, 0.0, 4.0], D(j["x"]!));
        Assert.Equal([1.0, 0.0, 0.0, 2.0], D(j["y"]!));
        Assert.Null(j["u"]);
    }
}
