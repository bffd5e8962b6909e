using System.Globalization;
using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>One parameter group in an <see cref="OptimizerStateDict"/>: its hyper-parameters and the indices of its parameters.</summary>
/// <param name="Options">Hyper-parameters by PyTorch name (flags as 0/1).</param>
/// <param name="Params">Indices of the group's parameters, counted over all groups in order (as PyTorch).</param>
public sealed record ParamGroupState(IReadOnlyDictionary<string, double> Options, IReadOnlyList<int> Params)
{
    /// <summary>"{ lr = 0.001, momentum = 0.9 } params [0, 1]".</summary>
    public override string ToString() =>
        $"{{ {string.Join(", ", Options.Select(kv => $"{kv.Key} = {kv.Value.ToString(CultureInfo.InvariantCulture)}"))} }} params [{string.Join(", ", Params)}]";
}

/// <summary>
/// An optimizer's state as data, laid out like PyTorch's <c>optimizer.state_dict()</c>:
/// <see cref="State"/> maps a parameter index to its buffers (<c>"step"</c> is a float64 scalar,
/// the others are shaped like the parameter), <see cref="ParamGroups"/> lists each group's
/// hyper-parameters and parameter indices. The tensors are copies, so training on does not change a
/// saved dict. <see cref="ToTensors"/> flattens it for a safetensors file.
/// </summary>
public sealed class OptimizerStateDict
{
    /// <summary>Per-parameter state, by parameter index (parameters that were never updated have no entry).</summary>
    public Dictionary<int, Dictionary<string, Tensor>> State { get; } = [];

    /// <summary>The groups, in order.</summary>
    public List<ParamGroupState> ParamGroups { get; } = [];

    /// <summary>
    /// Flat tensors for a checkpoint file: <c>"state.{index}.{buffer}"</c>, <c>"param_groups.{g}.{option}"</c>
    /// (float64 scalars) and <c>"param_groups.{g}.params"</c> (int64 indices).
    /// </summary>
    public Dictionary<string, Tensor> ToTensors()
    {
        var flat = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (index, buffers) in State)
            foreach (var (key, t) in buffers)
                flat[$"state.{index}.{key}"] = t;
        for (int g = 0; g < ParamGroups.Count; g++)
        {
            foreach (var (key, v) in ParamGroups[g].Options)
                flat[$"param_groups.{g}.{key}"] = Tensor.Scalar(v);
            flat[$"param_groups.{g}.params"] = Tensor.FromArray(ParamGroups[g].Params.Select(i => (long)i).ToArray(), [ParamGroups[g].Params.Count]);
        }
        return flat;
    }

    /// <summary>Rebuilds a state dict from <see cref="ToTensors"/>' output; throws for names it does not understand.</summary>
    public static OptimizerStateDict FromTensors(IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var sd = new OptimizerStateDict();
        var groups = new SortedDictionary<int, (Dictionary<string, double> Options, int[]? Params)>();
        foreach (var (name, t) in tensors)
        {
            var parts = name.Split('.', 3);
            if (parts.Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i))
                throw Errors.Arg("OptimizerStateDict.FromTensors", $"unexpected name '{name}'; expected 'state.<index>.<buffer>' or 'param_groups.<group>.<option>'.");
            if (parts[0] == "state")
            {
                if (!sd.State.TryGetValue(i, out var buffers)) sd.State[i] = buffers = new(StringComparer.Ordinal);
                buffers[parts[2]] = t;
            }
            else if (parts[0] == "param_groups")
            {
                if (!groups.TryGetValue(i, out var group)) group = (new(StringComparer.Ordinal), null);
                if (parts[2] == "params") group.Params = t.To(DType.Int64).ToArray<long>().Select(x => checked((int)x)).ToArray();
                else if (t.NumElements == 1) group.Options[parts[2]] = t.Item<double>();
                else throw Errors.Arg("OptimizerStateDict.FromTensors", $"option '{name}' has {t.NumElements} elements; expected a scalar.");
                groups[i] = group;
            }
            else throw Errors.Arg("OptimizerStateDict.FromTensors", $"unexpected name '{name}'; expected 'state.<index>.<buffer>' or 'param_groups.<group>.<option>'.");
        }
        int expect = 0;
        foreach (var (g, group) in groups)
        {
            if (g != expect++)
                throw Errors.Arg("OptimizerStateDict.FromTensors", $"param group {expect - 1} is missing (groups must be numbered 0, 1, ...).");
            if (group.Params is null)
                throw Errors.Arg("OptimizerStateDict.FromTensors", $"param group {g} has no 'param_groups.{g}.params' entry.");
            sd.ParamGroups.Add(new ParamGroupState(group.Options, group.Params));
        }
        return sd;
    }
}
