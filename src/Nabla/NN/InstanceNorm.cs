namespace Nabla.NN;

/// <summary>
/// Shared part of <see cref="InstanceNorm1d"/> and <see cref="InstanceNorm2d"/> (PyTorch's _InstanceNorm):
/// the parameters and buffers of <see cref="BatchNormBase"/>, but each (sample, channel) plane is normalized
/// by its own statistics; affine and running statistics are off by default. With running statistics,
/// training updates them and evaluation normalizes with them. See <see cref="Functional.InstanceNorm"/>.
/// </summary>
public abstract class InstanceNormBase(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    /// <summary>The rank of a batched input (3 for 1d, 4 for 2d); one less is an unbatched input.</summary>
    protected abstract int BatchedRank { get; }

    /// <inheritdoc/>
    protected override void CheckInput(Tensor x)
    {
        if (x.Rank != BatchedRank && x.Rank != BatchedRank - 1)
            throw Engine.Errors.Arg(GetType().Name, $"expected a {BatchedRank - 1}-d or {BatchedRank}-d input, got {Engine.Errors.Describe(x)}.");
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckInput(x);
        bool unbatched = x.Rank == BatchedRank - 1;
        var input = unbatched ? x.Unsqueeze(0) : x;
        // As PyTorch: the channel count matters only when there are per-channel parameters or statistics.
        if ((Weight is not null || RunningMean is not null) && input.Shape[1] != NumFeatures)
            throw Engine.Errors.Arg(GetType().Name, $"expected {NumFeatures} channels in dim {(unbatched ? 0 : 1)}, got input {Engine.Errors.Describe(x)}.");
        bool useInputStats = IsTraining || RunningMean is null;
        bool tracking = IsTraining && NumBatchesTracked is not null;
        double momentum = Momentum ?? (tracking ? 1.0 / (NumBatchesTracked!.Item<long>() + 1) : 0);
        var y = Functional.InstanceNorm(input, RunningMean, RunningVar, Weight, Bias, useInputStats, momentum, Eps);
        if (tracking)
            using (Autograd.NoGrad()) NumBatchesTracked!.AddInPlace(1);
        return unbatched ? y.Squeeze(0) : y;
    }
}

/// <summary>Instance normalization of [N, C, L] or [C, L] (torch.nn.InstanceNorm1d); see <see cref="InstanceNormBase"/>.</summary>
/// <example><code>
/// var norm = new InstanceNorm1d(16, affine: true);
/// var y = norm.Call(x);   // each [L] line of x [N, 16, L] normalized on its own
/// </code></example>
public sealed class InstanceNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = false, bool trackRunningStats = false,
    DType dtype = DType.Float32) : InstanceNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    /// <inheritdoc/>
    protected override int BatchedRank => 3;
}

/// <summary>Instance normalization of [N, C, H, W] or [C, H, W] (torch.nn.InstanceNorm2d); see <see cref="InstanceNormBase"/>.</summary>
public sealed class InstanceNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = false, bool trackRunningStats = false,
    DType dtype = DType.Float32) : InstanceNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    /// <inheritdoc/>
    protected override int BatchedRank => 4;
}
