namespace Nabla.NN;

/// <summary>Log-softmax along a dim (torch.nn.LogSoftmax), stable for large logits.</summary>
public sealed class LogSoftmax(int dim) : Module
{
    /// <summary>The dim normalized over.</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.LogSoftmax(x, Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"dim={Dim}";
}
