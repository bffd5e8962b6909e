namespace Nabla.NN;

/// <summary>
/// 1-d max pooling (torch.nn.MaxPool1d) of [B, C, L] or [C, L]; stride defaults to the kernel size. See
/// <see cref="Functional.MaxPool1d"/>; <see cref="ForwardWithIndices"/> also returns the argmax positions.
/// </summary>
public sealed class MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) : Module
{
    /// <summary>Kernel size.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>Stride (the kernel size unless given).</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Padding (counts as -∞).</summary>
    public int Padding { get; } = padding;

    /// <summary>Dilation.</summary>
    public int Dilation { get; } = dilation;

    /// <summary>Whether the output size rounds up (torch's ceil_mode).</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.MaxPool1d(x, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>The pooled values and the argmax positions along L (int64); see <see cref="Functional.MaxPool1dWithIndices"/>.</summary>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor x) => Functional.MaxPool1dWithIndices(x, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={(CeilMode ? "True" : "False")}";
}

/// <summary>1-d average pooling (torch.nn.AvgPool1d) of [B, C, L] or [C, L]; stride defaults to the kernel size. See <see cref="Functional.AvgPool1d"/>.</summary>
public sealed class AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false) : Module
{
    /// <summary>Kernel size.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>Stride (the kernel size unless given).</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Zero padding.</summary>
    public int Padding { get; } = padding;

    /// <summary>Whether padded zeros count in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <summary>Whether the output size rounds up (torch's ceil_mode).</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.AvgPool1d(x, KernelSize, Stride, Padding, CountIncludePad, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"kernel_size=({KernelSize},), stride=({Stride},), padding=({Padding},)";
}

/// <summary>
/// The partial inverse of <see cref="MaxPool2d"/> (torch.nn.MaxUnpool2d): call <see cref="Call(Tensor, Tensor, Size2?)"/>
/// with the values and indices of <see cref="MaxPool2d.ForwardWithIndices"/>. See <see cref="Functional.MaxUnpool2d"/>.
/// </summary>
public sealed class MaxUnpool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null) : Module
{
    /// <summary>Kernel size of the pooling being inverted.</summary>
    public Size2 KernelSize { get; } = kernelSize;

    /// <summary>Stride (the kernel size unless given).</summary>
    public Size2 Stride { get; } = stride ?? kernelSize;

    /// <summary>Padding.</summary>
    public Size2 Padding { get; } = padding ?? 0;

    /// <summary>Unpools <paramref name="input"/> at <paramref name="indices"/>, to <paramref name="outputSize"/> when given.</summary>
    public Tensor Call(Tensor input, Tensor indices, Size2? outputSize = null) =>
        Invoke([input, indices], a => Functional.MaxUnpool2d(a[0]!, a[1]!, KernelSize, Stride, Padding, outputSize));

    /// <summary>Not callable with one tensor: unpooling needs the indices, as in PyTorch; use <see cref="Call(Tensor, Tensor, Size2?)"/>.</summary>
    public override Tensor Forward(Tensor x) =>
        throw Engine.Errors.Arg("MaxUnpool2d", "needs the pooling indices: call Call(input, indices) with the output of MaxPool2d.ForwardWithIndices.");

    /// <inheritdoc/>
    protected override string ExtraRepr => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>The partial inverse of <see cref="MaxPool1d"/> (torch.nn.MaxUnpool1d); see <see cref="Functional.MaxUnpool1d"/>.</summary>
public sealed class MaxUnpool1d(int kernelSize, int? stride = null, int padding = 0) : Module
{
    /// <summary>Kernel size of the pooling being inverted.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>Stride (the kernel size unless given).</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Padding.</summary>
    public int Padding { get; } = padding;

    /// <summary>Unpools <paramref name="input"/> at <paramref name="indices"/>, to <paramref name="outputSize"/> when given.</summary>
    public Tensor Call(Tensor input, Tensor indices, int? outputSize = null) =>
        Invoke([input, indices], a => Functional.MaxUnpool1d(a[0]!, a[1]!, KernelSize, Stride, Padding, outputSize));

    /// <summary>Not callable with one tensor: unpooling needs the indices; use <see cref="Call(Tensor, Tensor, int?)"/>.</summary>
    public override Tensor Forward(Tensor x) =>
        throw Engine.Errors.Arg("MaxUnpool1d", "needs the pooling indices: call Call(input, indices) with the output of MaxPool1d.ForwardWithIndices.");

    /// <inheritdoc/>
    protected override string ExtraRepr => $"kernel_size=({KernelSize},), stride=({Stride},), padding=({Padding},)";
}
