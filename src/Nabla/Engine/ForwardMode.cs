namespace Nabla.Engine;

/// <summary>
/// Forward-mode evaluation (JVPs): a tensor may carry a tangent; every dispatched op whose inputs carry
/// tangents computes its output's tangent with its primitive's JVP rule. NB: one level only for now;
/// nested levels (forward-over-forward without perturbation confusion) come with ForwardAccumulator.
/// </summary>
internal static class ForwardMode
{
    static readonly AsyncLocal<int> Depth = new();

    public static bool Active => Depth.Value > 0;

    /// <summary>y = f(x) and its directional derivative J·v, with v the tangents of x.</summary>
    public static (Tensor Output, Tensor Tangent) Jvp(Func<Tensor[], Tensor> f, Tensor[] x, Tensor[] v)
    {
        if (x.Length != v.Length) throw new ArgumentException("Jvp: one tangent per input is needed.");
        var previous = Depth.Value;
        Depth.Value = previous + 1;
        try
        {
            var duals = new Tensor[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                if (!v[i].Shape.Equals(x[i].Shape))
                    throw Errors.Arg("Jvp", $"tangent {i} has shape {v[i].Shape} but its input has shape {x[i].Shape}.");
                duals[i] = x[i].Alias();
                duals[i].Tangent = v[i];
            }
            var y = f(duals);
            return (y, y.Tangent ?? Tensor.ZerosLike(y));
        }
        finally
        {
            Depth.Value = previous;
        }
    }

    /// <summary>Runs a JVP rule with tangent propagation off, so the rule's own ops carry no tangents.</summary>
    public static Tensor? Propagate(Primitives.Primitive op, Tensor[] inputs, Tensor y)
    {
        var dx = new Tensor?[inputs.Length];
        bool any = false;
        for (int i = 0; i < inputs.Length; i++)
        {
            dx[i] = inputs[i].Tangent;
            any |= dx[i] is not null;
        }
        if (!any) return null;
        var previous = Depth.Value;
        Depth.Value = 0;
        try
        {
            return op.Jvp(dx, inputs, y);
        }
        finally
        {
            Depth.Value = previous;
        }
    }
}
