using Nabla.Backends.Reference;
using Nabla.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

/// <summary>Regression and distribution losses (issue 14), each against plain double loops of PyTorch's definition.</summary>
internal static partial class OpDb
{
    static RefArray RefScalar(double v) => new([v], []);

    static double RefSum(RefArray r) => r.Data.Sum();

    static IEnumerable<OpInfo> LossRegressionEntries()
    {
        yield return new OpInfo
        {
            Name = "SmoothL1Loss(none,beta)", Covers = ["SmoothL1Loss"],
            Op = x => F.SmoothL1Loss(x[0], x[1], Reduction.None, beta: 0.7),
            Reference = r => RefArray.Zip(r[0], r[1], (a, b) => Math.Abs(a - b) < 0.7 ? 0.5 * (a - b) * (a - b) / 0.7 : Math.Abs(a - b) - 0.35),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(700, [3, 4]), Samples.Uniform(701, [3, 4])]),
                new("non-contiguous", [Samples.Transposed(702, 2, 3), Samples.Uniform(703, [2, 3])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "SmoothL1Loss(mean)", Covers = ["SmoothL1Loss"],
            Op = x => F.SmoothL1Loss(x[0], x[1]),
            Reference = r => RefScalar(RefArray.Zip(r[0], r[1], (a, b) => Math.Abs(a - b) < 1 ? 0.5 * (a - b) * (a - b) : Math.Abs(a - b) - 0.5).Data.Average()),
            Samples = () => [new("batch", [Samples.Uniform(704, [5]), Samples.Uniform(705, [5])])],
        };
        yield return new OpInfo
        {
            // Target probabilities differentiate too (all positive here: t·log t is smooth).
            Name = "KLDiv(batchmean)", Covers = ["KLDiv"],
            Op = x => F.KLDiv(x[0], x[1], Reduction.BatchMean),
            Reference = r => RefScalar(RefSum(RefArray.Zip(r[0], r[1], (x, t) => t * (Math.Log(t) - x))) / r[0].Shape[0]),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(706, [3, 4], -3, 0), Samples.Positive(707, [3, 4], 0.05, 1)]),
                new("non-contiguous", [Samples.Transposed(708, 2, 3, -3, 0), Samples.Positive(709, [2, 3], 0.05, 1)]),
            ],
        };
        yield return new OpInfo
        {
            Name = "KLDiv(none,logTarget)", Covers = ["KLDiv"],
            Op = x => F.KLDiv(x[0], x[1], Reduction.None, logTarget: true),
            Reference = r => RefArray.Zip(r[0], r[1], (x, t) => Math.Exp(t) * (t - x)),
            Samples = () => [new("batch", [Samples.Uniform(710, [2, 3], -3, 0), Samples.Uniform(711, [2, 3], -3, 0)])],
        };
        yield return new OpInfo
        {
            // Targets straddle 1 (the Stirling term's mask) but are differentiable data here: only the input is checked.
            Name = "PoissonNllLoss(none,full)", Covers = ["PoissonNllLoss"],
            Op = x => F.PoissonNllLoss(x[0], x[1], full: true, reduction: Reduction.None),
            Reference = r => RefArray.Zip(r[0], r[1], (x, t) => Math.Exp(x) - t * x + (t > 1 ? t * Math.Log(t) - t + 0.5 * Math.Log(2 * Math.PI * t) : 0)),
            Samples = () => [new("batch", [Samples.Uniform(712, [3, 4]), Tensor.FromArray(new double[] { 0, 0.5, 1, 1.5, 2, 3, 4, 7, 0.25, 1.25, 5, 9 }, [3, 4])])],
            GradInputs = [0],
        };
        yield return new OpInfo
        {
            Name = "PoissonNllLoss(mean,rate)", Covers = ["PoissonNllLoss"],
            Op = x => F.PoissonNllLoss(x[0], x[1], logInput: false),
            Reference = r => RefScalar(RefArray.Zip(r[0], r[1], (x, t) => x - t * Math.Log(x + 1e-8)).Data.Average()),
            Samples = () => [new("batch", [Samples.Positive(713, [2, 3]), Samples.Positive(714, [2, 3], 0, 4)])],
        };
        yield return new OpInfo
        {
            // var [N] (one per sample: unsqueezed to [N, 1]), full: input, target and var all differentiate.
            Name = "GaussianNllLoss(none,per-sample var)", Covers = ["GaussianNllLoss"],
            Op = x => F.GaussianNllLoss(x[0], x[1], x[2], full: true, reduction: Reduction.None),
            Reference = r => RefGaussianNll(r[0], r[1], r[2], perSample: true, full: true),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(715, [3, 2]), Samples.Uniform(716, [3, 2]), Samples.Positive(717, [3])]),
                new("non-contiguous", [Samples.Transposed(718, 2, 3), Samples.Uniform(719, [2, 3]), Samples.Positive(720, [2])]),
            ],
        };
        yield return new OpInfo
        {
            Name = "GaussianNllLoss(mean,same shape)", Covers = ["GaussianNllLoss"],
            Op = x => F.GaussianNllLoss(x[0], x[1], x[2]),
            Reference = r => RefScalar(RefGaussianNll(r[0], r[1], r[2], perSample: false, full: false).Data.Average()),
            Samples = () => [new("batch", [Samples.Uniform(721, [2, 3]), Samples.Uniform(722, [2, 3]), Samples.Positive(723, [2, 3])])],
        };
        yield return new OpInfo
        {
            Name = "CrossEntropy(soft,weight,smoothing)", Covers = ["CrossEntropy"],
            Op = x => F.CrossEntropy(x[0], x[1], x[2], reduction: Reduction.None, labelSmoothing: 0.2),
            Reference = r => RefSoftCrossEntropy(r[0], r[1], r[2], 0.2),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(724, [3, 4]), Samples.Positive(725, [3, 4], 0, 1), Samples.Positive(726, [4])]),
                new("non-contiguous", [Samples.Transposed(727, 2, 5), Samples.Positive(728, [2, 5], 0, 1), Samples.Positive(729, [5])]),
            ],
            GradInputs = [0, 1],
        };
        yield return new OpInfo
        {
            // Spatial [N, C, d]: Mean divides by N·d samples.
            Name = "CrossEntropy(soft,spatial,mean)", Covers = ["CrossEntropy"],
            Op = x => F.CrossEntropy(x[0], x[1]),
            Reference = r => RefScalar(RefSum(RefSoftCrossEntropy(ClassesLast(r[0]), ClassesLast(r[1]), null, 0)) / (r[0].Shape[0] * r[0].Shape[2])),
            Samples = () => [new("batch", [Samples.Uniform(730, [2, 3, 2]), Samples.Positive(731, [2, 3, 2], 0, 1)])],
        };
    }

    /// <summary>0.5·(log v + (x - t)²/v) (+ 0.5·log 2π) with v = max(var, 1e-6), var per element or per row.</summary>
    static RefArray RefGaussianNll(RefArray x, RefArray t, RefArray var, bool perSample, bool full)
    {
        var y = RefArray.Zeros(x.Shape);
        int cols = x.Shape[^1];
        for (int i = 0; i < x.Count; i++)
        {
            double v = Math.Max(perSample ? var.Data[i / cols] : var.Data[i], 1e-6), d = x.Data[i] - t.Data[i];
            y.Data[i] = 0.5 * (Math.Log(v) + d * d / v) + (full ? 0.5 * Math.Log(2 * Math.PI) : 0);
        }
        return y;
    }

    /// <summary>loss[n] = -Σ_c w_c·((1 - ε)·t[n, c] + ε/C)·(x[n, c] - log Σ_k e^(x[n, k])) on [N, C].</summary>
    static RefArray RefSoftCrossEntropy(RefArray x, RefArray t, RefArray? w, double eps)
    {
        int n = x.Shape[0], c = x.Shape[1];
        var y = RefArray.Zeros([n]);
        for (int r = 0; r < n; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int k = 0; k < c; k++) max = Math.Max(max, x.Data[r * c + k]);
            for (int k = 0; k < c; k++) sum += Math.Exp(x.Data[r * c + k] - max);
            double lse = max + Math.Log(sum), loss = 0;
            for (int k = 0; k < c; k++)
                loss -= (w is null ? 1 : w.Data[k]) * ((1 - eps) * t.Data[r * c + k] + eps / c) * (x.Data[r * c + k] - lse);
            y.Data[r] = loss;
        }
        return y;
    }

    /// <summary>[N, C, D] laid out as [N·D, C] rows.</summary>
    static RefArray ClassesLast(RefArray x)
    {
        int n = x.Shape[0], c = x.Shape[1], d = x.Shape[2];
        var y = RefArray.Zeros([n * d, c]);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < c; k++)
                for (int j = 0; j < d; j++)
                    y.Data[(i * d + j) * c + k] = x.Data[(i * c + k) * d + j];
        return y;
    }
}
