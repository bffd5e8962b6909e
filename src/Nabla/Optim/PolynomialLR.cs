using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Decays the learning rate polynomially to zero over <c>totalIters</c> epochs (torch's PolynomialLR):
/// <c>lr_e = base_lr · (1 − min(e, totalIters)/totalIters)^power</c>.
/// </summary>
/// <example><code>
/// var sched = new PolynomialLR(opt, totalIters: 100, power: 2);
/// </code></example>
public sealed class PolynomialLR : LRScheduler
{
    readonly int _total;
    readonly double _power;

    /// <summary>Makes the schedule (PyTorch's defaults: 5 epochs, power 1). Throws for a non-positive totalIters.</summary>
    public PolynomialLR(Optimizer optimizer, int totalIters = 5, double power = 1.0) : base(optimizer)
    {
        if (totalIters <= 0) throw Errors.Arg("PolynomialLR", $"totalIters must be positive, got {totalIters}.");
        _total = totalIters;
        _power = power;
        Start();
    }

    private protected override double Compute(int index, ParamGroup group)
    {
        int e = LastEpoch;
        if (e == 0 || e > _total) return group.LearningRate;
        // PyTorch's chainable form: this epoch's factor over the last one's.
        double decay = Math.Pow((1.0 - (double)e / _total) / (1.0 - (double)(e - 1) / _total), _power);
        return group.LearningRate * decay;
    }
}
