using Nabla.Backends.Cpu.Kernels;
using Nabla.Backends.Cpu.Kernels.Codegen;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Reduce;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Generated row kernels (<see cref="RowKernelGenerator"/>, run by <see cref="FusedRowsGenerated{T}"/>) against eager
/// code, bit for bit: softmax, log-softmax, log-sum-exp and layer norm written from primitives and through Nabla's own
/// composites, float32 and float64, every row length 1..70 (a partial vector, a tail after the four-vector groups, rows
/// shorter than a group), 1024, 3071 and 16,400 (a second reduction chunk of 16 elements), rows holding -inf, +inf,
/// NaN, ±1e30 and -0, keepDim and broadcast shapes (a cell and a [n] vector read from outside), in both kernel modes.
/// Kernel-level tests check that the generated kernel is the one that ran, that a program with a row step without a
/// vector form or with more than <see cref="RowKernelGenerator.MaxSteps"/> steps falls back to the interpreter, and that
/// a call below the parallel threshold allocates nothing.
/// </summary>
public class RowCodegenTests
{
    internal static Tensor SoftmaxPrimitives(Tensor x)
    {
        var e = (x - x.Max(-1, keepDim: true)).Exp();
        return e / e.Sum(-1, keepDim: true);
    }

    static Tensor LogSoftmaxPrimitives(Tensor x)
    {
        var s = x - x.Max(-1, keepDim: true);
        return s - s.Exp().Sum(-1, keepDim: true).Log();
    }

    static Tensor LogSumExpPrimitives(Tensor x)
    {
        var m = x.Max(-1, keepDim: true);
        return m + (x - m).Exp().Sum(-1, keepDim: true).Log();
    }

    static Tensor LayerNormPrimitives(Tensor x)
    {
        var d = x - x.Mean(-1, keepDim: true);
        return d / ((d * d).Mean(-1, keepDim: true) + 1e-5).Sqrt();
    }

    internal static readonly (string Name, Func<Tensor, Tensor> Chain)[] Chains =
    [
        ("softmax_primitives", SoftmaxPrimitives),
        ("log_softmax_primitives", LogSoftmaxPrimitives),
        ("log_sum_exp_primitives", LogSumExpPrimitives),
        ("layer_norm_primitives", LayerNormPrimitives),
        ("softmax", x => x.Softmax(-1)),
        ("log_softmax", x => x.LogSoftmax(-1)),
        ("log_sum_exp", x => x.LogSumExp(-1, keepDim: true)),
        ("layer_norm", x => Nabla.NN.Functional.LayerNorm(x, [x.Shape[^1]])),
    ];

    /// <summary>
    /// Values in [-4, 4); in float32, row 1 (of 3 or more) holds specials (-inf, +inf, NaN, ±1e30, -0) and row 2 is all
    /// -inf. NB: not in float64, whose exp and log are TensorPrimitives' (no vector form, so the interpreter runs them):
    /// a vector holding a special value takes another path there, and which neighbours share that vector depends on the
    /// array's address, so eager code itself gives another last bit for the same value at another address.
    /// </summary>
    internal static Tensor Data(int rows, int n, DType dtype, int seed, bool specials = true)
    {
        specials &= dtype == DType.Float32;
        var rng = new Random(seed);
        double[] special = [double.NegativeInfinity, double.PositiveInfinity, double.NaN, 1e30, -1e30, -0.0];
        var values = new double[rows * n];
        for (int i = 0; i < values.Length; i++) values[i] = rng.NextDouble() * 8 - 4;
        if (specials && rows >= 3)
        {
            for (int j = 0; j < n; j += 3) values[n + j] = special[rng.Next(special.Length)];
            for (int j = 0; j < n; j++) values[2 * n + j] = double.NegativeInfinity;
        }
        return Tensor.FromArray(values, [rows, n]).To(dtype);
    }

