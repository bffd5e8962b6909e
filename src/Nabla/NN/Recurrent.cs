namespace Nabla.NN;

/// <summary>
/// The step functions shared by the recurrent layers, their cells and the functional cells. Each takes the input's
/// projection <c>gi</c> = x·W_ihᵀ (+ biases folded in by the caller), the previous state and W_hhᵀ, and is written with
/// the differentiable Tensor API only, so eager, compiled and every order of derivative come for free.
/// </summary>
internal static class Recurrent
{
    static Tensor Hidden(Tensor h, Tensor wHhT, Tensor? bHh)
    {
        var gh = h.MatMul(wHhT);
        return bHh is null ? gh : gh + bHh;
    }

    /// <summary>h' = act(gi + h·W_hhᵀ + b_hh); with <paramref name="wHhT"/> null, gi already holds the whole pre-activation.</summary>
    public static Tensor RnnStep(Tensor gi, Tensor h, Tensor? wHhT, Tensor? bHh, bool relu)
    {
        var a = wHhT is null ? gi : gi + Hidden(h, wHhT, bHh);
        return relu ? a.Relu() : a.Tanh();
    }

    /// <summary>
    /// Gates i, f, g, o of gi + h·W_hhᵀ + b_hh (gi alone when <paramref name="wHhT"/> is null); c' = σ(f)∘c + σ(i)∘tanh(g);
    /// h' = σ(o)∘tanh(c').
    /// </summary>
    public static (Tensor H, Tensor C) LstmStep(Tensor gi, Tensor h, Tensor c, Tensor? wHhT, Tensor? bHh)
    {
        int n = h.Shape[-1];
        var gates = wHhT is null ? gi : gi + Hidden(h, wHhT, bHh);
        var i = gates.Narrow(-1, 0, n).Sigmoid();
        var f = gates.Narrow(-1, n, n).Sigmoid();
        var g = gates.Narrow(-1, 2 * n, n).Tanh();
        var o = gates.Narrow(-1, 3 * n, n).Sigmoid();
        var c1 = f * c + i * g;
        return (o * c1.Tanh(), c1);
    }

    /// <summary>r, z = σ(gi_rz + gh_rz); n = tanh(gi_n + r∘gh_n); h' = n + z∘(h - n), with gh = h·W_hhᵀ + b_hh.</summary>
    public static Tensor GruStep(Tensor gi, Tensor h, Tensor wHhT, Tensor? bHh)
    {
        int n = h.Shape[-1];
        var gh = Hidden(h, wHhT, bHh);
        var r = (gi.Narrow(-1, 0, n) + gh.Narrow(-1, 0, n)).Sigmoid();
        var z = (gi.Narrow(-1, n, n) + gh.Narrow(-1, n, n)).Sigmoid();
        var cand = (gi.Narrow(-1, 2 * n, n) + r * gh.Narrow(-1, 2 * n, n)).Tanh();
        return cand + z * (h - cand);
    }
}
