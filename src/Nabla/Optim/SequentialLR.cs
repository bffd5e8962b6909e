using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Runs schedules one after another (torch's SequentialLR): <c>schedulers[0]</c> until <c>milestones[0]</c>, then
/// <c>schedulers[1]</c>, started over from its epoch 0 at the milestone, and so on. Making it resets the groups' rates to
/// their initial rates and starts the first schedule again. Step only this object, not the schedules inside it.
/// </summary>
/// <example><code>
/// var warm = new LinearLR(opt, startFactor: 0.1, totalIters: 5);
/// var decay = new CosineAnnealingLR(opt, tMax: 95);
/// var sched = new SequentialLR(opt, [warm, decay], milestones: [5]);
/// </code></example>
public sealed class SequentialLR : LRScheduler
{
    readonly LRScheduler[] _schedulers;
    readonly int[] _milestones;

    /// <summary>
    /// Makes the schedule. Throws unless there is one milestone fewer than schedules, the milestones ascend, and every
    /// schedule is on <paramref name="optimizer"/>.
    /// </summary>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones) : base(optimizer)
    {
        _schedulers = Composite.Check("SequentialLR", optimizer, schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (milestones.Count != _schedulers.Length - 1)
            throw Errors.Arg("SequentialLR", $"expected {_schedulers.Length - 1} milestone(s) for {_schedulers.Length} schedules, got {milestones.Count}.");
        for (int i = 1; i < milestones.Count; i++)
            if (milestones[i] < milestones[i - 1])
                throw Errors.Arg("SequentialLR", $"milestones must ascend, got [{string.Join(", ", milestones)}].");
        _milestones = [.. milestones];
        foreach (var g in optimizer.ParamGroups) g.LearningRate = g.InitialLearningRate!.Value;
        _schedulers[0].Restart();
        SetLastLearningRates([.. _schedulers[0].LastLearningRates], 0);
    }

    /// <summary>The schedules, in order.</summary>
    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;

    /// <summary>Advances one epoch: the schedule of this epoch steps, or starts over at its milestone.</summary>
    public override void Step()
    {
        int epoch = LastEpoch + 1;
        int idx = 0;
        while (idx < _milestones.Length && _milestones[idx] <= epoch) idx++;   // bisect_right
        var s = _schedulers[idx];
        if (idx > 0 && _milestones[idx - 1] == epoch) s.Restart();
        else s.Step();
        SetLastLearningRates([.. s.LastLearningRates], epoch);
    }

    internal override void Restart() => throw Errors.State("SequentialLR", "a SequentialLR can't be nested in another SequentialLR.");

    // Not used: Step is the inner schedules'.
    private protected override double Compute(int index, ParamGroup group) => group.LearningRate;

    /// <summary>This schedule's position and each inner schedule's state under <c>"schedulers.{i}."</c>.</summary>
    public override Dictionary<string, double> StateDict() => Composite.Save(base.StateDict(), _schedulers);

    /// <summary>Restores what <see cref="StateDict"/> saved, the inner schedules' included.</summary>
    public override void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        base.LoadStateDict(Composite.Own(state));
        Composite.Load(state, _schedulers);
    }
}
