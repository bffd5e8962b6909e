using Nabla.Graphs;
using Nabla.Primitives.Creation;

namespace Nabla.Optim;

// How an optimizer step inside a compiled function stays one graph across calls: the C# numbers that
// change every step (learning rates, step counts) are read again by every replay (ReplayHooks), state made
// on the first step is made outside the graph, and only what changes the graph's structure is guarded.
public abstract partial class Optimizer
{
    /// <summary>
    /// Whether <paramref name="group"/>'s updates read the learning rate and step count only through
    /// <see cref="RateScalar"/>, <see cref="CountStep"/> and rebuilt writes, so a compiled step replays
    /// with new values; false (the default) keeps them in the guard, so a change retraces.
    /// </summary>
    private protected virtual bool RebuildsRateAndStep(ParamGroup group) => false;

    /// <summary>
    /// Makes the state <paramref name="p"/>'s update will use (zero moment buffers and the like) before
    /// the update runs, when that state does not depend on the gradient: inside a trace it is then made
    /// once outside the graph and read by reference, so the first step traces the same graph as the later ones.
    /// </summary>
    private protected virtual void InitState(Tensor p, ParamState state, ParamGroup group) { }

    /// <summary>
    /// Inside a trace, before the updates of <paramref name="updated"/>: make their state outside the
    /// graph, then guard what the updates bake into it (<see cref="HostState"/>).
    /// </summary>
    void PrepareTrace(List<(Tensor P, ParamGroup Group)> updated)
    {
        foreach (var (p, group) in updated)
            using (ReplayHooks.Lifted())
            using (Autograd.NoGrad())
                InitState(p, StateOf(p), group);
        Graph.GuardHostState($"{Name} state", HostState);
    }

    /// <summary>
    /// What the updates read from C# state and bake into a compiled step, as "name=value" items: each group's
    /// options (but the rate where it is rebuilt), and per parameter which state object and buffers it
    /// has (a loaded state dict is new state: the graph would hold the old buffers) and, where not rebuilt, its step count.
    /// </summary>
    /// <remarks>While the state is as it was last described, the same items come back (a replay allocates nothing).</remarks>
    string[] HostState()
    {
        var stateOf = _stateOrNull ??= StateOrNull;
        if (_hostState is { } last && last.StillHolds(_groups, stateOf)) return last.Items;
        var items = DescribeHostState();
        _hostState = HostStateSnapshot.Take(_groups, stateOf, g => UpdateReadsStepCount && !RebuildsRateAndStep(g), items);
        return items;
    }

    HostStateSnapshot? _hostState;
    Func<Tensor, ParamState?>? _stateOrNull;

    ParamState? StateOrNull(Tensor p) => _state.TryGetValue(p, out var st) ? st : null;

    string[] DescribeHostState()
    {
        var items = new List<string>();
        for (int gi = 0; gi < _groups.Count; gi++)
        {
            var group = _groups[gi];
            bool rebuilt = RebuildsRateAndStep(group);
            foreach (var (key, value) in group.Options.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                if (!(rebuilt && key == "lr")) items.Add($"group {gi} {key}={value:R}");
            for (int pi = 0; pi < group.Parameters.Count; pi++)
            {
                if (!_state.TryGetValue(group.Parameters[pi], out var st))
                {
                    items.Add($"group {gi} parameter {pi} no state");
                    continue;
                }
                string step = UpdateReadsStepCount && !rebuilt ? $" step={st.Step}" : "";
                items.Add($"group {gi} parameter {pi} state #{st.Id}{step} buffers={string.Join(",", st.Buffers.Keys.Order(StringComparer.Ordinal))}");
            }
        }
        return [.. items];
    }

    /// <summary>
    /// <c>state.Step += 1</c>, repeated by every replay of a compiled step at this point (so the step counts, and
    /// everything computed from them after it, are those of eager code).
    /// </summary>
    internal void CountStep(Tensor p, ParamState state)
    {
        state.Step++;
        if (Graph.IsTracing) ReplayHooks.RecordHostEffect($"{Name} step count of {Label(p)} += 1", state.AdvanceStep);
    }

    /// <summary>
    /// A 0-d operand for <paramref name="like"/> holding <paramref name="value"/> of the group and state now
    /// (<c>-lr</c>, <c>1 - lr·wd</c>): exactly the scalar <c>like * number</c> would make, and inside a trace
    /// rebuilt by every replay from the group and state of that moment. <paramref name="value"/> should be a
    /// static lambda (no allocation in eager code).
    /// </summary>
    internal static Tensor RateScalar(Tensor like, ParamGroup group, ParamState state, Func<ParamGroup, ParamState, double> value)
    {
        if (!Graph.IsTracing) return like.ScalarOperand(value(group, state), isFloating: true);
        using (RebuildScalar(like, group, state, value))
            return like.ScalarOperand(value(group, state), isFloating: true);
    }

    static IDisposable? RebuildScalar(Tensor like, ParamGroup group, ParamState state, Func<ParamGroup, ParamState, double> value)
    {
        var dtype = DTypes.PromoteWithScalar(like.DType, scalarIsFloating: true);   // as ScalarOperand
        return ReplayHooks.RebuildWith(() => new Full([], dtype, value(group, state)));
    }

    /// <summary>
    /// For an update that bakes the rate and step count in (a path <see cref="RateScalar"/> does not cover):
    /// inside a trace, a guard on both, so a replay with other values retraces. Call before <see cref="CountStep"/>.
    /// </summary>
    internal void GuardRateAndStep(Tensor p, ParamGroup group, ParamState state)
    {
        if (Graph.IsTracing) GuardNow(p, group, state);
    }

    void GuardNow(Tensor p, ParamGroup group, ParamState state) =>   // apart, so eager calls build no closure
        Graph.GuardHostState($"{Name} lr and step of {Label(p)}", new RateAndStepProbe(group, state).Items);

    /// <summary>The items of a rate-and-step guard, formatted again only when the rate or the step count changed.</summary>
    sealed class RateAndStepProbe(ParamGroup group, ParamState state)
    {
        string[]? _items;
        double _rate;
        long _step;

        public string[] Items()
        {
            double rate = group.LearningRate;
            if (_items is null || BitConverter.DoubleToInt64Bits(rate) != BitConverter.DoubleToInt64Bits(_rate) || state.Step != _step)
                (_items, _rate, _step) = ([$"lr={rate:R}", $"step={state.Step}"], rate, state.Step);
            return _items;
        }
    }
}
