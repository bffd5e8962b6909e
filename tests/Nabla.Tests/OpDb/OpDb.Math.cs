using Nabla.Backends.Reference;

namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    /// <summary>Values uniform in ±[0.2, 2] (random sign): away from the kink at 0 of abs, relu.</summary>
    internal static Tensor AwayFromZero(int seed, int[] shape)
    {
        var rng = new Random(seed);
        var data = new double[new Shape(shape).NumElements];
        for (int i = 0; i < data.Length; i++) data[i] = (rng.Next(2) == 0 ? -1 : 1) * (0.2 + 1.8 * rng.NextDouble());
        return Tensor.FromArray(data, shape);
    }

    /// <summary>Values in [-2, 2] moved at least 0.1 away from each of <paramref name="kinks"/>.</summary>
    internal static Tensor Avoiding(int seed, int[] shape, params double[] kinks)
    {
        var data = Samples.Uniform(seed, shape).ToArray<double>();
        for (int i = 0; i < data.Length; i++)
            foreach (var k in kinks)
                if (Math.Abs(data[i] - k) < 0.1) data[i] = k + (data[i] >= k ? 0.1 : -0.1) + 0.05 * (data[i] - k);
        return Tensor.FromArray(data, shape);
    }

    /// <summary>Multiples of 0.5 in [-2, 2]: exact in float32, with many ties (for comparisons).</summary>
    internal static Tensor Quantized(int seed, int[] shape)
    {
        var data = Samples.Uniform(seed, shape).ToArray<double>();
        for (int i = 0; i < data.Length; i++) data[i] = Math.Round(data[i] * 2) / 2;
        return Tensor.FromArray(data, shape);
    }

    static IEnumerable<OpSample> KinkSamples(Func<int, int[], Tensor> make)
    {
        yield return new("vector", [make(31, [7])]);
        yield return new("matrix", [make(32, [3, 4])]);
        yield return new("scalar", [make(33, [])]);
        yield return new("non-contiguous", [make(34, [3, 4]).T]);
    }

    static IEnumerable<OpSample> CompareSamples()
    {
        yield return new("same shape", [Quantized(41, [3, 4]), Quantized(42, [3, 4])]);
        yield return new("broadcast", [Quantized(43, [2, 1, 3]), Quantized(44, [4, 1])]);
        yield return new("scalar tensor", [Quantized(45, [6]), Quantized(46, [])]);
        yield return new("non-contiguous", [Quantized(47, [2, 3]).T, Quantized(48, [3, 2])]);
        yield return new("equal", [Quantized(49, [5]), Quantized(49, [5])]);
    }

    static IEnumerable<OpSample> PowTensorSamples()
    {
        yield return new("same shape", [Samples.Positive(51, [3, 4]), Samples.Uniform(52, [3, 4])]);
        yield return new("broadcast exponent", [Samples.Positive(53, [2, 3]), Samples.Uniform(54, [3])]);
        yield return new("broadcast base", [Samples.Positive(55, [4, 1]), Samples.Uniform(56, [2, 1, 3])]);
        yield return new("non-contiguous", [Samples.Transposed(57, 3, 2, 0.5, 3), Samples.Transposed(58, 3, 2)]);
    }

    static IEnumerable<OpSample> WhereSamples()
    {
        yield return new("same shape", [Samples.Uniform(61, [3, 4]), Samples.Uniform(62, [3, 4]), Samples.Uniform(63, [3, 4])]);
        yield return new("broadcast all", [Samples.Uniform(64, [3, 1]), Samples.Uniform(65, [3, 4]), Samples.Uniform(66, [4])]);
        yield return new("broadcast branches", [Samples.Uniform(67, [2, 3]), Samples.Uniform(68, [2, 1]), Samples.Uniform(69, [])]);
        yield return new("non-contiguous", [Samples.Transposed(70, 3, 2), Samples.Transposed(71, 3, 2), Samples.Uniform(72, [3, 2])]);
    }

    static OpInfo Compare(string name, Func<Tensor, Tensor, Tensor> op, Func<double, double, bool> reference) => new()
    {
        Name = name, Covers = [name], Op = x => op(x[0], x[1]),
        Reference = r => Broadcast(r[0], r[1], (a, b) => reference(a, b) ? 1 : 0),
        Samples = CompareSamples, Differentiable = false,
    };

    /// <summary>where(c &gt; 0, a, b) with NumPy broadcasting of all three.</summary>
    static RefArray WhereReference(RefArray c, RefArray a, RefArray b)
    {
        var ca = Tensor.BroadcastShapes("ref", new Shape(c.Shape), new Shape(a.Shape));
        var y = RefArray.Zeros(Tensor.BroadcastShapes("ref", new Shape(ca), new Shape(b.Shape)));
        for (int i = 0; i < y.Count; i++)
        {
            var idx = y.Unravel(i);
            y.Data[i] = c[Align(idx, c.Shape)] > 0 ? a[Align(idx, a.Shape)] : b[Align(idx, b.Shape)];
        }
        return y;
    }

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    internal static IEnumerable<OpInfo> MathEntries()
    {
        yield return new OpInfo { Name = "Sqrt", Covers = ["Sqrt"], Op = x => x[0].Sqrt(), Reference = r => Unary(r[0], Math.Sqrt), Samples = () => UnarySamples(positive: true) };
        yield return new OpInfo { Name = "Rsqrt", Covers = ["Rsqrt"], Op = x => x[0].Rsqrt(), Reference = r => Unary(r[0], a => 1 / Math.Sqrt(a)), Samples = () => UnarySamples(positive: true) };
        yield return new OpInfo { Name = "Abs", Covers = ["Abs"], Op = x => x[0].Abs(), Reference = r => Unary(r[0], Math.Abs), Samples = () => KinkSamples(AwayFromZero) };
        yield return new OpInfo { Name = "Sin", Covers = ["Sin"], Op = x => x[0].Sin(), Reference = r => Unary(r[0], Math.Sin), Samples = () => UnarySamples() };
        yield return new OpInfo { Name = "Cos", Covers = ["Cos"], Op = x => x[0].Cos(), Reference = r => Unary(r[0], Math.Cos), Samples = () => UnarySamples() };
        yield return new OpInfo { Name = "Square", Covers = ["Square"], Op = x => x[0].Square(), Reference = r => Unary(r[0], a => a * a), Samples = () => UnarySamples() };
        yield return new OpInfo { Name = "Sigmoid", Covers = ["Sigmoid"], Op = x => x[0].Sigmoid(), Reference = r => Unary(r[0], Sigmoid), Samples = () => KinkSamples((s, shape) => Samples.Uniform(s, shape, -6, 6)) };
        yield return new OpInfo { Name = "Relu", Covers = ["Relu"], Op = x => x[0].Relu(), Reference = r => Unary(r[0], a => Math.Max(a, 0)), Samples = () => KinkSamples(AwayFromZero) };
        yield return new OpInfo
        {
            Name = "Clamp(min,max)", Covers = ["Clamp"], Op = x => x[0].Clamp(-0.5, 0.8),
            Reference = r => Unary(r[0], a => Math.Min(Math.Max(a, -0.5), 0.8)),
            Samples = () => KinkSamples((s, shape) => Avoiding(s, shape, -0.5, 0.8)),
        };
        yield return new OpInfo
        {
            Name = "Clamp(min)", Covers = ["Clamp"], Op = x => x[0].Clamp(min: 0.25),
            Reference = r => Unary(r[0], a => Math.Max(a, 0.25)), Samples = () => KinkSamples((s, shape) => Avoiding(s, shape, 0.25)),
        };
        yield return new OpInfo
        {
            Name = "Clamp(max)", Covers = ["Clamp"], Op = x => x[0].Clamp(max: -0.75),
            Reference = r => Unary(r[0], a => Math.Min(a, -0.75)), Samples = () => KinkSamples((s, shape) => Avoiding(s, shape, -0.75)),
        };
        yield return new OpInfo { Name = "Pow(2)", Covers = ["Pow"], Op = x => x[0].Pow(2), Reference = r => Unary(r[0], a => a * a), Samples = () => UnarySamples() };
        yield return new OpInfo { Name = "Pow(3)", Covers = ["Pow"], Op = x => x[0].Pow(3), Reference = r => Unary(r[0], a => a * a * a), Samples = () => UnarySamples() };
        yield return new OpInfo { Name = "Pow(0.5)", Covers = ["Pow"], Op = x => x[0].Pow(0.5), Reference = r => Unary(r[0], Math.Sqrt), Samples = () => UnarySamples(positive: true) };
        yield return new OpInfo { Name = "Pow(-1.5)", Covers = ["Pow"], Op = x => x[0].Pow(-1.5), Reference = r => Unary(r[0], a => Math.Pow(a, -1.5)), Samples = () => UnarySamples(positive: true) };
        yield return new OpInfo { Name = "Pow(Tensor)", Covers = ["Pow"], Op = x => x[0].Pow(x[1]), Reference = r => Broadcast(r[0], r[1], Math.Pow), Samples = PowTensorSamples };
        yield return new OpInfo { Name = "Maximum", Covers = ["Maximum"], Op = x => x[0].Maximum(x[1]), Reference = r => Broadcast(r[0], r[1], Math.Max), Samples = () => BinarySamples() };
        yield return new OpInfo { Name = "Minimum", Covers = ["Minimum"], Op = x => x[0].Minimum(x[1]), Reference = r => Broadcast(r[0], r[1], Math.Min), Samples = () => BinarySamples() };
        yield return Compare("Gt", (a, b) => a.Gt(b), (a, b) => a > b);
        yield return Compare("Ge", (a, b) => a.Ge(b), (a, b) => a >= b);
        yield return Compare("Lt", (a, b) => a.Lt(b), (a, b) => a < b);
        yield return Compare("Le", (a, b) => a.Le(b), (a, b) => a <= b);
        yield return Compare("Eq", (a, b) => a.Eq(b), (a, b) => a == b);
        yield return new OpInfo
        {
            Name = "Compare(number)", Covers = ["Gt", "Ge", "Lt", "Le", "Eq"], Differentiable = false,
            // Encodes the five results as one number per element so one entry checks all scalar overloads.
            Op = x => x[0].Gt(0.5).To(DType.Int64) + 2 * x[0].Ge(0L).To(DType.Int64) + 4 * x[0].Lt(-1.5).To(DType.Int64)
                + 8 * x[0].Le(1L).To(DType.Int64) + 16 * x[0].Eq(-0.5).To(DType.Int64),
            Reference = r => Unary(r[0], a => (a > 0.5 ? 1 : 0) + (a >= 0 ? 2 : 0) + (a < -1.5 ? 4 : 0) + (a <= 1 ? 8 : 0) + (a == -0.5 ? 16 : 0)),
            Samples = () => KinkSamples(Quantized),
        };
        yield return new OpInfo
        {
            Name = "Where", Covers = ["Where"], GradInputs = [1, 2],
            Op = x => Tensor.Where(x[0].Gt(0L), x[1], x[2]),
            Reference = r => WhereReference(r[0], r[1], r[2]),
            Samples = WhereSamples,
        };
    }
}
