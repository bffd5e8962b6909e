using Nabla.Backends.Reference;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Index;
using Nabla.Primitives.Movement;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    static RefArray Reshaped(RefArray x, params int[] shape) => new((double[])x.Data.Clone(), shape);

    static RefArray SliceRef(RefArray x, int[] start, int[] step, int[] count) =>
        new Slice(x.Shape, start, step, count).Reference([x]);

    static RefArray PermuteRef(RefArray x, params int[] dims) => new Permute(dims).Reference([x]);

    /// <summary>A deterministic in-range index of <paramref name="shape"/> for picking along <paramref name="dim"/> of a tensor with size <paramref name="size"/> there.</summary>
    internal static Tensor IndexFor(int[] shape, int size, int seed = 0)
    {
        var values = new long[new Shape(shape).NumElements];
        for (int i = 0; i < values.Length; i++) values[i] = (i * 7 + seed * 3 + i / 3) % size;
        return Tensor.FromArray(values, shape);
    }

    static Tensor TwoByThree(int seed) => Samples.Uniform(seed, [2, 3]);

    static IEnumerable<OpSample> Matrix35() =>
    [
        new("contiguous", [Samples.Uniform(30, [3, 5])]),
        new("non-contiguous", [Samples.Transposed(31, 3, 5)]),
    ];

    static IEnumerable<OpSample> Cube() =>
    [
        new("contiguous", [Samples.Uniform(32, [2, 3, 4])]),
        new("non-contiguous", [Samples.Uniform(33, [4, 3, 2]).Permute(2, 1, 0)]),
    ];

    static IEnumerable<OpInfo> MovementEntries()
    {
        yield return new OpInfo
        {
            Name = "Indexer(range, step)", Covers = ["Slice", "get_Slice"], Samples = Matrix35,
            Op = x => x[0][1.., TensorIndex.Slice(.., 2)],
            Reference = r => SliceRef(r[0], [1, 0], [1, 2], [2, 3]),
        };
        yield return new OpInfo
        {
            Name = "Indexer(int, ^n, newaxis)", Covers = [], Samples = Cube,
            Op = x => x[0][^1, TensorIndex.NewAxis, 1..3, -2],
            Reference = r => Reshaped(SliceRef(r[0], [1, 1, 2], [1, 1, 1], [1, 2, 1]), 1, 2),
        };
        yield return new OpInfo
        {
            Name = "Indexer(ellipsis)", Covers = [], Samples = Cube,
            Op = x => x[0][TensorIndex.Ellipsis, 0],
            Reference = r => Reshaped(SliceRef(r[0], [0, 0, 0], [1, 1, 1], [2, 3, 1]), 2, 3),
        };
        yield return new OpInfo
        {
            Name = "Narrow", Covers = ["Narrow"], Samples = Matrix35,
            Op = x => x[0].Narrow(-1, 1, 3),
            Reference = r => SliceRef(r[0], [0, 1], [1, 1], [3, 3]),
        };
        yield return new OpInfo
        {
            Name = "Pad", Covers = ["Pad"], Samples = Matrix35,
            Op = x => x[0].Pad(1, 2, 0, 1),
            Reference = r => new Pad([3, 5], [4, 8], [0, 1], [1, 1]).Reference(r),
        };
        yield return new OpInfo
        {
            Name = "Flip", Covers = ["Flip"], Samples = Cube,
            Op = x => x[0].Flip(0, -1),
            Reference = r => new Flip([0, 2]).Reference(r),
        };
        yield return new OpInfo
        {
            Name = "Concat", Covers = ["Concat"],
            Op = x => Tensor.Concat(x, 1),
            Reference = r => new Concat(1, r.Select(a => a.Shape).ToArray()).Reference(r),
            Samples = () => new OpSample[]
            {
                new("three parts", [TwoByThree(40), Samples.Uniform(41, [2, 1]), Samples.Uniform(42, [2, 2])]),
                new("non-contiguous", [Samples.Transposed(43, 2, 3), Samples.Transposed(44, 2, 4)]),
            },
        };
        yield return new OpInfo
        {
            Name = "Stack", Covers = ["Stack"],
            Op = x => Tensor.Stack(x, 1),
            Reference = r => new Concat(1, r.Select(_ => new[] { 2, 1, 3 }).ToArray()).Reference(r.Select(a => Reshaped(a, 2, 1, 3)).ToArray()),
            Samples = () => new OpSample[]
            {
                new("two", [TwoByThree(45), TwoByThree(46)]),
                new("non-contiguous", [Samples.Transposed(47, 2, 3), TwoByThree(48), Samples.Transposed(49, 2, 3)]),
            },
        };
        yield return new OpInfo
        {
            Name = "Gather", Covers = ["Gather"], Samples = Matrix35,
            Op = x => x[0].Gather(1, IndexFor([2, 4], 5).To(x[0].Device)),
            Reference = r => new Gather(1, r[0].Shape).Reference([r[0], RefArray.From(IndexFor([2, 4], 5))]),
        };
        yield return new OpInfo
        {
            Name = "ScatterAdd", Covers = ["ScatterAdd"],
            Op = x => x[0].ScatterAdd(0, IndexFor([3, 2], 2).To(x[0].Device), x[1]),
            Reference = r => new ScatterAdd(0, r[1].Shape).Reference([r[0], RefArray.From(IndexFor([3, 2], 2)), r[1]]),
            Samples = () => new OpSample[]
            {
                new("repeated indices", [TwoByThree(50), Samples.Uniform(51, [3, 2])]),
                new("larger src, non-contiguous", [Samples.Transposed(52, 2, 3), Samples.Transposed(53, 4, 3)]),
            },
        };
        yield return new OpInfo
        {
            Name = "IndexSelect", Covers = ["IndexSelect"], Samples = Matrix35,
            Op = x => x[0].IndexSelect(1, Tensor.FromArray(new long[] { 4, 0, 4, 2 }, [4]).To(x[0].Device)),
            Reference = r => new Gather(1, r[0].Shape).Reference([r[0], new RefArray([4, 0, 4, 2, 4, 0, 4, 2, 4, 0, 4, 2], [3, 4])]),
        };
        yield return new OpInfo
        {
            Name = "Squeeze", Covers = ["Squeeze"],
            Op = x => x[0].Squeeze(1),
            Reference = r => Reshaped(r[0], r[0].Shape.Where((_, i) => i != 1).ToArray()),
            Samples = () => new OpSample[]
            {
                new("contiguous", [Samples.Uniform(54, [3, 1, 2])]),
                new("non-contiguous", [Samples.Uniform(55, [2, 1, 3]).Permute(2, 1, 0)]),
            },
        };
        yield return new OpInfo
        {
            Name = "Unsqueeze", Covers = ["Unsqueeze"], Samples = Matrix35,
            Op = x => x[0].Unsqueeze(-1),
            Reference = r => Reshaped(r[0], 3, 5, 1),
        };
        yield return new OpInfo
        {
            Name = "Transpose", Covers = ["Transpose"], Samples = Cube,
            Op = x => x[0].Transpose(0, 2), Reference = r => PermuteRef(r[0], 2, 1, 0),
        };
        yield return new OpInfo
        {
            Name = "Permute", Covers = ["Permute"], Samples = Cube,
            Op = x => x[0].Permute(1, 2, 0), Reference = r => PermuteRef(r[0], 1, 2, 0),
        };
        yield return new OpInfo
        {
            Name = "T", Covers = ["T", "get_T"], Samples = Cube,
            Op = x => x[0].T, Reference = r => PermuteRef(r[0], 0, 2, 1),
        };
        yield return new OpInfo
        {
            Name = "Reshape", Covers = ["Reshape"], Samples = Cube,
            Op = x => x[0].Reshape(4, -1), Reference = r => Reshaped(r[0], 4, 6),
        };
        yield return new OpInfo
        {
            Name = "Reshape(view of slice)", Covers = [], Samples = Cube,
            Op = x => x[0][.., 1].Reshape(8), Reference = r => Reshaped(SliceRef(r[0], [0, 1, 0], [1, 1, 1], [2, 1, 4]), 8),
        };
        yield return new OpInfo
        {
            Name = "Expand", Covers = ["Expand"],
            Op = x => x[0].Expand(2, 3, -1),
            Reference = r => new Expand([1, 3, 2], [2, 3, 2]).Reference([Reshaped(r[0], 1, 3, 2)]),
            Samples = () => new OpSample[]
            {
                new("new leading dim", [Samples.Uniform(56, [3, 2])]),
                new("non-contiguous", [Samples.Transposed(57, 3, 2)]),
            },
        };
        yield return new OpInfo
        {
            Name = "Contiguous", Covers = ["Contiguous"], Samples = Cube,
            Op = x => x[0].Contiguous(), Reference = r => r[0],
        };
        yield return new OpInfo
        {
            Name = "Clone", Covers = ["Clone"], Samples = Cube,
            Op = x => x[0].Clone(), Reference = r => r[0],
        };
        yield return new OpInfo
        {
            // Forward only: a float32 round trip is piecewise constant at finite-difference scale
            // (MovementTests.CastGradientIsCastBack checks its gradient by hand).
            Name = "To(Float32)", Covers = ["To"], Samples = Matrix35, Differentiable = false, SecondOrder = false,
            Op = x => x[0].To(DType.Float32).To(DType.Float64),
            Reference = r => new Cast(DType.Float64, DType.Float32).Reference(r), Float32Tolerance = 1e-6,
            // A float64 -> float32 -> float64 round trip: only meaningful from float64 inputs.
            DTypes = [DType.Float64],
        };
        yield return new OpInfo
        {
            Name = "To(Int64)", Covers = [], Samples = Matrix35, Differentiable = false, SecondOrder = false,
            Op = x => (x[0] * 3.0).To(DType.Int64),
            Reference = r => RefArray.Map(r[0], v => Math.Truncate(3 * v)),
        };
        foreach (var entry in InPlaceOpEntryList()) yield return entry;
    }

    // In-place ops on a fresh Clone: the recorded history rebase must give the out-of-place gradients.
    static IEnumerable<OpInfo> InPlaceOpEntryList()
    {
        yield return new OpInfo
        {
            Name = "AddInPlace", Covers = ["AddInPlace"], Samples = () => BinarySamples(),
            Op = x => x[0].Expand(Tensor.BroadcastShapes("t", x[0].Shape, x[1].Shape)).Clone().AddInPlace(x[1]).AddInPlace(0.5),
            Reference = r => Broadcast(r[0], r[1], (a, b) => a + b + 0.5),
        };
        yield return new OpInfo
        {
            Name = "SubInPlace", Covers = ["SubInPlace"], Samples = () => BinarySamples(),
            Op = x => x[0].Expand(Tensor.BroadcastShapes("t", x[0].Shape, x[1].Shape)).Clone().SubInPlace(x[1]).SubInPlace(2),
            Reference = r => Broadcast(r[0], r[1], (a, b) => a - b - 2),
        };
        yield return new OpInfo
        {
            Name = "MulInPlace", Covers = ["MulInPlace"], Samples = () => BinarySamples(),
            Op = x => x[0].Expand(Tensor.BroadcastShapes("t", x[0].Shape, x[1].Shape)).Clone().MulInPlace(x[1]).MulInPlace(3),
            Reference = r => Broadcast(r[0], r[1], (a, b) => a * b * 3),
        };
        yield return new OpInfo
        {
            Name = "DivInPlace", Covers = ["DivInPlace"], Samples = () => BinarySamples(positiveB: true),
            Op = x => x[0].Expand(Tensor.BroadcastShapes("t", x[0].Shape, x[1].Shape)).Clone().DivInPlace(x[1]).DivInPlace(4),
            Reference = r => Broadcast(r[0], r[1], (a, b) => a / b / 4),
        };
        yield return new OpInfo
        {
            Name = "CopyFrom", Covers = ["CopyFrom"], Samples = () => BinarySamples(),
            Op = x => (x[0].Expand(Tensor.BroadcastShapes("t", x[0].Shape, x[1].Shape)) * 1.0).CopyFrom(x[1]) * x[0],
            Reference = r => Broadcast(r[0], r[1], (a, b) => a * b),
        };
    }
}