    static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? [.. t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v))]
        : [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    internal static void AssertBits(Tensor expected, Tensor actual, string what)
    {
        var (e, a) = (Bits(expected), Bits(actual));
        Assert.Equal(e.Length, a.Length);
        int bad = Enumerable.Range(0, e.Length).FirstOrDefault(i => e[i] != a[i], -1);
        Assert.True(bad < 0, $"{what}: element {bad} of {e.Length}: {(bad < 0 ? 0 : e[bad]):X} expected, {(bad < 0 ? 0 : a[bad]):X}");
    }

    /// <summary>Runs <paramref name="body"/> in each kernel mode, with every row length taking the generated kernel.</summary>
    static void InBothModes(Action<FusedKernelKind> body)
    {
        var (savedKind, savedMin) = (FusedKernelMode.Kind, RowKernelGenerator.MinRowVectors);
        try
        {
            RowKernelGenerator.MinRowVectors = 0;
            foreach (var kind in new[] { FusedKernelKind.Codegen, FusedKernelKind.Interpreter })
            {
                FusedKernelMode.Kind = kind;
                body(kind);
            }
        }
        finally
        {
            (FusedKernelMode.Kind, RowKernelGenerator.MinRowVectors) = (savedKind, savedMin);
        }
    }

    public static TheoryData<DType> DTypes() => new() { DType.Float32, DType.Float64 };

    [Theory]
    [MemberData(nameof(DTypes))]
    public void EveryChainGivesEagerBitsAtEveryRowLength(DType dtype)
    {
        var lengths = Enumerable.Range(1, 70).Concat([1024, 3071]).ToArray();
        InBothModes(kind =>
        {
            foreach (var (name, chain) in Chains)
                foreach (int n in lengths)
                {
                    // A compiled function per length: one retraced over many shapes would make its dims dynamic, unfused.
                    var cf = Graph.Compile(chain);
                    var x = Data(n > 1000 ? 4 : 5, n, dtype, n);
                    var expected = chain(x);
                    AssertBits(expected, cf.Call(x), $"{name} {dtype} n={n} {kind}");
                    AssertBits(expected, cf.Call(x), $"{name} {dtype} n={n} {kind}, second call");
                    Assert.Contains("fused_rows", cf.GraphFor(x));
                }
        });
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void ManyRowsAndALongRowGiveEagerBits(DType dtype)
    {
        // 300 rows of 200: several blocks, and past the parallel threshold; 2 rows of 16,400: two reduction chunks.
        InBothModes(kind =>
        {
            foreach (var (rows, n) in new[] { (300, 200), (2, 16_400), (131, 33) })
            {
                var x = Data(rows, n, dtype, rows + n);
                foreach (var (name, chain) in Chains)
                    AssertBits(chain(x), Graph.Compile(chain).Call(x), $"{name} {dtype} [{rows}, {n}] {kind}");
            }
        });
    }

    [Theory]
    [MemberData(nameof(DTypes))]
    public void KeepDimAndBroadcastShapesGiveEagerBits(DType dtype)
    {
        var x = Data(6, 37, dtype, 3).Reshape(2, 3, 37);
        var cell = Data(2, 3, dtype, 4, specials: false).Reshape(2, 3, 1);
        var vector = Data(1, 37, dtype, 5, specials: false).Reshape(37);
        var weight = Data(1, 37, dtype, 6, specials: false).Reshape(37);
        var bias = Data(1, 37, dtype, 7, specials: false).Reshape(37);
        Func<Tensor, Tensor, Tensor, Tensor>[] chains =
        [
            (a, c, v) => (a - c) / (a - c).Sum(-1, keepDim: true) + v,
            (a, c, v) => a.LogSumExp(-1, keepDim: false) * c.Reshape(2, 3),
            (a, c, v) => a.LogSumExp(-1, keepDim: true) + c,
            (a, c, v) => SoftmaxPrimitives(a * 2.5) * v,
            (a, c, v) => Nabla.NN.Functional.LayerNorm(a, [37], weight, bias),
            (a, c, v) => LayerNormPrimitives(a + c) * v + 1.0,
        ];
        InBothModes(kind =>
        {
            for (int i = 0; i < chains.Length; i++)
            {
                var f = chains[i];
                var cf = Graph.Compile((Tensor a, Tensor c, Tensor v) => f(a, c, v));
                AssertBits(f(x, cell, vector), cf.Call(x, cell, vector), $"chain {i} {dtype} {kind}");
                AssertBits(f(x, cell, vector), cf.Call(x, cell, vector), $"chain {i} {dtype} {kind}, second call");
                Assert.Contains("fused_rows", cf.GraphFor(x, cell, vector));
            }
        });
    }

    /// <summary>Softmax as a program: max_row(x); x - max; exp; sum_row; exp / sum.</summary>
    internal static FusedRows SoftmaxProgram(int rows, int n, FusedStep exp = FusedStep.Exp) => new([rows, n], [true],
        [FusedStep.Add, FusedStep.Sub, exp, FusedStep.Add, FusedStep.Div],
        [RowReduction.Max, RowReduction.None, RowReduction.None, RowReduction.Sum, RowReduction.None],
        [0, -1, 0, 1, 2, -1, 3, -1, 3, 4], new double[5]);

    [Theory]
    [InlineData(8, 1024)]
    [InlineData(3, 3071)]
    [InlineData(2, 20_000)]
    public void TheGeneratedKernelRunsAndGivesEagerBits(int rows, int n)
    {
        var x = Data(rows, n, DType.Float32, n);
        var op = SoftmaxProgram(rows, n);
        var y = Tensor.Zeros([rows, n]);
        Assert.True(FusedRowsGenerated<float>.Run(op, FusedRowsPlan.For(op), [x], y));
        AssertBits(SoftmaxPrimitives(x), y, $"softmax [{rows}, {n}]");
        // Its plan: max (phase 0); exp(x - max) stored into the output block with its sum (1); the division in place (2).
        var plan = RowKernelPlan.For(op);
        Assert.Equal(3, plan.Phases.Length);
        Assert.Equal(RowKernelPlan.Output, plan.RowBuffer[1 + 2]);
        Assert.Equal(0, plan.RowBuffers);
    }

    [Fact]
    public void ARowStepWithoutAVectorFormFallsBackToTheInterpreter()
    {
        // Sin on rows (TensorPrimitives; no vector method): no generated kernel, and the op still gives eager's bits.
        var x = Data(4, 100, DType.Float32, 1, specials: false);
        var op = SoftmaxProgram(4, 100, FusedStep.Sin);
        Assert.False(FusedRowsGenerated<float>.Run(op, FusedRowsPlan.For(op), [x], Tensor.Zeros([4, 100])));
        var e = (x - x.Max(-1, keepDim: true)).Sin();
        AssertBits(e / e.Sum(-1, keepDim: true), Engine.Dispatch.Call(op, [x]), "log program");
    }

    [Fact]
    public void AProgramOfMoreThanMaxStepsRunsOnTheInterpreter()
    {
        // max_row(x), then x - max subtracted again and again: 1 + 69 steps.
        int steps = RowKernelGenerator.MaxSteps + 6;
        var operands = new List<int> { 0, -1 };
        for (int k = 1; k < steps; k++) operands.AddRange([k == 1 ? 0 : k, 1]);
        var op = new FusedRows([4, 100], [true], [.. Enumerable.Repeat(FusedStep.Sub, steps)],
            [RowReduction.Max, .. Enumerable.Repeat(RowReduction.None, steps - 1)], [.. operands], new double[steps]);
        var x = Data(4, 100, DType.Float32, 9, specials: false);
        Assert.False(FusedRowsGenerated<float>.Run(op, FusedRowsPlan.For(op), [x], Tensor.Zeros([4, 100])));
        var m = x.Max(-1, keepDim: true);
        var expected = x - m;
        for (int k = 2; k < steps; k++) expected -= m;
        AssertBits(expected, Engine.Dispatch.Call(op, [x]), "long program");
    }

    [Fact]
    public void ACallBelowTheParallelThresholdAllocatesNothing()
    {
        var x = Data(16, 1024, DType.Float32, 2, specials: false);
        var op = SoftmaxProgram(16, 1024);
        var plan = FusedRowsPlan.For(op);
        var y = Tensor.Zeros([16, 1024]);
        Assert.True(FusedRowsGenerated<float>.Run(op, plan, [x], y));
        Tensor[] inputs = [x];
        for (int i = 0; i < 20; i++) FusedRowsGenerated<float>.Run(op, plan, inputs, y);
        // The least of five rounds of 100 calls: a kernel that allocates per call allocates in every round, while the
        // runtime may allocate once on this thread in some round (a fresh CI run saw 152 bytes in one round of 100).
        var rounds = new long[5];
        for (int r = 0; r < rounds.Length; r++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++) FusedRowsGenerated<float>.Run(op, plan, inputs, y);
            rounds[r] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, rounds.Min());
        AssertBits(SoftmaxPrimitives(x), y, "softmax [16, 1024]");
    }
}
