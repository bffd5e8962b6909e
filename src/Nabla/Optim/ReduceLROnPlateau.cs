using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Cuts the learning rate by <c>factor</c> when a metric has not improved for more than <c>patience</c>
/// epochs (torch's ReduceLROnPlateau). Call <see cref="Step(double)"/> once per epoch with the metric
/// (e.g. the validation loss). After a cut, <c>cooldown</c> epochs pass before bad epochs count again;
/// no rate goes below <c>minLr</c> (one for all groups or one per group), and cuts smaller than <c>eps</c> are skipped. A NaN metric never
/// counts as an improvement.
/// </summary>
/// <example><code>
/// var plateau = new ReduceLROnPlateau(opt, PlateauMode.Min, factor: 0.5, patience: 2);
/// for (int epoch = 0; epoch &lt; 50; epoch++) { Train(); plateau.Step(Validate()); }
/// </code></example>
public sealed class ReduceLROnPlateau
{
    readonly PlateauMode _mode;
    readonly ThresholdMode _thresholdMode;
    readonly double _factor, _threshold, _eps;
    readonly double[] _minLrs;
    readonly int _patience, _cooldown;

    /// <summary>Makes the schedule (PyTorch's defaults). Throws when <paramref name="factor"/> is not below 1.</summary>
    public ReduceLROnPlateau(Optimizer optimizer, PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10,
        double threshold = 1e-4, ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : this(optimizer, Fill(optimizer, minLr), mode, factor, patience, threshold, thresholdMode, cooldown, eps)
    { }

    /// <summary>
    /// Makes the schedule with a floor per parameter group (PyTorch's list <c>min_lr</c>); throws when
    /// <paramref name="minLr"/> does not have one value per group, or <paramref name="factor"/> is not below 1.
    /// </summary>
    public ReduceLROnPlateau(Optimizer optimizer, IReadOnlyList<double> minLr, PlateauMode mode = PlateauMode.Min, double factor = 0.1,
        int patience = 10, double threshold = 1e-4, ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!(factor < 1)) throw Errors.Arg("ReduceLROnPlateau", $"factor should be < 1.0, got {factor}.");
        if (patience < 0 || cooldown < 0) throw Errors.Arg("ReduceLROnPlateau", "patience and cooldown must be >= 0.");
        _minLrs = CyclicLR.PerGroup(optimizer, minLr, "minLr", "ReduceLROnPlateau");
        Optimizer = optimizer;
        (_mode, _factor, _patience, _threshold, _thresholdMode, _cooldown, _eps) =
            (mode, factor, patience, threshold, thresholdMode, cooldown, eps);
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    static double[] Fill(Optimizer optimizer, double value)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return Enumerable.Repeat(value, optimizer.ParamGroups.Count).ToArray();
    }

    /// <summary>Each group's floor (PyTorch's <c>min_lrs</c>).</summary>
    public IReadOnlyList<double> MinLearningRates => _minLrs;

    /// <summary>The optimizer whose groups' learning rates this schedule cuts.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The best metric seen so far (+Inf in min mode before the first step, −Inf in max mode).</summary>
    public double Best { get; private set; }

    /// <summary>Epochs in a row without improvement (reset by an improvement, a cut, or cooldown).</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Epochs of cooldown left.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>How many steps were taken.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The groups' learning rates after the last step.</summary>
    public IReadOnlyList<double> LastLearningRates => Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();

    /// <summary>Records one epoch's metric (a one-element tensor); see <see cref="Step(double)"/>.</summary>
    public void Step(Tensor metric) => Step(metric.Item<double>());

    /// <summary>Records one epoch's metric and cuts the learning rates when it has stalled for too long.</summary>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric))
        {
            Best = metric;
            NumBadEpochs = 0;
        }
        else NumBadEpochs++;

        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            NumBadEpochs = 0;
        }
        if (NumBadEpochs > _patience)
        {
            var groups = Optimizer.ParamGroups;
            if (groups.Count != _minLrs.Length)
                throw Errors.State("ReduceLROnPlateau.Step", $"the optimizer has {groups.Count} parameter group(s) but had {_minLrs.Length} " +
                    "when the schedule was made; make the schedule after adding every group.");
            for (int i = 0; i < groups.Count; i++)
            {
                var g = groups[i];
                double old = g.LearningRate, cut = Math.Max(old * _factor, _minLrs[i]);
                if (old - cut > _eps) g.LearningRate = cut;
            }
            CooldownCounter = _cooldown;
            NumBadEpochs = 0;
        }
    }

    /// <summary>The schedule's counters, for checkpoints: <c>"best"</c>, <c>"num_bad_epochs"</c>, <c>"cooldown_counter"</c>, <c>"last_epoch"</c>.</summary>
    public Dictionary<string, double> StateDict() => new(StringComparer.Ordinal)
    {
        ["best"] = Best, ["num_bad_epochs"] = NumBadEpochs, ["cooldown_counter"] = CooldownCounter, ["last_epoch"] = LastEpoch,
    };

    /// <summary>Restores what <see cref="StateDict"/> saved (the rates themselves come back with the optimizer's state).</summary>
    public void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        double Get(string key) => state.TryGetValue(key, out var v) ? v
            : throw Errors.Arg("ReduceLROnPlateau.LoadStateDict", $"the saved state has no '{key}'.");
        (Best, NumBadEpochs, CooldownCounter, LastEpoch) =
            (Get("best"), checked((int)Get("num_bad_epochs")), checked((int)Get("cooldown_counter")), checked((int)Get("last_epoch")));
    }

    bool IsBetter(double a) => (_mode, _thresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Rel) => a < Best * (1 - _threshold),
        (PlateauMode.Min, ThresholdMode.Abs) => a < Best - _threshold,
        (PlateauMode.Max, ThresholdMode.Rel) => a > Best * (_threshold + 1),
        _ => a > Best + _threshold,
    };
}
