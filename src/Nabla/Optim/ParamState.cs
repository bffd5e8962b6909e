namespace Nabla.Optim;

/// <summary>
/// An optimizer's state for one parameter: the number of updates it received and its named buffers
/// (moment estimates and the like, PyTorch's names: <c>"momentum_buffer"</c>, <c>"exp_avg"</c>, ...).
/// </summary>
internal sealed class ParamState
{
    public long Step;
    public readonly Dictionary<string, Tensor> Buffers = new(StringComparer.Ordinal);

    /// <summary>The buffer named <paramref name="key"/>, made with <paramref name="make"/> the first time.</summary>
    public Tensor Get(string key, Func<Tensor> make)
    {
        if (!Buffers.TryGetValue(key, out var t)) Buffers[key] = t = make();
        return t;
    }
}
