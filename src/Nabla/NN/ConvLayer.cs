namespace Nabla.NN;

/// <summary>
/// What every convolution layer (<see cref="Conv1d"/>, <see cref="Conv2d"/>, <see cref="Conv3d"/>,
/// <see cref="ConvTranspose1d"/>, <see cref="ConvTranspose2d"/>) holds: its channels, groups, weight and bias, made as
/// PyTorch makes them. The weight is [out, in/groups, k...] ([in, out/groups, k...] for a transposed convolution) and
/// weight and bias are U(-1/√fan, 1/√fan), fan = the weight's dim 1 times the kernel's elements; with a seed, weight
/// and bias draw from streams 0 and 1 of it.
/// </summary>
public abstract class ConvLayer : Module
{
    private protected ConvLayer(string op, int inChannels, int outChannels, int groups, int[] kernel, bool transposed, bool bias,
        int? seed, DType dtype)
    {
        if (inChannels < 1 || outChannels < 1 || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw Engine.Errors.Arg(op, $"in_channels = {inChannels} and out_channels = {outChannels} must be positive multiples of groups = {groups}.");
        if (kernel.Min() < 1) throw Engine.Errors.Arg(op, $"kernel size {Shape.Format(kernel)} must be positive.");
        Init.CheckDType(op, dtype);
        (InChannels, OutChannels, Groups) = (inChannels, outChannels, groups);
        int[] shape = transposed ? [inChannels, outChannels / groups, .. kernel] : [outChannels, inChannels / groups, .. kernel];
        double bound = Init.Bound(shape[1] * kernel.Aggregate(1, (a, b) => a * b));
        Weight = RegisterParameter("weight", new Variable(Init.Uniform(shape, bound, dtype, seed, 0), name: "weight"));
        if (bias) Bias = RegisterParameter("bias", new Variable(Init.Uniform([outChannels], bound, dtype, seed, 1), name: "bias"));
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>The weight: [out, in/groups, k...], or [in, out/groups, k...] for a transposed convolution.</summary>
    public Variable Weight { get; }

    /// <summary>The bias [out], or null when built with <c>bias: false</c>.</summary>
    public Variable? Bias { get; }
}
