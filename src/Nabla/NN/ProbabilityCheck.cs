using Nabla.Engine;

namespace Nabla.NN;

/// <summary>The input of <see cref="Op"/> must hold probabilities: every element in [0, 1] (NaN fails).</summary>
internal sealed record ProbabilityCheck(string Op) : ValueCheck
{
    public override void Run(Tensor input)
    {
        // Checked on the input's device; one value comes back to the host (two more to name a bad one).
        var x = input.Detach();
        var outside = Tensor.LogicalAnd(x.Ge(0.0), x.Le(1.0)).Eq(0L).Reshape(-1);   // NaN fails both bounds
        if (outside.To(DType.Int64).Sum().Item<long>() == 0) return;
        int at = (int)outside.To(DType.Int64).ArgMax().Item<long>();
        double v = x.Reshape(-1).Narrow(0, at, 1).Item<double>();
        throw Errors.Arg(Op, $"all elements of the input must be probabilities in [0, 1], found {v}; apply Sigmoid first or use BinaryCrossEntropyWithLogits.");
    }
}
