using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// torch.nn.RNN: an Elman RNN, h_t = act(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh) with act tanh (default) or ReLU, over
/// <see cref="RNNBase.NumLayers"/> stacked layers, optionally bidirectional. Parameters, shapes and init as PyTorch
/// (see <see cref="RNNBase"/>), so a PyTorch state dict loads with <see cref="Module.LoadStateDict"/>.
/// </summary>
/// <example><code>
/// var rnn = new RNN(10, 20, numLayers: 2, seed: 0);
/// var (y, h) = rnn.Call(Tensor.Randn(5, 3, 10));   // y [5, 3, 20], h [2, 3, 20]
/// </code></example>
public sealed class RNN : RNNBase
{
    /// <summary>
    /// An RNN layer. <paramref name="nonlinearity"/> is <see cref="Nonlinearity.Tanh"/> (PyTorch's "tanh") or
    /// <see cref="Nonlinearity.ReLU"/> ("relu"). With <paramref name="seed"/> the initial values and the dropout masks
    /// depend only on it; otherwise on the global generator.
    /// </summary>
    public RNN(int inputSize, int hiddenSize, int numLayers = 1, Nonlinearity nonlinearity = Nonlinearity.Tanh, bool bias = true,
        bool batchFirst = false, double dropout = 0, bool bidirectional = false, int? seed = null, DType dtype = DType.Float32)
        : base("RNN", 1, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, seed, CheckNonlinearity("RNN", nonlinearity, dtype))
    {
        Nonlinearity = nonlinearity;
    }

    internal static DType CheckNonlinearity(string op, Nonlinearity nonlinearity, DType dtype) =>
        nonlinearity is Nonlinearity.Tanh or Nonlinearity.ReLU ? dtype
            : throw Errors.Arg(op, $"nonlinearity must be Nonlinearity.Tanh or Nonlinearity.ReLU (PyTorch's \"tanh\" or \"relu\"), got {nonlinearity}.");

    /// <summary>Tanh or ReLU.</summary>
    public Nonlinearity Nonlinearity { get; }

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

    private protected override Tensor[] Step(Tensor gi, Tensor[] state, Tensor? wHhT, Tensor? bHh) =>
        [Recurrent.RnnStep(gi, state[0], wHhT, bHh, Nonlinearity == Nonlinearity.ReLU)];
}
