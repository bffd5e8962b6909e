using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Base of the learning-rate schedules that advance once per <see cref="Step"/> (PyTorch's
/// <c>LRScheduler</c>). Making a schedule takes its epoch-0 step at once (so the optimizer starts
/// with the schedule's first rate), then each <see cref="Step"/> moves to the next epoch and writes
/// the new rate into every parameter group. The rates follow PyTorch's chainable (recursive) formulas:
/// each step scales the group's current rate, so schedules compose as in PyTorch.
/// </summary>
public abstract class LRScheduler
{
    double[] _last;
    readonly double[] _base;

    private protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        // As PyTorch: the first schedule records each group's rate as its initial rate, and chained
        // schedules made later start from that, not from the rate the first one has already changed.
        foreach (var g in optimizer.ParamGroups) g.InitialLearningRate ??= g.LearningRate;
        _base = optimizer.ParamGroups.Select(g => g.InitialLearningRate!.Value).ToArray();
        _last = [.. _base];
        LastEpoch = -1;
    }

    /// <summary>The optimizer whose groups' learning rates this schedule sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>
    /// Each group's rate before the first schedule on the optimizer was made (PyTorch's <c>base_lrs</c>,
    /// taken from the groups' <see cref="ParamGroup.InitialLearningRate"/>).
    /// </summary>
    public IReadOnlyList<double> BaseLearningRates => _base;

    /// <summary>The epoch (or batch) index of the last step: 0 right after construction.</summary>
    public int LastEpoch { get; private protected set; }

    /// <summary>The learning rates the last step set, one per group (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLearningRates => _last;

    /// <summary>Advances one epoch (or batch) and sets the groups' learning rates.</summary>
    public virtual void Step()
    {
        CheckGroups();
        LastEpoch++;
        Advance();
        WriteRates();
    }

    /// <summary>Moves to epoch <paramref name="epoch"/> without <see cref="Advance"/> and sets the rates (an explicit-epoch step).</summary>
    private protected void StepTo(int epoch)
    {
        CheckGroups();
        LastEpoch = epoch;
        WriteRates();
    }

    /// <summary>
    /// Starts this schedule over as a <see cref="SequentialLR"/> does at its milestone (PyTorch's <c>step(0)</c>): the groups'
    /// rates go back to the base rates (unless <see cref="RestartsFromBaseRate"/> is false) and epoch 0's rates are set.
    /// </summary>
    internal virtual void Restart()
    {
        if (RestartsFromBaseRate)
            for (int i = 0; i < _base.Length; i++) Optimizer.ParamGroups[i].LearningRate = _base[i];
        StepTo(0);
    }

    /// <summary>Whether epoch 0 of a restart starts from the base rates (PyTorch's closed form), not from the groups' rates now.</summary>
    private protected virtual bool RestartsFromBaseRate => true;

    /// <summary>Per-step bookkeeping of a schedule with its own counters, run after <see cref="LastEpoch"/> moved on.</summary>
    private protected virtual void Advance() { }

    void CheckGroups()
    {
        if (Optimizer.ParamGroups.Count != BaseLearningRates.Count)
            throw Errors.State(GetType().Name, $"the optimizer has {Optimizer.ParamGroups.Count} parameter group(s) but had {BaseLearningRates.Count} " +
                "when the schedule was made; make the schedule after adding every group.");
    }

    void WriteRates()
    {
        var groups = Optimizer.ParamGroups;
        var lrs = new double[groups.Count];
        for (int i = 0; i < lrs.Length; i++) lrs[i] = Compute(i, groups[i]);
        for (int i = 0; i < lrs.Length; i++) groups[i].LearningRate = lrs[i];
        _last = lrs;
    }

    /// <summary>For schedules made of others (<see cref="SequentialLR"/>, <see cref="ChainedScheduler"/>): the rates their last step set.</summary>
    private protected void SetLastLearningRates(double[] lrs, int lastEpoch)
    {
        _last = lrs;
        LastEpoch = lastEpoch;
    }

    /// <summary>
    /// The schedule's position, for checkpoints: <c>"last_epoch"</c>, <c>"base_lr.{group}"</c> and
    /// <c>"last_lr.{group}"</c>. To resume, make the optimizer and the schedule as before, then load the
    /// optimizer's state (which restores the groups' rates) and this one's, as in PyTorch.
    /// </summary>
    public virtual Dictionary<string, double> StateDict()
    {
        var d = new Dictionary<string, double>(StringComparer.Ordinal) { ["last_epoch"] = LastEpoch };
        for (int i = 0; i < _base.Length; i++) (d[$"base_lr.{i}"], d[$"last_lr.{i}"]) = (_base[i], _last[i]);
        SaveCounters(d);
        return d;
    }

    /// <summary>Restores what <see cref="StateDict"/> saved; throws when the group count differs or a key is missing.</summary>
    public virtual void LoadStateDict(IReadOnlyDictionary<string, double> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string op = $"{GetType().Name}.LoadStateDict";
        double Get(string key) => state.TryGetValue(key, out var v) ? v
            : throw Errors.Arg(op, $"the saved state has no '{key}' (saved for {_base.Length} group(s)?).");
        if (state.Keys.Count(k => k.StartsWith("base_lr.", StringComparison.Ordinal)) != _base.Length)
            throw Errors.Arg(op, $"the saved state is for a different number of parameter groups than this schedule's {_base.Length}.");
        var last = new double[_base.Length];
        var bases = new double[_base.Length];
        for (int i = 0; i < _base.Length; i++) (bases[i], last[i]) = (Get($"base_lr.{i}"), Get($"last_lr.{i}"));
        LoadCounters(op, state);
        LastEpoch = checked((int)Get("last_epoch"));
        bases.CopyTo(_base, 0);
        _last = last;
    }

    /// <summary>Adds a schedule's own counters (beyond the epoch and rates) to its state dict.</summary>
    private protected virtual void SaveCounters(Dictionary<string, double> state) { }

    /// <summary>Reads back what <see cref="SaveCounters"/> saved; throws naming <paramref name="op"/> when a key is missing.</summary>
    private protected virtual void LoadCounters(string op, IReadOnlyDictionary<string, double> state) { }

    /// <summary>The value of <paramref name="key"/> in a saved state, or an error naming <paramref name="op"/>.</summary>
    private protected static double Saved(string op, IReadOnlyDictionary<string, double> state, string key) =>
        state.TryGetValue(key, out var v) ? v : throw Errors.Arg(op, $"the saved state has no '{key}'.");

    /// <summary>For schedules that define their own base rate (OneCycleLR), before <see cref="Start"/>.</summary>
    private protected void SetBaseLearningRate(int index, double lr) => _base[index] = lr;

    /// <summary>Takes the epoch-0 step; derived constructors call it once their fields are set.</summary>
    private protected void Start() => Step();

    /// <summary>Group <paramref name="index"/>'s learning rate for <see cref="LastEpoch"/>.</summary>
    private protected abstract double Compute(int index, ParamGroup group);
}
