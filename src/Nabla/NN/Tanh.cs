namespace Nabla.NN;

/// <summary>tanh elementwise (torch.nn.Tanh).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Tanh(x);
}
