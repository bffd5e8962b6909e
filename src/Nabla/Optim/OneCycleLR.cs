using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// The 1cycle policy (Smith; torch's OneCycleLR), stepped once per batch: the rate rises from
/// <c>maxLr/divFactor</c> to <c>maxLr</c> over the first <c>pctStart</c> of <c>totalSteps</c>, then falls to
/// <c>maxLr/divFactor/finalDivFactor</c> (with <c>threePhase</c>: back to the initial rate, then down to the
/// minimum). With <c>cycleMomentum</c> (the default) the group's <c>"momentum"</c> (or Adam's <c>"beta1"</c>)
/// moves the other way, between <c>maxMomentum</c> and <c>baseMomentum</c>. Stepping past <c>totalSteps</c> throws.
/// </summary>
/// <example><code>
/// var sched = new OneCycleLR(opt, maxLr: 0.01, totalSteps: epochs * batchesPerEpoch);
/// // after each batch: opt.Step(); sched.Step();
/// </code></example>
public sealed class OneCycleLR : LRScheduler
{
    readonly record struct Phase(double EndStep, Func<int, double> StartLr, Func<int, double> EndLr, double StartMomentum, double EndMomentum);

    readonly int _totalSteps;
    readonly Phase[] _phases;
    readonly AnnealStrategy _anneal;
    readonly string? _momentumKey;
    readonly double[] _initialLr, _maxLr, _minLr;

    /// <summary>
    /// Makes the schedule (PyTorch's defaults). Throws for a non-positive <paramref name="totalSteps"/>,
    /// <paramref name="pctStart"/> outside [0, 1], or <paramref name="cycleMomentum"/> with an optimizer
    /// that has neither a momentum nor a beta1 (use <c>cycleMomentum: false</c> for <see cref="Adagrad"/>).
    /// </summary>
    public OneCycleLR(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3,
        AnnealStrategy annealStrategy = AnnealStrategy.Cos, bool cycleMomentum = true, double baseMomentum = 0.85,
        double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : this(optimizer, Fill(optimizer, maxLr), totalSteps, pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum,
            divFactor, finalDivFactor, threePhase)
    { }

    /// <summary>
    /// Makes the schedule with a peak rate per parameter group (PyTorch's list <c>max_lr</c>); throws when
    /// <paramref name="maxLr"/> does not have one value per group, and as the single-rate form.
    /// </summary>
    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLr, int totalSteps, double pctStart = 0.3,
        AnnealStrategy annealStrategy = AnnealStrategy.Cos, bool cycleMomentum = true, double baseMomentum = 0.85,
        double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false) : base(optimizer)
    {
        if (totalSteps <= 0) throw Errors.Arg("OneCycleLR", $"totalSteps must be positive, got {totalSteps}.");
        if (!(pctStart >= 0 && pctStart <= 1)) throw Errors.Arg("OneCycleLR", $"pctStart must be in [0, 1], got {pctStart}.");
        _totalSteps = totalSteps;
        _anneal = annealStrategy;
        int n = optimizer.ParamGroups.Count;
        _maxLr = CyclicLR.PerGroup(optimizer, maxLr, "maxLr", "OneCycleLR");
        _initialLr = _maxLr.Select(m => m / divFactor).ToArray();
        _minLr = _initialLr.Select(i => i / finalDivFactor).ToArray();
        // PyTorch's OneCycleLR overwrites the groups' initial_lr with its own starting rate.
        for (int i = 0; i < n; i++)
        {
            optimizer.ParamGroups[i].InitialLearningRate = _initialLr[i];
            SetBaseLearningRate(i, _initialLr[i]);
        }
        Func<int, double> initial = i => _initialLr[i], max = i => _maxLr[i], min = i => _minLr[i];
        double up = pctStart * totalSteps - 1;
        // Momentum moves against the rate: high while the rate is low.
        double hi = maxMomentum, lo = baseMomentum;
        _phases = threePhase
            ? [new(up, initial, max, hi, lo), new(2 * pctStart * totalSteps - 2, max, initial, lo, hi), new(totalSteps - 1, initial, min, hi, hi)]
            : [new(up, initial, max, hi, lo), new(totalSteps - 1, max, min, lo, hi)];

        if (cycleMomentum)
        {
            _momentumKey = optimizer.Defaults.ContainsKey("beta1") ? "beta1"
                : optimizer.Defaults.ContainsKey("momentum") ? "momentum"
                : throw Errors.Arg("OneCycleLR", $"{optimizer.GetType().Name} has no momentum or beta1 to cycle; pass cycleMomentum: false.");
            foreach (var g in optimizer.ParamGroups) g[_momentumKey] = maxMomentum;
        }
        Start();
    }

    static double[] Fill(Optimizer optimizer, double value)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return Enumerable.Repeat(value, optimizer.ParamGroups.Count).ToArray();
    }

    private protected override double Compute(int index, ParamGroup group)
    {
        int step = LastEpoch;
        if (step > _totalSteps)
            throw Errors.State("OneCycleLR.Step", $"tried to step {step} times but totalSteps is {_totalSteps}; " +
                "make the schedule with the number of optimizer steps of the whole run.");
        double start = 0;
        for (int i = 0; i < _phases.Length; i++)
        {
            var phase = _phases[i];
            if (step <= phase.EndStep || i == _phases.Length - 1)
            {
                double pct = (step - start) / (phase.EndStep - start);
                if (_momentumKey is not null) group[_momentumKey] = Anneal(phase.StartMomentum, phase.EndMomentum, pct);
                return Anneal(phase.StartLr(index), phase.EndLr(index), pct);
            }
            start = phase.EndStep;
        }
        throw new InvalidOperationException("unreachable: the last phase always matches");
    }

    double Anneal(double start, double end, double pct) => _anneal == AnnealStrategy.Cos
        ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)
        : (end - start) * pct + start;
}
