using Nabla.Engine;

namespace Nabla;

public static partial class Autograd
{
    /// <summary>
    /// The Jacobian of <paramref name="f"/> at <paramref name="x"/> (torch.autograd.functional.jacobian):
    /// shape <c>f(x).Shape + x.Shape</c>, by one reverse pass per output element. With
    /// <paramref name="createGraph"/> the result can be differentiated again.
    /// </summary>
    public static Tensor Jacobian(Func<Tensor, Tensor> f, Tensor x, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        var xs = Leaf(x, createGraph, "Autograd.Jacobian");
        Tensor y;
        using (EnableGrad()) y = f(xs);
        int n = y.NumElements;
        var rows = new Tensor[n];
        for (int i = 0; i < n; i++)
        {
            var seed = Tensor.OneHot(y.Shape.ToArray(), y.DType, i, y.Device);
            rows[i] = (y.RequiresGrad ? Grad(y, xs, seed, retainGraph: true, createGraph: createGraph, allowUnused: true) : null)
                      ?? Tensor.ZerosLike(xs);
        }
        int[] shape = [.. y.Shape, .. x.Shape];
        return n == 0 ? Tensor.Zeros(shape, x.DType, device: x.Device) : Tensor.Stack(rows).Reshape(shape);
    }

    /// <summary>
    /// The Hessian of a scalar function (torch.autograd.functional.hessian): shape <c>x.Shape + x.Shape</c>,
    /// the Jacobian of the gradient (reverse over reverse).
    /// </summary>
    public static Tensor Hessian(Func<Tensor, Tensor> f, Tensor x, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        CheckFloating("Autograd.Hessian", x);
        return Jacobian(z =>
        {
            var y = f(z);
            if (y.NumElements != 1)
                throw Errors.Arg("Autograd.Hessian", $"the function must return a single value, got shape {y.Shape}.");
            // A function that does not depend on x (y not in the graph) has a zero Hessian.
            return (y.RequiresGrad ? Grad(y, z, createGraph: true, allowUnused: true) : null) ?? Tensor.ZerosLike(z);
        }, x, createGraph);
    }

    /// <summary>
    /// f(x) and the vector-Jacobian product vᵀ·J (torch.autograd.functional.vjp). <paramref name="v"/> has
    /// f(x)'s shape and may be omitted for a scalar f.
    /// </summary>
    public static (Tensor Output, Tensor Result) Vjp(Func<Tensor, Tensor> f, Tensor x, Tensor? v = null, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        var xs = Leaf(x, createGraph, "Autograd.Vjp");
        Tensor y;
        using (EnableGrad()) y = f(xs);
        var seed = Backprop.RootGradient("Autograd.Vjp", y, v);
        var g = y.RequiresGrad ? Grad(y, xs, seed, createGraph: createGraph, allowUnused: true) : null;
        return (createGraph ? y : DetachKeepTangents(y), g ?? Tensor.ZerosLike(xs));
    }

    /// <summary>
    /// f(x) and the Jacobian-vector product J·v (torch.autograd.functional.jvp), computed in one pass by
    /// the forward-mode engine. <paramref name="v"/> has x's shape. As in PyTorch, the results are cut from
    /// the caller's graph unless <paramref name="createGraph"/> (tangents of enclosing forward-mode levels
    /// stay), and <paramref name="strict"/> throws when the output does not depend on x.
    /// </summary>
    public static (Tensor Output, Tensor Result) Jvp(Func<Tensor, Tensor> f, Tensor x, Tensor v, bool createGraph = false, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(v);
        CheckFloating("Autograd.Jvp", x);
        if (!v.Shape.Equals(x.Shape))
            throw Errors.Arg("Autograd.Jvp", $"v has shape {v.Shape} but x has shape {x.Shape}; they must match.");
        var (ys, dys) = Jvp(xs => [f(xs[0])], [x], [v], createGraph, strict);
        return (ys[0], dys[0]);
    }

    /// <summary>
    /// f(x) and the Hessian-vector product H·v of a scalar function (torch.autograd.functional.hvp),
    /// as forward-over-reverse: the JVP of the gradient, with no Hessian built. <paramref name="v"/> may be
    /// omitted when x has one element; <paramref name="createGraph"/> and <paramref name="strict"/> as in
    /// <see cref="Hvp(Func{Tensor[], Tensor}, Tensor[], Tensor[], bool, bool)"/>.
    /// </summary>
    public static (Tensor Output, Tensor Result) Hvp(Func<Tensor, Tensor> f, Tensor x, Tensor? v = null, bool createGraph = false, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        var (y, r) = Hvp(xs => f(xs[0]), [x], v is null ? null : [v], createGraph, strict);
        return (y, r[0]);
    }

    /// <summary>
    /// A leaf copy of x that requires grad (x itself when createGraph keeps the caller's graph). The
    /// copy keeps x's forward-mode tangents: the helpers cut the reverse-mode graph but stay
    /// transparent to enclosing ForwardAccumulators (a ForwardAccumulator around Hvp gives third
    /// derivatives, as jvp-of-hvp in JAX), instead of silently reporting no JVP.
    /// </summary>
    static Tensor Leaf(Tensor x, bool createGraph, string fn)
    {
        CheckFloating(fn, x);
        if (createGraph && x.RequiresGrad) return x;
        var leaf = DetachKeepTangents(x);
        leaf.RequiresGrad = true;
        return leaf;
    }

    static void CheckFloating(string fn, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!x.DType.IsFloating())
            throw Errors.Arg(fn, $"x has dtype {x.DType.TorchName()}; derivatives need a floating tensor (convert it with To(DType.Float64)).");
    }

    /// <summary>Detach for reverse mode only: the tangents of enclosing forward-mode levels stay.</summary>
    static Tensor DetachKeepTangents(Tensor t)
    {
        var d = t.Detach();
        d.Tangents = t.CurrentTangents;
        return d;
    }
}
