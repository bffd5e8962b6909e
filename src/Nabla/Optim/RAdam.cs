using Nabla.Graphs;

namespace Nabla.Optim;

/// <summary>
/// RAdam (Liu et al.: Adam with a rectified adaptive rate), as torch.optim.RAdam (group options <c>"lr"</c>,
/// <c>"beta1"</c>, <c>"beta2"</c>, <c>"eps"</c>, <c>"weight_decay"</c>, <c>"decoupled_weight_decay"</c>, <c>"maximize"</c>).
/// <code>
/// t += 1 ;  g = ∇f(p) (−∇f when maximize)
/// decoupled: p *= 1 − lr·weight_decay      else g += weight_decay·p
/// m = β1·m + (1 − β1)·g ;  v = β2·v + (1 − β2)·g² ;  m̂ = m/(1 − β1^t)
/// ρ∞ = 2/(1 − β2) − 1 ;  ρ_t = ρ∞ − 2t·β2^t/(1 − β2^t)
/// ρ_t > 5:  r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)) ;  p -= lr·m̂·r·√(1 − β2^t)/(√v + eps)
/// else:     p -= lr·m̂
/// </code>
/// </summary>
/// <example><code>
/// var opt = new RAdam(model.Parameters(), learningRate: 1e-3);
/// </code></example>
public sealed class RAdam : Optimizer
{
    /// <summary>
    /// Makes the optimizer (PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8). Throws for a negative lr, eps or
    /// weight decay, or betas outside [0, 1).
    /// </summary>
    public RAdam(IEnumerable<Tensor>? parameters = null, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0, bool decoupledWeightDecay = false, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = learningRate, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weightDecay,
            ["decoupled_weight_decay"] = decoupledWeightDecay ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    { }

    static readonly string[] Keys = ["exp_avg", "exp_avg_sq"];
    private protected override IReadOnlyCollection<string> StateKeys => Keys;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> o) => AdamUpdate.Validate(owner, o);

    // The rates enter through RateScalar; the branch on ρ_t is a guard, so a compiled step replays one trace until ρ_t
    // passes 5 and one more after.
    private protected override bool UpdateReadsStepCount => true;

    private protected override bool RebuildsRateAndStep(ParamGroup group) => true;

    static readonly string[] Rectified = ["rectified"], Plain = ["momentum only"];

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group)
    {
        double eps = group["eps"], wd = group["weight_decay"];
        if (Graph.IsTracing)   // before the count: a replay checks it before its own step is counted
            Graph.GuardHostState($"{Name} rectification of {Label(p)}", () => Rho(group, state.Step + 1) > 5 ? Rectified : Plain);
        CountStep(p, state);
        bool decoupled = group.Flag("decoupled_weight_decay");
        if (wd != 0 && decoupled) p.MulInPlace(RateScalar(p, group, state, static (gr, _) => 1 - gr.LearningRate * gr["weight_decay"]));
        var (d, m, v) = AdamUpdate.Moments(p, g, state, group, l2Decay: !decoupled);
        var corrected = m / RateScalar(m, group, state, static (gr, st) => 1 - Math.Pow(gr["beta1"], st.Step));
        var lr = RateScalar(m, group, state, static (gr, _) => gr.LearningRate);
        if (Rho(group, state.Step) > 5)
        {
            // The variance of the adaptive rate is tractable: rectify it.
            var adaptive = RateScalar(v, group, state, static (gr, st) => Math.Sqrt(1 - Math.Pow(gr["beta2"], st.Step))) / (v.Sqrt() + eps);
            var rect = RateScalar(m, group, state, static (gr, st) =>
            {
                double rhoInf = RhoInf(gr), rhoT = Rho(gr, st.Step);
                return Math.Sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
            });
            p.AddInPlace(-(corrected * lr * adaptive * rect));
        }
        else p.AddInPlace(-(corrected * lr));   // early steps: plain momentum SGD
    }

    static double RhoInf(ParamGroup group) => 2 / (1 - group["beta2"]) - 1;

    /// <summary>ρ_t = ρ∞ − 2t·β2^t/(1 − β2^t).</summary>
    static double Rho(ParamGroup group, long t)
    {
        double beta2 = group["beta2"];
        return RhoInf(group) - 2 * t * Math.Pow(beta2, t) / (1 - Math.Pow(beta2, t));
    }

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group)
    {
        state.Get("exp_avg", () => Tensor.ZerosLike(p));
        state.Get("exp_avg_sq", () => Tensor.ZerosLike(p));
    }
}
