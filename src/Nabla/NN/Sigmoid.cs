namespace Nabla.NN;

/// <summary>The logistic function elementwise (torch.nn.Sigmoid).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.Sigmoid(x);
}
