using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Multiplies the learning rate by a constant <c>factor</c> for the first <c>totalIters</c> epochs, then restores it
/// (torch's ConstantLR): <c>lr_e = base_lr · factor</c> for e &lt; totalIters, <c>base_lr</c> after.
/// </summary>
/// <example><code>
/// var warm = new ConstantLR(opt, factor: 0.5, totalIters: 4);
/// </code></example>
public sealed class ConstantLR : LRScheduler
{
    readonly double _factor;
    readonly int _total;

    /// <summary>Makes the schedule (PyTorch's defaults: factor 1/3, 5 epochs). Throws for a factor outside [0, 1] or negative totalIters.</summary>
    public ConstantLR(Optimizer optimizer, double factor = 1.0 / 3, int totalIters = 5) : base(optimizer)
    {
        if (!(factor >= 0 && factor <= 1)) throw Errors.Arg("ConstantLR", $"factor must be in [0, 1], got {factor}.");
        if (totalIters < 0) throw Errors.Arg("ConstantLR", $"totalIters must be >= 0, got {totalIters}.");
        _factor = factor;
        _total = totalIters;
        Start();
    }

    private protected override double Compute(int index, ParamGroup group)
    {
        double lr = group.LearningRate;
        if (LastEpoch == 0) return lr * _factor;
        return LastEpoch == _total ? lr * (1.0 / _factor) : lr;
    }
}
