using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// What <see cref="RNNCell"/>, <see cref="LSTMCell"/> and <see cref="GRUCell"/> share (torch.nn.RNNCellBase): parameters
/// weight_ih [gates·H, inputSize], weight_hh [gates·H, H], bias_ih and bias_hh [gates·H] under PyTorch's names, all
/// initialized U(-1/√H, 1/√H) as PyTorch.
/// </summary>
public abstract class RNNCellBase : Module
{
    private protected RNNCellBase(string op, int gates, int inputSize, int hiddenSize, bool bias, int? seed, DType dtype)
    {
        if (inputSize < 1 || hiddenSize < 1)
            throw Errors.Arg(op, $"inputSize and hiddenSize must be positive, got inputSize = {inputSize}, hiddenSize = {hiddenSize}.");
        Init.CheckDType(op, dtype);
        (InputSize, HiddenSize) = (inputSize, hiddenSize);
        double bound = Init.Bound(hiddenSize);
        int rows = gates * hiddenSize;
        WeightIh = RegisterParameter("weight_ih", new Variable(Init.Uniform([rows, inputSize], bound, dtype, seed, 0), name: "weight_ih"));
        WeightHh = RegisterParameter("weight_hh", new Variable(Init.Uniform([rows, hiddenSize], bound, dtype, seed, 1), name: "weight_hh"));
        if (bias)
        {
            BiasIh = RegisterParameter("bias_ih", new Variable(Init.Uniform([rows], bound, dtype, seed, 2), name: "bias_ih"));
            BiasHh = RegisterParameter("bias_hh", new Variable(Init.Uniform([rows], bound, dtype, seed, 3), name: "bias_hh"));
        }
    }

    /// <summary>Features of the input.</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>weight_ih [gates·H, inputSize].</summary>
    public Variable WeightIh { get; }

    /// <summary>weight_hh [gates·H, H].</summary>
    public Variable WeightHh { get; }

    /// <summary>bias_ih [gates·H], or null when built with <c>bias: false</c>.</summary>
    public Variable? BiasIh { get; }

    /// <summary>bias_hh [gates·H], or null when built with <c>bias: false</c>.</summary>
    public Variable? BiasHh { get; }

    /// <summary>A zero state [N, H] for input [N, in] ([H] for unbatched [in]).</summary>
    private protected Tensor ZeroState(Tensor input) =>
        Tensor.Zeros(input.Rank == 2 ? [input.Shape[0], HiddenSize] : [HiddenSize], WeightIh.DType, device: input.Device);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{InputSize}, {HiddenSize}" + (BiasIh is null ? ", bias=False" : "");
}
