using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Multiplies the learning rate by <c>gamma</c> at each milestone epoch (torch's MultiStepLR): <c>lr_e = base_lr ·
/// gamma^(number of milestones ≤ e)</c>. A milestone given twice multiplies twice, as in PyTorch (its milestones are a Counter).
/// </summary>
/// <example><code>
/// var sched = new MultiStepLR(opt, milestones: [30, 80], gamma: 0.1);   // 0.05 until 30, 0.005 until 80, then 0.0005
/// </code></example>
public sealed class MultiStepLR : LRScheduler
{
    readonly Dictionary<int, int> _count = [];
    readonly double _gamma;

    /// <summary>Makes the schedule (PyTorch's default gamma 0.1). Throws for a negative milestone.</summary>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        foreach (int m in milestones)
        {
            if (m < 0) throw Errors.Arg("MultiStepLR", $"milestones must be >= 0, got {m}.");
            _count[m] = _count.GetValueOrDefault(m) + 1;
        }
        _gamma = gamma;
        Start();
    }

    private protected override double Compute(int index, ParamGroup group) =>
        _count.TryGetValue(LastEpoch, out int times) ? group.LearningRate * Math.Pow(_gamma, times) : group.LearningRate;
}
