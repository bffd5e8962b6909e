using Nabla.Backends.Reference;
using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

/// <summary>
/// The NN functional layers and losses as OpDb entries, so the generic tests (values vs plain double loops,
/// VJP/JVP vs finite differences, second order, and the empty and zero-stride layouts of
/// OpDbEdgeLayoutTests) run over them too. Each has a batch-of-0 sample: an empty batch is a normal input.
/// </summary>
internal static partial class OpDb
{
    const double NormEps = 1e-5;

    static IEnumerable<OpInfo> NNLayerEntries()
    {
        yield return new OpInfo
        {
            Name = "Linear", Covers = ["Linear"], Op = x => F.Linear(x[0], x[1], x[2]), Reference = r => RefLinear(r[0], r[1], r[2]),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(300, [3, 4]), Samples.Uniform(301, [2, 4]), Samples.Uniform(302, [2])]),
                new("non-contiguous", [Samples.Transposed(303, 2, 4), Samples.Transposed(304, 3, 4), Samples.Uniform(305, [3])]),
                new("empty batch", [Samples.Uniform(306, [0, 4]), Samples.Uniform(307, [2, 4]), Samples.Uniform(308, [2])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "LayerNorm", Covers = ["LayerNorm"], Op = x => F.LayerNorm(x[0], [x[0].Shape[^1]], x[1], x[2], NormEps),
            Reference = r => RefNormalize(r[0], lastDim: true, r[1], r[2], null, null),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(310, [3, 5]), Samples.Uniform(311, [5]), Samples.Uniform(312, [5])]),
                new("non-contiguous", [Samples.Transposed(313, 2, 4), Samples.Uniform(314, [4]), Samples.Uniform(315, [4])]),
                new("empty batch", [Samples.Uniform(316, [0, 5]), Samples.Uniform(317, [5]), Samples.Uniform(318, [5])]),
            ],
        };
        yield return new OpInfo
        {
            // Evaluation mode (running statistics as inputs): training mode updates buffers in place, which
            // the generic tests cannot repeat; it is checked in NN/ and Hardening/EmptyBatchTests.
            Name = "BatchNorm(eval)", Covers = ["BatchNorm"],
            Op = x => F.BatchNorm(x[0], x[1], x[2], x[3], x[4], training: false, eps: NormEps),
            Reference = r => RefNormalize(r[0], lastDim: false, r[3], r[4], r[1], r[2]),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(320, [4, 3]), Samples.Uniform(321, [3]), Samples.Positive(322, [3]), Samples.Uniform(323, [3]), Samples.Uniform(324, [3])]),
                new("non-contiguous", [Samples.Transposed(325, 2, 3), Samples.Uniform(326, [3]), Samples.Positive(327, [3]), Samples.Uniform(328, [3]), Samples.Uniform(329, [3])]),
                new("empty batch", [Samples.Uniform(330, [0, 3]), Samples.Uniform(331, [3]), Samples.Positive(332, [3]), Samples.Uniform(333, [3]), Samples.Uniform(334, [3])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "CrossEntropy(none)", Covers = ["CrossEntropy", "NllLoss"],
            Op = x => F.CrossEntropy(x[0], x[1], reduction: Reduction.None), Reference = r => RefCrossEntropy(r[0], r[1]),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(340, [3, 4]), Tensor.FromArray([3L, 0L, 2L], [3])]),
                new("non-contiguous", [Samples.Transposed(341, 2, 5), Tensor.FromArray([4L, 1L], [2])]),
                new("empty batch", [Samples.Uniform(342, [0, 4]), Tensor.Zeros([0], DType.Int64)]),
            ],
        };
        yield return new OpInfo
        {
            Name = "MseLoss(none)", Covers = ["MseLoss"],
            Op = x => F.MseLoss(x[0], x[1], Reduction.None), Reference = r => RefArray.Zip(r[0], r[1], (a, b) => (a - b) * (a - b)),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(350, [3, 2]), Samples.Uniform(351, [3, 2])]),
                new("non-contiguous", [Samples.Transposed(352, 2, 3), Samples.Uniform(353, [2, 3])]),
                new("empty batch", [Samples.Uniform(354, [0, 2]), Samples.Uniform(355, [0, 2])]),
            ],
        };
    }

    /// <summary>y[n, o] = Σ_i x[n, i]·w[o, i] + b[o].</summary>
    static RefArray RefLinear(RefArray x, RefArray w, RefArray b)
    {
        int n = x.Shape[0], inF = x.Shape[1], outF = w.Shape[0];
        var y = RefArray.Zeros([n, outF]);
        for (int r = 0; r < n; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = b.Data[o];
                for (int i = 0; i < inF; i++) s += x.Data[r * inF + i] * w.Data[o * inF + i];
                y.Data[r * outF + o] = s;
            }
        return y;
    }

    /// <summary>
    /// (x - μ)/√(σ² + eps)·w + b on [N, C]: per row with the row's mean and biased variance (LayerNorm,
    /// <paramref name="lastDim"/>), or per column with the given running statistics (BatchNorm evaluation).
    /// </summary>
    static RefArray RefNormalize(RefArray x, bool lastDim, RefArray w, RefArray b, RefArray? mean, RefArray? variance)
    {
        int n = x.Shape[0], c = x.Shape[1];
        var y = RefArray.Zeros([n, c]);
        for (int r = 0; r < n; r++)
        {
            double rowMean = 0, rowVar = 0;
            if (lastDim)
            {
                for (int k = 0; k < c; k++) rowMean += x.Data[r * c + k] / c;
                for (int k = 0; k < c; k++) rowVar += (x.Data[r * c + k] - rowMean) * (x.Data[r * c + k] - rowMean) / c;
            }
            for (int k = 0; k < c; k++)
            {
                double m = lastDim ? rowMean : mean!.Data[k], v = lastDim ? rowVar : variance!.Data[k];
                y.Data[r * c + k] = (x.Data[r * c + k] - m) / Math.Sqrt(v + NormEps) * w.Data[k] + b.Data[k];
            }
        }
        return y;
    }

    /// <summary>loss[n] = log Σ_c e^(x[n, c]) - x[n, t_n].</summary>
    static RefArray RefCrossEntropy(RefArray x, RefArray t)
    {
        int n = x.Shape[0], c = x.Shape[1];
        var y = RefArray.Zeros([n]);
        for (int r = 0; r < n; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int k = 0; k < c; k++) max = Math.Max(max, x.Data[r * c + k]);
            for (int k = 0; k < c; k++) sum += Math.Exp(x.Data[r * c + k] - max);
            y.Data[r] = max + Math.Log(sum) - x.Data[r * c + (int)t.Data[r]];
        }
        return y;
    }
}
