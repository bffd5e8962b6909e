namespace Nabla.NN;

/// <summary>
/// The state of an LSTM: hidden state <see cref="H"/> and cell state <see cref="C"/> (PyTorch's (h, c) tuple). For
/// <see cref="LSTM"/> both are [numLayers·dirs, N, H] ([numLayers·dirs, H] unbatched); for <see cref="LSTMCell"/> and
/// <see cref="Functional.LstmCell"/> they are [N, H] ([H] unbatched). A tuple converts: <c>lstm.Call(x, (h0, c0))</c>.
/// </summary>
/// <param name="H">The hidden state.</param>
/// <param name="C">The cell state.</param>
public readonly record struct LstmState(Tensor H, Tensor C) : IModuleOutputs<LstmState>
{
    /// <summary>A (h, c) tuple as a state.</summary>
    public static implicit operator LstmState((Tensor H, Tensor C) state) => new(state.H, state.C);

    /// <inheritdoc/>
    public IReadOnlyList<Tensor?> ToTensors() => [H, C];

    /// <inheritdoc/>
    public static LstmState FromTensors(IReadOnlyList<Tensor?> tensors) => new(tensors[0]!, tensors[1]!);
}
