using Nabla.Graphs;

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

    // η and μ enter through RateScalar and advance by a host effect every replay repeats; whether μ is 1 (ax copies p)
    // is a guard. A compiled step replays one trace until t0 steps have passed and one more after.
    private protected override bool UpdateReadsStepCount => true;

    private protected override bool RebuildsRateAndStep(ParamGroup group) => true;

    static readonly string[] Copying = ["ax = p"], Averaging = ["ax averages"];

    /// <summary>
    /// The running average of <paramref name="parameter"/>'s iterates (state <c>"ax"</c>), or null before its first step.
    /// Copy it into the model for evaluation (e.g. <c>w.CopyFrom(opt.Average(w))</c> under NoGrad).
    /// </summary>
    public Tensor? Average(Tensor parameter) => StateBuffer(parameter, "ax");

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group)
    {
        double wd = group["weight_decay"];
        if (Graph.IsTracing) Graph.GuardHostState($"{Name} averaging of {Label(p)}", () => Mu(state) != 1 ? Averaging : Copying);
        CountStep(p, state);
        var d = group.Flag("maximize") ? -g : g;
        if (wd != 0) d = d + p * wd;
        var ax = state.Get("ax", () => Tensor.ZerosLike(p));
        p.MulInPlace(RateScalar(p, group, state, static (gr, st) => 1 - gr["lambd"] * Eta(gr, st)));
        p.AddInPlace(d * RateScalar(d, group, state, static (gr, st) => -Eta(gr, st)));
        if (Mu(state) != 1) ax.AddInPlace((p - ax) * RateScalar(p, group, state, static (_, st) => Mu(st)));
        else ax.CopyFrom(p);
        AdvanceEtaMu(group, state);
        if (Graph.IsTracing) ReplayHooks.RecordHostEffect($"{Name} eta and mu of {Label(p)}", () => AdvanceEtaMu(group, state));
    }

    static double Eta(ParamGroup group, ParamState state) => state.Scalars.GetValueOrDefault("eta", group.LearningRate);

    static double Mu(ParamState state) => state.Scalars.GetValueOrDefault("mu", 1.0);

    static void AdvanceEtaMu(ParamGroup group, ParamState state)
    {
        double lr = group.LearningRate, lambd = group["lambd"];
        state.Scalars["eta"] = lr / Math.Pow(1 + lambd * lr * state.Step, group["alpha"]);
        state.Scalars["mu"] = 1 / Math.Max(1, state.Step - group["t0"]);
    }

    private protected override void InitState(Tensor p, ParamState state, ParamGroup group) => state.Get("ax", () => Tensor.ZerosLike(p));
}
