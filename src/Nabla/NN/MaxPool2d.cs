namespace Nabla.NN;

/// <summary>
/// 2-d max pooling (torch.nn.MaxPool2d); stride defaults to the kernel size. See <see cref="Functional.MaxPool2d"/>;
/// <see cref="ForwardWithIndices"/> also returns the argmax positions (torch's return_indices).
/// </summary>
public sealed class MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false) : Module
{
    /// <summary>Kernel size.</summary>
    public Size2 KernelSize { get; } = kernelSize;

    /// <summary>Stride (the kernel size unless given).</summary>
    public Size2 Stride { get; } = stride ?? kernelSize;

    /// <summary>Padding (counts as -∞).</summary>
    public Size2 Padding { get; } = padding ?? 0;

    /// <summary>Dilation.</summary>
    public Size2 Dilation { get; } = dilation ?? 1;

    /// <summary>Whether the output size rounds up (torch's ceil_mode).</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.MaxPool2d(x, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>The pooled values and the flat argmax positions (int64) <see cref="MaxUnpool2d"/> reads; see <see cref="Functional.MaxPool2dWithIndices"/>.</summary>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor x) => Functional.MaxPool2dWithIndices(x, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={(CeilMode ? "True" : "False")}";
}
