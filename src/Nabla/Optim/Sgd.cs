using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay: torch.optim.SGD's update, step for step (group options <c>"lr"</c>, <c>"momentum"</c>,
/// <c>"dampening"</c>, <c>"weight_decay"</c>, <c>"nesterov"</c>, <c>"maximize"</c>).
/// <code>
/// g = ∇f(p)  (−∇f when maximize) ;  g += weight_decay·p
/// b = g on the first step, else b = momentum·b + (1 − dampening)·g   (when momentum ≠ 0)
/// g = g + momentum·b (nesterov)  or  g = b
/// p -= lr·g
/// </code>
/// </summary>
/// <example><code>
/// var opt = new Sgd(model.Parameters(), learningRate: 0.1, momentum: 0.9);
/// opt.ZeroGrad(); loss.Backward(); opt.Step();
/// </code></example>
public sealed class Sgd : Optimizer
{
    /// <summary>
    /// Makes the optimizer. PyTorch's <c>lr</c> default is 1e-3 (2.2 and later). Throws for a negative
    /// learning rate, momentum or weight decay, and for Nesterov without momentum or with dampening.
    /// </summary>
    public Sgd(IEnumerable<Tensor>? parameters = null, double learningRate = 1e-3, double momentum = 0,
        double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = learningRate, ["momentum"] = momentum, ["dampening"] = dampening,
            ["weight_decay"] = weightDecay, ["nesterov"] = nesterov ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
        })
    { }

    static readonly string[] Keys = ["momentum_buffer"];
    private protected override IReadOnlyCollection<string> StateKeys => Keys;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> o)
    {
        if (o.TryGetValue("lr", out var lr)) CheckLearningRate(owner, lr);
        CheckNonNegative(owner, o, "momentum");
        CheckNonNegative(owner, o, "weight_decay");
        if (o.GetValueOrDefault("nesterov") != 0 && (o.GetValueOrDefault("momentum") <= 0 || o.GetValueOrDefault("dampening") != 0))
            throw Errors.Arg(owner, "Nesterov momentum requires a momentum > 0 and zero dampening.");
    }

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group)
    {
        double momentum = group["momentum"], dampening = group["dampening"], wd = group["weight_decay"];
        CountStep(p, state);
        var d = group.Flag("maximize") ? -g : g;
        if (wd != 0) d = d + p * wd;
        if (momentum != 0)
        {
            if (state.Buffers.TryGetValue("momentum_buffer", out var buf))
                buf.MulInPlace(momentum).AddInPlace(d * (1 - dampening));
            else
                state.Buffers["momentum_buffer"] = buf = d.Clone();   // the first step takes the gradient as is
            d = group.Flag("nesterov") ? d + buf * momentum : buf;
        }
        p.AddInPlace(d * RateScalar(d, group, state, static (gr, _) => -gr.LearningRate));   // d * -lr, read again by each compiled replay
    }

    // The rate enters only through RateScalar (the step count not at all).
    private protected override bool RebuildsRateAndStep(ParamGroup group) => true;
}
