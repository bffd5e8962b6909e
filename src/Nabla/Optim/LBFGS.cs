using Nabla.Engine;

namespace Nabla.Optim;

/// <summary>
/// Limited-memory BFGS (torch.optim.LBFGS): each <see cref="Step(Func{Tensor})"/> runs up to <c>maxIter</c> quasi-Newton
/// iterations, re-evaluating the loss through the closure, with a fixed step or a strong-Wolfe line search. Full-batch
/// and deterministic problems are what it is for. One parameter group only; the search directions are computed in float64
/// over all parameters flattened together (PyTorch computes in the parameters' dtype, so float32 runs may differ in the
/// last digits).
/// <code>
/// d = −g on the first iteration, else −H·g by the two-loop recursion over the last historySize pairs (s, y) with y·s &gt; 1e-10,
///     H₀ = y·s / y·y ;  step t = min(1, 1/|g|₁)·lr on the very first iteration, else lr (or the line search's)
/// stop when |g|∞ ≤ toleranceGrad, g·d &gt; −toleranceChange, |t·d|∞ ≤ toleranceChange, |Δloss| &lt; toleranceChange,
///     maxIter iterations or maxEval evaluations
/// </code>
/// The TF style has no equivalent of a re-evaluating closure, so <see cref="Optimizer.ApplyGradients(IEnumerable{ValueTuple{Tensor, Variable}})"/>
/// and <see cref="Optimizer.Step()"/> throw; with a tape, write the closure to compute the gradients and assign them to
/// the parameters' <c>Grad</c>. The history spans all parameters, so <see cref="StateDict"/> is not supported.
/// </summary>
/// <example><code>
/// var opt = new LBFGS(model.Parameters(), lineSearchFn: LineSearch.StrongWolfe);
/// opt.Step(() => { opt.ZeroGrad(); var loss = Loss(model.Call(x), y); loss.Backward(); return loss; });
/// </code></example>
public sealed class LBFGS : Optimizer
{
    readonly List<double[]> _oldDirs = [], _oldSteps = [];
    readonly List<double> _ro = [];
    double[]? _d, _prevFlatGrad;
    double _t, _hDiag = 1, _prevLoss;

    /// <summary>
    /// Makes the optimizer (PyTorch's defaults; <paramref name="maxEval"/> defaults to maxIter·5/4). Throws for a
    /// non-positive lr, maxIter, maxEval or historySize, or negative tolerances.
    /// </summary>
    public LBFGS(IEnumerable<Tensor> parameters, double learningRate = 1, int maxIter = 20, int? maxEval = null, double toleranceGrad = 1e-7,
        double toleranceChange = 1e-9, int historySize = 100, LineSearch lineSearchFn = LineSearch.None)
        : base(parameters ?? throw Errors.Arg("LBFGS", "needs its parameters (it can't collect them from ApplyGradients)."), new()
        {
            ["lr"] = learningRate, ["max_iter"] = maxIter, ["max_eval"] = maxEval ?? maxIter * 5 / 4, ["tolerance_grad"] = toleranceGrad,
            ["tolerance_change"] = toleranceChange, ["history_size"] = historySize, ["line_search_fn"] = (int)lineSearchFn,
        })
    { }

    /// <summary>Iterations run over all steps (PyTorch's <c>state["n_iter"]</c>).</summary>
    public int IterationCount { get; private set; }

    /// <summary>Loss evaluations over all steps (PyTorch's <c>state["func_evals"]</c>).</summary>
    public int FunctionEvaluations { get; private set; }

    private protected override IReadOnlyCollection<string> StateKeys => [];

    private protected override void ValidateOptions(string owner, IReadOnlyDictionary<string, double> o)
    {
        if (o.TryGetValue("lr", out var lr) && !(lr > 0)) throw Errors.Arg(owner, $"invalid learning rate {lr}; it must be > 0.");
        foreach (var key in (string[])["max_iter", "max_eval", "history_size"])
            if (o.TryGetValue(key, out var v) && !(v >= 1)) throw Errors.Arg(owner, $"invalid {key} {v}; it must be >= 1.");
        CheckNonNegative(owner, o, "tolerance_grad");
        CheckNonNegative(owner, o, "tolerance_change");
    }

    private protected override void Update(Tensor p, Tensor g, ParamState state, ParamGroup group) =>
        throw new NotSupportedException($"LBFGS: Step() without a closure and ApplyGradients are not supported: LBFGS re-evaluates the loss " +
            $"several times per step. Call Step(closure), the closure zeroing the gradients, computing the loss and calling Backward " +
            $"(called from {CallSite.Describe()}).");

    /// <summary>Not supported: the history spans all parameters (PyTorch keeps it under the first parameter).</summary>
    public override OptimizerStateDict StateDict() =>
        throw new NotSupportedException($"LBFGS.StateDict: saving LBFGS's history is not supported (called from {CallSite.Describe()}).");

    /// <summary>Not supported, as <see cref="StateDict"/>.</summary>
    public override void LoadStateDict(OptimizerStateDict stateDict) =>
        throw new NotSupportedException($"LBFGS.LoadStateDict: loading LBFGS's history is not supported (called from {CallSite.Describe()}).");

    /// <summary>
    /// Runs up to <c>maxIter</c> iterations (PyTorch's <c>step(closure)</c>); <paramref name="closure"/> must zero the
    /// gradients, compute the loss, call Backward and return the loss. Returns the loss of the first evaluation.
    /// </summary>
    public override Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        if (ParamGroups.Count != 1)
            throw Errors.Arg("LBFGS.Step", $"LBFGS doesn't support parameter groups (it has {ParamGroups.Count}); give all parameters to the constructor.");
        var group = ParamGroups[0];
        var ps = group.Parameters;
        double lr = group.LearningRate, tolGrad = group["tolerance_grad"], tolChange = group["tolerance_change"];
        int maxIter = (int)group["max_iter"], maxEval = (int)group["max_eval"], historySize = (int)group["history_size"];
        bool wolfe = group["line_search_fn"] != 0;

