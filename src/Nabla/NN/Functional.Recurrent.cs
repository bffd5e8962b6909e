using Nabla.Engine;

namespace Nabla.NN;

public static partial class Functional
{
    /// <summary>
    /// One step of an Elman RNN with tanh (torch.rnn_tanh_cell, what torch.nn.RNNCell computes):
    /// h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) for <paramref name="input"/> [N, in] (or [in] unbatched),
    /// <paramref name="hx"/> [N, H] (or [H]), <paramref name="weightIh"/> [H, in], <paramref name="weightHh"/> [H, H] and
    /// optional biases [H]. A composite of MatMul, Add and Tanh, so every order of derivative follows from those ops;
    /// NaN/Inf propagate as in them.
    /// </summary>
    /// <example><code>
    /// var h1 = Functional.RnnTanhCell(x, h0, wIh, wHh, bIh, bHh);   // x [N, in], h0 [N, H]
    /// </code></example>
    public static Tensor RnnTanhCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null) =>
        RnnCellCall("RnnTanhCell", input, hx, weightIh, weightHh, biasIh, biasHh, relu: false);

    /// <summary>
    /// As <see cref="RnnTanhCell"/> with ReLU instead of tanh (torch.rnn_relu_cell): h' = relu(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh).
    /// </summary>
    /// <example><code>
    /// var h1 = Functional.RnnReluCell(x, h0, wIh, wHh);
    /// </code></example>
    public static Tensor RnnReluCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null) =>
        RnnCellCall("RnnReluCell", input, hx, weightIh, weightHh, biasIh, biasHh, relu: true);

    /// <summary>
    /// One LSTM step (torch.lstm_cell, what torch.nn.LSTMCell computes). The gates [N, 4H] = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh
    /// split in PyTorch's order i, f, g, o; c' = σ(f)∘c + σ(i)∘tanh(g) and h' = σ(o)∘tanh(c'). <paramref name="input"/> is
    /// [N, in] (or [in] unbatched), the state's H and C [N, H] (or [H]), <paramref name="weightIh"/> [4H, in],
    /// <paramref name="weightHh"/> [4H, H], biases [4H]. A composite of differentiable ops (all orders of derivatives).
    /// </summary>
    /// <example><code>
    /// var (h1, c1) = Functional.LstmCell(x, (h0, c0), wIh, wHh, bIh, bHh);
    /// </code></example>
    public static LstmState LstmCell(Tensor input, LstmState state, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        const string op = "LstmCell";
        ArgumentNullException.ThrowIfNull(state.C, nameof(state));
        var (x, h, batched) = CheckCell(op, 4, input, state.H, weightIh, weightHh, biasIh, biasHh);
        if (!state.C.Shape.Equals(state.H.Shape) || state.C.DType != state.H.DType)
            throw Errors.Arg(op, $"the cell state {Errors.Describe(state.C)} must match the hidden state {Errors.Describe(state.H)}.");
        var c = batched ? state.C : state.C.Unsqueeze(0);
        var (h1, c1) = Recurrent.LstmStep(CellInput(x, weightIh, biasIh), h, c, weightHh.T, biasHh);
        return batched ? new LstmState(h1, c1) : new LstmState(h1.Squeeze(0), c1.Squeeze(0));
    }

    /// <summary>
    /// One GRU step (torch.gru_cell, what torch.nn.GRUCell computes), PyTorch's gate order r, z, n:
    /// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz), n = tanh(W_in x + b_in + r∘(W_hn h + b_hn)),
    /// h' = (1 - z)∘n + z∘h. <paramref name="input"/> [N, in] (or [in]), <paramref name="hx"/> [N, H] (or [H]),
    /// <paramref name="weightIh"/> [3H, in], <paramref name="weightHh"/> [3H, H], biases [3H]. A composite of differentiable ops.
    /// </summary>
    /// <example><code>
    /// var h1 = Functional.GruCell(x, h0, wIh, wHh, bIh, bHh);
    /// </code></example>
    public static Tensor GruCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        var (x, h, batched) = CheckCell("GruCell", 3, input, hx, weightIh, weightHh, biasIh, biasHh);
        var h1 = Recurrent.GruStep(CellInput(x, weightIh, biasIh), h, weightHh.T, biasHh);
        return batched ? h1 : h1.Squeeze(0);
    }

    static Tensor RnnCellCall(string op, Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh, bool relu)
    {
        var (x, h, batched) = CheckCell(op, 1, input, hx, weightIh, weightHh, biasIh, biasHh);
        var h1 = Recurrent.RnnStep(CellInput(x, weightIh, biasIh), h, weightHh.T, biasHh, relu);
        return batched ? h1 : h1.Squeeze(0);
    }

    static Tensor CellInput(Tensor x, Tensor weightIh, Tensor? biasIh)
    {
        var gi = x.MatMul(weightIh.T);
        return biasIh is null ? gi : gi + biasIh;
    }

    /// <summary>Checks a cell's arguments; returns the input and hidden state as [N, ·] (unbatched ones get N = 1).</summary>
    static (Tensor X, Tensor H, bool Batched) CheckCell(string op, int gates, Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh,
        Tensor? biasIh, Tensor? biasHh)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(hx);
        ArgumentNullException.ThrowIfNull(weightIh);
        ArgumentNullException.ThrowIfNull(weightHh);
        if (weightHh.Rank != 2 || weightHh.Shape[0] % gates != 0 || weightHh.Shape[0] / gates != weightHh.Shape[1])
            throw Errors.Arg(op, $"weightHh must be [{gates}·H, H], got {Errors.Describe(weightHh)}.");
        int hidden = weightHh.Shape[1], g = gates * hidden;
        if (weightIh.Rank != 2 || weightIh.Shape[0] != g)
            throw Errors.Arg(op, $"weightIh must be [{g}, in] ({gates}·H rows, as weightHh {Errors.Describe(weightHh)}), got {Errors.Describe(weightIh)}.");
        foreach (var (b, name) in new[] { (biasIh, "biasIh"), (biasHh, "biasHh") })
            if (b is not null && (b.Rank != 1 || b.Shape[0] != g))
                throw Errors.Arg(op, $"{name} must be [{g}], got {Errors.Describe(b)}.");
        if (input.Rank is not (1 or 2) || input.Shape[-1] != weightIh.Shape[1])
            throw Errors.Arg(op, $"input must be [N, {weightIh.Shape[1]}] or [{weightIh.Shape[1]}] (unbatched), got {Errors.Describe(input)}.");
        bool batched = input.Rank == 2;
        int[] hShape = batched ? [input.Shape[0], hidden] : [hidden];
        if (!hx.Shape.ToArray().SequenceEqual(hShape))
            throw Errors.Arg(op, $"the hidden state must be {Shape.Format(hShape)} for input {Errors.Describe(input)}, got {Errors.Describe(hx)}.");
        if (!input.DType.IsFloating() || hx.DType != input.DType || weightIh.DType != input.DType || weightHh.DType != input.DType
            || (biasIh is not null && biasIh.DType != input.DType) || (biasHh is not null && biasHh.DType != input.DType))
            throw Errors.Arg(op, $"input, state, weights and biases must share one floating dtype, got input {input.DType.TorchName()}, " +
                $"state {hx.DType.TorchName()}, weights {weightIh.DType.TorchName()}/{weightHh.DType.TorchName()}.");
        return batched ? (input, hx, true) : (input.Unsqueeze(0), hx.Unsqueeze(0), false);
    }
}
