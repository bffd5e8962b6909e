namespace Nabla.Optim;

/// <summary>
/// Multiplies each group's learning rate by a function of the epoch at every step after the first (torch's
/// MultiplicativeLR): <c>lr_e = lr_{e−1} · lambda(e)</c>. Give one function, or one per parameter group.
/// </summary>
/// <example><code>
/// var sched = new MultiplicativeLR(opt, e => 0.95);
/// </code></example>
public sealed class MultiplicativeLR : LRScheduler
{
    readonly Func<int, double>[] _lambdas;

    /// <summary>Makes the schedule with one function for every group.</summary>
    public MultiplicativeLR(Optimizer optimizer, Func<int, double> lrLambda)
        : this(optimizer, LambdaLR.Repeat(optimizer, lrLambda, "MultiplicativeLR")) { }

    /// <summary>Makes the schedule with one function per group; throws when the count differs from the optimizer's groups.</summary>
    public MultiplicativeLR(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas) : base(optimizer)
    {
        _lambdas = LambdaLR.PerGroup(optimizer, lrLambdas, "MultiplicativeLR");
        Start();
    }

    private protected override double Compute(int index, ParamGroup group) =>
        LastEpoch > 0 ? group.LearningRate * _lambdas[index](LastEpoch) : group.LearningRate;

    // PyTorch's MultiplicativeLR has no closed form: a SequentialLR milestone continues from the rate as it is.
    private protected override bool RestartsFromBaseRate => false;
}