        var origLoss = Evaluate(closure, out double loss);
        int currentEvals = 1;
        FunctionEvaluations++;
        var flatGrad = FlatGrad(ps);
        if (MaxAbs(flatGrad) <= tolGrad) return origLoss;

        int nIter = 0;
        while (nIter < maxIter)
        {
            nIter++;
            IterationCount++;
            var d = IterationCount == 1 ? Negate(flatGrad) : Direction(flatGrad, historySize);
            _prevFlatGrad = (double[])flatGrad.Clone();
            _prevLoss = loss;
            _t = IterationCount == 1 ? Math.Min(1.0, 1.0 / flatGrad.Sum(Math.Abs)) * lr : lr;
            _d = d;
            double gtd = StrongWolfe.Dot(flatGrad, d);
            if (gtd > -tolChange) break;   // not a descent direction (any more)

            int lsEvals;
            bool optCond = false;
            if (wolfe)
            {
                var x = Flat(ps);
                (loss, flatGrad, _t, lsEvals) = StrongWolfe.Search(t => Directional(closure, ps, x, t, d), _t, d, loss, flatGrad, gtd);
                SetParams(ps, x, _t, d);
                optCond = MaxAbs(flatGrad) <= tolGrad;
            }
            else
            {
                SetParams(ps, Flat(ps), _t, d);
                lsEvals = 0;
                if (nIter != maxIter)
                {
                    Evaluate(closure, out loss);
                    flatGrad = FlatGrad(ps);
                    optCond = MaxAbs(flatGrad) <= tolGrad;
                    lsEvals = 1;
                }
            }
            currentEvals += lsEvals;
            FunctionEvaluations += lsEvals;
            if (nIter == maxIter || currentEvals >= maxEval || optCond) break;
            if (MaxAbs(d) * Math.Abs(_t) <= tolChange || Math.Abs(loss - _prevLoss) < tolChange) break;
        }
        return origLoss;
    }

    /// <summary>−H·g by the two-loop recursion, after adding the last pair (s, y) to the history when y·s &gt; 1e-10.</summary>
    double[] Direction(double[] flatGrad, int historySize)
    {
        var y = new double[flatGrad.Length];
        var s = new double[flatGrad.Length];
        for (int i = 0; i < y.Length; i++) (y[i], s[i]) = (flatGrad[i] - _prevFlatGrad![i], _d![i] * _t);
        double ys = StrongWolfe.Dot(y, s);
        if (ys > 1e-10)
        {
            if (_oldDirs.Count == historySize)
            {
                _oldDirs.RemoveAt(0);
                _oldSteps.RemoveAt(0);
                _ro.RemoveAt(0);
            }
            _oldDirs.Add(y);
            _oldSteps.Add(s);
            _ro.Add(1.0 / ys);
            _hDiag = ys / StrongWolfe.Dot(y, y);
        }
        int n = _oldDirs.Count;
        var al = new double[n];
        var q = Negate(flatGrad);
        for (int i = n - 1; i >= 0; i--)
        {
            al[i] = StrongWolfe.Dot(_oldSteps[i], q) * _ro[i];
            Axpy(q, _oldDirs[i], -al[i]);
        }
        for (int k = 0; k < q.Length; k++) q[k] *= _hDiag;
        for (int i = 0; i < n; i++)
        {
            double be = StrongWolfe.Dot(_oldDirs[i], q) * _ro[i];
            Axpy(q, _oldSteps[i], al[i] - be);
        }
        return q;
    }

    (double, double[]) Directional(Func<Tensor> closure, IReadOnlyList<Tensor> ps, double[] x, double t, double[] d)
    {
        SetParams(ps, x, t, d);
        Evaluate(closure, out double loss);
        var grad = FlatGrad(ps);
        SetParams(ps, x, 0, d);
        return (loss, grad);
    }

    static Tensor Evaluate(Func<Tensor> closure, out double loss)
    {
        Tensor result;
        using (Autograd.EnableGrad()) result = closure() ?? throw Errors.Arg("LBFGS.Step", "the closure returned null; it must return the loss.");
        loss = result.Item<double>();
        return result;
    }

    static double[] Flat(IReadOnlyList<Tensor> ps) => [.. ps.SelectMany(p => p.To(DType.Float64).ToArray<double>())];

    static double[] FlatGrad(IReadOnlyList<Tensor> ps) =>
        [.. ps.SelectMany(p => p.Grad is { } g ? g.To(DType.Float64).ToArray<double>() : new double[p.NumElements])];

    /// <summary>Sets the parameters to x + t·d, in place under no-grad (their versions bump).</summary>
    static void SetParams(IReadOnlyList<Tensor> ps, double[] x, double t, double[] d)
    {
        int offset = 0;
        using (Autograd.NoGrad())
            foreach (var p in ps)
            {
                var v = new double[p.NumElements];
                for (int i = 0; i < v.Length; i++) v[i] = x[offset + i] + t * d[offset + i];
                p.CopyFrom(Tensor.FromArray(v, p.Shape.ToArray()).To(p.DType));
                offset += v.Length;
            }
    }

    static double MaxAbs(double[] v) => v.Length == 0 ? 0 : v.Max(Math.Abs);

    static double[] Negate(double[] v) => [.. v.Select(x => -x)];

    static void Axpy(double[] y, double[] x, double a)
    {
        for (int i = 0; i < y.Length; i++) y[i] += a * x[i];
    }
}
