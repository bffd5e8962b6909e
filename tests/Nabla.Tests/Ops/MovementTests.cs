using Nabla.Backends.Reference;
using Nabla.Engine;
using Nabla.Tests.OpDb;
using Db = Nabla.Tests.OpDb.OpDb;

namespace Nabla.Tests.Ops;

public class MovementTests
{
    static readonly string[] Mine =
    [
        "Indexer(range, step)", "Indexer(int, ^n, newaxis)", "Indexer(ellipsis)", "Narrow", "Pad", "Flip", "Concat", "Stack",
        "Gather", "ScatterAdd", "IndexSelect", "Squeeze", "Unsqueeze", "Transpose", "Permute", "T", "Reshape",
        "Reshape(view of slice)", "Expand", "Contiguous", "Clone", "To(Float32)", "To(Int64)",
        "AddInPlace", "SubInPlace", "MulInPlace", "DivInPlace", "CopyFrom",
    ];

    public static IEnumerable<object[]> Entries => Mine.Select(n => new object[] { n });

    static double[] Values(Tensor t) => RefArray.From(t).Data;

    static void Close(double[] expected, double[] actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"{what}: element {i} expected {expected[i]} got {actual[i]}");
    }

    /// <summary>Forward vs reference in float64 and float32 for every sample (values and shape).</summary>
    [Theory, MemberData(nameof(Entries))]
    public void ForwardMatchesReference(string name)
    {
        var e = Db.Get(name);
        foreach (var s in e.Samples())
        {
            var expected = e.Reference(s.Inputs.Select(RefArray.From).ToArray());
            var y = e.Op(s.Inputs);
            Assert.Equal(expected.Shape, y.Shape.ToArray());
            Close(expected.Data, Values(y), 1e-10, $"{name}/{s.Name} float64");
            if (e.DTypes.Contains(DType.Float32))
            {
                var y32 = e.Op(s.Inputs.Select(t => t.To(DType.Float32)).ToArray());
                var inputs32 = s.Inputs.Select(t => RefArray.From(t.To(DType.Float32))).ToArray();
                Close(e.Reference(inputs32).Data, Values(y32), e.Float32Tolerance, $"{name}/{s.Name} float32");
            }
        }
    }

    static Tensor[] Leaves(Tensor[] inputs) => inputs.Select(t =>
    {
        var leaf = t.Detach();   // keeps the sample's (possibly strided) layout
        leaf.RequiresGrad = true;
        return leaf;
    }).ToArray();

    static Tensor Perturbed(Tensor[] inputs, int which, int element, double h, out Tensor[] all)
    {
        all = inputs.Select(t => Tensor.FromArray(Values(t), t.Shape.ToArray())).ToArray();
        var data = Values(all[which]);
        data[element] += h;
        all[which] = Tensor.FromArray(data, inputs[which].Shape.ToArray());
        return all[which];
    }

    /// <summary>VJP vs central differences of &lt;gy, f(x)&gt;, and JVP vs central differences of f along v.</summary>
    [Theory, MemberData(nameof(Entries))]
    public void DerivativesMatchFiniteDifferences(string name)
    {
        var e = Db.Get(name);
        if (!e.Differentiable) return;
        const double h = 1e-6;
        foreach (var s in e.Samples())
        {
            var x = Leaves(s.Inputs);
            var y = e.Op(x);
            var gy = Samples.Uniform(99, y.Shape.ToArray());
            var grads = Autograd.Grad([y], x, [gy], allowUnused: true);
            var gyv = Values(gy);
            double Dot(Tensor[] inputs) => Values(e.Op(inputs)).Zip(gyv, (a, b) => a * b).Sum();
            for (int i = 0; i < x.Length; i++)
            {
                var fd = new double[x[i].NumElements];
                for (int k = 0; k < fd.Length; k++)
                {
                    Perturbed(s.Inputs, i, k, h, out var plus);
                    Perturbed(s.Inputs, i, k, -h, out var minus);
                    fd[k] = (Dot(plus) - Dot(minus)) / (2 * h);
                }
                Close(fd, grads[i] is null ? new double[fd.Length] : Values(grads[i]!), 1e-6, $"{name}/{s.Name} vjp input {i}");
            }

            var v = s.Inputs.Select((t, i) => Samples.Uniform(200 + i, t.Shape.ToArray())).ToArray();
            var (_, jvp) = ForwardMode.Jvp(e.Op, s.Inputs, v);
            var xp = s.Inputs.Zip(v, (t, d) => t + h * d).ToArray();
            var xm = s.Inputs.Zip(v, (t, d) => t - h * d).ToArray();
            var fdj = Values(e.Op(xp)).Zip(Values(e.Op(xm)), (a, b) => (a - b) / (2 * h)).ToArray();
            Close(fdj, Values(jvp), 1e-6, $"{name}/{s.Name} jvp");
        }
    }

    static Tensor Grid(int rows, int cols) => Tensor.Arange(rows * cols, DType.Float64).Reshape(rows, cols);

    [Fact]
    public void IndexerShapes()
    {
        var x = Tensor.Arange(24, DType.Float64).Reshape(2, 3, 4);
        Assert.Equal([3, 4], x[0].Shape.ToArray());
        Assert.Equal([3, 4], x[^1].Shape.ToArray());
        Assert.Equal([3, 4], x[-1].Shape.ToArray());
        Assert.Equal([2, 2, 4], x[.., 1..3].Shape.ToArray());
        Assert.Equal([3], x[0, .., 1].Shape.ToArray());
        Assert.Equal([2], x[0, 1, 2..].Shape.ToArray());
        Assert.Equal([], x[1, 2, 3].Shape.ToArray());
        Assert.Equal(23.0, x[1, 2, 3].Item<double>());
        Assert.Equal(23.0, x[^1, ^1, ^1].Item<double>());
        Assert.Equal([2, 3], x[TensorIndex.Ellipsis, 0].Shape.ToArray());
        Assert.Equal([1, 2, 3, 4], x[TensorIndex.NewAxis].Shape.ToArray());
        Assert.Equal([2, 3, 1, 4], x[.., .., TensorIndex.NewAxis].Shape.ToArray());
        Assert.Equal([2, 0, 4], x[.., 2..1].Shape.ToArray());
        Assert.Equal([2, 3, 2], x[.., .., TensorIndex.Slice(1.., 2)].Shape.ToArray());
        Assert.Equal(new double[] { 13, 15, 17, 19, 21, 23 }, x[1, .., TensorIndex.Slice(1.., 2)].ToArray<double>());
        // Python-style clamping of range bounds.
        Assert.Equal(new double[] { 20, 21, 22, 23 }, x[1, 2, 0..100].ToArray<double>());
        Assert.Equal(new double[] { 4, 5, 6, 7 }, x[0, 1].ToArray<double>());
        Assert.Equal(new double[] { 2, 6, 10 }, x[0, .., 2].ToArray<double>());
    }

    [Fact]
    public void IndexerErrorsNameDimAndSize()
    {
        var x = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x[0, 3]);
        Assert.Contains("dim 1", e.Message);
        Assert.Contains("size 3", e.Message);
        Assert.Contains("indexer", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => x[^3]);
        Assert.Contains("^3", e.Message);
        Assert.Contains("size 2", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x[-3]);
        var tooMany = Assert.Throws<ArgumentException>(() => x[0, 0, 0]);
        Assert.Contains("too many indices", tooMany.Message);
        Assert.Throws<ArgumentException>(() => x[.., TensorIndex.Slice(.., 0)]);
        var narrow = Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(1, 2, 2));
        Assert.Contains("Narrow", narrow.Message);
    }

    [Fact]
    public void ViewsShareStorage()
    {
        var x = Tensor.Zeros(3, 4);
        x[1].Fill(5);
        x[.., 2].AddInPlace(1);
        x[^1, 1..3].MulInPlace(10);
        var v = x.T[0];                 // column 0 through a transpose: a strided view
        v.AddInPlace(Tensor.FromArray(new float[] { 100, 200, 300 }, [3]));
        Assert.Equal(new float[] { 100, 0, 1, 0, 205, 5, 6, 5, 300, 0, 10, 0 }, x.ToArray<float>());
        // Squeezing a strided slice stays a view (Reshape only copies when strides forbid a view).
        var col = x[.., TensorIndex.NewAxis, 3].Squeeze(1);
        col.Fill(-1);
        Assert.Equal(new float[] { -1, -1, -1 }, x[.., 3].ToArray<float>());
        Assert.Equal(x.Version, v.Version);
    }

    [Fact]
    public void ConcatChecksAndPromotes()
    {
        var a = Tensor.FromArray(new long[] { 1, 2 }, [1, 2]);
        var b = Tensor.FromArray(new float[] { 3.5f, 4 }, [1, 2]);
        var c = Tensor.Concat([a, b]);
        Assert.Equal(DType.Float32, c.DType);
        Assert.Equal(new float[] { 1, 2, 3.5f, 4 }, c.ToArray<float>());
        var e = Assert.Throws<ArgumentException>(() => Tensor.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)]));
        Assert.Contains("tensor 1 has shape [2, 4]", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(3)]));
        Assert.Throws<ArgumentException>(() => Tensor.Concat(Array.Empty<Tensor>()));
        Assert.Throws<ArgumentException>(() => Tensor.Stack([Tensor.Zeros(2), Tensor.Zeros(3)]));
        Assert.Equal([2, 3, 2], Tensor.Stack([Tensor.Zeros(2, 3), Tensor.Ones(2, 3)], -1).Shape.ToArray());
    }

    [Fact]
    public void GatherScatterIndexSelectByHand()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, [2, 2], requiresGrad: true);
        var i = Tensor.FromArray(new long[] { 1, 0, 0, 0 }, [2, 2]);
        var y = x.Gather(1, i);
        Assert.Equal(new double[] { 2, 1, 3, 3 }, y.ToArray<double>());
        y.Backward(Tensor.FromArray(new double[] { 1, 10, 100, 1000 }, [2, 2]));
        Assert.Equal(new double[] { 10, 1, 1100, 0 }, x.Grad!.ToArray<double>());
        var i32 = Tensor.FromArray(new[] { 0, 2, 0 }, [3]);
        var rows = Grid(3, 2).IndexSelect(0, i32);
        Assert.Equal(new double[] { 0, 1, 4, 5, 0, 1 }, rows.ToArray<double>());
        var s = Tensor.Zeros([3], DType.Float64).ScatterAdd(0, Tensor.FromArray(new long[] { 2, 2, 0 }, [3]), Tensor.FromArray(new double[] { 1, 2, 4 }, [3]));
        Assert.Equal(new double[] { 4, 0, 3 }, s.ToArray<double>());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Gather(1, Tensor.FromArray(new long[] { 0, 2, 0, 0 }, [2, 2])));
        Assert.Contains("Gather", e.Message);
        Assert.Contains("index 2", e.Message);
        Assert.Contains("dim 1", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Grid(3, 2).IndexSelect(0, Tensor.FromArray(new long[] { -1 }, [1])));
        Assert.Throws<ArgumentException>(() => x.Gather(0, Tensor.FromArray(new double[] { 0 }, [1, 1])));
    }

    [Fact]
    public void PadAndFlipByHand()
    {
        var x = Grid(2, 2);
        Assert.Equal(new double[] { 0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 3, 0 }, x.Pad(1, 1, 1, 0).ToArray<double>());
        Assert.Equal(new double[] { 3, 2, 1, 0 }, x.Flip(0, 1).ToArray<double>());
        Assert.Equal(new double[] { 1, 0, 3, 2 }, x.Flip(-1).ToArray<double>());
        Assert.Throws<ArgumentException>(() => x.Pad(-1, 0));
    }

    [Fact]
    public void CastGradientIsCastBack()
    {
        var x = Tensor.FromArray(new double[] { 0.1, -2.5 }, [2], requiresGrad: true);
        var y = x.To(DType.Float32);
        Assert.Equal(DType.Float32, y.DType);
        y.Backward(Tensor.FromArray(new float[] { 3, -0.5f }, [2]));
        Assert.Equal(DType.Float64, x.Grad!.DType);
        Assert.Equal(new double[] { 3, -0.5 }, x.Grad.ToArray<double>());
        var n = Tensor.FromArray(new double[] { 1.9, -1.9 }, [2], requiresGrad: true).To(DType.Int64);
        Assert.Null(n.GradFn);
        Assert.Equal(new long[] { 1, -1 }, n.ToArray<long>());
    }

    [Fact]
    public void SecondOrderThroughGatherSliceConcat()
    {
        // f = sum(g²) with g = [x[idx] | x[1..] padded]; d²f/dx² is diagonal with 2·(uses of x_k)².
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, [3], requiresGrad: true);
        var g = Tensor.Concat([x.Gather(0, Tensor.FromArray(new long[] { 0, 0, 2 }, [3])), x[1..].Pad(1, 0)]);
        var f = (g * g).Sum();
        var d1 = Autograd.Grad(f, x, createGraph: true)!;
        Assert.Equal(new double[] { 4, 4, 12 }, d1.ToArray<double>());        // 2·x·(uses): x0 twice, x1 once, x2 twice
        var d2 = Autograd.Grad(d1.Sum(), x)!;
        Assert.Equal(new double[] { 4, 2, 4 }, d2.ToArray<double>());
    }
}
