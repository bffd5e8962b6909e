namespace Nabla.NN;

/// <summary>
/// Connectionist temporal classification loss module (torch.nn.CTCLoss): <see cref="Functional.CtcLoss(Tensor, Tensor, Tensor, Tensor, int, Reduction, bool)"/>
/// of log-probabilities [T, N, C], targets, input lengths and target lengths.
/// </summary>
public sealed class CtcLoss(int blank = 0, Reduction reduction = Reduction.Mean, bool zeroInfinity = false) : LossBase(reduction)
{
    /// <summary>The blank class.</summary>
    public int Blank { get; } = blank;

    /// <summary>Whether impossible alignments give 0 (and no gradient) instead of +inf.</summary>
    public bool ZeroInfinity { get; } = zeroInfinity;

    /// <summary>The loss of <paramref name="logProbs"/> for <paramref name="targets"/> (padded [N, S] or concatenated 1-d).</summary>
    public Tensor Forward(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths) =>
        Functional.CtcLoss(logProbs, targets, inputLengths, targetLengths, Blank, Reduction, ZeroInfinity);

    /// <summary>Runs <see cref="Forward(Tensor, Tensor, Tensor, Tensor)"/>.</summary>
    public Tensor Call(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths) =>
        Invoke([logProbs, targets, inputLengths, targetLengths], a => Forward(a[0]!, a[1]!, a[2]!, a[3]!));

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, blank={Blank}, zeroInfinity={ZeroInfinity}";
}
