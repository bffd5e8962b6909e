using Nabla.Backends.Reference;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Linalg;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    static RefArray Unary(RefArray x, Func<double, double> f) => RefArray.Map(x, f);

    /// <summary>Broadcasts two reference arrays NumPy-style and applies f.</summary>
    internal static RefArray Broadcast(RefArray a, RefArray b, Func<double, double, double> f)
    {
        var shape = Tensor.BroadcastShapes("ref", new Shape(a.Shape), new Shape(b.Shape));
        var y = RefArray.Zeros(shape);
        for (int i = 0; i < y.Count; i++)
        {
            var idx = y.Unravel(i);
            y.Data[i] = f(a[Align(idx, a.Shape)], b[Align(idx, b.Shape)]);
        }
        return y;
    }

    internal static int[] Align(int[] idx, int[] shape)
    {
        var r = new int[shape.Length];
        int lead = idx.Length - shape.Length;
        for (int d = 0; d < shape.Length; d++) r[d] = shape[d] == 1 ? 0 : idx[d + lead];
        return r;
    }

    static IEnumerable<OpSample> BinarySamples(bool positiveB = false)
    {
        Tensor B(int seed, int[] shape) => positiveB ? Samples.Positive(seed, shape) : Samples.Uniform(seed, shape);
        yield return new("same shape", [Samples.Uniform(1, [3, 4]), B(2, [3, 4])]);
        yield return new("broadcast row", [Samples.Uniform(3, [2, 3]), B(4, [3])]);
        yield return new("broadcast both", [Samples.Uniform(5, [2, 1, 3]), B(6, [4, 1])]);
        yield return new("scalar tensor", [Samples.Uniform(7, [5]), B(8, [])]);
        yield return new("non-contiguous", [Samples.Transposed(9, 3, 2), positiveB ? Samples.Transposed(10, 3, 2, 0.5, 3) : Samples.Transposed(10, 3, 2)]);
    }

    static IEnumerable<OpSample> UnarySamples(bool positive = false)
    {
        Tensor U(int seed, int[] shape) => positive ? Samples.Positive(seed, shape) : Samples.Uniform(seed, shape);
        yield return new("vector", [U(11, [7])]);
        yield return new("matrix", [U(12, [3, 4])]);
        yield return new("scalar", [U(13, [])]);
        yield return new("non-contiguous", [positive ? Samples.Transposed(14, 4, 3, 0.5, 3) : Samples.Transposed(14, 4, 3)]);
    }

    static IEnumerable<OpInfo> CoreEntries()
    {
        yield return new OpInfo { Name = "Add", Covers = ["op_Addition"], Op = x => x[0] + x[1], Reference = r => Broadcast(r[0], r[1], (a, b) => a + b), Samples = () => BinarySamples() };
        yield return new OpInfo { Name = "Sub", Covers = ["op_Subtraction"], Op = x => x[0] - x[1], Reference = r => Broadcast(r[0], r[1], (a, b) => a - b), Samples = () => BinarySamples() };
        yield return new OpInfo { Name = "Mul", Covers = ["op_Multiply"], Op = x => x[0] * x[1], Reference = r => Broadcast(r[0], r[1], (a, b) => a * b), Samples = () => BinarySamples() };
        yield return new OpInfo { Name = "Div", Covers = ["op_Division"], Op = x => x[0] / x[1], Reference = r => Broadcast(r[0], r[1], (a, b) => a / b), Samples = () => BinarySamples(positiveB: true) };
        yield return new OpInfo { Name = "ScalarArithmetic", Covers = [], Op = x => (2.5 * x[0] - 1.0) / 4.0 + (3.0 - x[0]) * 2L, Reference = r => Unary(r[0], a => (2.5 * a - 1) / 4 + (3 - a) * 2), Samples = () => UnarySamples() };
        yield return new OpInfo { Name = "Neg", Covers = ["Neg", "op_UnaryNegation"], Op = x => -x[0], Reference = r => Unary(r[0], a => -a), Samples = () => UnarySamples() };
        yield return new OpInfo { Name = "Exp", Covers = ["Exp"], Op = x => x[0].Exp(), Reference = r => Unary(r[0], Math.Exp), Samples = () => UnarySamples() };
        yield return new OpInfo { Name = "Log", Covers = ["Log"], Op = x => x[0].Log(), Reference = r => Unary(r[0], Math.Log), Samples = () => UnarySamples(positive: true) };
        yield return new OpInfo { Name = "Tanh", Covers = ["Tanh"], Op = x => x[0].Tanh(), Reference = r => Unary(r[0], Math.Tanh), Samples = () => UnarySamples() };
        yield return new OpInfo { Name = "Reciprocal", Covers = ["Reciprocal"], Op = x => x[0].Reciprocal(), Reference = r => Unary(r[0], a => 1 / a), Samples = () => UnarySamples(positive: true) };
        yield return new OpInfo
        {
            Name = "MatMul", Covers = ["MatMul"], Op = x => x[0].MatMul(x[1]),
            Reference = r => new MatMul().Reference(r),
            Samples = () => new OpSample[]
            {
                new("2d", [Samples.Uniform(20, [3, 4]), Samples.Uniform(21, [4, 2])]),
                new("batched", [Samples.Uniform(22, [2, 3, 4]), Samples.Uniform(23, [2, 4, 5])]),
                new("transposed", [Samples.Transposed(24, 3, 4), Samples.Transposed(25, 4, 2)]),
            },
        };
    }
}
