namespace Nabla.NN;

/// <summary>
/// torch.nn.GRUCell: one GRU step (<see cref="Functional.GruCell"/>: gates r, z, n, h' = (1 - z)∘n + z∘h).
/// Parameters [3H, ·] as <see cref="RNNCellBase"/>.
/// </summary>
/// <example><code>
/// var cell = new GRUCell(10, 20, seed: 0);
/// var h = cell.Call(Tensor.Randn(3, 10), null);   // [3, 20]
/// </code></example>
public sealed class GRUCell : RNNCellBase
{
    /// <summary>A GRU cell. With <paramref name="seed"/> the initial values depend only on it.</summary>
    public GRUCell(int inputSize, int hiddenSize, bool bias = true, int? seed = null, DType dtype = DType.Float32)
        : base("GRUCell", 3, inputSize, hiddenSize, bias, seed, dtype)
    {
    }

    /// <summary>One step on <paramref name="input"/> [N, in] (or [in]) from <paramref name="hx"/> [N, H] (or [H]; zeros when null).</summary>
    public Tensor Call(Tensor input, Tensor? hx) => Invoke([input, hx], a => Forward(a[0]!, a[1]));

    /// <summary>As <see cref="Call(Tensor, Tensor?)"/> without hooks.</summary>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Functional.GruCell(input, hx ?? ZeroState(input), WeightIh, WeightHh, BiasIh, BiasHh);
    }

    /// <summary>One step from a zero state.</summary>
    public override Tensor Forward(Tensor x) => Forward(x, null);
}
