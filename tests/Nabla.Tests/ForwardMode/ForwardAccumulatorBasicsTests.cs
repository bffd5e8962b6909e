using Nabla.Backends.Reference;
using Nabla.Tests.AutogradFunctional;
using Nabla.Tests.TestUtil;

namespace Nabla.Tests.Forward;

/// <summary>
/// ForwardAccumulator on its own: JVPs against hand-derived values and central differences,
/// unconnected tensors, the primal's own tangent, argument errors and disposal.
/// </summary>
public class ForwardAccumulatorBasicsTests
{
    const double Exact = 1e-13;
    const double FdTol = 1e-7;

    static void Close(Tensor expected, Tensor? actual, double tol, string what)
    {
        Assert.NotNull(actual);
        Approx.Equal(RefArray.From(expected), actual!, tol, what);
    }

    [Fact]
    public void SinglePrimalMatchesHandDerivedAndFiniteDifferences()
    {
        var x = Tensor.FromArray([0.3, -1.2, 2.0, 0.0], [4]);
        var v = Tensor.FromArray([1.0, -0.5, 0.25, 2.0], [4]);
        static Tensor F(Tensor t) => t.Sin() * t.Exp();
        Tensor y, dy;
        using (var acc = new ForwardAccumulator(x, v))
        {
            y = F(x);
            dy = acc.Jvp(y)!;
        }
        // d/dx sin(x) e^x = (cos x + sin x) e^x
        var xs = TestTensors.D(x);
        var vs = TestTensors.D(v);
        var expected = xs.Select((a, i) => (Math.Cos(a) + Math.Sin(a)) * Math.Exp(a) * vs[i]).ToArray();
        Approx.Equal(expected, TestTensors.D(dy), Exact, "JVP of sin(x)·e^x");
        Close(FiniteDiff.Directional(F, x, v), dy, FdTol, "JVP vs central differences");
        Close(F(x), y, Exact, "primal under forward mode");
        Assert.Equal(DType.Float64, dy.DType);
        Assert.True(dy.Shape.Equals(y.Shape));
    }

    [Fact]
    public void MultiplePrimalsEachWithItsTangent()
    {
        var a = FiniteDiff.Uniform(1, [2, 3]);
        var b = FiniteDiff.Uniform(2, [3, 4]);
        var va = FiniteDiff.Uniform(3, [2, 3]);
        var vb = FiniteDiff.Uniform(4, [3, 4]);
        Tensor dy, dz;
        using (var acc = new ForwardAccumulator([a, b], [va, vb]))
        {
            dy = acc.Jvp(a.MatMul(b))!;
            dz = acc.Jvp(a.Sin().Sum() * b.Sum())!;
        }
        // product rule: d(ab) = va·b + a·vb
        Close(va.MatMul(b) + a.MatMul(vb), dy, Exact, "JVP of a @ b");
        double sinSum = a.Sin().Sum().Item<double>(), bSum = b.Sum().Item<double>();
        double expected = TestTensors.Dot(a.Cos(), va) * bSum + sinSum * vb.Sum().Item<double>();
        Assert.Equal(expected, dz.Item<double>(), 12);

        // The same JVP from central differences along (va, vb) together.
        var fd = FiniteDiff.Directional(t => t.MatMul(b), a, va).ToDoubleArray()
            .Zip(FiniteDiff.Directional(t => a.MatMul(t), b, vb).ToDoubleArray(), (p, q) => p + q).ToArray();
        Approx.Equal(fd, TestTensors.D(dy), FdTol, "JVP of a @ b vs central differences");
    }

    [Fact]
    public void JvpOfUnconnectedTensorIsNullOrZeros()
    {
        var x = Tensor.FromArray([1.0, 2.0], [2]);
        var other = Tensor.FromArray([3.0, 4.0, 5.0], [3]);
        var before = x * 2.0;    // computed from the primal before the accumulator existed
        using var acc = new ForwardAccumulator(x, Tensor.FromArray([1.0, 1.0], [2]));
        var unrelated = other.Exp();
        var integer = x.Gt(1.5);  // not floating: no tangent
        Assert.Null(acc.Jvp(unrelated));
        Assert.Null(acc.Jvp(before));
        Assert.Null(acc.Jvp(other));
        Assert.Null(acc.Jvp(integer));
        var zeros = acc.Jvp(unrelated, UnconnectedGradients.Zero)!;
        Assert.True(zeros.Shape.Equals(unrelated.Shape));
        Assert.Equal(DType.Float64, zeros.DType);
        Assert.All(TestTensors.D(zeros), z => Assert.Equal(0.0, z));
        // NoGrad does not stop forward mode (as PyTorch's forward AD and TF's accumulator).
        using (Autograd.NoGrad())
            Assert.Equal([2.0, 4.0], TestTensors.D(acc.Jvp(x * x)!));
    }

