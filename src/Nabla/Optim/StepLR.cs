using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Multiplies the learning rate by <c>gamma</c> every <c>stepSize</c> epochs (torch's StepLR):
/// <c>lr_e = base_lr · gamma^floor(e / stepSize)</c>.
/// </summary>
/// <example><code>
/// var sched = new StepLR(opt, stepSize: 30, gamma: 0.1);
/// for (int epoch = 0; epoch &lt; 90; epoch++) { Train(); sched.Step(); }
/// </code></example>
public sealed class StepLR : LRScheduler
{
    readonly int _stepSize;
    readonly double _gamma;

    /// <summary>Makes the schedule; <paramref name="stepSize"/> must be positive.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0) throw Errors.Arg("StepLR", $"stepSize must be positive, got {stepSize}.");
        _stepSize = stepSize;
        _gamma = gamma;
        Start();
    }

    private protected override double Compute(int index, ParamGroup group) =>
        LastEpoch == 0 || LastEpoch % _stepSize != 0 ? group.LearningRate : group.LearningRate * _gamma;
}
