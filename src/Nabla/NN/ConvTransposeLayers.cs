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
public sealed class ConvTranspose1d : Module
{
    /// <summary>A 1-d transposed convolution layer (PyTorch's argument order).</summary>
    public ConvTranspose1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0,
        int groups = 1, bool bias = true, int dilation = 1, int? seed = null, DType dtype = DType.Float32)
    {
        ConvCheck.Channels("ConvTranspose1d", inChannels, outChannels, groups, kernelSize);
        Init.CheckDType("ConvTranspose1d", dtype);
        (InChannels, OutChannels, KernelSize, Stride, Padding, OutputPadding, Groups, Dilation) =
            (inChannels, outChannels, kernelSize, stride, padding, outputPadding, groups, dilation);
        double bound = Init.Bound(outChannels / groups * kernelSize);
        Weight = RegisterParameter("weight", new Variable(Init.Uniform([inChannels, outChannels / groups, kernelSize], bound, dtype, seed, 0), name: "weight"));
        if (bias) Bias = RegisterParameter("bias", new Variable(Init.Uniform([outChannels], bound, dtype, seed, 1), name: "bias"));
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel size.</summary>
    public int KernelSize { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Padding removed from each side of the output.</summary>
    public int Padding { get; }

    /// <summary>Extra size added at the end of the output.</summary>
    public int OutputPadding { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>Dilation.</summary>
    public int Dilation { get; }

    /// <summary>The weight [in, out/groups, k].</summary>
    public Variable Weight { get; }

    /// <summary>The bias [out], or null when built with <c>bias: false</c>.</summary>
    public Variable? Bias { get; }

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
public sealed class ConvTranspose2d : Module
{
    /// <summary>A 2-d transposed convolution layer (PyTorch's argument order).</summary>
    public ConvTranspose2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? outputPadding = null,
        int groups = 1, bool bias = true, Size2? dilation = null, int? seed = null, DType dtype = DType.Float32)
    {
        ConvCheck.Channels("ConvTranspose2d", inChannels, outChannels, groups, Math.Min(kernelSize.H, kernelSize.W));
        Init.CheckDType("ConvTranspose2d", dtype);
        (InChannels, OutChannels, KernelSize, Groups) = (inChannels, outChannels, kernelSize, groups);
        (Stride, Padding, OutputPadding, Dilation) = (stride ?? 1, padding ?? 0, outputPadding ?? 0, dilation ?? 1);
        double bound = Init.Bound(outChannels / groups * kernelSize.H * kernelSize.W);
        Weight = RegisterParameter("weight", new Variable(
            Init.Uniform([inChannels, outChannels / groups, kernelSize.H, kernelSize.W], bound, dtype, seed, 0), name: "weight"));
        if (bias) Bias = RegisterParameter("bias", new Variable(Init.Uniform([outChannels], bound, dtype, seed, 1), name: "bias"));
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel size (kh, kw).</summary>
    public Size2 KernelSize { get; }

    /// <summary>Stride.</summary>
    public Size2 Stride { get; }

    /// <summary>Padding removed from each side of the output.</summary>
    public Size2 Padding { get; }

    /// <summary>Extra rows and columns added at the bottom and right of the output.</summary>
    public Size2 OutputPadding { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>Dilation.</summary>
    public Size2 Dilation { get; }

    /// <summary>The weight [in, out/groups, kh, kw].</summary>
    public Variable Weight { get; }

    /// <summary>The bias [out], or null when built with <c>bias: false</c>.</summary>
    public Variable? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.ConvTranspose2d(x, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);

    /// <inheritdoc/>
    protected override string ExtraRepr =>
        $"{InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}, padding={Padding}, output_padding={OutputPadding}, dilation={Dilation}, groups={Groups}, bias={(Bias is null ? "False" : "True")}";
}
