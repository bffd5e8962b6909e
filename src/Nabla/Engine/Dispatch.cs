using Nabla.Primitives;

namespace Nabla.Engine;

/// <summary>
/// The one entry point every op goes through: runs the primitive on the backend and, when grad
/// mode is on and an input is tracked, records a <see cref="OpNode"/> for reverse mode.
/// </summary>
internal static class Dispatch
{
    public static Tensor Call(Primitive op, params Tensor[] inputs)
    {
        var y = op.Forward(inputs);
        if (GradMode.Enabled && y.DType.IsFloating() && AnyRequiresGrad(inputs))
        {
            var next = new GradNode?[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
                next[i] = inputs[i].RequiresGrad ? inputs[i].GradEdge() : null;
            y.GradFn = new OpNode(op, inputs, y, next);
        }
        if (ForwardMode.Active) y.Tangent = ForwardMode.Propagate(op, inputs, y);
        if (GradMode.AnomalyDetection) Anomaly.CheckForward(op, y);
        return y;
    }

    static bool AnyRequiresGrad(Tensor[] inputs)
    {
        foreach (var t in inputs)
            if (t.RequiresGrad) return true;
        return false;
    }
}
