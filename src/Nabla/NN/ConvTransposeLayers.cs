namespace Nabla.NN;

/// <summary>
/// 1-d transposed convolution (torch.nn.ConvTranspose1d) with weight [in, out/groups, k] and bias [out],
/// both U(-1/√fan, 1/√fan) with fan = out/groups·k (PyTorch's default, from the weight's dim 1). Input
/// [B, in, L] (or [in, L]); see <see cref="Functional.ConvTranspose1d"/> for the output size.
/// </summary>
/// <example><code>
/// var up = new ConvTranspose1d(8, 4, kernelSize: 4, stride: 2, padding: 1);
/// var y = up.Call(x);   // [B, 4, 2L] for [B, 8, L]
/// </code></example>
public sealed class ConvTranspose1d : ConvLayer
{
    /// <summary>A 1-d transposed convolution layer (PyTorch's argument order).</summary>
    public ConvTranspose1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0,
        int groups = 1, bool bias = true, int dilation = 1, int? seed = null, DType dtype = DType.Float32)
        : base("ConvTranspose1d", inChannels, outChannels, groups, [kernelSize], transposed: true, bias, seed, dtype)
    {
        (KernelSize, Stride, Padding, OutputPadding, Dilation) = (kernelSize, stride, padding, outputPadding, dilation);
    }

    /// <summary>Kernel size.</summary>
    public int KernelSize { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Padding removed from each side of the output.</summary>
    public int Padding { get; }

    /// <summary>Extra size added at the end of the output.</summary>
    public int OutputPadding { get; }

    /// <summary>Dilation.</summary>
    public int Dilation { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.ConvTranspose1d(x, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);

    /// <inheritdoc/>
    protected override string ExtraRepr =>
        $"{InChannels}, {OutChannels}, kernel_size=({KernelSize},), stride=({Stride},), padding=({Padding},), output_padding=({OutputPadding},), dilation=({Dilation},), groups={Groups}, bias={(Bias is null ? "False" : "True")}";
}

/// <summary>
/// 2-d transposed convolution (torch.nn.ConvTranspose2d) with weight [in, out/groups, kh, kw] and bias
/// [out], both U(-1/√fan, 1/√fan) with fan = out/groups·kh·kw (PyTorch's default). Input [B, in, H, W]
/// (or [in, H, W]); see <see cref="Functional.ConvTranspose2d"/> for the output size.
/// </summary>
/// <example><code>
/// var up = new ConvTranspose2d(16, 8, kernelSize: 2, stride: 2);
/// var y = up.Call(x);   // [B, 8, 2H, 2W] for [B, 16, H, W]
/// </code></example>
public sealed class ConvTranspose2d : ConvLayer
{
    /// <summary>A 2-d transposed convolution layer (PyTorch's argument order).</summary>
    public ConvTranspose2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? outputPadding = null,
        int groups = 1, bool bias = true, Size2? dilation = null, int? seed = null, DType dtype = DType.Float32)
        : base("ConvTranspose2d", inChannels, outChannels, groups, [kernelSize.H, kernelSize.W], transposed: true, bias, seed, dtype)
    {
        KernelSize = kernelSize;
        (Stride, Padding, OutputPadding, Dilation) = (stride ?? 1, padding ?? 0, outputPadding ?? 0, dilation ?? 1);
    }

    /// <summary>Kernel size (kh, kw).</summary>
    public Size2 KernelSize { get; }

    /// <summary>Stride.</summary>
    public Size2 Stride { get; }

    /// <summary>Padding removed from each side of the output.</summary>
    public Size2 Padding { get; }

    /// <summary>Extra rows and columns added at the bottom and right of the output.</summary>
    public Size2 OutputPadding { get; }

    /// <summary>Dilation.</summary>
    public Size2 Dilation { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.ConvTranspose2d(x, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);

    /// <inheritdoc/>
    protected override string ExtraRepr =>
        $"{InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}, padding={Padding}, output_padding={OutputPadding}, dilation={Dilation}, groups={Groups}, bias={(Bias is null ? "False" : "True")}";
}
