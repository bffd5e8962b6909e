namespace Nabla.NN;

/// <summary>
/// What <see cref="LSTM"/> returns: the last layer's hidden state at every step (<see cref="Output"/>, [L, N, dirs·H],
/// [N, L, dirs·H] with batchFirst, [L, dirs·H] unbatched) and the final <see cref="State"/> of every layer and
/// direction. Deconstructs as PyTorch's tuple: <c>var (y, (h, c)) = lstm.Call(x);</c>
/// </summary>
/// <param name="Output">The output sequence.</param>
/// <param name="State">The final (h, c) of every layer and direction.</param>
public readonly record struct LstmOutput(Tensor Output, LstmState State) : IModuleOutputs<LstmOutput>
{
    /// <inheritdoc/>
    public IReadOnlyList<Tensor?> ToTensors() => [Output, State.H, State.C];

    /// <inheritdoc/>
    public static LstmOutput FromTensors(IReadOnlyList<Tensor?> tensors) => new(tensors[0]!, new LstmState(tensors[1]!, tensors[2]!));
}
