using System.Text;
using Nabla.Engine;

namespace Nabla.NN;

public abstract partial class Module
{
    /// <summary>
    /// Every parameter and buffer by dotted name (<c>"0.weight"</c>, <c>"bn.running_mean"</c>), module by
    /// module in registration order (own entries, then each child's), as PyTorch's <c>state_dict()</c>.
    /// The values are detached views sharing storage with the module (no copy, as in PyTorch): they
    /// follow later training steps. Call <c>Clone()</c> on them to keep a snapshot.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>();
        foreach (var (key, value, _) in StateEntries()) state[key] = value.Detach();
        return state;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into this module's parameters and buffers, in place
    /// (<see cref="Variable.Assign(Tensor)"/>), so optimizers holding the parameters keep working.
    /// Everything is checked before anything is written: a shape or dtype that differs from the module's
    /// is always an error (convert with <c>To(DType)</c> first); with <paramref name="strict"/> (the
    /// default) missing and unexpected keys are errors too. The error lists every problem at once.
    /// With <c>strict: false</c> the keys that did not match are returned and the rest is loaded. A parameter tied under two
    /// names (<see cref="ReplaceParameter"/>) is not missing when one of its names is given (files written by safetensors'
    /// <c>save_model</c> keep one name of a tied pair); when both are, both are copied in turn, the later name's value last.
    /// </summary>
    /// <exception cref="ArgumentException">Missing/unexpected keys (strict) or shape/dtype mismatches.</exception>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var entries = StateEntries().ToList();
        var expected = entries.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        // A tied parameter (one Variable under two names) is loaded when either name is given: safetensors' save_model keeps one.
        var given = entries.Where(e => state.ContainsKey(e.Key)).Select(e => e.Value).ToHashSet(ReferenceEqualityComparer.Instance);
        var missing = entries.Where(e => !state.ContainsKey(e.Key) && !given.Contains(e.Value)).Select(e => e.Key).ToList();
        var unexpected = state.Keys.Where(k => !expected.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var mismatches = new List<string>();
        foreach (var (key, target, isParameter) in entries)
        {
            if (!state.TryGetValue(key, out var value)) continue;
            string what = isParameter ? "parameter" : "buffer";
            if (value is null) mismatches.Add($"{key}: the value is null.");
            else if (!value.Shape.Equals(target.Shape))
                mismatches.Add($"size mismatch for {key}: copying a {what} with shape {value.Shape} from the state dict, the shape in the current model is {target.Shape}.");
            else if (value.DType != target.DType)
                mismatches.Add($"dtype mismatch for {key}: copying a {what} of dtype {value.DType.TorchName()} from the state dict, the model's is {target.DType.TorchName()} (convert with To(DType) first).");
        }
        if (mismatches.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var sb = new StringBuilder($"error(s) in loading the state dict for {GetType().Name}; nothing was loaded:");
            if (strict && missing.Count > 0) sb.Append("\n  Missing key(s): ").Append(string.Join(", ", missing.Select(k => $"\"{k}\"")));
            if (strict && unexpected.Count > 0) sb.Append("\n  Unexpected key(s): ").Append(string.Join(", ", unexpected.Select(k => $"\"{k}\"")));
            foreach (var m in mismatches) sb.Append("\n  ").Append(m);
            if (strict && mismatches.Count == 0) sb.Append("\n  (pass strict: false to load the matching entries only)");
            throw Errors.Arg("LoadStateDict", sb.ToString());
        }
        foreach (var (key, target, _) in entries)
        {
            if (!state.TryGetValue(key, out var value)) continue;
            if (target is Variable v) v.Assign(value);
            else
                using (Autograd.NoGrad()) target.CopyFrom(value.Detach());
        }
        return new LoadStateDictResult(missing, unexpected);
    }

    /// <summary>
    /// The state dict's entries: this module's parameters, then its buffers, then each child's entries
    /// (depth first). A shared module or parameter appears under every name, as in PyTorch.
    /// </summary>
    IEnumerable<(string Key, Tensor Value, bool IsParameter)> StateEntries(string prefix = "")
    {
        // Unlike NamedModules, no de-duplication: a shared child is saved under each of its names.
        // Registration forbids cycles, so the recursion ends.
        foreach (var (name, p) in _parameters) yield return (Join(prefix, name), p, true);
        foreach (var (name, b) in _buffers) yield return (Join(prefix, name), b, false);
        foreach (var (name, child) in _modules)
            foreach (var entry in child.StateEntries(Join(prefix, name)))
                yield return entry;
    }
}
