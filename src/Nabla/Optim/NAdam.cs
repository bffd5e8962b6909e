using Nabla.Graphs;

namespace Nabla.Optim;

/// <summary>
/// NAdam (Dozat: Adam with Nesterov momentum), as torch.optim.NAdam (group options <c>"lr"</c>, <c>"beta1"</c>,
/// <c>"beta2"</c>, <c>"eps"</c>, <c>"weight_decay"</c>, <c>"momentum_decay"</c>, <c>"decoupled_weight_decay"</c>, <c>"maximize"</c>).
/// <code>
/// t += 1 ;  g = ∇f(p) (−∇f when maximize)
/// decoupled: p *= 1 − lr·weight_decay      else g += weight_decay·p
/// μ_t = β1·(1 − ½·0.96^(t·ψ)) ;  μ_{t+1} likewise ;  Πμ = μ_1·…·μ_t   (ψ = momentum_decay)
/// m = β1·m + (1 − β1)·g ;  v = β2·v + (1 − β2)·g² ;  d = √(v/(1 − β2^t)) + eps
/// p -= lr·(1 − μ_t)/(1 − Πμ) · g/d + lr·μ_{t+1}/(1 − Πμ·μ_{t+1}) · m/d
/// </code>
/// The product Πμ is kept per parameter in float64 (state <c>"mu_product"</c>; PyTorch keeps it in a float32 tensor,
/// so its last digits may differ).
/// </summary>
/// <example><code>
/// var opt = new NAdam(model.Parameters(), learningRate: 2e-3, weightDecay: 1e-2, decoupledWeightDecay: true);
/// </code></example>
public sealed class NAdam : Optimizer
{
    /// <summary>
    /// Makes the optimizer (PyTorch's defaults: lr 2e-3, betas (0.9, 0.999), eps 1e-8, momentum decay 4e-3).
    /// Throws for a negative lr, eps, weight decay or momentum decay, or betas outside [0, 1).
    /// </summary>
    public NAdam(IEnumerable<Tensor>? parameters = null, double learningRate = 2e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3, bool decoupledWeightDecay = false, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = learningRate, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weightDecay,
            ["momentum_decay"] = momentumDecay, ["decoupled_weight_decay"] = decoupledWeightDecay ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    { }

    static readonly string[] Keys = ["exp_avg", "exp_avg_sq"];
    static readonly string[] Scalars = ["mu_product"];
    private protected override IReadOnlyCollection<string> StateKeys => Keys;
    private protected override IReadOnlyCollection<string> ScalarStateKeys => Scalars;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> o)
    {
        AdamUpdate.Validate(owner, o);
        CheckNonNegative(owner, o, "momentum_decay");
    }

    // μ, Πμ and the bias correction enter only through RateScalar, and Πμ advances by a host effect every replay repeats:
    // a compiled step replays one trace for every step.
    private protected override bool UpdateReadsStepCount => true;

    private protected override bool RebuildsRateAndStep(ParamGroup group) => true;

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group)
    {
        double eps = group["eps"], wd = group["weight_decay"];
        CountStep(p, state);
        bool decoupled = group.Flag("decoupled_weight_decay");
        if (wd != 0 && decoupled) p.MulInPlace(RateScalar(p, group, state, static (gr, _) => 1 - gr.LearningRate * gr["weight_decay"]));
        AdvanceMuProduct(group, state);
        if (Graph.IsTracing) ReplayHooks.RecordHostEffect($"{Name} mu_product of {Label(p)} *= mu", () => AdvanceMuProduct(group, state));
        var (d, m, v) = AdamUpdate.Moments(p, g, state, group, l2Decay: !decoupled);
        var denom = (v / RateScalar(v, group, state, static (gr, st) => 1 - Math.Pow(gr["beta2"], st.Step))).Sqrt() + eps;
        p.AddInPlace(d * RateScalar(d, group, state, static (gr, st) => -gr.LearningRate * (1 - Mu(gr, st.Step)) / (1 - MuProduct(st))) / denom);
        p.AddInPlace(m * RateScalar(m, group, state, static (gr, st) =>
        {
            double muNext = Mu(gr, st.Step + 1);
            return -gr.LearningRate * muNext / (1 - MuProduct(st) * muNext);
        }) / denom);
    }

    /// <summary>μ_t = β1·(1 − ½·0.96^(t·ψ)).</summary>
    static double Mu(ParamGroup group, long t) => group["beta1"] * (1 - 0.5 * Math.Pow(0.96, t * group["momentum_decay"]));

    static double MuProduct(ParamState state) => state.Scalars.GetValueOrDefault("mu_product", 1.0);

    static void AdvanceMuProduct(ParamGroup group, ParamState state) => state.Scalars["mu_product"] = MuProduct(state) * Mu(group, state.Step);

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group)
    {
        state.Get("exp_avg", () => Tensor.ZerosLike(p));
        state.Get("exp_avg_sq", () => Tensor.ZerosLike(p));
    }
}
