namespace Nabla.NN;

/// <summary>
/// torch.nn.GRU: gates r, z, n in PyTorch's order, r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
/// n = tanh(W_in x + b_in + r∘(W_hn h + b_hn)), h' = (1 - z)∘n + z∘h, over <see cref="RNNBase.NumLayers"/> stacked layers,
/// optionally bidirectional. Parameters [3H, ·], shapes and init as PyTorch (see <see cref="RNNBase"/>), so a PyTorch
/// state dict loads with <see cref="Module.LoadStateDict"/>.
/// </summary>
/// <example><code>
/// var gru = new GRU(10, 20, batchFirst: true, seed: 0);
/// var (y, h) = gru.Call(Tensor.Randn(3, 5, 10));   // y [3, 5, 20], h [1, 3, 20]
/// </code></example>
public sealed class GRU : RNNBase
{
    /// <summary>A GRU layer. With <paramref name="seed"/> the initial values and the dropout masks depend only on it.</summary>
    public GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
        bool bidirectional = false, int? seed = null, DType dtype = DType.Float32)
        : base("GRU", 3, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, seed, dtype)
    {
    }

    /// <summary>
    /// Runs the layer on <paramref name="input"/> [L, N, in] ([N, L, in] with batchFirst, [L, in] unbatched) from
    /// <paramref name="h0"/> [layers·dirs, N, H] ([layers·dirs, H] unbatched; zeros when null). <paramref name="lengths"/>
    /// (int64 [N]) gives each sequence's length for padded batches (see <see cref="RNNBase"/>). Hooks run.
    /// </summary>
    public RnnOutput Call(Tensor input, Tensor? h0 = null, Tensor? lengths = null) =>
        Invoke([input, h0, lengths], a => Forward(a[0]!, a[1], a[2]));

    /// <summary>As <see cref="Call(Tensor, Tensor?, Tensor?)"/> without hooks.</summary>
    public RnnOutput Forward(Tensor input, Tensor? h0 = null, Tensor? lengths = null)
    {
        var (output, final) = Run(input, [h0], lengths);
        return new RnnOutput(output, final[0]);
    }

    private protected override bool FoldsHiddenBias => false;

    private protected override Tensor[] Step(Tensor gi, Tensor[] state, Tensor? wHhT, Tensor? bHh) =>
        [Recurrent.GruStep(gi, state[0], wHhT!, bHh)];
}
