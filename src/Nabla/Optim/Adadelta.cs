namespace Nabla.Optim;

/// <summary>
/// Adadelta (Zeiler), as torch.optim.Adadelta (group options <c>"lr"</c>, <c>"rho"</c>, <c>"eps"</c>,
/// <c>"weight_decay"</c>, <c>"maximize"</c>).
/// <code>
/// g = ∇f(p) (−∇f when maximize) + weight_decay·p
/// v = ρ·v + (1 − ρ)·g² ;  Δ = √(u + eps)/√(v + eps) · g ;  u = ρ·u + (1 − ρ)·Δ²
/// p -= lr·Δ
/// </code>
/// </summary>
/// <example><code>
/// var opt = new Adadelta(model.Parameters());   // lr 1.0, rho 0.9
/// </code></example>
public sealed class Adadelta : Optimizer
{
    /// <summary>Makes the optimizer (PyTorch's defaults: lr 1.0, rho 0.9, eps 1e-6). Throws for a negative lr, eps or weight decay, or rho outside [0, 1].</summary>
    public Adadelta(IEnumerable<Tensor>? parameters = null, double learningRate = 1.0, double rho = 0.9, double eps = 1e-6,
        double weightDecay = 0, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = learningRate, ["rho"] = rho, ["eps"] = eps, ["weight_decay"] = weightDecay, ["maximize"] = maximize ? 1 : 0,
        })
    { }

    static readonly string[] Keys = ["square_avg", "acc_delta"];
    private protected override IReadOnlyCollection<string> StateKeys => Keys;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> o)
    {
        if (o.TryGetValue("lr", out var lr)) CheckLearningRate(owner, lr);
        if (o.TryGetValue("rho", out var rho) && !(rho >= 0 && rho <= 1))
            throw Engine.Errors.Arg(owner, $"invalid rho {rho}; it must be in [0, 1].");
        CheckNonNegative(owner, o, "eps");
        CheckNonNegative(owner, o, "weight_decay");
    }

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group)
    {
        double rho = group["rho"], eps = group["eps"], wd = group["weight_decay"];
        CountStep(p, state);
        var d = group.Flag("maximize") ? -g : g;
        if (wd != 0) d = d + p * wd;
        var v = state.Get("square_avg", () => Tensor.ZerosLike(p));
        var u = state.Get("acc_delta", () => Tensor.ZerosLike(p));
        v.MulInPlace(rho).AddInPlace(d * (1 - rho) * d);
        var delta = (u + eps).Sqrt() / (v + eps).Sqrt() * d;
        u.MulInPlace(rho).AddInPlace(delta * (1 - rho) * delta);
        p.AddInPlace(delta * RateScalar(delta, group, state, static (gr, _) => -gr.LearningRate));
    }

    // The rate enters only through RateScalar (the step count not at all).
    private protected override bool RebuildsRateAndStep(ParamGroup group) => true;

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group)
    {
        state.Get("square_avg", () => Tensor.ZerosLike(p));
        state.Get("acc_delta", () => Tensor.ZerosLike(p));
    }
}
