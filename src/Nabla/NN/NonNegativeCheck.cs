using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// Every element of the checked tensor (named <see cref="What"/>) must be ≥ 0 (NaN passes, as PyTorch's
/// <c>torch.any(var &lt; 0)</c>): GaussianNllLoss's variances. A value check, so a compiled function repeats it.
/// </summary>
internal sealed record NonNegativeCheck(string Op, string What) : ValueCheck
{
    public override void Run(Tensor input)
    {
        var negative = input.Detach().Lt(0.0).Reshape(-1);
        if (negative.To(DType.Int64).Sum().Item<long>() == 0) return;
        int at = (int)negative.To(DType.Int64).ArgMax().Item<long>();
        double v = input.Detach().Reshape(-1).Narrow(0, at, 1).To(DType.Float64).Item<double>();
        throw Errors.Arg(Op, $"{What} must be non-negative, found {v}.");
    }
}
