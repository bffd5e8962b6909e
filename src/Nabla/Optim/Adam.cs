namespace Nabla.Optim;

/// <summary>
/// Adam (Kingma and Ba) with optional AMSGrad and L2 weight decay added to the gradient, as
/// torch.optim.Adam (group options <c>"lr"</c>, <c>"beta1"</c>, <c>"beta2"</c>, <c>"eps"</c>,
/// <c>"weight_decay"</c>, <c>"amsgrad"</c>, <c>"maximize"</c>). For decoupled weight decay use <see cref="AdamW"/>.
/// <code>
/// g = ∇f(p) + weight_decay·p ;  t += 1
/// m = β1·m + (1 − β1)·g ;  v = β2·v + (1 − β2)·g²   (v̂max = max(v̂max, v) with amsgrad, used for v)
/// p -= lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)
/// </code>
/// </summary>
/// <example><code>
/// var opt = new Adam(model.Parameters(), learningRate: 1e-3);
/// opt.ApplyGradients(grads.Zip(model.TrainableVariables));   // or ZeroGrad / Backward / Step
/// </code></example>
public sealed class Adam : Optimizer
{
    /// <summary>Makes the optimizer (PyTorch's defaults). Throws for a negative lr, eps or weight decay, or betas outside [0, 1).</summary>
    public Adam(IEnumerable<Tensor>? parameters = null, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base(parameters, AdamUpdate.Defaults(learningRate, beta1, beta2, eps, weightDecay, amsgrad, maximize))
    { }

    private protected override IReadOnlyCollection<string> StateKeys => AdamUpdate.StateKeys;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> options) =>
        AdamUpdate.Validate(owner, options);

    // The step count enters the update as a C# number (bias corrections).
    private protected override bool UpdateReadsStepCount => true;

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group) =>
        AdamUpdate.Step(this, p, g, state, group, decoupled: false);

    // The fused update reads the rate and step count again on each replay; AMSGrad's expression bakes them in.
    private protected override bool RebuildsRateAndStep(ParamGroup group) => !group.Flag("amsgrad");

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group) => AdamUpdate.InitState(p, state, group);
}
