using Nabla.Backends.Reference;
using Nabla.Primitives.Movement;

namespace Nabla.Tests.Autodiff;

/// <summary>
/// The two primitives behind view + base tracking, AsStrided (read a view's region of a base-shaped
/// tensor) and StridedScatter (CopySlices: replace it): CPU kernels and views against the double-precision
/// reference, for bases laid out contiguously, with permuted strides and with gaps, and on the reference device.
/// </summary>
public class ViewInPlacePrimitiveTests
{
    static Tensor Seq(int n, double scale = 1) => Tensor.FromArray(Enumerable.Range(1, n).Select(i => i * scale).ToArray(), [n]);

    /// <summary>(base, view) pairs: contiguous, transposed base, base with gaps and an offset, empty.</summary>
    public static TheoryData<string> Layouts => ["contiguous", "transposed", "gaps", "empty"];

    static (Tensor Base, Tensor View) Make(string layout) => layout switch
    {
        "contiguous" => Pair(Seq(12).Reshape(3, 4), b => b[1.., TensorIndex.Slice(0..4, 2)]),
        "transposed" => Pair(Seq(12).Reshape(4, 3).T.Detach(), b => b[.., 1..3]),          // base strides [1, 3]
        "gaps" => Pair(Seq(24).Reshape(4, 6)[1..3, TensorIndex.Slice(1..6, 2)].Detach(), b => b.T[1]),
        _ => Pair(Seq(6).Reshape(2, 3), b => b.Narrow(0, 1, 0)),
    };

    static (Tensor, Tensor) Pair(Tensor b, Func<Tensor, Tensor> view) => (b, view(b));

    [Theory]
    [MemberData(nameof(Layouts))]
    public void AsStridedMatchesTheReferenceWhetherOrNotTheInputIsLaidOutLikeTheBase(string layout)
    {
        var (b, v) = Make(layout);
        var region = StridedRegion.Of(b, v);
        var laidOut = Tensor.AsStrided(b, region);                 // a view: b has the base's strides
        Assert.Equal(v.ToArray<double>(), laidOut.ToArray<double>());
        var dense = b.Contiguous() * 10.0;                        // other strides: the kernel's scratch path
        var expected = new AsStrided(region).Reference([RefArray.From(dense)]);
        Assert.Equal(expected.Data, Tensor.AsStrided(dense, region).ToArray<double>());
        Assert.Equal((v * 10.0).ToArray<double>(), expected.Data);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void StridedScatterMatchesTheReferenceAndAnInPlaceWrite(string layout)
    {
        var (b, v) = Make(layout);
        var region = StridedRegion.Of(b, v);
        var src = Seq(v.NumElements, -0.5).Reshape(v.Shape.ToArray());
        var y = Tensor.StridedScatter(b, src, region);
        var expected = new StridedScatter(region).Reference([RefArray.From(b), RefArray.From(src)]);
        Assert.Equal(expected.Data, y.ToArray<double>());
        // The same values as writing src through the view.
        var copy = b.Contiguous().Clone();
        var before = b.ToArray<double>();
        v.CopyFrom(src);
        Assert.Equal(b.ToArray<double>(), y.ToArray<double>());
        Assert.Equal(expected.Data, b.ToArray<double>());
        if (v.NumElements > 0) Assert.NotEqual(before, b.ToArray<double>());
        Assert.Equal(before, copy.ToArray<double>());
    }

    [Fact]
    public void InPlaceOnViewGivesTheSameGradientsOnTheReferenceDevice()
    {
        Tensor[] Grads(Device device)
        {
            var x = Tensor.FromArray(new[] { 0.5, -1.25, 2.0, 1.5, 0.75, -0.5 }, [2, 3]).To(device);
            var w = Tensor.FromArray(new[] { 2.0, -3.0 }, [2]).To(device);
            x.RequiresGrad = true;
            w.RequiresGrad = true;
            var a = x.Clone();
            a.T[1].MulInPlace(w);
            a[1, 1..].AddInPlace(w.Exp());
            var g = Autograd.Grad([(a * a).Sum()], [x, w]);
            return [g[0]!.To(Device.Cpu), g[1]!.To(Device.Cpu)];
        }
        var cpu = Grads(Device.Cpu);
        var reference = Grads(Device.Reference);
        for (int i = 0; i < 2; i++)
        {
            var (c, r) = (cpu[i].ToArray<double>(), reference[i].ToArray<double>());
            for (int k = 0; k < c.Length; k++) Assert.True(Math.Abs(c[k] - r[k]) <= 1e-12 * (1 + Math.Abs(r[k])), $"gradient {i}[{k}]: {c[k]} vs {r[k]}");
        }
    }
}
