namespace Nabla.Optim;

/// <summary>
/// Adamax (Kingma and Ba), Adam with the infinity norm, as torch.optim.Adamax (group options <c>"lr"</c>,
/// <c>"beta1"</c>, <c>"beta2"</c> (torch's <c>betas</c>), <c>"eps"</c>, <c>"weight_decay"</c>, <c>"maximize"</c>).
/// <code>
/// g = ∇f(p) (−∇f when maximize) + weight_decay·p ;  t += 1
/// m = β1·m + (1 − β1)·g ;  u = max(β2·u, |g| + eps)
/// p -= lr/(1 − β1^t) · m / u
/// </code>
/// </summary>
/// <example><code>
/// var opt = new Adamax(model.Parameters(), learningRate: 2e-3);
/// </code></example>
public sealed class Adamax : Optimizer
{
    /// <summary>Makes the optimizer (PyTorch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8). Throws for a negative lr, eps or weight decay, or betas outside [0, 1).</summary>
    public Adamax(IEnumerable<Tensor>? parameters = null, double learningRate = 2e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = learningRate, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weightDecay,
            ["maximize"] = maximize ? 1 : 0,
        })
    { }

    static readonly string[] Keys = ["exp_avg", "exp_inf"];
    private protected override IReadOnlyCollection<string> StateKeys => Keys;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> o) => AdamUpdate.Validate(owner, o);

    // The bias correction reads the step count, but only through RateScalar, which every compiled replay rebuilds.
    private protected override bool UpdateReadsStepCount => true;

    private protected override bool RebuildsRateAndStep(ParamGroup group) => true;

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group)
    {
        double beta1 = group["beta1"], beta2 = group["beta2"], eps = group["eps"], wd = group["weight_decay"];
        CountStep(p, state);
        var d = group.Flag("maximize") ? -g : g;
        if (wd != 0) d = d + p * wd;
        var m = state.Get("exp_avg", () => Tensor.ZerosLike(p));
        var u = state.Get("exp_inf", () => Tensor.ZerosLike(p));
        LerpInPlace(m, d, 1 - beta1);
        u.CopyFrom((u * beta2).Maximum(d.Abs() + eps));
        p.AddInPlace(m * RateScalar(m, group, state, static (gr, st) => -(gr.LearningRate / (1 - Math.Pow(gr["beta1"], st.Step)))) / u);
    }

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group)
    {
        state.Get("exp_avg", () => Tensor.ZerosLike(p));
        state.Get("exp_inf", () => Tensor.ZerosLike(p));
    }
}
