using Nabla.Backends;
using Nabla.Graphs;
using Nabla.Primitives;
using Nabla.Primitives.Reduce;

namespace Nabla.Tests.Graphs;

/// <summary>
/// The into-forms of the reductions (sum, amax / amin along axes, with and without kept axes): the same bits as
/// the allocating kernel for every layout the driver takes (contiguous blocks, strided inputs, size-1 axes,
/// empty axes), a refusal with nothing written for a tensor that does not fit, and in a replay the graph's kept
/// buffers hold the reduced values over calls, bitwise as eager code, with earlier outputs untouched.
/// </summary>
public class ReduceIntoFormTests
{
    static readonly Backend Cpu = Backend.For(Device.Cpu);

    static double[] D(Tensor t) => t.To(DType.Float64).ToArray<double>();   // exact for every dtype here

    /// <summary>Runs <paramref name="op"/> on <paramref name="x"/> with the allocating kernel and with its into-form.</summary>
    static (Tensor Made, Tensor Into) Both(Primitive op, Tensor x)
    {
        var entry = Cpu.Find(op, x.DType)!;
        var made = Cpu.Run(entry, op, [x]);
        var into = Cpu.Empty(made.DType, made.Shape);
        Assert.True(Cpu.RunInto(entry, op, [x], into));
        return (made, into);
    }

    public static TheoryData<int[], int[], bool, string> Cases() => new()
    {
        { [6, 5], [1], true, "rows" },
        { [6, 5], [0], false, "columns" },
        { [4, 3, 5], [0, 2], true, "outer and inner" },
        { [4, 3, 5], [1], false, "middle" },
        { [4, 1, 5], [1], true, "a size-1 axis only" },
        { [3, 0, 2], [1], true, "an empty axis" },
        { [40, 700], [1], false, "long rows" },
        { [5, 4], [0, 1], false, "everything" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SumIntoGivesTheKernelsBitsForEveryLayout(int[] shape, int[] axes, bool keepDim, string what)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int64 })
            foreach (bool transposed in new[] { false, true })
            {
                var x = (Tensor.Randn(shape, seed: 7) * 10).To(dtype);
                if (transposed && shape.Length >= 2) x = x.Transpose(0, shape.Length - 1).Contiguous().Transpose(0, shape.Length - 1);   // strided, same values
                var (made, into) = Both(new Sum(axes, shape, keepDim), x);
                Assert.Equal(made.Shape, into.Shape);
                Assert.Equal(D(made), D(into));
                _ = what;
            }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxAndMinIntoGiveTheKernelsBitsForEveryLayout(int[] shape, int[] axes, bool keepDim, string what)
    {
        if (shape.Contains(0)) return;   // amax of an empty axis is an error, as in PyTorch
        _ = (keepDim, what);
        foreach (bool isMin in new[] { false, true })
            foreach (var dtype in new[] { DType.Float32, DType.Int32 })
            {
                var x = (Tensor.Randn(shape, seed: 8) * 10).To(dtype);
                var (made, into) = Both(new Max(axes, shape, isMin), x);
                Assert.Equal(D(made), D(into));
            }
    }

    [Fact]
    public void NaNWinsInTheIntoFormAsInTheKernel()
    {
        var x = Tensor.FromArray(new[] { 1f, float.NaN, 3f, -2f, 5f, 0f }, [2, 3]);
        var (made, into) = Both(new Max([1], [2, 3], isMin: false), x);
        Assert.Equal(made.ToArray<float>(), into.ToArray<float>());
        Assert.True(float.IsNaN(into.ToArray<float>()[0]));
    }

    [Fact]
    public void ATensorThatDoesNotFitIsRefusedAndLeftAlone()
    {
        var x = Tensor.Randn([4, 6], seed: 3);
        var op = new Sum([1], [4, 6], keepDim: true);
        var entry = Cpu.Find(op, x.DType)!;
        foreach (var y in new[]
        {
            Tensor.Full([4], 42f),                      // keepDim drops nothing: [4, 1] expected
            Tensor.Full([4, 1], 42f).To(DType.Float64),   // float64 for a float32 sum
            Tensor.Full([8, 1], 42f).Narrow(0, 4, 4),   // an offset into its array
        })
        {
            var before = D(y);
            Assert.False(Cpu.RunInto(entry, op, [x], y));
            Assert.Equal(before, D(y));
        }
        var overlapping = Tensor.Randn([4, 1], seed: 5);   // the input itself as output of a sum over a size-1 axis
        var same = new Sum([1], [4, 1], keepDim: true);
        Assert.False(Cpu.RunInto(Cpu.Find(same, DType.Float32)!, same, [overlapping], overlapping));
    }

    [Fact]
    public void ReductionsInAReplayWriteIntoKeptBuffersAndMatchEagerOverCalls()
    {
        // Softmax and a normalization by hand: amax, sum and mean along dims, kept and dropped.
        static Tensor G(Tensor x)
        {
            var shifted = x - x.Max(1, keepDim: true);
            var e = shifted.Exp();
            var p = e / e.Sum(1, keepDim: true);
            var centered = p - p.Mean(0, keepDim: true);
            return centered.Sum(1) + centered.Max(1) * 0.5;
        }
        using var noGrad = Autograd.NoGrad();
        var x0 = Tensor.Randn([6, 9], seed: 19);
        var tracer = new Tracer([x0], ["x"], firstTrace: true, fullGraph: false);
        Tensor y0;
        using (Nabla.Engine.Dispatch.Observe(tracer)) y0 = G(x0);
        var graph = tracer.Finish([y0]);
        var kept = new List<(Tensor Compiled, float[] Eager)>();
        for (int call = 0; call < 5; call++)
        {
            var x = Tensor.Randn([6, 9], seed: 20 + call);
            kept.Add((Replay.Run(graph, [x], out _)![0], G(x).ToArray<float>()));
        }
        foreach (var (compiled, eager) in kept) Assert.Equal(eager, compiled.ToArray<float>());
        // Every reduction whose value the plan pooled still writes into its buffer (a kernel without an into-form gives it up).
        var plan = ReplayBuffers.For(graph, ReplayRecording.None);
        var reductions = Enumerable.Range(0, graph.Ops.Count).Where(i => graph.Ops[i].Op is Sum or Max).ToArray();
        Assert.True(reductions.Length >= 4);
        Assert.All(reductions.Where(i => graph.Ops[i].Outputs[0] != graph.Outputs[0]), i => Assert.True(plan.WritesIntoBuffer(i), $"op {i} ({graph.Ops[i].Op!.Name})"));
    }
}
