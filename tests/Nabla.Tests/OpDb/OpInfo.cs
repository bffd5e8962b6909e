using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

/// <summary>One sample call of an op: float64 inputs (generic tests also run them in float32).</summary>
internal sealed record OpSample(string Name, Tensor[] Inputs);

/// <summary>
/// One OpDb entry: how to call a public op, its double-precision reference, sample inputs
/// (including broadcasting and non-contiguous views), and which checks apply.
/// </summary>
internal sealed class OpInfo
{
    /// <summary>Unique entry name, e.g. "Exp" or "Sum(dim)".</summary>
    public required string Name { get; init; }

    /// <summary>Public members of Tensor (or static classes) this entry covers, e.g. "Exp", "op_Addition".</summary>
    public required string[] Covers { get; init; }

    /// <summary>The differentiable call under test.</summary>
    public required Func<Tensor[], Tensor> Op { get; init; }

    /// <summary>The same computation in plain double loops (often a primitive's Reference).</summary>
    public required Func<RefArray[], RefArray> Reference { get; init; }

    public required Func<IEnumerable<OpSample>> Samples { get; init; }

    /// <summary>Indices of inputs to differentiate; null = every floating input.</summary>
    public int[]? GradInputs { get; init; }

    /// <summary>False for ops with no gradient (comparisons, ArgMax): only forward is checked.</summary>
    public bool Differentiable { get; init; } = true;

    public bool SecondOrder { get; init; } = true;

    /// <summary>
    /// True for step functions (floor, sign, ...): the derivative is zero wherever it exists, so the finite-difference
    /// checks still run (and must see zero) but the guard that every entry has a nonzero JVP somewhere skips it.
    /// </summary>
    public bool ZeroDerivative { get; init; }

    /// <summary>Float32 forward tolerance (relative to magnitude); float64 uses 1e-10.</summary>
    public double Float32Tolerance { get; init; } = 1e-5;

    /// <summary>Dtypes the forward check runs in (inputs cast from float64).</summary>
    public DType[] DTypes { get; init; } = [DType.Float64, DType.Float32];
}

/// <summary>Deterministic sample tensors for OpDb entries.</summary>
internal static class Samples
{
    /// <summary>float64 values uniform in [lo, hi) from a fixed seed.</summary>
    public static Tensor Uniform(int seed, int[] shape, double lo = -2, double hi = 2)
    {
        var rng = new Random(seed);
        int n = 1;
        foreach (var d in shape) n *= d;
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = lo + (hi - lo) * rng.NextDouble();
        return Tensor.FromArray(data, shape);
    }

    /// <summary>Positive values in [lo, hi), for log/sqrt/etc.</summary>
    public static Tensor Positive(int seed, int[] shape, double lo = 0.5, double hi = 3) => Uniform(seed, shape, lo, hi);

    /// <summary>A non-contiguous view with the given shape: the transpose of a contiguous tensor.</summary>
    public static Tensor Transposed(int seed, int rows, int cols, double lo = -2, double hi = 2) =>
        Uniform(seed, [cols, rows], lo, hi).T;
}