    [Fact]
    public void JvpOfPrimalIsItsTangentInPrimalDtype()
    {
        var x = Tensor.FromArray([1.0, 2.0, 3.0], [3]);
        var v = Tensor.FromArray([0.5f, -1f, 2f], [3]);   // float32 tangent, converted to the primal's dtype
        using var acc = new ForwardAccumulator(x, v);
        var t = acc.Jvp(x)!;
        Assert.Equal(DType.Float64, t.DType);
        Assert.Equal([0.5, -1.0, 2.0], TestTensors.D(t));
        Assert.Equal(DType.Float64, acc.Jvp(x * x)!.DType);
        Assert.Equal([1.0, -4.0, 12.0], TestTensors.D(acc.Jvp(x * x)!));
    }

    [Fact]
    public void BadArgumentsThrowNamingTheAccumulator()
    {
        var x = Tensor.FromArray([1.0, 2.0], [2]);
        var shape = Assert.Throws<ArgumentException>(() => new ForwardAccumulator(x, Tensor.FromArray([1.0, 2.0, 3.0], [3])));
        Assert.Contains("ForwardAccumulator", shape.Message);
        Assert.Contains("[3]", shape.Message);
        Assert.Contains("[2]", shape.Message);
        var integer = Assert.Throws<ArgumentException>(() => new ForwardAccumulator(Tensor.FromArray([1L, 2L], [2]), Tensor.FromArray([1.0, 1.0], [2])));
        Assert.Contains("ForwardAccumulator", integer.Message);
        Assert.Contains("int64", integer.Message);
        var count = Assert.Throws<ArgumentException>(() => new ForwardAccumulator([x], []));
        Assert.Contains("ForwardAccumulator", count.Message);
        // TF refuses a primal listed twice (which tangent would it get?); so do we.
        var twice = Assert.Throws<ArgumentException>(() => new ForwardAccumulator([x, x], [x, x]));
        Assert.Contains("ForwardAccumulator", twice.Message);
        // A failed constructor leaves no level open and no tangent behind.
        Assert.Null(x.Tangents);
        Assert.False(Engine.ForwardMode.Active);
    }

    [Fact]
    public void ResultsStayReadableAfterDisposeAndNewOpsGetNoTangent()
    {
        var x = Tensor.Scalar(0.5);
        var acc = new ForwardAccumulator(x, Tensor.Scalar(2.0));
        var y = x.Tanh();
        acc.Dispose();
        acc.Dispose();   // idempotent
        double sech2 = 1 - Math.Tanh(0.5) * Math.Tanh(0.5);
        Assert.Equal(2 * sech2, acc.Jvp(y)!.Item<double>(), 14);
        Assert.Equal(2.0, acc.Jvp(x)!.Item<double>());     // the primal's tangent is still reported
        Assert.Null(x.Tangents);                             // but no longer carried by the primal
        Assert.False(Engine.ForwardMode.Active);
        Assert.Null(acc.Jvp(x * 3.0));                       // computed after Dispose
    }

    [Fact]
    public void DisposingOutOfOrderKeepsTheOtherLevelWorking()
    {
        var x = Tensor.Scalar(1.5);
        var outer = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        var inner = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        var y1 = x * x * x;
        outer.Dispose();                     // outer first: inner keeps working
        var y2 = x * x * x;
        Assert.Equal(3 * 1.5 * 1.5, inner.Jvp(y2)!.Item<double>(), 13);
        Assert.Null(outer.Jvp(y2));
        Assert.Equal(3 * 1.5 * 1.5, outer.Jvp(y1)!.Item<double>(), 13);
        // y1's inner tangent was computed while the outer level was open: it carries the second derivative.
        Assert.Equal(6 * 1.5, outer.Jvp(inner.Jvp(y1)!)!.Item<double>(), 13);
        Assert.Null(outer.Jvp(inner.Jvp(y2)!));
        inner.Dispose();
        Assert.False(Engine.ForwardMode.Active);
        Assert.Null(x.Tangents);
    }

    [Fact]
    public void ForwardModeIsPerAsyncFlow()
    {
        var x = Tensor.Scalar(2.0);
        using var acc = new ForwardAccumulator(x, Tensor.Scalar(1.0));
        Tensor? fromOtherThread = null;
        var thread = new Thread(() => fromOtherThread = x * x);
        using (ExecutionContext.SuppressFlow()) thread.Start();   // a flow that did not inherit the level
        thread.Join();
        Assert.Null(acc.Jvp(fromOtherThread!));
        Assert.Equal(4.0, acc.Jvp(x * x)!.Item<double>());
    }
}
