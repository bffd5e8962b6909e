using Nabla.Backends;
using Nabla.Primitives;
using Nabla.Primitives.Index;
using Nabla.Primitives.Movement;
using Nabla.Primitives.Pool;

namespace Nabla.Tests.Graphs;

/// <summary>
/// The into-forms a replay's memory plan uses for convolution, pooling and indexing (unfold, fold, max_unpool,
/// gather, scatter_add, and reshape where it copies): the allocating kernel's bits written into a tensor the
/// caller owns, and a refusal (nothing written, false) for a tensor of another shape, one that overlaps an input,
/// and, for reshape, an input the kernel would view rather than copy.
/// </summary>
public class MemoryPlanIntoFormTests
{
    static readonly Backend Cpu = Backend.For(Device.Cpu);

    static float[] F(Tensor t) => t.ToArray<float>();

    /// <summary>The allocating kernel's result and the into-form's, which must take a fresh tensor of that shape.</summary>
    static (Tensor Made, Tensor Into) Both(Primitive op, params Tensor[] x)
    {
        var entry = Cpu.Find(op, x[0].DType)!;
        var made = Cpu.Run(entry, op, x);
        var into = Cpu.Empty(made.DType, made.Shape);
        using (Autograd.NoGrad()) into.Fill(7.0);   // stale contents, as a reused buffer holds: the into-form must overwrite (or clear) them all
        Assert.True(Cpu.RunInto(entry, op, x, into), $"{op.Name} refused a tensor of its own shape");
        return (made, into);
    }

    /// <summary>The into-form refuses <paramref name="y"/> and leaves it as it was.</summary>
    static void Refuses(Primitive op, Tensor y, params Tensor[] x)
    {
        var before = F(y);
        Assert.False(Cpu.RunInto(Cpu.Find(op, x[0].DType)!, op, x, y), $"{op.Name} took a tensor that does not fit");
        Assert.Equal(before, F(y));
    }

    static readonly Im2Col Same3x3 = new(C: 3, H: 6, W: 5, Kh: 3, Kw: 3, Sh: 1, Sw: 1, Ph: 1, Pw: 1, Dh: 1, Dw: 1);
    static readonly Im2Col Strided = new(C: 2, H: 7, W: 6, Kh: 2, Kw: 3, Sh: 2, Sw: 1, Ph: 0, Pw: 1, Dh: 1, Dw: 2, RowsOuter: true);

    [Fact]
    public void UnfoldAndFoldIntoGiveTheKernelsBits()
    {
        foreach (var g in new[] { Same3x3, Strided })
        {
            var image = Tensor.Randn([2, g.C, g.H, g.W], seed: 3);
            var (cols, colsInto) = Both(new Unfold(g), image);
            Assert.Equal(F(cols), F(colsInto));
            // Fold adds overlapping windows: a stale buffer must be cleared first.
            var (back, backInto) = Both(new Fold(g), cols);
            Assert.Equal(F(back), F(backInto));
            // A strided (transposed) image: the into-form copies it first, as the kernel does.
            var strided = image.Transpose(2, 3).Contiguous().Transpose(2, 3);
            Assert.Equal(F(cols), F(Both(new Unfold(g), strided).Into));
            Refuses(new Unfold(g), Tensor.Zeros(cols.NumElements), image);   // same elements, another shape
            Refuses(new Fold(g), Tensor.Zeros([1, g.C, g.H, g.W]), cols);
        }
    }

    [Fact]
    public void MaxUnpoolIntoGivesTheKernelsBitsAndClearsTheBuffer()
    {
        var g = new Im2Col(C: 2, H: 4, W: 4, Kh: 2, Kw: 2, Sh: 2, Sw: 2, Ph: 0, Pw: 0, Dh: 1, Dw: 1);
        var x = Tensor.Randn([3, 2, 4, 4], seed: 5);
        var pooled = Dispatch(new MaxPool2d(g), x);
        var grad = Tensor.Randn([3, 2, 4], seed: 6);
        var (made, into) = Both(new MaxUnpool(16), grad, pooled[1]);
        Assert.Equal(F(made), F(into));
        Refuses(new MaxUnpool(16), Tensor.Zeros([3, 2, 15]), grad, pooled[1]);
    }

    [Fact]
    public void GatherAndScatterAddIntoGiveTheKernelsBits()
    {
        var source = Tensor.Randn([4, 6], seed: 8);
        var index = Tensor.FromArray(new long[] { 5, 0, 2, 2, 1, 3, 0, 4 }, [4, 2]);
        var (gathered, gatheredInto) = Both(new Gather(1, [4, 6]), source, index);
        Assert.Equal(F(gathered), F(gatheredInto));
        var src = Tensor.Randn([4, 2], seed: 9);
        // Repeated indices (2, 2) add up, in the kernel's order; the base is copied into the buffer first.
        var (scattered, scatteredInto) = Both(new ScatterAdd(1, [4, 2]), source, index, src);
        Assert.Equal(F(scattered), F(scatteredInto));
        // The base transposed (strided): the same values copied in.
        var strided = source.Transpose(0, 1).Contiguous().Transpose(0, 1);
        Assert.Equal(F(scattered), F(Both(new ScatterAdd(1, [4, 2]), strided, index, src).Into));
        // The buffer is the base itself: it overlaps an input.
        Refuses(new ScatterAdd(1, [4, 2]), source, source, index, src);
        Refuses(new Gather(1, [4, 6]), Tensor.Zeros([2, 4]), source, index);
    }

    [Fact]
    public void ReshapeIntoCopiesOnlyWhereTheKernelWouldCopy()
    {
        var x = Tensor.Randn([4, 6], seed: 11);
        var permuted = x.Transpose(0, 1);   // [6, 4], strided: no [24] view exists
        var (made, into) = Both(new Reshape([6, 4], [24]), permuted);
        Assert.Equal(F(made), F(into));
        Assert.False(made.SharesStorage(x));
        // A contiguous input: the kernel views it (Contiguous() of a contiguous tensor), so the into-form must not copy.
        Refuses(new Reshape([4, 6], [4, 6]), Tensor.Zeros([4, 6]), x);
        Refuses(new Reshape([6, 4], [24]), Tensor.Zeros([4, 6]), permuted);
        // Large enough for the parallel copy path.
        var big = Tensor.Randn([300, 500], seed: 12).Transpose(0, 1);
        var (bigMade, bigInto) = Both(new Reshape([500, 300], [150_000]), big);
        Assert.Equal(F(bigMade), F(bigInto));
    }

    static Tensor[] Dispatch(Primitive op, params Tensor[] x) => Nabla.Engine.Dispatch.CallMany(op, x);
}
