namespace Nabla.NN;

/// <summary>2-d average pooling (torch.nn.AvgPool2d); stride defaults to the kernel size. See <see cref="Functional.AvgPool2d"/>.</summary>
public sealed class AvgPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool countIncludePad = true, bool ceilMode = false,
    int? divisorOverride = null) : Module
{
    /// <summary>Kernel size.</summary>
    public Size2 KernelSize { get; } = kernelSize;

    /// <summary>Stride (the kernel size unless given).</summary>
    public Size2 Stride { get; } = stride ?? kernelSize;

    /// <summary>Zero padding.</summary>
    public Size2 Padding { get; } = padding ?? 0;

    /// <summary>Whether padded zeros count in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <summary>Whether the output size rounds up (torch's ceil_mode).</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>The divisor of every window when given (torch's divisor_override), else null.</summary>
    public int? DivisorOverride { get; } = divisorOverride;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.AvgPool2d(x, KernelSize, Stride, Padding, CountIncludePad, CeilMode, DivisorOverride);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}
