namespace Nabla.NN;

/// <summary>
/// 1-d convolution (torch.nn.Conv1d) with weight [out, in/groups, k] and bias [out], both
/// U(-1/√fanIn, 1/√fanIn) with fanIn = in/groups·k (PyTorch's default). Input [B, in, L] (or [in, L]);
/// see <see cref="Functional.Conv1d(Tensor, Tensor, Tensor?, int, int, int, int)"/> for the output size.
/// </summary>
/// <example><code>
/// var conv = new Conv1d(4, 8, kernelSize: 3, padding: 1);
/// var y = conv.Call(x);   // [B, 8, L] for [B, 4, L]
/// </code></example>
public sealed class Conv1d : ConvLayer
{
    /// <summary>
    /// A layer with PyTorch's string padding (<c>padding='same'</c> / <c>'valid'</c>); <see cref="ConvPadding.Same"/>
    /// needs stride 1 and keeps the spatial size.
    /// </summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, ConvPadding padding, int stride = 1, int dilation = 1,
        int groups = 1, bool bias = true, int? seed = null, DType dtype = DType.Float32)
        : this(inChannels, outChannels, kernelSize, stride, 0, dilation, groups, bias, seed, dtype)
    {
        if (padding.IsSame && Stride != 1)
            throw Engine.Errors.Arg("Conv1d", $"padding Same is not supported for strided convolutions (stride {Stride}), as in PyTorch.");
        PaddingKind = padding;
    }

    /// <summary>A 1-d convolution layer; stride and dilation default to 1, padding to 0, groups to 1.</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, int? seed = null, DType dtype = DType.Float32)
        : base("Conv1d", inChannels, outChannels, groups, [kernelSize], transposed: false, bias, seed, dtype)
    {
        (KernelSize, Stride, Padding, Dilation) = (kernelSize, stride, padding, dilation);
    }

    /// <summary>Kernel size.</summary>
    public int KernelSize { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }

    /// <summary>Dilation (spacing between kernel elements).</summary>
    public int Dilation { get; }

    /// <summary>PyTorch's string padding when built with one ('same' / 'valid'), else null (then <see cref="Padding"/> applies).</summary>
    public ConvPadding? PaddingKind { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => PaddingKind is { } kind
        ? Functional.Conv1d(x, Weight, kind, Bias, Stride, Dilation, Groups)
        : Functional.Conv1d(x, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr =>
        $"{InChannels}, {OutChannels}, kernel_size=({KernelSize},), stride=({Stride},), padding={(PaddingKind is { } k ? k.ToString() : $"({Padding},)")}, dilation=({Dilation},), groups={Groups}, bias={(Bias is null ? "False" : "True")}";
}

/// <summary>
/// 3-d convolution (torch.nn.Conv3d) with weight [out, in/groups, kd, kh, kw] and bias [out], both
/// U(-1/√fanIn, 1/√fanIn) with fanIn = in/groups·kd·kh·kw. Input [B, in, D, H, W] (or [in, D, H, W]);
/// see <see cref="Functional.Conv3d(Tensor, Tensor, Tensor?, Size3?, Size3?, Size3?, int)"/> for the output size.
/// </summary>
public sealed class Conv3d : ConvLayer
{
    /// <summary>
    /// A layer with PyTorch's string padding (<c>padding='same'</c> / <c>'valid'</c>); <see cref="ConvPadding.Same"/>
    /// needs stride 1 and keeps the spatial size.
    /// </summary>
    public Conv3d(int inChannels, int outChannels, Size3 kernelSize, ConvPadding padding, Size3? stride = null, Size3? dilation = null,
        int groups = 1, bool bias = true, int? seed = null, DType dtype = DType.Float32)
        : this(inChannels, outChannels, kernelSize, stride, null, dilation, groups, bias, seed, dtype)
    {
        if (padding.IsSame && Stride != (1, 1, 1))
            throw Engine.Errors.Arg("Conv3d", $"padding Same is not supported for strided convolutions (stride {Stride}), as in PyTorch.");
        PaddingKind = padding;
    }

    /// <summary>A 3-d convolution layer; stride and dilation default to 1, padding to 0, groups to 1.</summary>
    public Conv3d(int inChannels, int outChannels, Size3 kernelSize, Size3? stride = null, Size3? padding = null, Size3? dilation = null,
        int groups = 1, bool bias = true, int? seed = null, DType dtype = DType.Float32)
        : base("Conv3d", inChannels, outChannels, groups, [kernelSize.D, kernelSize.H, kernelSize.W], transposed: false, bias, seed, dtype)
    {
        KernelSize = kernelSize;
        (Stride, Padding, Dilation) = (stride ?? 1, padding ?? 0, dilation ?? 1);
    }

    /// <summary>Kernel size (kd, kh, kw).</summary>
    public Size3 KernelSize { get; }

    /// <summary>Stride.</summary>
    public Size3 Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public Size3 Padding { get; }

    /// <summary>Dilation.</summary>
    public Size3 Dilation { get; }

    /// <summary>PyTorch's string padding when built with one ('same' / 'valid'), else null (then <see cref="Padding"/> applies).</summary>
    public ConvPadding? PaddingKind { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => PaddingKind is { } kind
        ? Functional.Conv3d(x, Weight, kind, Bias, Stride, Dilation, Groups)
        : Functional.Conv3d(x, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr =>
        $"{InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}, padding={(PaddingKind is { } k ? k.ToString() : Padding.ToString())}, dilation={Dilation}, groups={Groups}, bias={(Bias is null ? "False" : "True")}";
}
