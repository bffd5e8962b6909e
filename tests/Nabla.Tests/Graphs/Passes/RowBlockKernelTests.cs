using Nabla.Backends.Cpu.Kernels;
using Nabla.Backends.Cpu.Kernels.Codegen;
using static Nabla.Tests.Graphs.Passes.RowCodegenTests;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>Tests that switch <see cref="RowKernelGenerator.BlockKernels"/> off run alone, so no other test's rows take
/// the per-row path meanwhile without meaning to.</summary>
[CollectionDefinition(nameof(RowBlockKernelCollection), DisableParallelization = true)]
public sealed class RowBlockKernelCollection;

/// <summary>
/// Block row kernels (<see cref="RowBlockBody{T}"/>: one generated call runs a phase over every row of a block, rows
/// without a tail) against eager code and against the per-row loops, bit for bit: the row programs of
/// <see cref="RowCodegenTests"/> at row lengths of whole four-vector groups (float32 64, 128, 1024; float64 also 32 and
/// 96), one row, many rows (several blocks on both threads), rows with specials, a reduction as the output (its fold
/// written straight into the output's cell) and inputs read per row (a cell splatted per row, a [n] vector, a scalar).
/// </summary>
[Collection(nameof(RowBlockKernelCollection))]
public class RowBlockKernelTests
{
    /// <summary>Runs <paramref name="body"/> with the generated kernels forced, with block kernels on and off.</summary>
    static void BothLoops(Action<bool> body)
    {
        var (kind, blocks) = (FusedKernelMode.Kind, RowKernelGenerator.BlockKernels);
        try
        {
            FusedKernelMode.Kind = FusedKernelKind.Codegen;
            foreach (bool on in new[] { true, false })
            {
                RowKernelGenerator.BlockKernels = on;
                body(on);
            }
        }
        finally
        {
            (FusedKernelMode.Kind, RowKernelGenerator.BlockKernels) = (kind, blocks);
        }
    }

    public static TheoryData<DType> DTypes() => new() { DType.Float32, DType.Float64 };

    [Theory]
    [MemberData(nameof(DTypes))]
    public void WholeRowsGiveEagerBitsInOneCallPerBlock(DType dtype)
    {
        (int Rows, int N)[] shapes = [(1, 64), (5, 128), (3, 1024), (300, 64), (70, 1024)];
        if (dtype == DType.Float64) shapes = [.. shapes, (7, 32), (33, 96)];
        BothLoops(block =>
        {
            foreach (var (rows, n) in shapes)
            {
                var x = RowCodegenTests.Data(rows, n, dtype, rows * 31 + n);
                foreach (var (name, chain) in Chains)
                {
                    var cf = Graph.Compile(chain);
                    AssertBits(chain(x), cf.Call(x), $"{name} {dtype} [{rows}, {n}] block={block}");
                    AssertBits(chain(x), cf.Call(x), $"{name} {dtype} [{rows}, {n}] block={block}, second call");
                    Assert.Contains("fused_rows", cf.GraphFor(x));
                }
            }
        });
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void InputsReadPerRowGiveEagerBits(DType dtype)
    {
        // [4, 3, 128]: a cell per row (splatted in each row of the block loop), a [128] vector, a scalar.
        var x = RowCodegenTests.Data(12, 128, dtype, 3).Reshape(4, 3, 128);
        var cell = RowCodegenTests.Data(4, 3, dtype, 4, specials: false).Reshape(4, 3, 1);
        var vector = RowCodegenTests.Data(1, 128, dtype, 5, specials: false).Reshape(128);
        Func<Tensor, Tensor, Tensor, Tensor>[] chains =
        [
            (a, c, v) => (a - c) / (a - c).Sum(-1, keepDim: true) + v,
            (a, c, v) => a.LogSumExp(-1, keepDim: false) * c.Reshape(4, 3),
            (a, c, v) => (a * 0.5 - c).Max(-1, keepDim: true),
            (a, c, v) => SoftmaxPrimitives(a * 2.5 + c) * v,
            (a, c, v) => Nabla.NN.Functional.LayerNorm(a, [128], v, v * 0.25),
        ];
        BothLoops(block =>
        {
            for (int i = 0; i < chains.Length; i++)
            {
                var f = chains[i];
                var cf = Graph.Compile((Tensor a, Tensor c, Tensor v) => f(a, c, v));
                AssertBits(f(x, cell, vector), cf.Call(x, cell, vector), $"chain {i} {dtype} block={block}");
                Assert.Contains("fused_rows", cf.GraphFor(x, cell, vector));
            }
        });
    }

    [Fact]
    public void EveryPhaseWithRowsHasABlockKernel()
    {
        // Softmax: max (phase 0), exp(x - max) with its sum (1), the division (2); each has a row loop.
        var op = SoftmaxProgram(4, 1024);
        var kernels = FusedRowKernels.For<float>(op, RowKernelPlan.For(op), 0)!;
        Assert.Equal(3, kernels.Block.Length);
        Assert.All(kernels.Block, Assert.NotNull);
        var x = RowCodegenTests.Data(4, 1024, DType.Float32, 8);
        var y = Tensor.Full([4, 1024], float.NaN);
        Assert.True(FusedRowsGenerated<float>.Run(op, FusedRowsPlan.For(op), [x], y));
        AssertBits(SoftmaxPrimitives(x), y, "softmax [4, 1024] through the block kernels");
    }
}
