namespace Nabla.Optim;

/// <summary>
/// An optimizer's state for one parameter: the number of updates it received and its named buffers
/// (moment estimates and the like, PyTorch's names: <c>"momentum_buffer"</c>, <c>"exp_avg"</c>, ...).
/// </summary>
internal sealed class ParamState
{
    static long s_made;

    public long Step;

    /// <summary>Tells state objects apart (a compiled step's guard: a loaded state dict brings new state and buffers).</summary>
    public readonly long Id = Interlocked.Increment(ref s_made);

    /// <summary><c>Step += 1</c>, as a delegate a compiled step repeats on each replay.</summary>
    public void AdvanceStep() => Step++;
    public readonly Dictionary<string, Tensor> Buffers = new(StringComparer.Ordinal);

    /// <summary>Per-parameter numbers other than the step count (ASGD's <c>"eta"</c>, NAdam's <c>"mu_product"</c>); saved as 0-d float64 tensors.</summary>
    public readonly Dictionary<string, double> Scalars = new(StringComparer.Ordinal);

    /// <summary>The buffer named <paramref name="key"/>, made with <paramref name="make"/> the first time.</summary>
    public Tensor Get(string key, Func<Tensor> make)
    {
        if (!Buffers.TryGetValue(key, out var t)) Buffers[key] = t = make();
        return t;
    }
}
