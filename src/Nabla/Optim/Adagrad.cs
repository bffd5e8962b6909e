namespace Nabla.Optim;

/// <summary>
/// Adagrad (Duchi et al.), as torch.optim.Adagrad (group options <c>"lr"</c>, <c>"lr_decay"</c>,
/// <c>"weight_decay"</c>, <c>"initial_accumulator_value"</c>, <c>"eps"</c>, <c>"maximize"</c>).
/// <code>
/// g = ∇f(p) + weight_decay·p ;  t += 1
/// lr_t = lr / (1 + (t − 1)·lr_decay)
/// s = s + g²      (s starts at initial_accumulator_value)
/// p -= lr_t · g / (√s + eps)
/// </code>
/// </summary>
/// <example><code>
/// var opt = new Adagrad(model.Parameters(), learningRate: 0.05);
/// </code></example>
public sealed class Adagrad : Optimizer
{
    /// <summary>Makes the optimizer (PyTorch's defaults: lr 1e-2, eps 1e-10). Throws for negative values.</summary>
    public Adagrad(IEnumerable<Tensor>? parameters = null, double learningRate = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = learningRate, ["lr_decay"] = lrDecay, ["weight_decay"] = weightDecay,
            ["initial_accumulator_value"] = initialAccumulatorValue, ["eps"] = eps, ["maximize"] = maximize ? 1 : 0,
        })
    { }

    static readonly string[] Keys = ["sum"];
    private protected override IReadOnlyCollection<string> StateKeys => Keys;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> o)
    {
        if (o.TryGetValue("lr", out var lr)) CheckLearningRate(owner, lr);
        foreach (var key in (string[])["lr_decay", "weight_decay", "initial_accumulator_value", "eps"]) CheckNonNegative(owner, o, key);
    }

    // The step count enters the update as a C# number (bias corrections / the rate decay).
    private protected override bool UpdateReadsStepCount => true;

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group)
    {
        double wd = group["weight_decay"], eps = group["eps"];
        double init = group["initial_accumulator_value"];
        CountStep(p, state);
        var d = group.Flag("maximize") ? -g : g;
        if (wd != 0) d = d + p * wd;
        var sum = state.Get("sum", () => Tensor.Full(p.Shape.ToArray(), init, p.DType));
        sum.AddInPlace(d * d);
        var std = sum.Sqrt() + eps;
        p.AddInPlace(d * RateScalar(d, group, state, NegativeDecayedRate) / std);
    }

    // -clr = -lr / (1 + (step - 1)·lr_decay), read again by each compiled replay (after CountStep's increment).
    static readonly Func<ParamGroup, ParamState, double> NegativeDecayedRate =
        static (gr, st) => -(gr.LearningRate / (1 + (st.Step - 1) * gr["lr_decay"]));

    private protected override bool RebuildsRateAndStep(ParamGroup group) => true;

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group) =>
        state.Get("sum", () => Tensor.Full(p.Shape.ToArray(), group["initial_accumulator_value"], p.DType));
}
