using Nabla.Primitives;

namespace Nabla.Engine;

/// <summary>NaN/Inf checks run under <see cref="Autograd.DetectAnomaly"/>.</summary>
internal static class Anomaly
{
    /// <summary>
    /// Checks a dispatched op's output. In forward, the first op with a NaN/Inf output throws, saying
    /// whether it produced it from finite inputs or received it (data, a constant, or ops run before the
    /// scope). Inside a backward rule only an op that produces one from finite inputs throws; one that
    /// merely passes it on is left to <see cref="CheckBackward"/>, which names the node.
    /// </summary>
    public static void CheckForward(Primitive op, Tensor[] inputs, Tensor y)
    {
        if (!HasNonFinite(y)) return;
        int received = Array.FindIndex(inputs, HasNonFinite);
        if (Backprop.Running is { } node)
        {
            if (received >= 0) return;
            throw new ArithmeticException(
                $"{node.Name}: its gradient rule produced NaN or Inf in '{op.Name}' from finite inputs " +
                $"(output {Errors.Describe(y)}){ForwardSite(node)}.");
        }
        var what = received < 0
            ? $"{op.Name}: produced NaN or Inf in forward from finite inputs"
            : $"{op.Name}: its input {received} ({Errors.Describe(inputs[received])}) already holds NaN or Inf " +
              "(it comes from data, a constant, or ops run outside DetectAnomaly), and so does its output";
        throw new ArithmeticException($"{what} (output {Errors.Describe(y)}), called from {CallSite.Describe()}.");
    }

    public static void CheckBackward(GradNode node, int input, Tensor gx)
    {
        if (!HasNonFinite(gx)) return;
        throw new ArithmeticException(
            $"{node.Name}: returned NaN or Inf in the gradient of input {input} ({Errors.Describe(gx)}){ForwardSite(node)}.");
    }

    static string ForwardSite(GradNode node) =>
        node is OpNode { ForwardCallSite: { } site } ? $"; its forward op was called from {site}" :
        "; run the forward pass inside DetectAnomaly() too to see where its op was called";

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
