namespace Nabla.NN;

/// <summary>
/// torch.nn.LSTMCell: one LSTM step (<see cref="Functional.LstmCell"/>: gates i, f, g, o; c' = σ(f)∘c + σ(i)∘tanh(g),
/// h' = σ(o)∘tanh(c')). Parameters [4H, ·] as <see cref="RNNCellBase"/>.
/// </summary>
/// <example><code>
/// var cell = new LSTMCell(10, 20, seed: 0);
/// var (h, c) = cell.Call(Tensor.Randn(3, 10));    // from a zero state
/// (h, c) = cell.Call(Tensor.Randn(3, 10), (h, c));
/// </code></example>
public sealed class LSTMCell : RNNCellBase
{
    /// <summary>An LSTM cell. With <paramref name="seed"/> the initial values depend only on it.</summary>
    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, int? seed = null, DType dtype = DType.Float32)
        : base("LSTMCell", 4, inputSize, hiddenSize, bias, seed, dtype)
    {
    }

    /// <summary>
    /// One step on <paramref name="input"/> [N, in] (or [in]) from <paramref name="state"/> (h, c), each [N, H] (or [H];
    /// zeros when null). Hooks run, seeing input, h, c and h', c'.
    /// </summary>
    public LstmState Call(Tensor input, LstmState? state = null) =>
        Invoke([input, state?.H, state?.C], a => Forward(a[0]!, a[1] is null && a[2] is null ? null : new LstmState(a[1]!, a[2]!)));

    /// <summary>As <see cref="Call(Tensor, LstmState?)"/> without hooks.</summary>
    public LstmState Forward(Tensor input, LstmState? state = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        var s = state ?? new LstmState(ZeroState(input), ZeroState(input));
        return Functional.LstmCell(input, s, WeightIh, WeightHh, BiasIh, BiasHh);
    }
}
