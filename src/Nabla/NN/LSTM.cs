using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// torch.nn.LSTM: gates i, f, g, o (PyTorch's order) of x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh; c' = σ(f)∘c + σ(i)∘tanh(g),
/// h' = σ(o)∘tanh(c'), over <see cref="RNNBase.NumLayers"/> stacked layers, optionally bidirectional. Parameters [4H, ·],
/// shapes and init as PyTorch (see <see cref="RNNBase"/>), so a PyTorch state dict loads with <see cref="Module.LoadStateDict"/>.
/// PyTorch's proj_size (LSTM with projections) is not supported: a nonzero <c>projSize</c> throws.
/// </summary>
/// <example><code>
/// var lstm = new LSTM(10, 20, numLayers: 2, seed: 0);
/// var (y, (h, c)) = lstm.Call(Tensor.Randn(5, 3, 10));   // y [5, 3, 20], h and c [2, 3, 20]
/// </code></example>
public sealed class LSTM : RNNBase
{
    /// <summary>An LSTM layer. With <paramref name="seed"/> the initial values and the dropout masks depend only on it.</summary>
    public LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0,
        bool bidirectional = false, int projSize = 0, int? seed = null, DType dtype = DType.Float32)
        : base("LSTM", 4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, seed, CheckProjSize(projSize, dtype))
    {
    }

    static DType CheckProjSize(int projSize, DType dtype) => projSize == 0 ? dtype
        : throw Errors.Arg("LSTM", $"projSize = {projSize}: LSTM with projections (PyTorch's proj_size) is not supported; pass projSize: 0 " +
            "and add a Linear on the output if you need a projection.");

    /// <summary>
    /// Runs the layer on <paramref name="input"/> [L, N, in] ([N, L, in] with batchFirst, [L, in] unbatched) from
    /// <paramref name="state"/> (h0, c0), each [layers·dirs, N, H] ([layers·dirs, H] unbatched; zeros when null).
    /// <paramref name="lengths"/> (int64 [N]) gives each sequence's length for padded batches (see <see cref="RNNBase"/>).
    /// Hooks run, seeing input, h0, c0, lengths and output, h, c.
    /// </summary>
    public LstmOutput Call(Tensor input, LstmState? state = null, Tensor? lengths = null) =>
        Invoke([input, state?.H, state?.C, lengths], a => Forward(a[0]!, Pair(a[1], a[2]), a[3]));

    static LstmState? Pair(Tensor? h, Tensor? c) =>
        h is null && c is null ? null
            : h is null || c is null ? throw Errors.Arg("LSTM", "give both h0 and c0, or neither.")
            : new LstmState(h, c);

    /// <summary>As <see cref="Call(Tensor, LstmState?, Tensor?)"/> without hooks.</summary>
    public LstmOutput Forward(Tensor input, LstmState? state = null, Tensor? lengths = null)
    {
        if (state is { } s && (s.H is null || s.C is null)) throw Errors.Arg("LSTM", "give both h0 and c0, or neither.");
        var (output, final) = Run(input, [state?.H, state?.C], lengths);
        return new LstmOutput(output, new LstmState(final[0], final[1]));
    }

    private protected override Tensor[] Step(Tensor gi, Tensor[] state, Tensor? wHhT, Tensor? bHh)
    {
        var (h, c) = Recurrent.LstmStep(gi, state[0], state[1], wHhT, bHh);
        return [h, c];
    }
}
