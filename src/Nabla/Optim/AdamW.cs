namespace Nabla.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter), as torch.optim.AdamW: each step first
/// shrinks the parameter, <c>p *= 1 − lr·weight_decay</c>, then takes a plain Adam step (see
/// <see cref="Adam"/>; same options and AMSGrad). The default weight decay is 1e-2, as PyTorch.
/// </summary>
/// <example><code>
/// var opt = new AdamW(model.Parameters(), learningRate: 1e-3, weightDecay: 0.05);
/// </code></example>
public sealed class AdamW : Optimizer
{
    /// <summary>Makes the optimizer (PyTorch's defaults). Throws for a negative lr, eps or weight decay, or betas outside [0, 1).</summary>
    public AdamW(IEnumerable<Tensor>? parameters = null, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(parameters, AdamUpdate.Defaults(learningRate, beta1, beta2, eps, weightDecay, amsgrad, maximize))
    { }

    private protected override IReadOnlyCollection<string> StateKeys => AdamUpdate.StateKeys;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> options) =>
        AdamUpdate.Validate(owner, options);

    // The step count enters the update as a C# number (bias corrections).
    private protected override bool UpdateReadsStepCount => true;

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group) =>
        AdamUpdate.Step(this, p, g, state, group, decoupled: true);

    // The fused update reads the rate and step count again on each replay; AMSGrad's expression bakes them in.
    private protected override bool RebuildsRateAndStep(ParamGroup group) => !group.Flag("amsgrad");

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group) => AdamUpdate.InitState(p, state, group);
}
