namespace Nabla.NN;

/// <summary>Batch normalization of [N, C, H, W] per channel (torch.nn.BatchNorm2d); see <see cref="BatchNormBase"/>.</summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true,
    DType dtype = DType.Float32) : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    /// <inheritdoc/>
    protected override void CheckInput(Tensor x)
    {
        if (x.Rank != 4) throw Engine.Errors.Arg("BatchNorm2d", $"expected a 4-d input [N, C, H, W], got {Engine.Errors.Describe(x)}.");
    }
}
