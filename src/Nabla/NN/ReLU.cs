namespace Nabla.NN;

/// <summary>max(x, 0) elementwise (torch.nn.ReLU).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Relu(x);
}
