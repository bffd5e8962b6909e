using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// torch.nn.RNNCell: one Elman step, h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) with act tanh (default) or ReLU
/// (<see cref="Functional.RnnTanhCell"/>, <see cref="Functional.RnnReluCell"/>). Parameters as <see cref="RNNCellBase"/>.
/// </summary>
/// <example><code>
/// var cell = new RNNCell(10, 20, seed: 0);
/// var h = cell.Call(Tensor.Randn(3, 10));        // [3, 20], from a zero state
/// h = cell.Call(Tensor.Randn(3, 10), h);
/// </code></example>
public sealed class RNNCell : RNNCellBase
{
    /// <summary>An RNN cell; <paramref name="nonlinearity"/> is <see cref="Nonlinearity.Tanh"/> or <see cref="Nonlinearity.ReLU"/>.</summary>
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, Nonlinearity nonlinearity = Nonlinearity.Tanh, int? seed = null,
        DType dtype = DType.Float32)
        : base("RNNCell", 1, inputSize, hiddenSize, bias, seed, RNN.CheckNonlinearity("RNNCell", nonlinearity, dtype))
    {
        Nonlinearity = nonlinearity;
    }

    /// <summary>Tanh or ReLU.</summary>
    public Nonlinearity Nonlinearity { get; }

    /// <summary>One step on <paramref name="input"/> [N, in] (or [in]) from <paramref name="hx"/> [N, H] (or [H]; zeros when null).</summary>
    public Tensor Call(Tensor input, Tensor? hx) => Invoke([input, hx], a => Forward(a[0]!, a[1]));

    /// <summary>As <see cref="Call(Tensor, Tensor?)"/> without hooks.</summary>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        ArgumentNullException.ThrowIfNull(input);
        hx ??= ZeroState(input);
        return Nonlinearity == Nonlinearity.ReLU
            ? Functional.RnnReluCell(input, hx, WeightIh, WeightHh, BiasIh, BiasHh)
            : Functional.RnnTanhCell(input, hx, WeightIh, WeightHh, BiasIh, BiasHh);
    }

    /// <summary>One step from a zero state.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null);

    /// <inheritdoc/>
    protected override string ExtraRepr => Nonlinearity == Nonlinearity.ReLU ? base.ExtraRepr + ", nonlinearity=relu" : base.ExtraRepr;
}
