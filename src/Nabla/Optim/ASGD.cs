namespace Nabla.Optim;

/// <summary>
/// Averaged stochastic gradient descent (Polyak and Juditsky), as torch.optim.ASGD (group options <c>"lr"</c>,
/// <c>"lambd"</c>, <c>"alpha"</c>, <c>"t0"</c>, <c>"weight_decay"</c>, <c>"maximize"</c>). The parameters follow
/// SGD with a decaying step η; the average of the iterates from step <c>t0</c> on is kept in state <c>"ax"</c>
/// (<see cref="Average"/>), which is what the method is for: evaluate with it.
/// <code>
/// t += 1 ;  g = ∇f(p) (−∇f when maximize) + weight_decay·p
/// p *= 1 − λ·η ;  p -= η·g
/// ax = p when μ = 1, else ax += μ·(p − ax)
/// η = lr/(1 + λ·lr·t)^α ;  μ = 1/max(1, t − t0)          (η starts at lr, μ at 1)
/// </code>
/// </summary>
/// <example><code>
/// var opt = new ASGD(model.Parameters(), learningRate: 0.01, t0: 100);
/// </code></example>
public sealed class ASGD : Optimizer
{
    /// <summary>
    /// Makes the optimizer (PyTorch's defaults: lr 1e-2, lambd 1e-4, alpha 0.75, t0 1e6). Throws for a negative lr,
    /// lambd, alpha, t0 or weight decay.
    /// </summary>
    public ASGD(IEnumerable<Tensor>? parameters = null, double learningRate = 1e-2, double lambd = 1e-4, double alpha = 0.75,
        double t0 = 1e6, double weightDecay = 0, bool maximize = false)
        : base(parameters, new()
        {
            ["lr"] = learningRate, ["lambd"] = lambd, ["alpha"] = alpha, ["t0"] = t0, ["weight_decay"] = weightDecay,
            ["maximize"] = maximize ? 1 : 0,
        })
    { }

    static readonly string[] Keys = ["ax"];
    static readonly string[] Scalars = ["eta", "mu"];
    private protected override IReadOnlyCollection<string> StateKeys => Keys;
    private protected override IReadOnlyCollection<string> ScalarStateKeys => Scalars;

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> o)
    {
        if (o.TryGetValue("lr", out var lr)) CheckLearningRate(owner, lr);
        foreach (var key in (string[])["lambd", "alpha", "t0", "weight_decay"]) CheckNonNegative(owner, o, key);
    }

    // η and μ come from the step count and are baked into the update as C# numbers: a compiled step guards the count.
    private protected override bool UpdateReadsStepCount => true;

    /// <summary>
    /// The running average of <paramref name="parameter"/>'s iterates (state <c>"ax"</c>), or null before its first step.
    /// Copy it into the model for evaluation (e.g. <c>w.CopyFrom(opt.Average(w))</c> under NoGrad).
    /// </summary>
    public Tensor? Average(Tensor parameter) => StateBuffer(parameter, "ax");

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group)
    {
        double lr = group.LearningRate, lambd = group["lambd"], alpha = group["alpha"], t0 = group["t0"], wd = group["weight_decay"];
        CountStep(p, state);
        var d = group.Flag("maximize") ? -g : g;
        if (wd != 0) d = d + p * wd;
        double eta = state.Scalars.GetValueOrDefault("eta", lr), mu = state.Scalars.GetValueOrDefault("mu", 1.0);
        var ax = state.Get("ax", () => Tensor.ZerosLike(p));
        p.MulInPlace(1 - lambd * eta);
        p.AddInPlace(d * -eta);
        if (mu != 1) ax.AddInPlace((p - ax) * mu);
        else ax.CopyFrom(p);
        state.Scalars["eta"] = lr / Math.Pow(1 + lambd * lr * state.Step, alpha);
        state.Scalars["mu"] = 1 / Math.Max(1, state.Step - t0);
    }

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group) => state.Get("ax", () => Tensor.ZerosLike(p));
}
