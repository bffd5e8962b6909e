namespace Nabla.NN;

/// <summary>
/// 2-d convolution (torch.nn.Conv2d) with weight [out, in/groups, kh, kw] and bias [out], both
/// U(-1/√fanIn, 1/√fanIn) with fanIn = in/groups·kh·kw (PyTorch's default). Input [B, in, H, W] (or
/// [in, H, W]); see <see cref="Functional.Conv2d(Tensor, Tensor, Tensor?, Size2?, Size2?, Size2?, int)"/> for the output size.
/// </summary>
/// <example><code>
/// var conv = new Conv2d(1, 32, kernelSize: 3, padding: 1);
/// var y = conv.Call(images);   // [B, 32, 28, 28] for [B, 1, 28, 28]
/// </code></example>
public sealed class Conv2d : ConvLayer
{
    /// <summary>
    /// A layer with PyTorch's string padding (<c>padding='same'</c> / <c>'valid'</c>); <see cref="ConvPadding.Same"/>
    /// needs stride 1 and keeps the spatial size.
    /// </summary>
    public Conv2d(int inChannels, int outChannels, Size2 kernelSize, ConvPadding padding, Size2? stride = null, Size2? dilation = null,
        int groups = 1, bool bias = true, int? seed = null, DType dtype = DType.Float32)
        : this(inChannels, outChannels, kernelSize, stride, null, dilation, groups, bias, seed, dtype)
    {
        if (padding.IsSame && Stride != (1, 1))
            throw Engine.Errors.Arg("Conv2d", $"padding Same is not supported for strided convolutions (stride {Stride}), as in PyTorch.");
        PaddingKind = padding;
    }

    /// <summary>A convolution layer; stride and dilation default to 1, padding to 0, groups to 1.</summary>
    public Conv2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null,
        int groups = 1, bool bias = true, int? seed = null, DType dtype = DType.Float32)
        : base("Conv2d", inChannels, outChannels, groups, [kernelSize.H, kernelSize.W], transposed: false, bias, seed, dtype)
    {
        KernelSize = kernelSize;
        (Stride, Padding, Dilation) = (stride ?? 1, padding ?? 0, dilation ?? 1);
    }

    /// <summary>Kernel size (kh, kw).</summary>
    public Size2 KernelSize { get; }

    /// <summary>Stride.</summary>
    public Size2 Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public Size2 Padding { get; }

    /// <summary>Dilation (spacing between kernel elements).</summary>
    public Size2 Dilation { get; }

    /// <summary>PyTorch's string padding when built with one ('same' / 'valid'), else null (then <see cref="Padding"/> applies).</summary>
    public ConvPadding? PaddingKind { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => PaddingKind is { } kind
        ? Functional.Conv2d(x, Weight, kind, Bias, Stride, Dilation, Groups)
        : Functional.Conv2d(x, Weight, Bias, Stride, Padding, Dilation, Groups);

    string PaddingText => PaddingKind is { } kind ? kind.ToString() : Padding.ToString();

    /// <inheritdoc/>
    protected override string ExtraRepr =>
        $"{InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}, padding={PaddingText}, dilation={Dilation}, groups={Groups}, bias={(Bias is null ? "False" : "True")}";
}
