namespace Nabla.NN;

/// <summary>Batch normalization of [N, C] or [N, C, L] per channel (torch.nn.BatchNorm1d); see <see cref="BatchNormBase"/>.</summary>
/// <example><code>
/// var bn = new BatchNorm1d(16);
/// var y = bn.Call(x);          // training: batch statistics, running ones updated
/// bn.Eval(); y = bn.Call(x);   // evaluation: running statistics
/// </code></example>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true,
    DType dtype = DType.Float32) : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    /// <inheritdoc/>
    protected override void CheckInput(Tensor x)
    {
        if (x.Rank is not (2 or 3)) throw Engine.Errors.Arg("BatchNorm1d", $"expected a 2-d or 3-d input [N, C(, L)], got {Engine.Errors.Describe(x)}.");
    }
}
