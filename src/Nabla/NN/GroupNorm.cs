namespace Nabla.NN;

/// <summary>
/// Group normalization (torch.nn.GroupNorm) of [N, C, ...]: the channels are split into <see cref="NumGroups"/>
/// groups, each (sample, group) normalized by its own statistics, with a learned per-channel weight (ones) and
/// bias (zeros) when affine; the same in training and evaluation. See <see cref="Functional.GroupNorm"/>.
/// </summary>
public sealed class GroupNorm : Module
{
    /// <summary>Normalizes <paramref name="numChannels"/> channels in <paramref name="numGroups"/> groups (which must divide it).</summary>
    public GroupNorm(int numGroups, int numChannels, double eps = 1e-5, bool affine = true, DType dtype = DType.Float32)
    {
        if (numGroups < 1 || numChannels < 1 || numChannels % numGroups != 0)
            throw Engine.Errors.Arg("GroupNorm", $"numChannels ({numChannels}) must be divisible by numGroups ({numGroups}), both positive.");
        Init.CheckDType("GroupNorm", dtype);
        (NumGroups, NumChannels, Eps) = (numGroups, numChannels, eps);
        if (affine)
        {
            Weight = RegisterParameter("weight", new Variable(Tensor.Ones([numChannels], dtype), name: "weight"));
            Bias = RegisterParameter("bias", new Variable(Tensor.Zeros([numChannels], dtype), name: "bias"));
        }
    }

    /// <summary>The number of channel groups.</summary>
    public int NumGroups { get; }

    /// <summary>The number of channels (dim 1 of the input).</summary>
    public int NumChannels { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Per-channel scale [C] (null without affine).</summary>
    public Variable? Weight { get; }

    /// <summary>Per-channel shift [C] (null without affine).</summary>
    public Variable? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Functional.GroupNorm(x, NumGroups, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{NumGroups}, {NumChannels}, eps={Eps}, affine={(Weight is null ? "False" : "True")}";
}
