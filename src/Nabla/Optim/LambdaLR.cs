using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Sets each group's learning rate to its base rate times a function of the epoch (torch's LambdaLR):
/// <c>lr_e = base_lr · lambda(e)</c>. Give one function, or one per parameter group.
/// </summary>
/// <example><code>
/// var warm = new LambdaLR(opt, e => Math.Min(1.0, (e + 1) / 100.0));   // linear warm-up over 100 steps
/// </code></example>
public sealed class LambdaLR : LRScheduler
{
    readonly Func<int, double>[] _lambdas;

    /// <summary>Makes the schedule with one function for every group.</summary>
    public LambdaLR(Optimizer optimizer, Func<int, double> lrLambda) : this(optimizer, Repeat(optimizer, lrLambda, "LambdaLR")) { }

    /// <summary>Makes the schedule with one function per group; throws when the count differs from the optimizer's groups.</summary>
    public LambdaLR(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas) : base(optimizer)
    {
        _lambdas = PerGroup(optimizer, lrLambdas, "LambdaLR");
        Start();
    }

    private protected override double Compute(int index, ParamGroup group) => BaseLearningRates[index] * _lambdas[index](LastEpoch);

    internal static IReadOnlyList<Func<int, double>> Repeat(Optimizer optimizer, Func<int, double> f, string owner)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (f is null) throw Errors.Arg(owner, "the lambda is null.");
        return Enumerable.Repeat(f, optimizer.ParamGroups.Count).ToArray();
    }

    internal static Func<int, double>[] PerGroup(Optimizer optimizer, IReadOnlyList<Func<int, double>> fs, string owner)
    {
        ArgumentNullException.ThrowIfNull(fs);
        if (fs.Count != optimizer.ParamGroups.Count)
            throw Errors.Arg(owner, $"expected {optimizer.ParamGroups.Count} lambda(s), one per parameter group, got {fs.Count}.");
        if (fs.Any(f => f is null)) throw Errors.Arg(owner, "a lambda is null.");
        return [.. fs];
    }
}
