using Nabla.Backends.Reference;
using Nabla.NN;
using Nabla.Tests.NN;
using F = Nabla.NN.Functional;

namespace Nabla.Tests.OpDb;

/// <summary>
/// CtcLoss against a brute-force sum over all alignments (NN/CtcLossTests.BruteForce). First order only: ctc_loss is
/// not twice differentiable (a second derivative is a NotSupportedException, checked in CtcLossTests).
/// </summary>
internal static partial class OpDb
{
    static readonly long[][] CtcTargets = [[1, 1], [], [2, 1]];

    static IEnumerable<OpInfo> CtcEntries()
    {
        // Inputs: log-probabilities [T, N, C] (not normalized: the gradient is the exact partial derivative), padded
        // targets (sample 1's row is unused: its length is 0), input lengths, target lengths. Every target fits its
        // input also in the edge-layout tests' variants (a length or a row broadcast from the first).
        Tensor Targets() => Tensor.FromArray(new long[] { 1, 1, 2, 2, 2, 1 }, [3, 2]);
        Tensor InputLengths() => Tensor.FromArray(new long[] { 4, 3, 3 }, [3]);
        Tensor TargetLengths() => Tensor.FromArray(new long[] { 2, 0, 2 }, [3]);
        yield return new OpInfo
        {
            Name = "CtcLoss(none)", Covers = ["CtcLoss"],
            Op = x => F.CtcLoss(x[0], x[1], x[2], x[3], reduction: Reduction.None),
            Reference = r => RefCtc(r[0], r[2]),
            Samples = () =>
            [
                new("batch", [Samples.Uniform(780, [4, 3, 3], -2, 0), Targets(), InputLengths(), TargetLengths()]),
                new("non-contiguous", [Samples.Uniform(781, [3, 3, 4], -2, 0).Permute(2, 0, 1), Targets(), InputLengths(), TargetLengths()]),
            ],
            SecondOrder = false,
        };
    }

    static RefArray RefCtc(RefArray lp, RefArray inputLengths)
    {
        int frames = lp.Shape[0], batch = lp.Shape[1], classes = lp.Shape[2];
        var y = RefArray.Zeros([batch]);
        for (int n = 0; n < batch; n++)
        {
            var sample = new double[frames, classes];
            for (int t = 0; t < frames; t++)
                for (int c = 0; c < classes; c++) sample[t, c] = lp.Data[(t * batch + n) * classes + c];
            y.Data[n] = CtcLossTests.BruteForce(sample, (int)inputLengths.Data[n], CtcTargets[n], 0);
        }
        return y;
    }
}
