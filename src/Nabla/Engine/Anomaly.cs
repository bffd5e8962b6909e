using Nabla.Primitives;

namespace Nabla.Engine;

/// <summary>NaN/Inf checks run under <see cref="Autograd.DetectAnomaly"/>.</summary>
internal static class Anomaly
{
    public static void CheckForward(Primitive op, Tensor y)
    {
        if (!HasNonFinite(y)) return;
        if (Backprop.Running is { } node)
        {
            // Inside a backward rule: the culprit is the node's gradient, not a forward op of the user's.
            var where = node is OpNode { ForwardCallSite: { } site } ? $"; its forward op was called from {site}" : "";
            throw new ArithmeticException(
                $"{node.Name}: its gradient rule produced NaN or Inf in '{op.Name}' (output {Errors.Describe(y)}){where}.");
        }
        throw new ArithmeticException(
            $"{op.Name}: produced NaN or Inf in forward (output {Errors.Describe(y)}), called from {CallSite.Describe()}.");
    }

    public static void CheckBackward(GradNode node, int input, Tensor gx)
    {
        if (!HasNonFinite(gx)) return;
        var where = node is OpNode { ForwardCallSite: { } site } ? $"; its forward op was called from {site}" : "";
        throw new ArithmeticException(
            $"{node.Name}: returned NaN or Inf in the gradient of input {input} ({Errors.Describe(gx)}){where}.");
    }

    static bool HasNonFinite(Tensor t)
    {
        switch (t.DType)
        {
            case DType.Float32:
                foreach (var v in t.ToArray<float>()) if (!float.IsFinite(v)) return true;
                return false;
            case DType.Float64:
                foreach (var v in t.ToArray<double>()) if (!double.IsFinite(v)) return true;
                return false;
            default:
                return false;
        }
    }
}
