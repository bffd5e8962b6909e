namespace Nabla.Optim;

/// <summary>
/// What <see cref="Optimizer"/>'s compiled-step guard described last, kept in a form a replay can compare
/// with the C# state of now without allocating: while nothing changed, the guard's probe hands back the same
/// items (<see cref="Items"/>) instead of formatting them again on every replay.
/// </summary>
internal sealed class HostStateSnapshot
{
    readonly (ParamGroup Group, string[] Keys, double[] Values)[] _groups;
    readonly (Tensor Parameter, ParamState? State, long Step, string[] Buffers)[] _parameters;   // Step -1: not compared

    /// <summary>The guard's items ("name=value") for the state this snapshot holds.</summary>
    public string[] Items { get; }

    HostStateSnapshot((ParamGroup, string[], double[])[] groups, (Tensor, ParamState?, long, string[])[] parameters, string[] items)
    {
        _groups = groups;
        _parameters = parameters;
        Items = items;
    }

    /// <summary>A snapshot of <paramref name="groups"/> and their parameters' state now, with its guard <paramref name="items"/>.</summary>
    /// <remarks><paramref name="stepMatters"/>: whether the items of a group's parameters name their step counts (else a count may change).</remarks>
    public static HostStateSnapshot Take(IReadOnlyList<ParamGroup> groups, Func<Tensor, ParamState?> stateOf, Func<ParamGroup, bool> stepMatters, string[] items)
    {
        var g = new (ParamGroup, string[], double[])[groups.Count];
        var p = new List<(Tensor, ParamState?, long, string[])>();
        for (int i = 0; i < groups.Count; i++)
        {
            var options = groups[i].Options;
            g[i] = (groups[i], [.. options.Keys], [.. options.Values]);
            bool steps = stepMatters(groups[i]);
            foreach (var v in groups[i].Parameters)
            {
                var st = stateOf(v);
                p.Add((v, st, st is not null && steps ? st.Step : -1, st is null ? [] : [.. st.Buffers.Keys]));
            }
        }
        return new HostStateSnapshot(g, [.. p], items);
    }

    /// <summary>
    /// Whether <paramref name="groups"/> and their state are still exactly as taken (same groups, options,
    /// parameters, state objects, step counts and buffer names). Allocates nothing.
    /// </summary>
    public bool StillHolds(IReadOnlyList<ParamGroup> groups, Func<Tensor, ParamState?> stateOf)
    {
        if (groups.Count != _groups.Length) return false;
        int k = 0;
        for (int i = 0; i < groups.Count; i++)
        {
            var (group, keys, values) = _groups[i];
            if (!ReferenceEquals(groups[i], group) || group.OptionCount != keys.Length) return false;
            for (int j = 0; j < keys.Length; j++)
                if (!group.Has(keys[j]) || BitConverter.DoubleToInt64Bits(group[keys[j]]) != BitConverter.DoubleToInt64Bits(values[j])) return false;
            var parameters = group.Parameters;
            for (int pi = 0; pi < parameters.Count; pi++)
            {
                var v = parameters[pi];
                if (k >= _parameters.Length) return false;
                var (parameter, state, step, buffers) = _parameters[k++];
                var now = stateOf(v);
                if (!ReferenceEquals(v, parameter) || !ReferenceEquals(now, state)) return false;
                if (now is null) continue;
                if ((step >= 0 && now.Step != step) || now.Buffers.Count != buffers.Length) return false;
                foreach (var key in buffers)
                    if (!now.Buffers.ContainsKey(key)) return false;
            }
        }
        return k == _parameters.Length;
    }
}
