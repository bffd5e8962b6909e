using Nabla.Engine;
using Nabla.Primitives.Write;

namespace Nabla.Optim;

/// <summary>The Adam family's shared pieces (Adam and AdamW differ only in where weight decay goes).</summary>
internal static class AdamUpdate
{
    public static readonly string[] StateKeys = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    public static Dictionary<string, double> Defaults(double lr, double beta1, double beta2, double eps, double wd, bool amsgrad, bool maximize) => new()
    {
        ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = wd,
        ["amsgrad"] = amsgrad ? 1 : 0, ["maximize"] = maximize ? 1 : 0,
    };

    public static void Validate(string owner, IReadOnlyDictionary<string, double> o)
    {
        if (o.TryGetValue("lr", out var lr) && !(lr >= 0)) throw Errors.Arg(owner, $"invalid learning rate {lr}; it must be >= 0.");
        foreach (var key in (string[])["beta1", "beta2"])
            if (o.TryGetValue(key, out var b) && !(b >= 0 && b < 1))
                throw Errors.Arg(owner, $"invalid {key} {b}; it must be in [0, 1).");
        if (o.TryGetValue("eps", out var eps) && !(eps >= 0)) throw Errors.Arg(owner, $"invalid eps {eps}; it must be >= 0.");
        if (o.TryGetValue("weight_decay", out var wd) && !(wd >= 0)) throw Errors.Arg(owner, $"invalid weight_decay {wd}; it must be >= 0.");
    }

    /// <summary>The zero moment buffers (made before the first update, so a compiled step holds them from its first trace).</summary>
    public static void InitState(Tensor p, ParamState state, ParamGroup group)
    {
        state.Get("exp_avg", () => Tensor.ZerosLike(p));
        state.Get("exp_avg_sq", () => Tensor.ZerosLike(p));
        if (group.Flag("amsgrad")) state.Get("max_exp_avg_sq", () => Tensor.ZerosLike(p));
    }

    /// <summary>
    /// One step of torch.optim.Adam (<paramref name="decoupled"/> false: weight decay added to the
    /// gradient) or AdamW (true: the parameter shrinks by lr·wd first), in PyTorch's operation order.
    /// Inside a compiled function the step count and rate are read again on each replay (the fused
    /// write and the decay scalar are rebuilt), except on the AMSGrad / unfused path, which guards them.
    /// </summary>
    public static void Step(Optimizer owner, Tensor p, Tensor g, ParamState state, ParamGroup group, bool decoupled)
    {
        double beta1 = group["beta1"], beta2 = group["beta2"], eps = group["eps"], wd = group["weight_decay"];
        var m = state.Get("exp_avg", () => Tensor.ZerosLike(p));
        var v = state.Get("exp_avg_sq", () => Tensor.ZerosLike(p));
        bool fused = !group.Flag("amsgrad") && AdamFused.Applies(p, g, m, v);
        if (!fused && !group.Flag("amsgrad")) owner.GuardRateAndStep(p, group, state);   // the amsgrad groups' are guarded whole
        owner.CountStep(p, state);
        if (wd != 0 && decoupled) p.MulInPlace(Optimizer.RateScalar(p, group, state, static (gr, _) => 1 - gr.LearningRate * gr["weight_decay"]));
        if (fused)
        {
            // One pass, no temporaries, bitwise the expression below (see AdamFused).
            using (Graph.IsTracing ? RebuildFused(group, state, decoupled) : null)
                AdamFused.Run(p, g, m, v, Coefficients(group, state, decoupled));
            return;
        }
        double lr = group.LearningRate;
        Moments(p, g, state, group, l2Decay: !decoupled);

        double bias1 = 1 - Math.Pow(beta1, state.Step), bias2 = 1 - Math.Pow(beta2, state.Step);
        double stepSize = lr / bias1, bias2Sqrt = Math.Sqrt(bias2);
        Tensor second = v;
        if (group.Flag("amsgrad"))
        {
            var vmax = state.Get("max_exp_avg_sq", () => Tensor.ZerosLike(p));
            vmax.CopyFrom(vmax.Maximum(v));
            second = vmax;
        }
        var denom = second.Sqrt() / bias2Sqrt + eps;
        // p += (−stepSize·m) / denom, torch's addcdiv order.
        p.AddInPlace(m * -stepSize / denom);
    }

    /// <summary>
    /// The Adam family's moment updates (Adam, AdamW, NAdam, RAdam): d is the gradient (negated with maximize, plus
    /// wd·p when <paramref name="l2Decay"/>); m = β1·m + (1−β1)·d as torch's lerp, v = β2·v + (1−β2)·d² as torch's
    /// addcmul ((1−β2)·d)·d. Returns d and the updated buffers exp_avg and exp_avg_sq.
    /// </summary>
    public static (Tensor D, Tensor M, Tensor V) Moments(Tensor p, Tensor g, ParamState state, ParamGroup group, bool l2Decay)
    {
        double beta1 = group["beta1"], beta2 = group["beta2"], wd = group["weight_decay"];
        var d = group.Flag("maximize") ? -g : g;
        if (wd != 0 && l2Decay) d = d + p * wd;
        var m = state.Get("exp_avg", () => Tensor.ZerosLike(p));
        var v = state.Get("exp_avg_sq", () => Tensor.ZerosLike(p));
        Optimizer.LerpInPlace(m, d, 1 - beta1);
        v.MulInPlace(beta2).AddInPlace(d * (1 - beta2) * d);
        return (d, m, v);
    }

    /// <summary>The fused write's scalars from the group's options and the state's step count now.</summary>
    static AdamStep.Coefficients Coefficients(ParamGroup group, ParamState state, bool decoupled)
    {
        double lr = group.LearningRate, beta1 = group["beta1"], beta2 = group["beta2"];
        double b1 = 1 - Math.Pow(beta1, state.Step), b2 = 1 - Math.Pow(beta2, state.Step);
        return new AdamStep.Coefficients(1 - beta1, beta2, 1 - beta2, Math.Sqrt(b2), group["eps"], -(lr / b1),
            decoupled ? 0 : group["weight_decay"], group.Flag("maximize"));
    }

    // Apart from Step, so eager calls build no closure.
    static IDisposable? RebuildFused(ParamGroup group, ParamState state, bool decoupled) =>
        Graphs.ReplayHooks.RebuildWith(() => new AdamStep(Coefficients(group, state, decoupled)));
}
