using Nabla.Engine;

namespace Nabla.Optim;

public abstract partial class Optimizer
{
    // State loaded for implicit-group variables that ApplyGradients has not seen yet, by position in that
    // group: TF-style training restores a checkpoint before the first step, when the variables are still unknown.
    readonly Dictionary<int, ParamState> _pending = [];

    /// <summary>
    /// The optimizer's state (copies): per-parameter step counts and buffers keyed by parameter index
    /// (counted over the groups in order), and each group's hyper-parameters, as PyTorch's <c>state_dict()</c>.
    /// </summary>
    public virtual OptimizerStateDict StateDict()
    {
        var sd = new OptimizerStateDict();
        int index = 0;
        foreach (var group in _groups)
        {
            var ids = new int[group.Parameters.Count];
            for (int j = 0; j < ids.Length; j++, index++)
            {
                ids[j] = index;
                if (_state.TryGetValue(group.Parameters[j], out var s)) sd.State[index] = Export(s);
            }
            sd.ParamGroups.Add(new ParamGroupState(group.Options, ids));
        }
        return sd;
    }

    /// <summary>
    /// Replaces the state and the groups' hyper-parameters with <paramref name="stateDict"/>'s, matching
    /// parameters by index (so load into an optimizer over the same parameters in the same order); an
    /// optimizer continues exactly as the one that saved it. The group count and sizes, buffer names and
    /// shapes are checked. For TF-style use (no constructor parameters) the variables may be unknown
    /// still: their state is kept and given to them, in order, when ApplyGradients first sees them.
    /// </summary>
    public virtual void LoadStateDict(OptimizerStateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        string op = $"{Name}.LoadStateDict";
        if (stateDict.ParamGroups.Count != _groups.Count)
            throw Errors.Arg(op, $"the saved state has {stateDict.ParamGroups.Count} parameter group(s) but this optimizer has {_groups.Count}.");
        var loaded = new Dictionary<Tensor, ParamState>(ReferenceEqualityComparer.Instance);
        var pending = new Dictionary<int, ParamState>();
        for (int g = 0; g < _groups.Count; g++)
        {
            var group = _groups[g];
            var saved = stateDict.ParamGroups[g];
            bool deferred = ReferenceEquals(group, _implicitGroup) && group.Parameters.Count < saved.Params.Count;
            if (saved.Params.Count != group.Parameters.Count && !deferred)
                throw Errors.Arg(op, $"group {g} has {group.Parameters.Count} parameter(s) but the saved group has {saved.Params.Count}; " +
                    "load into an optimizer made over the same parameters.");
            foreach (var key in saved.Options.Keys)
                if (!_defaults.ContainsKey(key))
                    throw Errors.Arg(op, $"group {g} has unknown option '{key}' (state saved by another optimizer type?).");
            ValidateOptions(op, saved.Options);
            for (int j = 0; j < saved.Params.Count; j++)
            {
                if (!stateDict.State.TryGetValue(saved.Params[j], out var buffers)) continue;
                if (j < group.Parameters.Count) loaded[group.Parameters[j]] = Import(op, saved.Params[j], buffers, group.Parameters[j].Shape, group.Parameters[j].DType);
                else pending[j] = Import(op, saved.Params[j], buffers, null, null);
            }
        }
        // All checks passed: now change the optimizer.
        for (int g = 0; g < _groups.Count; g++)
            foreach (var (key, v) in stateDict.ParamGroups[g].Options) _groups[g][key] = v;
        _state.Clear();
        foreach (var (p, s) in loaded) _state[p] = s;
        _pending.Clear();
        foreach (var (j, s) in pending) _pending[j] = s;
    }

    /// <summary>The per-parameter numbers (not tensors) this optimizer keeps besides the step count (<see cref="ParamState.Scalars"/>).</summary>
    private protected virtual IReadOnlyCollection<string> ScalarStateKeys => [];

    /// <summary>Parameter <paramref name="p"/>'s state buffer <paramref name="key"/> (the live tensor), or null when it has none yet.</summary>
    private protected Tensor? StateBuffer(Tensor p, string key) =>
        _state.TryGetValue(p, out var s) && s.Buffers.TryGetValue(key, out var t) ? t : null;

    ParamState? TakePendingState(Tensor p)
    {
        if (_pending.Count == 0 || _implicitGroup is null) return null;
        int j = IndexIn(_implicitGroup, p);
        if (j < 0 || !_pending.Remove(j, out var s)) return null;
        foreach (var (key, t) in s.Buffers)
            if (!t.Shape.Equals(p.Shape))
                throw Errors.Arg($"{Name}.ApplyGradients", $"the loaded state '{key}' for variable {j} has shape {t.Shape} but variable {Label(p)} has shape {p.Shape}; " +
                    "pass the variables in the same order as when the state was saved.");
            else if (t.DType != p.DType) s.Buffers[key] = t.To(p.DType);
        return s;
    }

    static int IndexIn(ParamGroup group, Tensor p)
    {
        for (int j = 0; j < group.Parameters.Count; j++)
            if (ReferenceEquals(group.Parameters[j], p)) return j;
        return -1;
    }

    static Dictionary<string, Tensor> Export(ParamState s)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal) { ["step"] = Tensor.Scalar((double)s.Step) };
        foreach (var (key, v) in s.Scalars) d[key] = Tensor.Scalar(v);
        foreach (var (key, t) in s.Buffers) d[key] = t.CopyData();
        return d;
    }

    ParamState Import(string op, int index, Dictionary<string, Tensor> buffers, Shape? shape, DType? dtype)
    {
        var s = new ParamState();
        foreach (var (key, t) in buffers)
        {
            if (key == "step")
            {
                double step = t.Item<double>();
                if (!(step >= 0) || step != Math.Floor(step))
                    throw Errors.Arg(op, $"parameter {index}: 'step' is {step}; expected a whole number >= 0.");
                s.Step = (long)step;
                continue;
            }
            if (ScalarStateKeys.Contains(key))
            {
                if (t.NumElements != 1)
                    throw Errors.Arg(op, $"parameter {index}: state '{key}' has shape {t.Shape}; expected a single number.");
                s.Scalars[key] = t.Item<double>();
                continue;
            }
            if (!StateKeys.Contains(key))
                throw Errors.Arg(op, $"parameter {index}: unknown state '{key}'; {Name} uses {string.Join(", ", StateKeys.Select(k => $"'{k}'"))} and 'step'.");
            if (shape is { } sh && !t.Shape.Equals(sh))
                throw Errors.Arg(op, $"parameter {index}: state '{key}' has shape {t.Shape} but the parameter has shape {sh}.");
            var copy = t.CopyData();
            s.Buffers[key] = dtype is { } dt && dt != copy.DType ? copy.To(dt) : copy;
        }
        return s;
    }
}
