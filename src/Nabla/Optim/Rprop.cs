using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Resilient backpropagation (Riedmiller and Braun), as torch.optim.Rprop (group options <c>"lr"</c>,
/// <c>"eta_minus"</c>, <c>"eta_plus"</c> (torch's <c>etas</c>), <c>"step_size_min"</c>, <c>"step_size_max"</c>
/// (torch's <c>step_sizes</c>), <c>"maximize"</c>). Each element has its own step size, starting at lr; only the
/// gradient's sign is used. Meant for full-batch training.
/// <code>
/// g = ∇f(p) (−∇f when maximize) ;  s = sign(g·g_prev)
/// step = clamp(step·(η+ where s &gt; 0, η− where s &lt; 0, 1 where s = 0), min, max)
/// g = 0 where s &lt; 0 ;  p -= sign(g)·step ;  g_prev = g
/// </code>
/// </summary>
/// <example><code>
/// var opt = new Rprop(model.Parameters(), learningRate: 0.01, etas: (0.5, 1.2), stepSizes: (1e-6, 50));
/// </code></example>
public sealed class Rprop : Optimizer
{
    /// <summary>
    /// Makes the optimizer (PyTorch's defaults: lr 1e-2, etas (0.5, 1.2), step sizes (1e-6, 50)). Throws unless
    /// 0 &lt; etaminus &lt; 1 &lt; etaplus, for a negative lr, and for step sizes with min &gt; max or min &lt; 0.
    /// </summary>
    public Rprop(IEnumerable<Tensor>? parameters = null, double learningRate = 1e-2, (double Minus, double Plus)? etas = null,
        (double Min, double Max)? stepSizes = null, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = learningRate, ["eta_minus"] = (etas ?? (0.5, 1.2)).Minus, ["eta_plus"] = (etas ?? (0.5, 1.2)).Plus,
            ["step_size_min"] = (stepSizes ?? (1e-6, 50)).Min, ["step_size_max"] = (stepSizes ?? (1e-6, 50)).Max,
            ["maximize"] = maximize ? 1 : 0,
        })
    { }

    static readonly string[] Keys = ["prev", "step_size"];
    private protected override IReadOnlyCollection<string> StateKeys => Keys;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> o)
    {
        if (o.TryGetValue("lr", out var lr)) CheckLearningRate(owner, lr);
        double minus = o.GetValueOrDefault("eta_minus", 0.5), plus = o.GetValueOrDefault("eta_plus", 1.2);
        if (!(0 < minus && minus < 1 && 1 < plus))
            throw Errors.Arg(owner, $"invalid etas ({minus}, {plus}); they must satisfy 0 < etaminus < 1 < etaplus.");
        double min = o.GetValueOrDefault("step_size_min", 1e-6), max = o.GetValueOrDefault("step_size_max", 50);
        if (!(min >= 0 && min <= max))
            throw Errors.Arg(owner, $"invalid step sizes ({min}, {max}); they must satisfy 0 <= min <= max.");
    }

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group)
    {
        double minus = group["eta_minus"], plus = group["eta_plus"];
        CountStep(p, state);
        var d = group.Flag("maximize") ? -g : g;
        var prev = state.Get("prev", () => Tensor.ZerosLike(p));
        var step = state.Get("step_size", () => Tensor.FullLike(p, group.LearningRate));
        var s = (d * prev).Sign();
        var factor = Tensor.Where(s > 0, Tensor.FullLike(s, plus), Tensor.Where(s < 0, Tensor.FullLike(s, minus), Tensor.OnesLike(s)));
        step.CopyFrom((step * factor).Clamp(group["step_size_min"], group["step_size_max"]));
        // After a sign change the step is not taken, and the next step sees no previous sign.
        d = Tensor.Where(s < 0, Tensor.ZerosLike(d), d);
        p.SubInPlace(d.Sign() * step);
        prev.CopyFrom(d);
    }

    // Neither the rate (read once, into the first step sizes) nor the step count enters the update.
    private protected override bool RebuildsRateAndStep(ParamGroup group) => true;

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group)
    {
        state.Get("prev", () => Tensor.ZerosLike(p));
        state.Get("step_size", () => Tensor.FullLike(p, group.LearningRate));
    }
}
