using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Steps several schedules together, each scaling the rate the others set (torch's ChainedScheduler): one
/// <see cref="Step"/> calls every schedule's Step in order. The schedules must be chainable (those whose rule scales
/// the group's current rate), as in PyTorch.
/// </summary>
/// <example><code>
/// var sched = new ChainedScheduler([new ConstantLR(opt, factor: 0.1, totalIters: 2), new ExponentialLR(opt, gamma: 0.9)]);
/// </code></example>
public sealed class ChainedScheduler : LRScheduler
{
    readonly LRScheduler[] _schedulers;

    /// <summary>Chains <paramref name="schedulers"/> (all on one optimizer, <paramref name="optimizer"/> when given).</summary>
    public ChainedScheduler(IReadOnlyList<LRScheduler> schedulers, Optimizer? optimizer = null)
        : base(optimizer ?? First(schedulers))
    {
        _schedulers = Composite.Check("ChainedScheduler", Optimizer, schedulers);
        SetLastLearningRates(Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray(), 0);
    }

    /// <summary>The schedules, in the order they step.</summary>
    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;

    /// <summary>Steps every schedule once, in order.</summary>
    public override void Step()
    {
        foreach (var s in _schedulers) s.Step();
        SetLastLearningRates(Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray(), LastEpoch + 1);
    }

    internal override void Restart()
    {
        foreach (var s in _schedulers) s.Restart();
        SetLastLearningRates(Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray(), 0);
    }

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

    static Optimizer First(IReadOnlyList<LRScheduler> schedulers)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        if (schedulers.Count == 0) throw Errors.Arg("ChainedScheduler", "expected at least one schedule.");
        return schedulers[0]?.Optimizer ?? throw Errors.Arg("ChainedScheduler", "schedule 0 is null.");
    }
}

/// <summary>What <see cref="SequentialLR"/> and <see cref="ChainedScheduler"/> share: checks and nested state dicts.</summary>
internal static class Composite
{
    const string Prefix = "schedulers.";

    public static LRScheduler[] Check(string owner, Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        if (schedulers.Count == 0) throw Errors.Arg(owner, "expected at least one schedule.");
        for (int i = 0; i < schedulers.Count; i++)
        {
            if (schedulers[i] is null) throw Errors.Arg(owner, $"schedule {i} is null.");
            if (!ReferenceEquals(schedulers[i].Optimizer, optimizer))
                throw Errors.Arg(owner, $"schedule {i} ({schedulers[i].GetType().Name}) is on another optimizer; every schedule must be on the same one.");
        }
        return [.. schedulers];
    }

    public static Dictionary<string, double> Save(Dictionary<string, double> own, LRScheduler[] schedulers)
    {
        for (int i = 0; i < schedulers.Length; i++)
            foreach (var (key, v) in schedulers[i].StateDict()) own[$"{Prefix}{i}.{key}"] = v;
        return own;
    }

    public static Dictionary<string, double> Own(IReadOnlyDictionary<string, double> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Where(kv => !kv.Key.StartsWith(Prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    public static void Load(IReadOnlyDictionary<string, double> state, LRScheduler[] schedulers)
    {
        for (int i = 0; i < schedulers.Length; i++)
        {
            string p = $"{Prefix}{i}.";
            schedulers[i].LoadStateDict(state.Where(kv => kv.Key.StartsWith(p, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[p.Length..], kv => kv.Value, StringComparer.Ordinal));
        }
    }
}
