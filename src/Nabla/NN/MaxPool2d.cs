namespace Nabla.NN;

/// <summary>2-d max pooling (torch.nn.MaxPool2d); stride defaults to the kernel size. See <see cref="Functional.MaxPool2d"/>.</summary>
public sealed class MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null) : Module
{
    /// <summary>Kernel size.</summary>
    public Size2 KernelSize { get; } = kernelSize;

    /// <summary>Stride (the kernel size unless given).</summary>
    public Size2 Stride { get; } = stride ?? kernelSize;

    /// <summary>Padding (counts as -∞).</summary>
    public Size2 Padding { get; } = padding ?? 0;

    /// <summary>Dilation.</summary>
    public Size2 Dilation { get; } = dilation ?? 1;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.MaxPool2d(x, KernelSize, Stride, Padding, Dilation);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}";
}
