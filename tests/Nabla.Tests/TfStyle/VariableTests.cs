namespace Nabla.Tests.TfStyle;

/// <summary>Variable: construction, trainability, in-place assignment that is never recorded.</summary>
public class VariableTests
{
    static double[] D(Tensor t) => t.ToDoubleArray();

    [Fact]
    public void FloatAndDoubleConstructorsMakeTrainableScalars()
    {
        var f = new Variable(2.5f);
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal(0, f.Rank);
        Assert.Equal(2.5f, f.Item<float>());
        Assert.True(f.Trainable);
        Assert.True(f.RequiresGrad);
        Assert.True(f.IsLeaf);
        Assert.Equal("Variable", f.Name);

        var d = new Variable(-1.25);
        Assert.Equal(DType.Float64, d.DType);
        Assert.Equal(-1.25, d.Item<double>());
        Assert.True(d.Trainable && d.RequiresGrad);
    }

    [Fact]
    public void TensorConstructorKeepsShapeNameAndTrainable()
    {
        var init = Tensor.FromArray([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
        var v = new Variable(init, trainable: false, name: "dense/kernel");
        Assert.Equal([2, 3], v.Shape.ToArray());
        Assert.Equal(DType.Float64, v.DType);
        Assert.Equal([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], D(v));
        Assert.False(v.Trainable);
        Assert.False(v.RequiresGrad);
        Assert.Equal("dense/kernel", v.Name);
        Assert.Contains("dense/kernel", v.ToString());
    }

    [Fact]
    public void CopiesItsInitialValue()
    {
        var init = Tensor.FromArray([1.0, 2.0, 3.0], [3]);
        var v = new Variable(init);
        using (Autograd.NoGrad()) init.AddInPlace(10.0);
        Assert.Equal([11.0, 12.0, 13.0], D(init));
        Assert.Equal([1.0, 2.0, 3.0], D(v));

        // And the other way round: changing the variable leaves the source alone.
        v.AssignAdd(1.0);
        Assert.Equal([2.0, 3.0, 4.0], D(v));
        Assert.Equal([11.0, 12.0, 13.0], D(init));
    }

    [Fact]
    public void CopiesANonContiguousViewInLogicalOrder()
    {
        var m = Tensor.FromArray([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
        var v = new Variable(m.T);
        Assert.Equal([3, 2], v.Shape.ToArray());
        Assert.Equal([1.0, 4.0, 2.0, 5.0, 3.0, 6.0], D(v));
    }

    [Fact]
    public void InitialValueWithHistoryGivesAFreshLeaf()
    {
        var a = Tensor.Scalar(3.0, requiresGrad: true);
        var v = new Variable(a * a);
        Assert.True(v.IsLeaf);
        Assert.Null(v.GradFn);
        Assert.Equal(9.0, v.Item<double>());
        var y = v * 2;
        y.Backward();
        Assert.Equal(2.0, v.Grad!.Item<double>());
        Assert.Null(a.Grad);
    }

    [Fact]
    public void IntegerVariableIsNotTrainable()
    {
        var v = new Variable(Tensor.FromArray(new[] { 1, 2, 3 }, [3]));
        Assert.Equal(DType.Int32, v.DType);
        Assert.False(v.Trainable);
        Assert.False(v.RequiresGrad);
        v.AssignAdd(2);
        Assert.Equal([3, 4, 5], v.ToArray<int>());
        v.Assign(7);
        Assert.Equal([7, 7, 7], v.ToArray<int>());
        v.AssignSub(Tensor.FromArray(new[] { 1, 2, 3 }, [3]));
        Assert.Equal([6, 5, 4], v.ToArray<int>());
        Assert.Equal(DType.Int32, v.DType);
    }

    [Fact]
    public void IntegerVariableRejectsAFractionalNumber()
    {
        var v = new Variable(Tensor.FromArray(new[] { 1L, 2L }, [2]));
        var e = Assert.Throws<ArgumentException>(() => v.AssignAdd(0.5));
        Assert.Contains("AssignAdd", e.Message);
        Assert.Equal([1L, 2L], v.ToArray<long>());
    }

    [Fact]
    public void AssignChangesInPlaceWithTensorsAndNumbers()
    {
        var v = new Variable(Tensor.FromArray([1.0, 2.0, 3.0], [3]));
        var storageBefore = v.Storage;

        Assert.Same(v, v.Assign(Tensor.FromArray([4.0, 5.0, 6.0], [3])));
        Assert.Equal([4.0, 5.0, 6.0], D(v));
        Assert.Same(v, v.AssignAdd(Tensor.FromArray([0.5, 0.25, -1.0], [3])));
        Assert.Equal([4.5, 5.25, 5.0], D(v));
        Assert.Same(v, v.AssignSub(Tensor.FromArray([1.5, 0.25, 5.0], [3])));
        Assert.Equal([3.0, 5.0, 0.0], D(v));
        Assert.Same(v, v.Assign(2.0));
        Assert.Equal([2.0, 2.0, 2.0], D(v));
        Assert.Same(v, v.AssignAdd(0.5));
        Assert.Equal([2.5, 2.5, 2.5], D(v));
        Assert.Same(v, v.AssignSub(3.0));
        Assert.Equal([-0.5, -0.5, -0.5], D(v));

        Assert.Same(storageBefore, v.Storage);   // the same memory all along
    }

    [Fact]
    public void AssignBroadcastsASmallerValueAndConvertsDType()
    {
        var v = new Variable(Tensor.Zeros([2, 3], DType.Float32));
        v.Assign(Tensor.FromArray([1.0, 2.0, 3.0], [3]));           // float64 row into a float32 matrix
        Assert.Equal(DType.Float32, v.DType);
        Assert.Equal([1f, 2f, 3f, 1f, 2f, 3f], v.ToArray<float>());
        v.AssignAdd(Tensor.FromArray(new[] { 10f, 20f }, [2, 1]));
        Assert.Equal([11f, 12f, 13f, 21f, 22f, 23f], v.ToArray<float>());
    }

    [Fact]
    public void ShapeMismatchThrowsAndLeavesTheValue()
    {
        var v = new Variable(Tensor.FromArray([1.0, 2.0, 3.0], [3]));
        var e = Assert.Throws<ArgumentException>(() => v.Assign(Tensor.FromArray([1.0, 2.0], [2])));
        Assert.Contains("Variable.Assign", e.Message);
        Assert.Contains("[3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => v.AssignAdd(Tensor.Zeros([2, 3], DType.Float64)));
        Assert.Contains("Variable.AssignAdd", e.Message);
        e = Assert.Throws<ArgumentException>(() => v.AssignSub(Tensor.Zeros([4], DType.Float64)));
        Assert.Contains("Variable.AssignSub", e.Message);
        Assert.Equal([1.0, 2.0, 3.0], D(v));
    }

    [Fact]
    public void AssignmentsAreNeverRecorded()
    {
        var v = new Variable(3.0);
        var w = Tensor.Scalar(2.0, requiresGrad: true);
        using var tape = new GradientTape(persistent: true);
        tape.Watch(w);
        v.Assign(w * 5);                 // the value comes from a tracked tensor, yet nothing is recorded
        Assert.Equal(10.0, v.Item<double>());
        Assert.Null(v.GradFn);
        Assert.True(v.IsLeaf);
        v.AssignAdd(w);
        v.AssignSub(w * w);
        Assert.Null(v.GradFn);
        Assert.Equal(8.0, v.Item<double>());
        Assert.Empty(tape.WatchedVariables());            // an assignment is not a use
        // v's value is not a function of w as far as any gradient is concerned.
        var y = v * 1.0;
        Assert.Null(tape.Gradient(y, w));
        Assert.Equal(1.0, tape.Gradient(y, v)!.Item<double>());
        Assert.Null(w.Grad);
    }

    [Fact]
    public void AssignBumpsTheVersionSoAStaleTapeGradientThrows()
    {
        var x = new Variable(2.0);
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = x * x;        // Mul saved x = 2
        x.AssignAdd(1.0);
        Assert.Equal(3.0, x.Item<double>());
        var e = Assert.Throws<InvalidOperationException>(() => tape.Gradient(y, x));
        Assert.Contains("modified by an in-place operation", e.Message);
        Assert.Contains("Variable.AssignAdd", e.Message);
    }

    [Fact]
    public void AssignBumpsTheVersionSoAStaleBackwardThrows()
    {
        var x = new Variable(Tensor.FromArray([1.0, 2.0], [2]));
        var y = (x.Exp()).Sum();         // Exp saved its output, which does not alias x
        var z = (x * x).Sum();           // Mul saved x
        x.Assign(Tensor.FromArray([5.0, 6.0], [2]));
        y.Backward();                    // fine: e^x at the old values
        Assert.Equal([Math.Exp(1), Math.Exp(2)], D(x.Grad!), new ToleranceComparer(1e-15));
        var e = Assert.Throws<InvalidOperationException>(() => z.Backward());
        Assert.Contains("Variable.Assign", e.Message);
    }

    [Fact]
    public void AssignAfterGradientDoesNotDisturbIt()
    {
        var x = new Variable(Tensor.FromArray([1.0, -2.0], [2]));
        var tape = new GradientTape();
        Tensor y;
        using (tape) y = (x * x * x).Sum();
        var g = tape.Gradient(y, x)!;
        Assert.Equal([3.0, 12.0], D(g));
        x.AssignSub(g * 0.1);              // an optimizer step
        Assert.Equal([0.7, -3.2], D(x), new ToleranceComparer(1e-15));
        Assert.Equal([3.0, 12.0], D(g));
    }

    [Fact]
    public void NonTrainableFloatVariableNeedsWatch()
    {
        var v = new Variable(Tensor.Scalar(3.0), trainable: false);
        using (var t = new GradientTape())
        {
            var y = v * v;
            Assert.Null(t.Gradient(y, v));
        }
        using (var t = new GradientTape())
        {
            t.Watch(v);
            var y = v * v;
            Assert.Equal(6.0, t.Gradient(y, v)!.Item<double>());
            Assert.Same(v, Assert.Single(t.WatchedVariables()));
        }
    }

    [Fact]
    public void NullArgumentsThrow()
    {
        Assert.Throws<ArgumentNullException>(() => new Variable(null!));
        var v = new Variable(1.0);
        Assert.Throws<ArgumentNullException>(() => v.Assign(null!));
        Assert.Throws<ArgumentNullException>(() => v.AssignAdd(null!));
        Assert.Throws<ArgumentNullException>(() => v.AssignSub(null!));
    }

    sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol * (1 + Math.Abs(a));
        public int GetHashCode(double d) => 0;
    }
}
