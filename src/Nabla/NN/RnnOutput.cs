namespace Nabla.NN;

/// <summary>
/// What <see cref="RNN"/> and <see cref="GRU"/> return: the last layer's hidden state at every step
/// (<see cref="Output"/>, [L, N, dirs·H], [N, L, dirs·H] with batchFirst, [L, dirs·H] unbatched) and the final hidden
/// state <see cref="H"/> of every layer and direction ([numLayers·dirs, N, H]). Deconstructs as PyTorch's tuple:
/// <c>var (y, h) = gru.Call(x);</c>
/// </summary>
/// <param name="Output">The output sequence.</param>
/// <param name="H">The final hidden state of every layer and direction.</param>
public readonly record struct RnnOutput(Tensor Output, Tensor H) : IModuleOutputs<RnnOutput>
{
    /// <inheritdoc/>
    public IReadOnlyList<Tensor?> ToTensors() => [Output, H];

    /// <inheritdoc/>
    public static RnnOutput FromTensors(IReadOnlyList<Tensor?> tensors) => new(tensors[0]!, tensors[1]!);
}
