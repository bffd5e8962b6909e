namespace Nabla.Optim;

/// <summary>Multiplies the learning rate by <c>gamma</c> every epoch (torch's ExponentialLR): <c>lr_e = base_lr · gamma^e</c>.</summary>
/// <example><code>
/// var sched = new ExponentialLR(opt, gamma: 0.95);
/// </code></example>
public sealed class ExponentialLR : LRScheduler
{
    readonly double _gamma;

    /// <summary>Makes the schedule.</summary>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        _gamma = gamma;
        Start();
    }

    private protected override double Compute(int index, ParamGroup group) =>
        LastEpoch == 0 ? group.LearningRate : group.LearningRate * _gamma;
}
