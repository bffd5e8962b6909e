using Nabla.Backends.Cpu.Kernels;
using Nabla.Backends.Cpu.Kernels.Codegen;
using Nabla.Graphs;
using Nabla.Primitives.Elementwise;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>
/// Fused elementwise ops whose inputs are broadcast along other dims than a scalar's (a per-channel <c>[C, 1, 1]</c>
/// bias and scale over <c>[B, C, H, W]</c>, an <c>[N, 1]</c> column over <c>[N, M]</c>) or otherwise strided (a
/// transpose): the kernel gathers such an input tile by tile and runs the program in one pass, with eager code's bits
/// (both kernel kinds, float32 and float64, sizes across tiles and the thread split).
/// </summary>
public class BroadcastFusionTests
{
    static Tensor Data(int[] shape, DType dtype, int seed, double low = -3, double high = 3)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = low + rng.NextDouble() * (high - low);
        return Tensor.FromArray(values, shape).To(dtype);
    }

    static long[] Bits(Tensor t) => t.DType == DType.Float32
        ? [.. t.ToArray<float>().Select(v => (long)BitConverter.SingleToInt32Bits(v))]
        : [.. t.ToArray<double>().Select(BitConverter.DoubleToInt64Bits)];

    /// <summary>Batch-norm style: per-channel shift and scale, then an activation.</summary>
    static Tensor Channels(Tensor x, Tensor shift, Tensor scale) => ((x - shift) * scale + 0.5).Tanh() * x;

    /// <summary>Per-row statistics as [N, 1] columns.</summary>
    static Tensor Columns(Tensor x, Tensor mean, Tensor inv) => ((x - mean) * inv).Exp() - x.Sigmoid();

    public static TheoryData<DType, bool, int> Cases()
    {
        var data = new TheoryData<DType, bool, int>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (bool interpreter in new[] { false, true })
                foreach (int batch in new[] { 1, 3, 40 })
                    data.Add(dtype, interpreter, batch);
        return data;
    }

    static void WithKernel(bool interpreter, Action body)
    {
        var saved = FusedKernelMode.Kind;
        FusedKernelMode.Kind = interpreter ? FusedKernelKind.Interpreter : FusedKernelKind.Codegen;
        try { body(); }
        finally { FusedKernelMode.Kind = saved; }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PerChannelOperandsAreEagersBits(DType dtype, bool interpreter, int batch) => WithKernel(interpreter, () =>
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor, Tensor>)Channels);
        for (int call = 0; call < 2; call++)
        {
            var (x, shift, scale) = (Data([batch, 7, 9, 11], dtype, call), Data([7, 1, 1], dtype, 10 + call), Data([7, 1, 1], dtype, 20 + call, 0.1, 2));
            Assert.Equal(Bits(Channels(x, shift, scale)), Bits(cf.Call(x, shift, scale)));
        }
        Assert.Contains("fuse: fused 1 group(s) of 5 ops: [sub mul add tanh mul]", cf.Explain());
    });

    [Theory]
    [MemberData(nameof(Cases))]
    public void ColumnOperandsAreEagersBits(DType dtype, bool interpreter, int rows) => WithKernel(interpreter, () =>
    {
        var cf = Graph.Compile((Func<Tensor, Tensor, Tensor, Tensor>)Columns);
        for (int call = 0; call < 2; call++)
        {
            var (x, mean, inv) = (Data([rows * 31, 67], dtype, call), Data([rows * 31, 1], dtype, 10 + call), Data([rows * 31, 1], dtype, 20 + call, 0.1, 1));
            Assert.Equal(Bits(Columns(x, mean, inv)), Bits(cf.Call(x, mean, inv)));
        }
        Assert.Contains("[sub mul exp sigmoid sub]", cf.Explain());
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheKernelGathersStridedInputsInsteadOfRunningStepByStep(bool interpreter) => WithKernel(interpreter, () =>
    {
        // y = relu(x + b): b a [C, 1, 1] bias expanded over [B, C, H, W], then x transposed: both run in one pass now
        // (Into answers false when the kernel could only run the steps one by one).
        var op = new FusedElementwise([FusedStep.Add, FusedStep.Relu], [0, 1, 2, -1], [0, 0]);
        var x = Data([5, 6, 7, 9], DType.Float32, 1);
        var bias = Data([6, 1, 1], DType.Float32, 2).Expand(5, 6, 7, 9);
        var y = Tensor.Zeros(5, 6, 7, 9);
        Assert.True(FusedElementwiseKernel.Into(op, [x, bias], y));
        Assert.Equal(Bits((x + bias).Relu()), Bits(y));
        var square = Data([130, 130], DType.Float32, 3);
        var transposed = Data([130, 130], DType.Float32, 4).Transpose(0, 1);
        var z = Tensor.Zeros(130, 130);
        Assert.True(FusedElementwiseKernel.Into(op, [transposed, square], z));
        Assert.Equal(Bits((transposed + square).Relu()), Bits(z));
    });
}
