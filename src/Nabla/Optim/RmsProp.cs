namespace Nabla.Optim;

/// <summary>
/// RMSprop (Hinton), optionally centered and with momentum, as torch.optim.RMSprop (group options
/// <c>"lr"</c>, <c>"alpha"</c>, <c>"eps"</c>, <c>"weight_decay"</c>, <c>"momentum"</c>, <c>"centered"</c>, <c>"maximize"</c>).
/// <code>
/// g = ∇f(p) + weight_decay·p
/// v = α·v + (1 − α)·g²
/// centered: ḡ = α·ḡ + (1 − α)·g ;  s = √(v − ḡ²) + eps      else s = √v + eps
/// momentum > 0: b = momentum·b + g/s ; p -= lr·b            else p -= lr·g/s
/// </code>
/// </summary>
/// <example><code>
/// var opt = new RmsProp(model.Parameters(), learningRate: 1e-3, centered: true);
/// </code></example>
public sealed class RmsProp : Optimizer
{
    /// <summary>Makes the optimizer (PyTorch's defaults: lr 1e-2, alpha 0.99, eps 1e-8). Throws for negative values.</summary>
    public RmsProp(IEnumerable<Tensor>? parameters = null, double learningRate = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = learningRate, ["alpha"] = alpha, ["eps"] = eps, ["weight_decay"] = weightDecay,
            ["momentum"] = momentum, ["centered"] = centered ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    { }

    static readonly string[] Keys = ["square_avg", "momentum_buffer", "grad_avg"];
    private protected override IReadOnlyCollection<string> StateKeys => Keys;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> o)
    {
        if (o.TryGetValue("lr", out var lr)) CheckLearningRate(owner, lr);
        foreach (var key in (string[])["alpha", "eps", "weight_decay", "momentum"]) CheckNonNegative(owner, o, key);
    }

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group)
    {
        double alpha = group["alpha"], eps = group["eps"], wd = group["weight_decay"], momentum = group["momentum"];
        var d = group.Flag("maximize") ? -g : g;
        CountStep(p, state);
        if (wd != 0) d = d + p * wd;
        var v = state.Get("square_avg", () => Tensor.ZerosLike(p));
        v.MulInPlace(alpha).AddInPlace(d * (1 - alpha) * d);
        Tensor avg;
        if (group.Flag("centered"))
        {
            var mean = state.Get("grad_avg", () => Tensor.ZerosLike(p));
            LerpInPlace(mean, d, 1 - alpha);
            avg = (v - mean * mean).Sqrt();
        }
        else avg = v.Sqrt();
        avg = avg + eps;
        if (momentum > 0)
        {
            var buf = state.Get("momentum_buffer", () => Tensor.ZerosLike(p));
            buf.MulInPlace(momentum).AddInPlace(d / avg);
            p.AddInPlace(buf * RateScalar(buf, group, state, NegativeRate));
        }
        else p.AddInPlace(d * RateScalar(d, group, state, NegativeRate) / avg);
    }

    // -lr, read again by each compiled replay (the step count is not used).
    static readonly Func<ParamGroup, ParamState, double> NegativeRate = static (gr, _) => -gr.LearningRate;

    private protected override bool RebuildsRateAndStep(ParamGroup group) => true;

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group)
    {
        state.Get("square_avg", () => Tensor.ZerosLike(p));
        if (group.Flag("centered")) state.Get("grad_avg", () => Tensor.ZerosLike(p));
        if (group["momentum"] > 0) state.Get("momentum_buffer", () => Tensor.ZerosLike(p));
    }
}
