using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Cosine annealing from the base rate down to <c>etaMin</c> over <c>tMax</c> epochs (torch's
/// CosineAnnealingLR, without restarts): <c>lr_e = etaMin + (base_lr − etaMin)·(1 + cos(π·e/tMax))/2</c>.
/// Computed with PyTorch's recursive form, so past <c>tMax</c> the rate rises again along the cosine.
/// </summary>
/// <example><code>
/// var sched = new CosineAnnealingLR(opt, tMax: epochs, etaMin: 1e-5);
/// </code></example>
public sealed class CosineAnnealingLR : LRScheduler
{
    readonly int _tMax;
    readonly double _etaMin;

    /// <summary>Makes the schedule; <paramref name="tMax"/> must be positive.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0) throw Errors.Arg("CosineAnnealingLR", $"tMax must be positive, got {tMax}.");
        _tMax = tMax;
        _etaMin = etaMin;
        Start();
    }

    private protected override double Compute(int index, ParamGroup group)
    {
        int e = LastEpoch;
        double lr = group.LearningRate;
        if (e == 0) return lr;
        // At the bottom of the cosine the ratio below is 0/0, so PyTorch steps up by the first increment.
        if ((e - 1 - _tMax) % (2 * _tMax) == 0)
            return lr + (BaseLearningRates[index] - _etaMin) * (1 - Math.Cos(Math.PI / _tMax)) / 2;
        return (1 + Math.Cos(Math.PI * e / _tMax)) / (1 + Math.Cos(Math.PI * (e - 1) / _tMax)) * (lr - _etaMin) + _etaMin;
    }
}
