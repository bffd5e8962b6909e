namespace Nabla.Tests.Ops;

public class InPlaceTests
{
    static Tensor Vec(params double[] v) => Tensor.FromArray(v, [v.Length]);

    [Fact]
    public void OpsWriteValuesBumpVersionAndReturnThis()
    {
        var x = Vec(1, 2, 3);
        int v0 = x.Version;
        Assert.Same(x, x.AddInPlace(Vec(10, 20, 30)));
        Assert.Same(x, x.MulInPlace(2));
        x.SubInPlace(1).DivInPlace(Vec(1, 2, 4));
        Assert.Equal(new double[] { 21, 21.5, 16.25 }, x.ToArray<double>());
        Assert.Equal(v0 + 4, x.Version);
        x.Fill(7);
        Assert.Equal(new double[] { 7, 7, 7 }, x.ToArray<double>());
        x.Zero();
        Assert.Equal(new double[] { 0, 0, 0 }, x.ToArray<double>());
        Assert.Equal(v0 + 6, x.Version);
        x.CopyFrom(Tensor.Scalar(2.5));
        Assert.Equal(new double[] { 2.5, 2.5, 2.5 }, x.ToArray<double>());
    }

    [Fact]
    public void DTypeAndShapeRules()
    {
        var i = Tensor.FromArray(new long[] { 1, 2 }, [2]);
        i.AddInPlace(3).MulInPlace(2);
        Assert.Equal(new long[] { 8, 10 }, i.ToArray<long>());
        var e = Assert.Throws<ArgumentException>(() => i.AddInPlace(0.5));
        Assert.Contains("can't be written into a int64", e.Message);
        var f = Tensor.Zeros(2);
        f.AddInPlace(Vec(1.5, 2.5));          // float64 operand, float32 tensor stays float32
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal(new float[] { 1.5f, 2.5f }, f.ToArray<float>());
        var shape = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2).AddInPlace(Tensor.Ones(3, 2)));
        Assert.Contains("AddInPlace", shape.Message);
        var expanded = Tensor.Zeros(1, 3).Expand(2, 3);
        Assert.Throws<InvalidOperationException>(() => expanded.AddInPlace(1));
        var x = Vec(1, 2, 3);
        x[1..].AddInPlace(x[..2]);             // overlapping source and destination: read before written
        Assert.Equal(new double[] { 1, 3, 5 }, x.ToArray<double>());
    }

    [Fact]
    public void LeafRequiringGradThrowsUnlessNoGrad()
    {
        var w = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var e = Assert.Throws<InvalidOperationException>(() => w.AddInPlace(1));
        Assert.Contains("a leaf Variable that requires grad is being used in an in-place operation", e.Message);
        using (Autograd.NoGrad())
        {
            w.SubInPlace(Vec(0.5, 0.5));
            w.Grad?.Zero();
        }
        Assert.Equal(new double[] { 0.5, 1.5 }, w.ToArray<double>());
        Assert.True(w.IsLeaf);
        Assert.True(w.RequiresGrad);
    }

    [Fact]
    public void NonLeafInPlaceIsRecordedWithHistoryRebase()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var y = x * 3;
        y.MulInPlace(x);            // y = 3x²
        Assert.Equal("MulBackward", y.GradFn!.Name);
        y.AddInPlace(x);            // y = 3x² + x
        y.Sum().Backward();
        Assert.Equal(new double[] { 7, 13 }, x.Grad!.ToArray<double>());   // 6x + 1
    }

    [Fact]
    public void OtherOperandRequiringGradMakesTargetNonLeaf()
    {
        var buffer = Tensor.Zeros([2], DType.Float64);
        var w = Tensor.FromArray(new double[] { 2, 5 }, [2], requiresGrad: true);
        buffer.AddInPlace(w * w);
        Assert.False(buffer.IsLeaf);
        buffer.Sum().Backward();
        Assert.Equal(new double[] { 4, 10 }, w.Grad!.ToArray<double>());
    }

    [Fact]
    public void InPlaceOnViewWhileRecordingRewritesTheBaseHistory()
    {
        // Was refused with NotSupportedException; PyTorch allows both (view + base tracking, CopySlices).
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, [3], requiresGrad: true);
        var y = x * 2;
        y[1..].AddInPlace(1);                               // y = [2x0, 2x1 + 1, 2x2 + 1]
        Assert.Equal(new double[] { 2, 5, 7 }, y.ToArray<double>());
        Assert.Equal("CopySlices", y.GradFn!.Name);
        var buffer = Tensor.Zeros([4], DType.Float64);
        buffer[1..3].CopyFrom(y[..2] * 1.0 + 0.0);          // buffer = [0, 2x0, 2x1 + 1, 0]
        Assert.Equal(new double[] { 0, 2, 5, 0 }, buffer.ToArray<double>());
        (buffer * Tensor.FromArray(new double[] { 1, 10, 100, 1000 }, [4])).Sum().Backward();
        Assert.Equal(new double[] { 20, 200, 0 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void SavedOutputModifiedUnderNoGradIsCaught()
    {
        var x = Tensor.FromArray(new double[] { 0.5, 1 }, [2], requiresGrad: true);
        var y = x.Exp();                            // exp saves its output
        using (Autograd.NoGrad()) y.MulInPlace(2);
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("'exp'", e.Message);
        Assert.Contains("MulInPlace", e.Message);
    }

    [Fact]
    public void SavedOutputModifiedWhileRecordingIsCaught()
    {
        var x = Tensor.FromArray(new double[] { 0.5, 1 }, [2], requiresGrad: true);
        var y = x.Exp();
        y.MulInPlace(2);                            // recorded: y's history is rebased, but ExpBackward needs the old y
        var e = Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.Contains("'exp'", e.Message);
        Assert.Contains("MulInPlace", e.Message);
    }

    [Fact]
    public void SavedInputModifiedIsCaughtNamingMul()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, [2], requiresGrad: true);
        var w = x * 2;
        var z = w * w;
        w.AddInPlace(1);
        var e = Assert.Throws<InvalidOperationException>(() => z.Sum().Backward());
        Assert.Contains("'mul'", e.Message);
        Assert.Contains("AddInPlace", e.Message);
        // Backward through w itself is fine: its history was rebased onto the add.
        w.Sum().Backward();
        Assert.Equal(new double[] { 2, 2 }, x.Grad!.ToArray<double>());
    }

    [Fact]
    public void AnomalyModeRecordsWhereTheMutationHappened()
    {
        var x = Tensor.FromArray(new double[] { 1 }, [1]);
        using (Autograd.DetectAnomaly()) x.AddInPlace(1);
        Assert.Contains("InPlaceTests", x.VersionCounter.LastMutation);
        x.AddInPlace(1);
        Assert.Equal("AddInPlace", x.VersionCounter.LastMutation);
    }

    [Fact]
    public void CloneOwnsItsStorage()
    {
        var x = Vec(1, 2);
        var c = x.Clone();
        c.AddInPlace(1);
        Assert.Equal(new double[] { 1, 2 }, x.ToArray<double>());
        Assert.Equal(new double[] { 2, 3 }, c.ToArray<double>());
    }
}
