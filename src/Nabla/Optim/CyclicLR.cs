using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Cyclical learning rates (Smith; torch's CyclicLR), stepped once per batch: the rate goes from <c>baseLr</c> up to
/// <c>maxLr</c> over <c>stepSizeUp</c> steps and back down over <c>stepSizeDown</c> (default: the same), the amplitude
/// scaled per <see cref="CyclicMode"/> or by a custom function. With <c>cycleMomentum</c> (the default) the group's
/// <c>"momentum"</c> (or <c>"beta1"</c>) moves the other way, from <c>maxMomentum</c> down to <c>baseMomentum</c>.
/// <code>
/// cycle = ⌊1 + e/(up + down)⌋ ;  x = 1 + e/(up + down) − cycle ;  s = x/r when x ≤ r, else (x − 1)/(r − 1)   (r = up/(up + down))
/// lr = baseLr + (maxLr − baseLr)·s·scale ;  momentum = maxMomentum − (maxMomentum − baseMomentum)·s·scale
/// scale: 1 (Triangular), 1/2^(cycle−1) (Triangular2), gamma^e (ExpRange)
/// </code>
/// Making the schedule sets the groups' rates to <c>baseLr</c> (and momentum to <c>maxMomentum</c>), as PyTorch.
/// </summary>
/// <example><code>
/// var sched = new CyclicLR(opt, baseLr: 1e-3, maxLr: 1e-2, stepSizeUp: 2000, mode: CyclicMode.Triangular2);
/// // after each batch: opt.Step(); sched.Step();
/// </code></example>
public sealed class CyclicLR : LRScheduler
{
    readonly double[] _maxLr;
    readonly double _totalSize, _stepRatio, _baseMomentum, _maxMomentum;
    readonly Func<double, double> _scale;
    readonly CyclicScaleMode _scaleMode;
    readonly string? _momentumKey;

    /// <summary>Makes the schedule with one base and one peak rate for every group (PyTorch's defaults).</summary>
    public CyclicLR(Optimizer optimizer, double baseLr, double maxLr, int stepSizeUp = 2000, int? stepSizeDown = null,
        CyclicMode mode = CyclicMode.Triangular, double gamma = 1.0, Func<double, double>? scaleFn = null,
        CyclicScaleMode scaleMode = CyclicScaleMode.Cycle, bool cycleMomentum = true, double baseMomentum = 0.8, double maxMomentum = 0.9)
        : this(optimizer, Fill(optimizer, baseLr), Fill(optimizer, maxLr), stepSizeUp, stepSizeDown, mode, gamma, scaleFn, scaleMode,
            cycleMomentum, baseMomentum, maxMomentum)
    { }

    /// <summary>
    /// Makes the schedule with a base and a peak rate per group (PyTorch's list arguments). Throws when a list's length
    /// differs from the group count, for a non-positive step size, or with <paramref name="cycleMomentum"/> for an optimizer
    /// that has neither a momentum nor a beta1 (pass <c>cycleMomentum: false</c>). <paramref name="scaleFn"/>, when given,
    /// replaces <paramref name="mode"/>'s scaling and is called with the cycle number or the iteration per <paramref name="scaleMode"/>.
    /// </summary>
    public CyclicLR(Optimizer optimizer, IReadOnlyList<double> baseLr, IReadOnlyList<double> maxLr, int stepSizeUp = 2000,
        int? stepSizeDown = null, CyclicMode mode = CyclicMode.Triangular, double gamma = 1.0, Func<double, double>? scaleFn = null,
        CyclicScaleMode scaleMode = CyclicScaleMode.Cycle, bool cycleMomentum = true, double baseMomentum = 0.8, double maxMomentum = 0.9)
        : base(SetBaseRates(optimizer, baseLr))
    {
        _maxLr = PerGroup(optimizer, maxLr, "maxLr");
        int down = stepSizeDown ?? stepSizeUp;
        if (stepSizeUp <= 0 || down <= 0)
            throw Errors.Arg("CyclicLR", $"stepSizeUp and stepSizeDown must be positive, got {stepSizeUp} and {down}.");
        _totalSize = (double)stepSizeUp + down;
        _stepRatio = stepSizeUp / _totalSize;
        (_scale, _scaleMode) = scaleFn is not null ? (scaleFn, scaleMode) : mode switch
        {
            CyclicMode.Triangular => (static _ => 1.0, CyclicScaleMode.Cycle),
            CyclicMode.Triangular2 => (static x => 1 / Math.Pow(2.0, x - 1), CyclicScaleMode.Cycle),
            CyclicMode.ExpRange => ((Func<double, double>)(x => Math.Pow(gamma, x)), CyclicScaleMode.Iterations),
            _ => throw Errors.Arg("CyclicLR", $"unknown mode {mode}."),
        };
        for (int i = 0; i < optimizer.ParamGroups.Count; i++) SetBaseLearningRate(i, optimizer.ParamGroups[i].LearningRate);
        if (cycleMomentum)
        {
            _momentumKey = optimizer.Defaults.ContainsKey("beta1") ? "beta1"
                : optimizer.Defaults.ContainsKey("momentum") ? "momentum"
                : throw Errors.Arg("CyclicLR", $"{optimizer.GetType().Name} has no momentum or beta1 to cycle; pass cycleMomentum: false.");
            (_baseMomentum, _maxMomentum) = (baseMomentum, maxMomentum);
            foreach (var g in optimizer.ParamGroups) g[_momentumKey] = maxMomentum;
        }
        Start();
    }

    private protected override double Compute(int index, ParamGroup group)
    {
        double e = LastEpoch;
        double cycle = Math.Floor(1 + e / _totalSize);
        double x = 1.0 + e / _totalSize - cycle;
        double s = x <= _stepRatio ? x / _stepRatio : (x - 1) / (_stepRatio - 1);
        double scale = _scale(_scaleMode == CyclicScaleMode.Cycle ? cycle : e);
        if (_momentumKey is not null) group[_momentumKey] = _maxMomentum - (_maxMomentum - _baseMomentum) * s * scale;
        double baseLr = BaseLearningRates[index];
        return baseLr + (_maxLr[index] - baseLr) * s * scale;
    }

    // PyTorch's CyclicLR starts the groups at base_lr before the schedule records their initial rates.
    static Optimizer SetBaseRates(Optimizer optimizer, IReadOnlyList<double> baseLr)
    {
        var rates = PerGroup(optimizer, baseLr, "baseLr");
        for (int i = 0; i < rates.Length; i++) optimizer.ParamGroups[i].LearningRate = rates[i];
        return optimizer;
    }

    static double[] Fill(Optimizer optimizer, double value)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return Enumerable.Repeat(value, optimizer.ParamGroups.Count).ToArray();
    }

    internal static double[] PerGroup(Optimizer optimizer, IReadOnlyList<double> values, string name, string owner = "CyclicLR")
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != optimizer.ParamGroups.Count)
            throw Errors.Arg(owner, $"expected {optimizer.ParamGroups.Count} values for {name}, one per parameter group, got {values.Count}.");
        return [.. values];
    }
}
