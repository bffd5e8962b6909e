namespace Nabla.NN;

/// <summary>Mean squared error module (torch.nn.MSELoss): <see cref="Functional.MseLoss"/>.</summary>
public sealed class MseLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);
}

/// <summary>Mean absolute error module (torch.nn.L1Loss): <see cref="Functional.L1Loss"/>.</summary>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, Reduction);
}

/// <summary>Huber loss module (torch.nn.HuberLoss): <see cref="Functional.HuberLoss"/> with <see cref="Delta"/>.</summary>
public sealed class HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0) : Loss(reduction)
{
    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; } = delta;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.HuberLoss(input, target, Reduction, Delta);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, delta={Delta}";
}

/// <summary>Smooth L1 loss module (torch.nn.SmoothL1Loss): <see cref="Functional.SmoothL1Loss"/> with <see cref="Beta"/>.</summary>
public sealed class SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0) : Loss(reduction)
{
    /// <summary>Where the loss turns from quadratic to linear (0: L1).</summary>
    public double Beta { get; } = beta;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.SmoothL1Loss(input, target, Reduction, Beta);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, beta={Beta}";
}

/// <summary>
/// Kullback-Leibler divergence module (torch.nn.KLDivLoss): <see cref="Functional.KLDiv"/> of log-probabilities and
/// (log-)probabilities. Use <see cref="Reduction.BatchMean"/> for the true KL divergence per sample.
/// </summary>
public sealed class KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false) : Loss(reduction)
{
    /// <summary>Whether targets are log-probabilities.</summary>
    public bool LogTarget { get; } = logTarget;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.KLDiv(input, target, Reduction, LogTarget);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, logTarget={LogTarget}";
}

/// <summary>Poisson negative log likelihood module (torch.nn.PoissonNLLLoss): <see cref="Functional.PoissonNllLoss"/>.</summary>
public sealed class PoissonNllLoss(bool logInput = true, bool full = false, double eps = 1e-8, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>Whether the input is the log of the rate (else the rate).</summary>
    public bool LogInput { get; } = logInput;

    /// <summary>Whether the Stirling term is added.</summary>
    public bool Full { get; } = full;

    /// <summary>Added to a rate input before its log.</summary>
    public double Eps { get; } = eps;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.PoissonNllLoss(input, target, LogInput, Full, Eps, Reduction);

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, logInput={LogInput}, full={Full}";
}

/// <summary>
/// Gaussian negative log likelihood module (torch.nn.GaussianNLLLoss): <see cref="Functional.GaussianNllLoss(Tensor, Tensor, Tensor, bool, double, Reduction)"/>
/// of means, targets and variances.
/// </summary>
public sealed class GaussianNllLoss(bool full = false, double eps = 1e-6, Reduction reduction = Reduction.Mean) : LossBase(reduction)
{
    /// <summary>Whether the constant 0.5·log(2π) is added.</summary>
    public bool Full { get; } = full;

    /// <summary>The least variance used (a clamp on the value only).</summary>
    public double Eps { get; } = eps;

    /// <summary>The loss of means <paramref name="input"/> for <paramref name="target"/> with variances <paramref name="var"/>.</summary>
    public Tensor Forward(Tensor input, Tensor target, Tensor var) => Functional.GaussianNllLoss(input, target, var, Full, Eps, Reduction);

    /// <summary>Runs <see cref="Forward(Tensor, Tensor, Tensor)"/>.</summary>
    public Tensor Call(Tensor input, Tensor target, Tensor var) => Invoke([input, target, var], a => Forward(a[0]!, a[1]!, a[2]!));

    /// <inheritdoc/>
    protected override string ExtraRepr => $"{base.ExtraRepr}, full={Full}, eps={Eps}";
}
